"""Text normalisation shared by the index (published titles) and the queries (what people type).

Both sides go through the same steps so that they meet in the middle:

* ``fold``: lower case, accents stripped ("Infirmière" -> "infirmiere"), ligatures split.
* ``normalize``: dotted acronyms collapsed ("R.N." -> "rn"), French elisions dropped
  ("l'acétylène" -> "acetylene"), every other non-alphanumeric character turned into a space.
* ``content_tokens``: stop words dropped, a light plural stem applied ("welders" -> "welder",
  "soudeuses" -> "soudeuse"), so word order and "of/de/à" do not matter.

Published titles also get a structure (``parse_title``): the gender pairs of the French titles
are expanded into a masculine and a feminine variant ("soudeur/soudeuse à l'acétylène"), the
qualifier after " - " and any parenthesis are kept as *soft* tokens (they may match, they cost
little when absent: "welder - pipeline" is still a good answer to "welder"), exclusions such as
"(except operators)" are removed, and the head noun ("nurse" in "registered nurse - telehealth",
"soudeur" in "soudeur à l'arc") is marked so it can weigh more than its modifiers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from knowledge.language import Lang

# --- character level ---------------------------------------------------------------------------

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": "'", "‘": "'", "`": "'",
                            "–": "-", "—": "-", "‐": "-", "‑": "-"})


def _accent_table() -> dict[int, str]:
    """Latin-1 and Latin Extended-A letters without their accents ("é" -> "e"), for
    ``str.translate``; anything rarer goes through Unicode decomposition."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                       if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[code] = base
    return table


_ACCENTS = {**_accent_table(), **_LIGATURES}


def fold(text: str) -> str:
    """Lower case, without accents or ligatures; punctuation is left for ``normalize``."""
    text = text.lower()
    if text.isascii():
        return text
    text = text.translate(_ACCENTS)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# "r.n." / "l.p.n" / "r.p.n." -> "rn" / "lpn" / "rpn" (letters separated by dots).
_DOTTED_ACRONYM = re.compile(r"(?<![a-z0-9])((?:[a-z]\.){1,}[a-z])\.?(?![a-z0-9])")
# French elided articles and pronouns: l'acétylène, d'aéronef, j'étais, qu'... (dropped whole).
_ELISION = re.compile(r"(?<![a-z])(?:qu|[ldjcnmst])'(?=[a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Folded text as space-separated words: no accents, no punctuation, no elisions."""
    text = fold(text)
    if "." in text:
        text = _DOTTED_ACRONYM.sub(lambda m: m.group(1).replace(".", ""), text)
    if "'" in text:
        text = _ELISION.sub(" ", text).replace("'", "")  # men's -> mens
    return _NON_WORD.sub(" ", text).strip()


# --- word level --------------------------------------------------------------------------------

# Function words of both languages (folded). They carry no occupation and people drop or add
# them freely ("préposé aux bénéficiaires" / "prepose beneficiaires"), possessives too ("our
# welders", "nos éducatrices": "nos" is no "nose specialist"); not "son" ("ingénieur du son").
STOPWORDS = frozenset({
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "for", "to", "with", "by", "from",
    "as", "into", "per", "via", "vs", "my", "our", "your", "his", "her", "their",
    "de", "du", "des", "la", "le", "les", "un", "une", "et", "ou", "en", "au", "aux", "pour",
    "par", "sur", "dans", "avec", "chez", "y", "d", "l", "mon", "ma", "mes", "notre", "nos",
    "votre", "vos", "sa", "leur", "leurs",
})


def stem(token: str) -> str:
    """Light plural stem for EN and FR, applied identically to titles and queries."""
    n = len(token)
    if n <= 3 or token.isdigit():
        return token
    if token.endswith("eaux"):  # bureaux -> bureau
        return token[:-1]
    if n > 4 and token.endswith("aux"):  # generaux -> general
        return token[:-3] + "al"
    if n > 4 and token.endswith("ies"):  # orderlies -> orderly, secretaries -> secretary
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def content_tokens(normalized: str) -> list[str]:
    """Stemmed, stop-word-free tokens of a normalised string, in order, without repeats."""
    out: list[str] = []
    for word in normalized.split():
        if word in STOPWORDS:
            continue
        token = stem(word)
        if token not in out:
            out.append(token)
    return out


# --- gender pairs ------------------------------------------------------------------------------

_LETTERS = re.compile(r"[^a-z]")
_ELIDED_PREFIX = re.compile(r"^(?:qu|[ldjcnmst])['’]", re.IGNORECASE)


def _stem_key(word: str) -> str:
    return _LETTERS.sub("", fold(_ELIDED_PREFIX.sub("", word)))


def _same_lemma(masculine: str, feminine: str) -> bool:
    """Do two words look like the two genders of one word (soudeur/soudeuse, chef/cheffe)?"""
    a, b = _stem_key(masculine), _stem_key(feminine)
    if not a or not b:
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= min(3, len(a), len(b))


def _split_pair(left: list[str], right: list[str]) -> int:
    """How many words the masculine form before a "/" spans (0 if it is no gender pair).

    "directeur administratif/directrice administrative d'une ..." spans 2 words: the k words
    before the slash must pair, one to one, with the first k words after it.
    """
    for k in range(1, min(len(left), len(right), 5) + 1):
        if all(_same_lemma(m, f) for m, f in zip(left[-k:], right[:k], strict=True)):
            return k
    return 0


_EN_WOMAN = re.compile(r"(\w*?)(man|men)/(woman|women)\b", re.IGNORECASE)


def gender_variants(title: str) -> list[str]:
    """The title with each "masculine/feminine" pair resolved, masculine first.

    "soudeur/soudeuse à l'acétylène" -> ["soudeur à l'acétylène", "soudeuse à l'acétylène"];
    "alderman/woman" -> ["alderman", "alderwoman"]; a slash that is no gender pair
    ("CAD/CAM", "chargeuse/déchargeuse") keeps the title whole, the slash reading as a space.
    """
    if "/" not in title:
        return [title]
    if _EN_WOMAN.search(title):
        masc = _EN_WOMAN.sub(lambda m: m.group(1) + m.group(2), title)
        fem = _EN_WOMAN.sub(lambda m: m.group(1) + m.group(3), title)
        return _dedupe([masc, fem])
    masc_words: list[str] = []
    fem_words: list[str] = []
    paired = False
    parts = title.split("/")
    # Walk the slashes left to right; ``pending`` holds the words not yet assigned.
    pending = parts[0].split(" ")
    for nxt in parts[1:]:
        right = nxt.split(" ")
        k = _split_pair(pending, right)
        if k == 0:  # not a gender pair: keep both sides, slash as a space
            masc_words.extend(pending)
            fem_words.extend(pending)
            pending = right
            continue
        paired = True
        common, masc_part = pending[:-k], pending[-k:]
        fem_part = right[:k]
        elided = _ELIDED_PREFIX.match(masc_part[0])
        if elided and not _ELIDED_PREFIX.match(fem_part[0]):
            fem_part = [elided.group(0) + fem_part[0]] + fem_part[1:]
        masc_words.extend(common + masc_part)
        fem_words.extend(common + fem_part)
        pending = right[k:]
    masc_words.extend(pending)
    fem_words.extend(pending)
    if not paired:
        return [title]
    return _dedupe([" ".join(w for w in masc_words if w), " ".join(w for w in fem_words if w)])


def _dedupe(items: list[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


# --- title structure ---------------------------------------------------------------------------

_EXCLUSION = re.compile(r"\(\s*(?:except|excluding|excl\.?|other than|sauf|excluant|à l'exception)"
                        r"[^)]*\)?", re.IGNORECASE)
_PAREN = re.compile(r"\(([^)]*)\)?")
_QUALIFIER = re.compile(r"\s+-\s+|\s*[–—]\s*")
# English heads come before these ("director of nursing", "installer of granito, tiles").
_EN_HEAD_CUT = re.compile(r"\s(?:of|for|in|to|at|with|on)\s", re.IGNORECASE)
_AND = re.compile(r"\band\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ParsedTitle:
    main: tuple[str, ...]  # content tokens of the title proper
    soft: tuple[str, ...]  # content tokens of qualifiers and parentheses (not in main)
    head: str | None  # the head noun, one of ``main``
    acronyms: tuple[tuple[str, tuple[str, ...]], ...]  # ("cnc", ("computer","numerical",...))


def _acronyms(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Acronyms spelled out just before their parenthesis: "early childhood educator (ECE)".

    Returns (acronym, expansion tokens) when the initials of the preceding content words spell
    the acronym; these become extra title variants ("ece") and query expansions.
    """
    found: list[tuple[str, tuple[str, ...]]] = []
    if "(" not in text:
        return found
    for match in _PAREN.finditer(text):
        inner = normalize(match.group(1))
        if not inner or " " in inner or not 2 <= len(inner) <= 6 or inner.isdigit():
            continue
        before = [w for w in normalize(text[: match.start()]).split() if w not in STOPWORDS]
        n = len(inner)
        if len(before) >= n and "".join(w[0] for w in before[-n:]) == inner:
            found.append((inner, tuple(stem(w) for w in before[-n:])))
    return found


@lru_cache(maxsize=1 << 16)
def _piece_tokens(piece: str) -> tuple[str, ...]:
    """Content tokens of a piece of a published title (memoised for the index build: the same
    qualifiers, "- transformation des aliments et boissons", recur thousands of times)."""
    return tuple(content_tokens(normalize(piece)))


def clear_parse_cache() -> None:
    """Free the memo of ``_piece_tokens`` (the index calls this once it is built)."""
    _piece_tokens.cache_clear()


def parse_title(title: str, lang: Lang) -> ParsedTitle:
    """Split one (gender-resolved) published title into main/soft tokens and a head noun."""
    acronyms = tuple(_acronyms(title))
    text = _EXCLUSION.sub(" ", title)
    soft_texts = [m.group(1) for m in _PAREN.finditer(text)]
    text = _PAREN.sub(" ", text)
    pieces = _QUALIFIER.split(text)
    main_text = pieces[0]
    soft_texts.extend(pieces[1:])
    if lang != "fr" and "," in main_text:
        # "finisher, foundry moulds" is a qualifier; "heating, ventilation and air ..." a list.
        first, rest = main_text.split(",", 1)
        if not _AND.search(rest):
            main_text = first
            soft_texts.append(rest)
    main = list(_piece_tokens(main_text))
    if not main and soft_texts:  # "(CNC) ..." oddities: fall back to everything
        main = list(_piece_tokens(" ".join(soft_texts)))
        soft_texts = []
    # An acronym spelled out in the title ("registered practical nurse (R.P.N.)") says nothing
    # more: it is indexed as its own reading ("rpn"), not as a qualifier of this one.
    redundant = {acronym for acronym, expansion in acronyms if set(expansion) <= set(main)}
    soft: list[str] = []
    for piece in soft_texts:
        for token in _piece_tokens(piece):
            if token not in main and token not in soft and token not in redundant:
                soft.append(token)
    head: str | None = None
    if main:
        if lang == "fr":
            head = main[0]
        else:
            cut = _EN_HEAD_CUT.split(main_text, maxsplit=1)[0]
            head_part = _piece_tokens(cut) if cut != main_text else main
            head = head_part[-1] if head_part else main[-1]
    return ParsedTitle(tuple(main), tuple(soft), head, acronyms)
