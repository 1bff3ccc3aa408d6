"""What a learner can accept in a program (budget, length, format, schedule, language, region,
financial aid) and what they want to do (goal), read from free text in English or French.

``read_limits`` reads a message clause by clause: a limit only where the words state one of the
program (not the learner's past, own work hours, a greeting or a place they left); a soft wish
("if possible", "idéalement", "I'd prefer") as a preference that ranks; a question (OSAP, cost,
what a micro-credential is, wages, outlook) as a question to answer, never as a filter. Amounts
may be in words or slang ("five hundred bucks", "deux mille piasses", "2 grand", "$1.5k").

The values are the catalog's own vocabulary (``knowledge.vocabulary``) so the recommender can
filter on them directly: delivery ``online | in_person | hybrid``, schedule ``daytime | evenings |
weekends | self_paced``, language ``en | fr`` (a learner's, never ``bilingual``), region a Job Bank
economic region ``ER35xx``. The place names below are how learners name those regions (parsing).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

from rapidfuzz import fuzz, process

from knowledge.language import Lang
from knowledge.vocabulary import (
    DELIVERY_MODES,
    LEARNER_LANGUAGES,
    REGIONS,
    SCHEDULES,
)

Goal = Literal["change_career", "upskill", "explore", "return_to_work"]
GOALS: tuple[str, ...] = get_args(Goal)

# Place names (folded: lowercase, no accents) -> economic region. Cities, towns and counties a
# learner is likely to name; ambiguous words (Grey, Bruce, Perth, Peel, Huron) are left out.
_PLACES: dict[str, tuple[str, ...]] = {
    "ER3510": ("ottawa", "orleans", "kanata", "nepean", "barrhaven", "gloucester", "cornwall",
               "hawkesbury", "rockland", "casselman", "embrun", "brockville", "prescott",
               "carleton place", "smiths falls", "arnprior", "alexandria", "vankleek hill",
               "prescott-russell", "prescott russell"),
    "ER3515": ("kingston", "pembroke", "belleville", "trenton", "quinte west", "napanee",
               "renfrew", "petawawa", "prince edward county", "picton"),
    "ER3520": ("peterborough", "lindsay", "kawartha", "kawarthas", "kawartha lakes", "cobourg",
               "port hope", "huntsville", "bracebridge", "muskoka", "haliburton", "gravenhurst"),
    "ER3530": ("toronto", "gta", "mississauga", "brampton", "markham", "vaughan", "richmond hill",
               "oakville", "oshawa", "whitby", "ajax", "pickering", "scarborough", "north york",
               "etobicoke", "newmarket", "aurora", "milton", "caledon", "clarington",
               "york region", "durham region", "halton"),
    "ER3540": ("kitchener", "waterloo", "cambridge", "guelph", "barrie", "orillia",
               "orangeville", "collingwood", "innisfil", "wellington county", "simcoe county"),
    "ER3550": ("hamilton", "burlington", "st catharines", "saint catharines", "niagara",
               "niagara falls", "chutes niagara", "welland", "brantford", "grimsby", "fort erie",
               "haldimand", "norfolk county", "stoney creek"),
    "ER3560": ("london", "st thomas", "woodstock", "ingersoll", "tillsonburg", "strathroy",
               "elgin county", "oxford county"),
    "ER3570": ("windsor", "sarnia", "chatham", "chatham-kent", "leamington", "tecumseh",
               "amherstburg", "kingsville", "lasalle", "essex county", "lambton county"),
    "ER3580": ("stratford", "owen sound", "goderich", "kincardine", "hanover", "st marys",
               "listowel", "bruce peninsula", "peninsule de bruce"),
    "ER3590": ("sudbury", "grand sudbury", "greater sudbury", "north bay", "sault ste marie",
               "sault sainte marie", "sault-sainte-marie", "sault", "timmins", "kapuskasing",
               "hearst", "sturgeon falls", "elliot lake", "kirkland lake", "cochrane",
               "new liskeard", "temiskaming", "parry sound", "espanola", "manitoulin",
               "northeastern ontario", "northeast ontario", "nord-est de l'ontario",
               "nord est de l'ontario", "nord-est ontarien"),
    "ER3595": ("thunder bay", "kenora", "dryden", "fort frances", "sioux lookout",
               "geraldton", "red lake", "northwestern ontario", "northwest ontario",
               "nord-ouest de l'ontario", "nord ouest de l'ontario", "nord-ouest ontarien"),
}
_PLACE_TO_REGION = {place: code for code, places in _PLACES.items() for place in places}
_PLACE_RE = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(p) for p in
                             sorted(_PLACE_TO_REGION, key=len, reverse=True)) + r")(?![a-z])")


@dataclass(frozen=True)
class Constraints:
    max_cost: float | None = None        # CAD, total tuition
    max_weeks: float | None = None
    max_hours: float | None = None
    delivery: tuple[str, ...] = ()       # accepted catalog delivery values, e.g. ("online",)
    schedule: tuple[str, ...] = ()       # catalog schedule values, e.g. ("evenings",)
    language: Lang | None = None         # taught in "en" | "fr" (a bilingual program suits both)
    region: str | None = None            # Job Bank economic region code, e.g. "ER3530"
    financial_aid: bool | None = None    # True: must be OSAP-eligible

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, only the fields that are set (what goes into the Rasa slot)."""
        data: dict[str, Any] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None or value == ():
                continue
            data[field.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Constraints:
        """Rebuild from a slot value; anything malformed is dropped, never raised."""
        if not isinstance(data, Mapping):
            return cls()
        return cls(
            max_cost=_positive_number(data.get("max_cost"), allow_zero=True),
            max_weeks=_positive_number(data.get("max_weeks")),
            max_hours=_positive_number(data.get("max_hours")),
            delivery=_vocabulary(data.get("delivery"), DELIVERY_MODES),
            schedule=_vocabulary(data.get("schedule"), SCHEDULES),
            language=data.get("language") if data.get("language") in LEARNER_LANGUAGES else None,
            region=data.get("region") if data.get("region") in REGIONS else None,
            financial_aid=True if data.get("financial_aid") is True else None,
        )

    def is_empty(self) -> bool:
        return not self.to_dict()

    def without(self, *names: str) -> Constraints:
        """A copy with the named fields cleared (to find which constraint blocks results)."""
        cleared: dict[str, Any] = {
            name: () if name in ("delivery", "schedule") else None for name in names}
        return replace(self, **cleared)

    def set_fields(self) -> tuple[str, ...]:
        """Names of the fields that are set, in declaration order."""
        return tuple(self.to_dict())


def _positive_number(value: Any, allow_zero: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        return None
    return number


def _vocabulary(value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    chosen = {v for v in value if isinstance(v, str) and v in allowed}
    return tuple(v for v in allowed if v in chosen)


# --- text normalisation --------------------------------------------------------------------

def fold(text: str) -> str:
    """Lowercase, accents removed, typographic apostrophes and spaces made plain."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return text.lower()


def foldable(text: str) -> str:
    """``text`` with each character that folds to several ("…" -> "...", "ﬁ" -> "fi") or to
    none (a lone accent) written as its folded form, so ``fold`` keeps every position: spans
    found in the folded text can be cut from this one, as typed otherwise."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        folded = fold(ch)
        if len(folded) == 1:
            out.append(ch)
        else:
            wide = unicodedata.normalize("NFKC", ch)
            out.append(wide if len(fold(wide)) == len(wide) else folded)
    return "".join(out)


# Distinctive words whose typos we repair before matching ("onlin", "evenigs", "carrer").
_VOCABULARY = (
    "online", "evening", "evenings", "weekend", "weekends", "hybrid", "hybride", "french",
    "english", "francais", "anglais", "dollars", "semaine", "semaines", "weeks", "months",
    "financial", "financiere", "toronto", "ottawa", "sudbury", "hamilton", "kingston",
    "windsor", "niagara", "waterloo", "kitchener", "mississauga", "brampton", "thunder",
    "peterborough", "budget", "career", "careers", "carriere", "promotion", "program",
    "programs", "programme", "programmes", "courses", "classes", "personne", "distance",
    "self-paced", "rythme", "soirees", "daytime", "anything", "whatever", "perfectionner",
    "reorienter", "hours", "heures", "switch", "change", "presentiel", "hundred", "thousand",
    "morning", "mornings", "afternoon", "afternoons", "saturday", "saturdays", "sundays",
    "samedi", "dimanche", "piasses", "maximum", "ideally", "idealement", "possible",
    "preferably", "eligible", "admissible", "asynchronous", "virtual", "campus",
    "microcredential", "microcredentials", "microcertification", "microcertifications",
    "certificate", "salary", "salaire", "supervisor", "superviseur", "experience",
    "something", "ligne", "person", "soiree",
)
# Real words close to a vocabulary word that must stay as typed ("person" is not "personne").
_KEEP = frozenset(("person", "persons", "personal", "weekly", "hourly", "monthly", "classic",
                   "classe", "programming", "changes", "changed", "switches", "french's",
                   "onsite", "online's", "carrier", "carrière", "careful", "distant",
                   "weekday", "weekdays", "hamilton's", "courses", "course", "clauses",
                   "possibly", "impossible", "certificat", "certificats", "supervision",
                   "experienced", "experiences", "hundreds", "thousands", "evening's",
                   "saturday's", "sunday", "campuses", "virtually", "salaries", "salaires",
                   "mornings", "hybrids", "mourning", "kingstons"))
_TOKEN_RE = re.compile(r"[a-z][a-z'-]*")


def _repair_typos(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 5 or word in _VOCABULARY or word in _KEEP:
            return word
        # the closest word with the same first letter ("hunderd" is "hundred", not "thunder")
        best = [c for c, _, _ in process.extract(word, _VOCABULARY, scorer=fuzz.ratio,
                                                 score_cutoff=83, limit=4) if c[0] == word[0]]
        if not best:
            return word
        candidate = best[0]
        # "personal" is not a typo of "personne", nor "weekly" of "weeks": only repair words of
        # about the same length that are not a longer form of the candidate.
        if word.startswith(candidate) or candidate.startswith(word[:-1]) and len(word) > len(
                candidate):
            return word
        return candidate
    return _TOKEN_RE.sub(fix, text)


# --- amounts and counts written in words ---------------------------------------------------

_WORD_VALUES: dict[str, float] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40,
    "cinquante": 50, "soixante": 60, "soixante-dix": 70, "soixante dix": 70,
    "quatre-vingt": 80, "quatre-vingts": 80, "quatre vingt": 80, "quatre vingts": 80,
    "quatre-vingt-dix": 90, "quatre vingt dix": 90,
}
_HUNDREDS = ("hundred", "cent", "cents")
_THOUSANDS = ("thousand", "mille", "grand")
_NUMBER_TOKEN = "|".join(re.escape(w) for w in sorted(
    [*_WORD_VALUES, *_HUNDREDS, *_THOUSANDS], key=len, reverse=True))
# "five hundred", "deux mille cinq cents", "quinze cents" (Québec: 1 500), "2 grand", "1.5 thousand"
_NUMBER_WORDS_RE = re.compile(
    r"(?<![\w'$.,])(?:(?P<digits>\d+(?:[.,]\d+)?)\s*(?=(?:hundred|thousand|mille|grand)\b)|"
    r"(?=(?:" + _NUMBER_TOKEN + r")(?![\w'])))"
    r"(?P<words>(?:(?:" + _NUMBER_TOKEN + r")(?![\w'])(?:[\s-]+(?:(?:and|et)[\s-]+)?"
    r"(?=(?:" + _NUMBER_TOKEN + r")(?![\w'])))?)+)")
_TOKEN_SPLIT = re.compile(r"(?:" + _NUMBER_TOKEN + r")(?![\w'])")
# "a couple hundred", "a few hundred bucks", "a grand", "quelques centaines"
_ARTICLE_AMOUNT = re.compile(
    r"(?<!\w)(?:(?:a|an|un|une)\s+)?(?P<q>couple(?:\s+of)?|few)?\s*"
    r"(?P<scale>hundred|thousand|grand)(?![\w'])|(?<!\w)(?:a|an)\s+(?P<one>hundred|thousand|"
    r"grand)(?![\w'])|(?<!\w)quelques\s+(?P<fr>centaines|milliers)(?![\w'])")
_CURRENCY_AFTER = re.compile(r"^\s*(?:\$|dollars?\b|bucks\b|piasses?\b|piastres?\b|balles\b)")


def _number_words_value(words: str, digits: str | None) -> tuple[float, bool] | None:
    tokens = _TOKEN_SPLIT.findall(words)
    if not tokens:
        return None
    total, current, grand = 0.0, 0.0, False
    if digits:
        current = float(digits.replace(",", "."))
    scale_only = True
    for token in tokens:
        if token in _WORD_VALUES:
            current += _WORD_VALUES[token]
            scale_only = False
        elif token in _HUNDREDS:
            current = (current or 1) * 100
        else:
            total += (current or 1) * 1000
            current = 0
            grand = grand or token == "grand"
    if scale_only and not digits:
        return None  # "grand Sudbury", "mille" alone: not a number (handled with a currency)
    return total + current, grand


def _format_value(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _words_to_numbers(text: str) -> str:
    """Amounts and counts in words as digits: "five hundred bucks" -> "500 bucks", "deux mille
    dollars" -> "2000 dollars", "2 grand" -> "2000 $", "quinze cents piasses" -> "1500 piasses".
    A lone article ("a", "un") stays a word: "a week" is read by the duration rules."""

    def article(match: re.Match[str]) -> str:
        if match.group("fr"):
            return "300" if match.group("fr") == "centaines" else "3000"
        scale = match.group("scale") or match.group("one")
        count = {"couple": 2, "couple of": 2, "few": 3}.get(
            re.sub(r"\s+", " ", match.group("q") or ""), 1)
        if not match.group("q") and not match.group("one"):
            return match.group(0)  # "hundred" alone: handled with the words around it
        value = count * (100 if scale == "hundred" else 1000)
        return f"{value} $" if scale == "grand" else str(value)

    text = _ARTICLE_AMOUNT.sub(article, text)

    def words(match: re.Match[str]) -> str:
        read = _number_words_value(match.group("words"), match.group("digits"))
        if read is None:
            # "mille piasses", "cent dollars": a scale word alone before a currency
            word = match.group("words").strip()
            if word in ("mille", "cent", "thousand", "hundred") and _CURRENCY_AFTER.match(
                    text[match.end():]):
                return ("1000" if word in ("mille", "thousand") else "100") + " "
            return match.group(0)
        value, grand = read
        if not match.group("digits") and match.group("words").strip() in ("un", "une"):
            return match.group(0)
        trailing = " " if match.group(0).endswith(" ") else ""
        return _format_value(value) + (" $" if grand else "") + trailing

    return _NUMBER_WORDS_RE.sub(words, text)


_ABBREVIATIONS = ((re.compile(r"\bste?\.\s*"), lambda m: m.group(0).rstrip(". ") + " "),
                  (re.compile(r"\b([ap])\.m\.?"), lambda m: m.group(1) + "m"),
                  (re.compile(r"\bmr\.|\bdr\.|\bmrs\."), lambda m: m.group(0)[:-1]))


def _prepare(text: str) -> str:
    text = fold(text or "")[:2000]
    for pattern, repl in _ABBREVIATIONS:
        text = pattern.sub(repl, text)
    text = _words_to_numbers(_repair_typos(text))
    return " " + text + " "


# --- numbers -------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "a": 1, "an": 1, "a couple of": 2, "a couple": 2, "a few": 3, "un": 1, "une": 1,
    "quelques": 3,
}
_VAGUE_NUMBERS = frozenset(_NUMBER_WORDS)
_NUM = r"\d{1,3}(?:[ ,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_NUM_OR_WORD = (_NUM + "|" + "|".join(
    re.escape(w) for w in sorted(_NUMBER_WORDS, key=len, reverse=True)))


def _to_number(text: str) -> float | None:
    text = text.strip()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    text = re.sub(r"[ ,](?=\d{3}(?!\d))", "", text)  # thousands separators: 1,500 / 1 500
    text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_CURRENCY = r"(?:\$|dollars?\b|bucks\b|cad\b|piasses?\b|piastres?\b|balles\b|bidous\b)"
_COST_PATTERNS = (
    # $800, $ 1,500, $1.5k
    re.compile(r"\$\s*(?P<n>" + _NUM + r")\s*(?P<k>k\b)?"),
    # 800$, 800 $, 800 dollars, 1 500 $ CAD, 1.5k$, 800 bucks, 800 piasses
    re.compile(r"(?<![\d.$])(?P<n>" + _NUM + r")\s*(?P<k>k)?\s*" + _CURRENCY),
    # under 1k, budget 2k
    re.compile(r"(?<![\w.$])(?P<n>\d+(?:[.,]\d+)?)\s*(?P<k>k)\b(?!\s*" + _CURRENCY + ")"),
)
_COST_CONTEXT = re.compile(
    r"(?:budget|max(?:imum)?|under|below|less than|no more than|not more than|at most|up to|"
    r"cheaper than|afford|spend|pay|moins de|maximum de|max de|pas plus de|au plus|"
    r"jusqu'a|payer|depenser|cout|prix|inferieur a)\s*(?:is|of|de|d'|:|around|about|environ|"
    r"autour de|like|genre)?\s*(?:is|of|de|d'|:|around|about|environ|autour de)?"
    r"\s*(?P<n>" + _NUM + r")(?!\s*(?:[.,]?\d|%|h\b|hours?|hrs?|heures?|weeks?|wks?|semaines?|"
    r"sem\b|months?|mois|days?|jours?|years?|ans?\b|annees?|\$|dollars?|k\b|bucks|piasses?|"
    r"people|persons?|personnes|employees|employes|students|etudiants|participants|"
    r"learners|staff|workers|spots?|places?))")
_FREE = re.compile(
    r"(?<![\w'-])(?:free|for free|no cost|at no cost|free of charge|gratuite?s?|gratis|"
    r"sans frais|sans cout|sans couts|0 ?\$|\$ ?0)(?![\w'-])")
_NOT_FREE = re.compile(
    r"(?:feel|free (?:time|on|in the|during|mornings?|evenings?|weekends?|days?|afternoons?|"
    r"trial|of (?:stress|debt))|i'm free|im free|i am free|hands|stress|gluten|tax|duty|"
    r"sugar|smoke|fragrance|cost)[\s-]*$")
_NOT_FREE_AFTER = re.compile(
    r"^\s*(?:time|on\b|in the|during|mornings?|evenings?|weekends?|days?|afternoons?|trial|"
    r"lance|dom|style|to (?:ask|reach|contact|call|message))")
# A money amount that is a wage, a price someone quotes, or a rejected amount.
_MONEY_NOT_BUDGET_AFTER = re.compile(
    r"^\s*(?:k\b\s*)?(?:/\s*(?:h|hr|hour|heure|an|year|yr|mois|month|week|sem)\b|"
    r"(?:an|per|a|by|par|de l'|l'|the|each|every|chaque)\s*(?:hour|hr|heure|year|yr|month|"
    r"annee|an|mois|semaine|week)s?\b|hourly|annually|yearly|a year|de l'heure|l'heure|"
    r"par heure|par annee|par an\b|par mois|a l'heure|salary|salaire|"
    r"(?:is|it's|that's|c'est|ca|,)?\s*(?:way |beaucoup |bien )?(?:too|trop)\b|"
    r"(?:is|are|c'est)?\s*(?:a lot|beaucoup|expensive|cher|chere|chers)\b)")
_MONEY_NOT_BUDGET_BEFORE = re.compile(
    r"(?:\b(?:make(?! (?:that|it))|makes|making|made|earn|earns|earning|earned|paid|salary|"
    r"salaire|wage|wages|gagne|gagnes|gagner|gagnais|gagnait|income|revenu|rent|loyer|mortgage|owe|dette|"
    r"debt|costs?|coute|coutent|couter|coutait|priced at|charges?|sells? for|tuition is|"
    r"fees? (?:is|are)|for only|payed|paye|payee)\b[^,;]{0,12}|\b(?:not|pas|non|instead of|"
    r"rather than|plutot que|au lieu de)\s*)$")


def _parse_cost(text: str, following: str = "") -> list[tuple[int, float]]:
    """(position, amount) of every budget the text states (``following``: the words after
    it, which may reject an amount: "3000 $, c'est trop cher")."""
    found: list[tuple[int, float]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _COST_PATTERNS:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            taken.append((match.start(), match.end()))
            value = _to_number(match.group("n"))
            if value is None:
                continue
            if match.group("k"):
                value *= 1000
            before = text[max(0, match.start() - 40):match.start()]
            after = text[match.end():]
            if not after.strip():
                after = following
            if _MONEY_NOT_BUDGET_BEFORE.search(before) or _MONEY_NOT_BUDGET_AFTER.match(after):
                continue
            found.append((match.start(), value))
    for match in _COST_CONTEXT.finditer(text):
        if any(s <= match.start("n") < e for s, e in taken):
            continue
        value = _to_number(match.group("n"))
        if value is not None and value >= 50:  # "under 6" is not a budget
            found.append((match.start("n"), value))
    for match in _FREE.finditer(text):
        if _NOT_FREE.search(text[max(0, match.start() - 30):match.start()]) or \
                _NOT_FREE_AFTER.match(text[match.end():]):
            continue
        found.append((match.start(), 0.0))
    return sorted(found)


_DURATION = re.compile(
    r"(?<![\w$.])(?P<n>" + _NUM_OR_WORD + r")\s*-?\s*(?P<unit>weeks?|wks?|semaines?|sem\b|"
    r"months?|mos?\b|mois\b|hours?|hrs?\b|h\b|heures?|days?|jours?|years?|yrs?\b|ans?\b|annees?)"
    r"(?P<per>\s*(?:a|per|each|every|par|by|/|an|de)\s*(?:week|semaine|sem\b|day|jour|month|mois|"
    r"night|nuit|evening|soir)|\s*(?:weekly|hebdo|par semaine))?")
_LONGER_THAN = re.compile(r"(?:more than|longer than|over|at least|plus de|au moins|minimum|"
                          r"plus long que|over)\s*$")
_NEGATED_LONGER = re.compile(r"(?:no|not|nothing|never|pas|rien de|rien|ne|n'|aucun\w*)\s+"
                             r"(?:\w+\s+)?(?:more than|longer than|over|plus de|plus long que)\s*$")
# A duration that is about the learner's life, not the program: "out of work for 8 months",
# "10 years of experience", "twice a week", "classes at 18h", "I'm 45 years old".
_NOT_A_LIMIT_BEFORE = re.compile(
    r"(?:after|since|ago|been|worked|working|depuis|apres|il y a|pendant|once|twice|times|"
    r"fois|per|par|each|every|chaque|at|a|vers|before|avant|age|aged|j'ai|i'm|i am|im|"
    r"from|next|last|past|prochaine?s?|derniere?s?|passee?s?|dans|"
    r"(?:start|starts|starting|begin|begins|beginning|commence\w*|debut\w*)\b[^,.;]{0,25}"
    r"\b(?:in|dans|en)|commence\w*|debut\w*|"
    r"(?:out of work|unemployed|off work|not working|without work|sans emploi|au chomage|"
    r"home|at home|a la maison|off)(?: for| pendant| depuis)?|for the (?:past|last)|"
    r"(?:been|was|were|have|had|'ve)\b[^,.]{0,30}\bfor)\s*$")
_NOT_A_LIMIT_AFTER = re.compile(
    r"^\s*(?:\d|ago|off|old|of (?:experience|work|unemployment|service)|experience|"
    r"d'experience|de chomage|sans emploi|unemployed|out of work|then|later|plus tard|"
    r"passee?s?|dernier|derniere|shifts?|quarts?|(?:a|per|each) (?:day|night|shift)|par jour|"
    r"(?:is|c'est|it's|that's|,)?\s*(?:way |beaucoup |bien )?(?:too|trop)\b|"
    r"(?:c'est|is)?\s*(?:trop long|too long)|at home|a la maison|home|with my|avec mes|"
    r"from now|d'ici|old|de service|in canada|au canada|here|ici|before|avant|until|"
    r"jusqu'a|left|away|to go|from today)")
_LIMIT_BEFORE = re.compile(
    r"(?:under|less than|within|max(?:imum)?|at most|up to|no more than|no longer than|"
    r"shorter than|moins de|moins d'|au plus|maximum de|pas plus de|en moins de|en moins d'|"
    r"not more than|not longer than|nothing longer than|nothing over|not over|at the most|"
    r"pas plus long que|au maximum|d'au plus|finish in|done in|complete in|fini en|"
    r"termine en|finir en)\s*$")
# A clock time or a time span of the day, not a length: "de 9 h à 17 h", "from 6 to 9".
_CLOCK_BEFORE = re.compile(r"(?:de|des|from|between|entre|et|and|to|jusqu'a|-)\s*$")
_LIMIT_AFTER = re.compile(r"^\s*(?:max(?:imum)?|or less|or under|ou moins|tops|at most|au plus|"
                          r"at the most|maximum|max\.|grand max|le plus)")
# Even after "under": "less than 2 years ago", "6 mois c'est trop long" reject the length.
_REJECTED_AFTER = re.compile(r"^\s*(?:ago|old|of experience|d'experience|"
                             r"(?:c'est|is|it's|that's)?\s*(?:trop|too))")


def _parse_durations(text: str) -> list[tuple[int, str, float]]:
    """(position, "max_weeks" | "max_hours", value) of every length the text states."""
    found: list[tuple[int, str, float]] = []
    for match in _DURATION.finditer(text):
        if match.group("per"):  # "10 hours a week" is a weekly load, not a length
            continue
        before, after = text[max(0, match.start() - 40):match.start()], text[match.end():]
        limit = bool(_LIMIT_AFTER.match(after) or _NEGATED_LONGER.search(before) or
                     _LIMIT_BEFORE.search(before))
        if match.group("unit") == "h" and _CLOCK_BEFORE.search(before) and not limit:
            continue
        if not limit and _LONGER_THAN.search(before):
            continue  # "more than 6 weeks" is not an upper limit
        if not limit and (_NOT_A_LIMIT_BEFORE.search(before) or
                          _NOT_A_LIMIT_AFTER.match(after[:30])):
            continue
        if _REJECTED_AFTER.match(after[:30]):
            continue
        unit = match.group("unit")
        number = match.group("n")
        vague = number in _VAGUE_NUMBERS
        if (unit.startswith(("y", "an", "d", "j")) or vague) and not limit:
            continue  # "5 years", "200 days", "a week": someone's life unless clearly a limit
        value = _to_number(number)
        if value is None or value <= 0:
            continue
        if unit.startswith(("h", "hr")):
            if unit == "h" and value > 24 * 7 and not limit:
                continue  # "2000 h" is no course length
            found.append((match.start(), "max_hours", value))
        elif unit.startswith(("w", "sem")):
            found.append((match.start(), "max_weeks", value))
        elif unit.startswith(("mo",)):
            found.append((match.start(), "max_weeks",
                          float(max(1, math.floor(value * 52 / 12 + 1e-9)))))
        elif unit.startswith(("d", "j")):
            found.append((match.start(), "max_weeks", float(max(1, math.floor(value / 7)))))
        elif unit.startswith(("y", "an")):
            found.append((match.start(), "max_weeks", value * 52))
    return found


# --- delivery, schedule, language, region, aid -------------------------------------------

_ONLINE = (r"(?:online|on-line|on line|en ligne|virtual(?:ly)?|remote(?:ly)?|a distance|"
           r"distance learning|distance education|distance ed|from home|de la maison|"
           r"de chez moi|depuis chez moi|depuis la maison|zoom|e-learning|elearning|"
           r"web-based|virtuel(?:le)?s?|par internet|sur internet|over the internet)")
_IN_PERSON = (r"(?:in person|in-person|inperson|on campus|on-campus|on site|on-site|onsite|"
              r"face to face|face-to-face|en personne|en presentiel|presentiel(?:le)?s?|"
              r"sur place|sur le campus|in (?:a |the )?classroom|classroom[- ](?:based|setting|"
              r"learning|training|courses?)|in class|in-class|en classe|at (?:the )?campus|"
              r"au campus|en presence)")
_HYBRID = r"(?:hybrid|hybride|blended|mixte|comodal|hybrides)"
_DELIVERY_RES = (("online", re.compile(r"(?<![a-z])" + _ONLINE + r"(?![a-z])")),
                 ("in_person", re.compile(r"(?<![a-z])" + _IN_PERSON + r"(?![a-z])")),
                 ("hybrid", re.compile(r"(?<![a-z])" + _HYBRID + r"(?![a-z])")))
# "QuickBooks Online", "sell online", "online marketing": a product or a topic, not a format.
_ONLINE_TOPIC = re.compile(
    r"(?:quickbooks|office|sage|xero|microsoft|google|shopify|wave|freshbooks|sell|selling|"
    r"sales|store|shop|shopping|business|marketing|presence|vendre|vente|ventes|boutique|"
    r"magasin|commerce|banking|dating|gaming)\s+(?:\w+\s+){0,2}$")
_ONLINE_TOPIC_AFTER = re.compile(
    r"^\s*(?:marketing|store|shop|business|sales|presence|safety|security|boutique|commerce|"
    r"vente|ventes|magasin|banking|gaming|reputation|advertising|publicite)")
# Words of a format that name something else: "a remote community", "hybrid vehicles",
# "virtual assistant" (a job), "walking distance", "far from home", "on-site supervisor".
_FORMAT_NOT_AFTER = re.compile(
    r"^\s*(?:communit(?:y|ies)|areas?|regions?|towns?|villages?|locations?|reserves?|"
    r"first nations?|northern|vehicles?|cars?|electric|ev\b|engines?|systems?|assistants?|"
    r"receptionists?|supervisors?|managers?|coordinators?|de marche|de (?:la|ma) maison|"
    r"work\b|job\b|jobs\b)")
_FORMAT_NOT_BEFORE = re.compile(
    r"(?:far|away|close|near|walking|driving|loin|pres|proche|sortir|vehicules?|voitures?|"
    r"chars?|autos?|moteurs?|assistante?s?|communautes?|regions?)\s+(?:de\s+|from\s+)?$")
# "in town or online": either of two different dimensions, neither is a limit.
_PLACE_OR_ONLINE = re.compile(
    r"(?:in town|locally|local|near (?:me|home)|close to home|around here|dans le coin|"
    r"pres de chez (?:moi|nous)|en ville|in (?:\w+ ){0,2}?\w+)\s+(?:or|ou)\s+(?:online|en ligne|"
    r"a distance|virtual)|(?:online|en ligne|a distance|virtual)\s+(?:or|ou)\s+(?:in town|"
    r"locally|local|near (?:me|home)|close to home|dans le coin|en ville|pres de chez)")

_NEGATOR = re.compile(
    r"(?<!\w)(?:not|no|don't|dont|do not|can't|cant|cannot|can not|won't|wont|never|"
    r"without|except|anything but|rather than|instead of|hate|dislike|pas|non|jamais|sauf|"
    r"sans|aucun|aucune|ni|plutot que|au lieu de|deteste|haissent)(?![\w'])")
_NOT_NEGATOR_AFTER = re.compile(r"^\s*(?:sure|sur|certain|certaine|only|seulement|more than|"
                                r"plus de|longer|later|problem|probleme|matter|grave)\b")


def _negated(clause: str, start: int) -> bool:
    """Whether a negation governs the words at ``start`` ("not online", "pas de cours en
    ligne", "I can't do evening classes")."""
    window = clause[max(0, start - 40):start]
    for match in _NEGATOR.finditer(window):
        rest = window[match.end():]
        if _NOT_NEGATOR_AFTER.match(rest):
            continue
        if len(_WORD_RE.findall(rest)) <= 4:
            return True
    return False


_WORD_RE = re.compile(r"[\w'$-]+")

_SCHEDULE_RES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (value, re.compile(r"(?<![a-z])(?:" + pattern + r")(?![a-z])")) for value, pattern in (
        ("self_paced", r"self[- ]?paced|own pace|my pace|at my own time|on my own time|"
                       r"my own schedule|on my own schedule|asynchronous|asynchrone|async|"
                       r"a mon (?:propre )?rythme|a son rythme|a votre rythme|a notre rythme|"
                       r"a mon propre horaire|quand je veux|whenever i want|on demand|"
                       r"flexible hours|flexible schedule|horaire flexible|horaires flexibles|"
                       r"own speed|whenever i (?:have|get|find) (?:the )?time|when i have time|"
                       r"quand j'ai (?:le )?temps|selon mes disponibilites|at my convenience|"
                       r"a mon propre rythme"),
        ("evenings", r"evenings?|at night|nights|weeknights?|week nights|"
                     r"night (?:school|classes|courses?)|after work|after hours|"
                     r"apres (?:l'ouvrage|la job|la shift|les heures de travail|le boulot)|"
                     r"after (?:[4-9]|1[01])(?::[0-5]\d)? ?(?:pm|o'clock)|"
                     r"after (?:[5-9]|1[01])(?::[0-5]\d)?(?=\s*(?:[,.;!?)]|$|or\b|and\b))|"
                     r"after (?:1[6-9]|2[0-2]) ?h|"
                     r"le soir|les soirs|en soiree|soirees?|de soir|du soir|soirs|"
                     r"apres (?:le|mon) travail|apres (?:le )?souper|apres (?:1[6-9]|2[0-2]) ?h"),
        ("weekends", r"week-?ends?|fins? de semaines?|fins? d'semaines?|saturdays?|sundays?|"
                     r"samedis?|dimanches?|sat and sun|sat/sun"),
        ("daytime", r"daytime|during the day|day classes|day courses|days only|"
                    r"de jour|en journee|le jour|la journee|pendant la journee|mornings?|"
                    r"in the morning|afternoons?|le matin|les matins|en matinee|matinees?|"
                    r"l'apres-midi|apres-midi|before noon|avant midi|day time|school hours|"
                    r"when (?:the|my) kids are (?:at|in) school|pendant que (?:les|mes) enfants "
                    r"sont a l'ecole|heures d'ecole|"
                    r"(?:^\s*|[,;]\s*|\b(?:or|and|ou|et|during)\s+)days\b"
                    r"(?!\s+(?:ago|a week|per))"),
    ))
# The learner's own working life: "I work nights", "10 hr shifts", "quarts de soir".
_WORK = re.compile(
    r"(?<!\w)(?:i work|i'm working|im working|i am working|i'm at work|at work|i do nights|"
    r"i do days|work from home|working from home|work remotely|"
    r"(?<!for )(?<!at )(?<!in )my (?:job|shift|shifts|work)|"
    r"shifts?|on nights|on days|on call|night shift|day shift|i'm at the|im at the|"
    r"je travaille|j'travaille|jtravaille|je bosse|travaille (?:de|le|la|les|du|en|sur|par)|"
    r"quarts?|mon quart|mes quarts|de garde|je fais (?:les|le|des) (?:nuits|soirs|quarts?)|"
    r"i drive|je conduis|2 jobs|two jobs|deux jobs|a temps plein|full[- ]time job|"
    r"j'ai (?:les|mes) enfants|i have (?:the|my) kids|je garde (?:les|mes)|garde partagee|"
    r"i'm a \w+ (?:in the|at) (?:morning|night|day)|"
    r"(?:take|taking) care of (?:my|the) (?:kids|children|baby|mother|father|parents)|"
    r"(?:working|work|works|doing) (?:nights|evenings|days|weekends|mornings|afternoons|"
    r"overnights?|the (?:night|day|evening) shift)|"
    r"(?:je suis|chu|j'suis|jsuis) [\w'-]+ (?:le soir|de soir|de nuit|la nuit|de jour|le jour|"
    r"la fin de semaine|les fins de semaine)|"
    r"(?:look|looking) after (?:my|the) (?:kids|children|baby)|"
    r"je m'occupe (?:de mes|des) enfants|je garde (?:mes|les) enfants|"
    r"(?:a|an) \w+ (?:in the morning|at night|during the day)|"
    # A job and when it is worked: "security guard nights", "préposée de soir".
    r"(?:guard|nurse|worker|driver|operator|cook|cleaner|clerk|agent|attendant|technician|"
    r"tech|psw|rpn|rn|officer|janitor|custodian|associate|labourer|laborer|supervisor|"
    r"caregiver|aide|porter|baker|dispatcher|picker|packer|handler|cashier|server|"
    r"bartender|dishwasher|machinist|welder|mechanic)s? (?:nights|overnights|evenings|"
    r"weekends|days)|"
    r"(?:agente?|gardien(?:ne)?|preposee?|infirmiere?|commis|caissiere?|chauffeur|concierge|"
    r"cuisiniere?|serveuse|serveur|journaliere?|operatrice|operateur|pssp|"
    r"surveillante?)[\w' -]{0,25}? (?:de nuit|de soir|de fin de semaine))(?![\w'])")
# A clause that asks for something is about the program again, after one about work.
_WANTS = re.compile(r"(?<!\w)(?:need|needs|want|wants|looking for|would like|i'd like|prefer|"
                    r"j'aimerais|je veux|je voudrais|besoin|cherche|je prefere)(?![\w'])")
_STUDY = re.compile(
    r"(?<!\w)(?:class|classes|course|courses|program|programs|programme|programmes|study|"
    r"studying|learn|learning|school|training|train|cours|formation|formations|etudier|"
    r"apprendre|suivre|session|sessions|micro-?credentials?|microcertifications?|certificat|"
    r"certificate|take (?:a|an|some|the|classes|courses|online)|prendre (?:un|une|des)|"
    r"faire (?:un|une|des)|please|pls|svp|only|seulement|"
    r"would be|ideally|idealement|prefer\w*|max|maximum|upskill\w*|upgrad\w*|"
    r"(?:me )?perfectionner|mettre a niveau)(?![\w'])")

_LANG_PHRASES = {
    "fr": r"in french|en francais|french[- ]language|taught in french|"
          r"french (?:programs|ones)|"
          r"programmes? francophones?|cours francophones?|formations? francophones?|"
          r"de langue francaise|college francophone",
    "en": r"in english|en anglais|english[- ]language|taught in english|de langue anglaise|"
          r"english (?:programs|ones)|"
          r"programmes? anglophones?|cours anglophones?|formations? anglophones?",
}
_LANG_RES = {lang: re.compile(r"(?<![a-z])(?:" + pattern + r")(?![a-z])")
             for lang, pattern in _LANG_PHRASES.items()}
_PROGRAM_WORDS = re.compile(
    r"(?<![a-z])(?:courses?|programs?|programmes?|classes|class|training|taught|teach|"
    r"study|studying|formations?|cours|etudier|etudes|micro-?credentials?|"
    r"microcertifications?|college|colleges|school|ecole|offered|offerts?|enseigne)(?![a-z])")
_CHAT_WORDS = re.compile(
    r"(?<![a-z])(?:speak|talk|chat|reply|answer|respond|write to me|switch|parler|parle|"
    r"parlez|repondre|repondez|reponds|ecris|ecrivez|discuter|changer de langue|continue|"
    r"continuer|poursuivre|keep going|write)(?![a-z])")


def strip_places(folded_text: str) -> str:
    """``folded_text`` (see ``fold``) without the Ontario place names it mentions."""
    return _PLACE_RE.sub(" ", folded_text)


_RESIDENCE = re.compile(
    r"(?<!\w)(?:i live|i'm living|im living|living|live|lives|j'habite|jhabite|j'reste|je reste|"
    r"je vis|je demeure|demeurant|habitant|i'm|im|i am|je suis|chu|j'suis|based|located|"
    r"situe|situee|installe|installee|moved to|moving to|demenage|demenager|just moved to|"
    r"home is|resident|near|around|close to|pres de|proche de|dans le coin de|region de|"
    r"area|(?:our|my|notre|mon|ma) (?:plant|site|office|shop|store|clinic|company|usine|"
    r"bureau|boutique|clinique|entreprise|compagnie|magasin|daycare|garderie|boulangerie|"
    r"restaurant|resto|salon)\s+(?:is|est))\s+(?:in|at|a|au|en|dans|near|to|the|la|le|"
    r"region|de|d'|du|downtown)?\s*(?:(?:the|la|le|region de|grand|greater)\s+)?$")
_PAST_PLACE = re.compile(
    r"(?<!\w)(?:before|avant|used to|formerly|previously|originally|grew up|moved (?:here )?from|"
    r"came from|left|quitte|j'etais|j'habitais|je vivais|i lived|i was living|was in|"
    r"i was in|de retour de|je viens de|i come from|i'm from|im from|born in|ne a|nee a|"
    r"en provenance de)\b[^,.;]{0,25}$")
_ABROAD_AFTER = re.compile(
    r"^\s*,?\s*\(?(?:uk|u\.k|england|britain|great britain|angleterre|royaume-uni|jamaica|"
    r"jamaique|usa|u\.s|us|etats-unis|ma|massachusetts|new zealand|nz|australia|australie|"
    r"ireland|irlande|bermuda|bermudes|ohio|michigan|texas|california|ky|kentucky|nh|"
    r"belgium|belgique)\b")


def _places(text: str) -> list[tuple[int, str, bool]]:
    """(position, region, stated as where the learner lives or studies) of each place named
    for now, not a past place or one abroad; none when the text offers places of two regions
    as alternatives ("Toronto or Hamilton")."""
    found: list[tuple[int, str, bool]] = []
    matches = list(_PLACE_RE.finditer(text))
    for first, second in zip(matches, matches[1:], strict=False):
        if _PLACE_TO_REGION[first.group(1)] != _PLACE_TO_REGION[second.group(1)] and re.fullmatch(
                r"\s*,?\s*(?:or|ou|or maybe|ou bien|ou encore|/)\s*(?:in|a|near|pres de)?\s*",
                text[first.end():second.start()]):
            return []
    for match in matches:
        before, after = text[max(0, match.start() - 40):match.start()], text[match.end():]
        if _ABROAD_AFTER.match(after) or _PAST_PLACE.search(before):
            continue
        found.append((match.start(), _PLACE_TO_REGION[match.group(1)],
                      bool(_RESIDENCE.search(before))))
    return found


def region_named(text: str) -> str | None:
    """The economic region of the Ontario place ``text`` names last, a question's too ("how
    much does a welder make in Sudbury?": a place to answer for, not a filter)."""
    if not isinstance(text, str) or not text.strip():
        return None
    found = _places(_prepare(text[:2000]))
    return found[-1][1] if found else None


_AID = re.compile(
    r"(?<![a-z])(?:osap|rafeo|financial (?:aid|help|assistance|support)|student loans?|"
    r"student aid|aide financiere|aide aux etudes|pret etudiant|prets etudiants|"
    r"pret et bourse|prets et bourses|funding|financement)(?![a-z])")
_AID_REQUIRED = re.compile(
    r"(?<!\w)(?:need|needs|needed|must|has to|have to|got to|gotta|should|require|requires|"
    r"required|only|eligible|eligibility|qualify|qualifies|qualifying|approved|covered|accept|"
    r"accepts|with|through|using|use|via|apply|applying|funded|besoin|doit|doivent|devrait|"
    r"devraient|faut|admissible|admissibles|admissibilite|donne droit|donnent droit|avec|"
    r"par le|couvert|couverte|couverts|seulement|obligatoire|accepte|acceptent|approuve|"
    r"approuvee|finance|financee|finances|want|veux|voudrais|need to be|doit etre|take|get|"
    r"going to use|gonna use|will use|vais prendre|vais utiliser|vais demander|apply for|"
    r"applying for|counting on|compte sur|rely on|depend on|depends on)(?![\w'])")
_AID_FILLER = re.compile(
    r"(?<!\w)(?:and|et|pis|also|aussi|too|please|pls|svp|plus|\+|&|with|avec|eligible|"
    r"admissible|required|obligatoire|only|seulement|osap|rafeo|funding|financement|the|le|"
    r"la|l'|de|du|programs?|programmes?|courses?|cours)(?![\w'])|[^\w\s]")
_UNSURE = re.compile(
    r"(?<!\w)(?:might|maybe|perhaps|possibly|not sure|unsure|don't know|dont know|"
    r"no idea|wonder|peut-etre|peut etre|pas sur|pas sure|pas certain|pas certaine|"
    r"je sais pas|je ne sais pas|chais pas|if i qualify|si je suis admissible|"
    r"si je me qualifie)(?![\w'])")
_NO_AID = re.compile(
    r"(?:(?<!\w)(?:no|not|don't|dont|do not|without|never mind|forget|forget about|"
    r"pas|sans|aucun|aucune|oublie|oubliez|laisse faire|pas besoin)\s+(?:\w+\s+){0,3}?"
    r"(?:osap|rafeo|financial|aide|funding|financement|loan|pret)|"
    r"(?:osap|rafeo|financial aid|aide financiere)\s+(?:[\w'-]+\s+){0,2}?(?:not needed|pas "
    r"necessaire|no longer)|(?<!\w)(?:i'll pay|i will pay|pay (?:it )?myself|out of pocket|"
    r"self[- ]funded|j'vais payer|je vais payer|payer moi-meme|de ma poche|"
    r"(?:my|our) (?:company|employer|boss|work) (?:pays|will pay|is paying|covers)|"
    r"(?:mon|notre) (?:employeur|patron|boss) (?:paie|paye|va payer)|"
    r"(?:ma|notre) (?:compagnie|job) (?:paie|paye|va payer))(?![\w']))")


# --- questions -----------------------------------------------------------------------------

QuestionKind = Literal["osap", "cost", "what_is", "wage", "outlook", "other"]
QUESTION_KINDS: tuple[str, ...] = get_args(QuestionKind)

# Words that open a question ("est-ce que", "how much", Québec's "y'a-tu").
_ASKS = re.compile(
    r"(?<!\w)(?:how|how's|hows|what|what's|whats|which|where|where's|when|why|who|who's|"
    r"is it|is this|is that|"
    r"is there|are there|are they|are these|are those|is a|is an|can i|could i|can we|do i|"
    r"do you|does|did|will|would i|should i|am i|any|est-ce|est ce|combien|comment|"
    r"pourquoi|quand|quel|quels|quelle|quelles|c'est quoi|c'est-tu|c'est tu|qu'est-ce|"
    r"quest-ce|qu'est ce|y'a tu|y'a-tu|ya tu|y a-t-il|y a t'il|y a tu|peut-on|puis-je|"
    r"je peux-tu|ca paye-tu|ca paye tu|avez-vous|as-tu|pouvez-vous|peux-tu|tu peux|"
    r"vous pouvez|i'd like to know|i want to know|wondering|i wonder|je voudrais savoir|"
    r"j'aimerais savoir|je veux savoir|je me demande|dis-moi|dites-moi|tell me|do you know|"
    r"savez-vous|sais-tu|any idea (?:if|whether|how)|wanna know|need to know|"
    r"curious (?:if|whether|about)|je me demandais|i was wondering)(?![\w'])")
_ASKS_WITHOUT_MARK = re.compile(
    r"^\s*(?:how much|how many|how long|how do|how does|how can|what is|what's|whats|"
    r"what are|is it|is there|are there|are they|do i|does|can i|could i|will i|would i|"
    r"should i|am i|est-ce|est ce|combien|comment|pourquoi|c'est quoi|qu'est-ce|y'a tu|"
    r"y a-t-il|peut-on|puis-je)(?![\w'])|(?<!\w)(?:i'd like to know|i want to know|"
    r"wondering (?:if|whether|how|what)|i wonder|je voudrais savoir|j'aimerais savoir|"
    r"je veux savoir|je me demande|dis-moi si|dites-moi si|tell me (?:if|whether|how|what)|"
    r"do you know (?:if|whether|how|what)|wanna know|need to know (?:if|whether|how|what)|"
    r"i was wondering|je me demandais|curious (?:if|whether))(?![\w'])|"
    r"(?<!\w)(?:y'a|c'est|ca|ça)[- ]tu(?![\w'])")
# A question that asks for programs is a search: its limits are read.
_SEARCH = re.compile(
    r"(?<!\w)(?:(?:what|which|any|quels?|quelles?)\s+"
    r"(?:(?!is\b|are\b|does\b|do\b|'s\b|est\b|sont\b|c'est\b)[\w'-]+\s+){0,2}?(?:programs?|"
    r"programmes?|courses?|cours|formations?|options?|training|trainings|certifications?|"
    r"certificates?|micro-?credentials?|microcertifications?|colleges?|schools?|ecoles?|"
    r"classes)|what (?:are|r) (?:my|the|some|your) (?:options|choices|possibilities)|"
    r"(?:quelles|quels) sont (?:mes|les) (?:options|choix|possibilites)|"
    r"what (?:can|could|should|would) (?:i|we|you) (?:retrain in|retrain|train in|become|"
    r"switch to|take|do|study|learn|suggest|"
    r"recommend|find|offer|get)|what (?:do|does|would) you (?:have|offer|suggest|recommend|"
    r"got)|what(?:'s| is| are)? (?:there|available|out there|offered)|"
    r"(?:is|are) there (?:any|a|an|some)?\s*(?:[\w'-]+\s+){0,3}?(?:programs?|courses?|training|"
    r"anything|something|options?|certificat\w*|micro\w*|classes|class|course)|"
    r"(?:do|does) (?:you|anyone|any college|a college) (?:have|offer|know of)|"
    r"(?:can|could|would) you (?:help|find|show|recommend|suggest|give|look|search|point)|"
    r"where (?:can|could|do|should) (?:i|we) (?:take|study|learn|find|train|go)|"
    r"how (?:do|can|could|would|should) (?:i|we) (?:become|get into|start|get started|train|"
    r"find|work as|get a job as|qualify)|"
    r"any (?:ideas|suggestions|recommendations|options|programs?|courses?|training)|"
    r"anything (?:online|in|for|near|around|that|like|under|with|on)|"
    r"something (?:online|in|for|near|around|that|like|under|with|on)|"
    r"(?:est-ce qu'(?:il y a|il existe|y a)|est-ce quil y a|y a-t-il|y a t'il|y'? ?a[- ]tu|"
    r"ya tu|il y a-tu|il existe)\s+(?:[\w'-]+\s+){0,2}?(?:cours|formations?|programmes?|"
    r"quelque chose|qqch|options?|microcertifications?|certificats?|attestations?)|"
    r"qu'est-ce (?:que|qu') ?(?:je|j'|on|vous|tu) ?(?:peux|peut|pourrais|devrais|pouvez|"
    r"pourrait)? ?(?:prendre|suivre|faire|etudier|apprendre|me conseill\w*|me propos\w*|"
    r"me sugger\w*|m'offrir|avez|as|offrez)|qu'est-ce qui (?:existe|est offert|"
    r"est disponible|s'offre)|c'est quoi qui (?:existe|est offert|est disponible)|"
    r"(?:tu peux|peux-tu|pouvez-vous|vous pouvez|pourrais-tu|pourriez-vous|tu pourrais)\s+"
    r"(?:m'aider|me trouver|me montrer|me suggerer|me conseiller|me recommander|trouver|"
    r"me proposer)|(?:avez-vous|vous avez|as-tu|t'as|tu as|offrez-vous)\s+(?:[\w'-]+\s+){0,2}?"
    r"(?:cours|formations?|programmes?|quelque chose)|(?:ou|où) (?:est-ce que )?"
    r"(?:je peux|puis-je|on peut) (?:suivre|prendre|etudier|apprendre|trouver)|quoi faire|"
    r"que faire|je fais quoi|tu me conseilles quoi|tu me proposes quoi|tu me suggeres quoi|"
    r"(?:what|which) (?:[\w'-]+\s+){0,2}?(?:would|should|do) you (?:suggest|recommend)|"
    r"(?:what|which) (?:ones?|one) (?:are|is) (?:online|in|near|under|cheaper|shorter)|"
    r"what are the steps|how to become|what do i need to (?:become|do|take)|"
    r"what about|how about|et pour|pis pour|any chance|(?:can|could) (?:u|ya) (?:help|find|"
    r"show|recommend|suggest)|(?:do|does) (?:u|ya) (?:have|offer)|what (?:do|does) (?:u|ya) "
    r"(?:have|offer|suggest|recommend)|(?:que|qu'est-ce que) (?:me )?(?:conseillez|recommandez|"
    r"suggerez|proposez)|(?:conseillez|recommandez|suggerez|proposez)-(?:vous|moi)|"
    r"quelles sont les etapes|comment devenir|par ou commencer|where do i start|"
    r"where should i start)"
    r"(?![\w'])")
_SMALL_TALK = re.compile(
    r"^\s*(?:how are you|how's it going|hows it going|how r u|ca va|comment ca va|"
    r"comment allez-vous|comment vas-tu|you there|hello|hi|allo|bonjour|what\?*|quoi|huh|"
    r"pardon|right|ok|okay|really|vraiment|eh|hein|sorry|desole)\s*\W*$")
_QUESTION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("osap", re.compile(
        r"(?<!\w)(?:osap|rafeo|funding|funded|financement|finance|financial (?:aid|help|"
        r"assistance|support)|aide financiere|aide aux etudes|loans?|prets?|bourses?|"
        r"grants?|subventions?|bursar(?:y|ies)|scholarships?|second career|deuxieme carriere|"
        r"better jobs ontario|meilleurs emplois ontario|ei|e\.i|employment insurance|"
        r"assurance[- ]emploi|chomage|ontario works|odsp|pay for (?:it|this|the|school|"
        r"training|my)|help (?:paying|pay|with the cost)|qui (?:paie|paye)|covered|rembours\w*|"
        r"tax credit|credit d'impot|aide pour payer|help me pay)(?![\w'])")),
    ("wage", re.compile(
        r"(?<!\w)(?:salary|salaries|salaire|salaires|wages?|earn|earns|earning|earnings|"
        r"the pay|good money|bien paye\w*|paye combien|payes? combien|how much money|"
        r"starting (?:pay|rate)|pay rate|rate of pay|pay scale|par heure|a l'heure|"
        r"how much (?:does|do|would|will) (?:it|they|that|this|the job|employers) pay|"
        r"paid|pay well|pays well|pay good|pay much|paye bien|paie bien|payent bien|"
        r"paye-tu|paye tu|paie-tu|ca paye|ca paie|payant|payants|income|revenu|revenus|"
        r"gagne|gagnes|gagner|gagnent|per hour|an hour|de l'heure|l'heure|hourly|"
        r"taux horaire|remuner\w*|how much (?:do|does|would|will|could|can|might) "
        r"(?:\w+ ){0,3}?make|make (?:per|an|a) (?:hour|year)|make a living)(?![\w'])")),
    ("outlook", re.compile(
        r"(?<!\w)(?:in demand|en demande|demand|demande|jobs? (?:available|out there|in|for|"
        r"around)|job market|marche du travail|hiring|embauch\w*|shortage|penurie|future|"
        r"avenir|prospects?|perspectives?|debouches?|worth it|worth (?:becoming|doing|"
        r"getting|taking|studying)|vaut la peine|vaut-tu la peine|easy to find (?:a )?"
        r"(?:job|work)|find (?:a )?(?:job|work)|trouver (?:une |un |de la |du )?(?:job|"
        r"emploi|travail|ouvrage)|de l'ouvrage|de la job|growing|outlook|besoin de monde|"
        r"opportunit(?:y|ies)|job security|hired|get a job|find work|trouver du travail|"
        r"good (?:career|field|job|choice|option)|bon (?:domaine|metier|choix)|"
        r"job openings|openings|postes (?:disponibles|ouverts)|emplois? disponibles?|"
        r"(?:what|which) (?:kind of |kinds of |type of )?jobs (?:can|could|will|would) (?:i|you)|"
        r"quels? (?:genre d'|type d')?emplois?|"
        r"de l'emploi|is there work|y a-t-il du travail|will i find|vais-je trouver|"
        r"je vais trouver|in decline|dying|replaced by|remplace par|"
        r"placement)(?![\w'])")),
    ("cost", re.compile(
        r"(?<!\w)(?:cost|costs|costing|price|prices|pricing|priced|tuition|fees?|"
        r"expensive|cheap|cheaper|cheapest|afford|frais|coute|coutent|couter|coutera|prix|"
        r"cher|chers|moins chers?|"
        r"chere|gratuit|gratuits|gratuite|free|how much (?:is|are|does|do|for|would it|"
        r"will it|it|that|this)|combien (?:ca|ce|c'est|coute|pour|le cours|la formation)|"
        r"c'est combien)(?![\w'])")),
    ("what_is", re.compile(
        r"(?<!\w)(?:recogni\w+|reconnu\w*|reconnai\w+|accredit\w*|accredite\w*|"
        r"(?:get|receive|obtain|earn|give|gives|award|awarded|obtenir|recevoir|avoir|donne|"
        r"remet)\b[^?]{0,25}\b(?:certificate|diploma|certificat|diplome|attestation|badge)|"
        r"(?:certificate|diploma|certificat|diplome|attestation) (?:at the end|a la fin)|"
        r"credential count|what do (?:i|you) get at the end|"
        r"qu'est-ce qu'on (?:a|obtient) a la fin|"
        r"(?:is|are|c'est|est-ce) (?:it|they|this|that|un|une|ca)?\s*(?:a |an |un |une )?(?:real |"
        r"vrai |vraie )?(?:diploma|degree|diplome|certificat)\b|valued|valorise\w*|"
        r"respected|credible|legit|legitimate|"
        r"worth anything|vaut quelque chose|count (?:for|towards?)|valid|officiel\w*|"
        r"(?:what|quoi|qu'est-ce|explain|explique|expliquer|mean|means|signifie|veut dire|"
        r"definition|how (?:do|does) (?:it|they|this) work|comment (?:ca|ça) (?:marche|"
        r"fonctionne))\b[^?]{0,60}\b(?:micro-?credentials?|micro credentials?|"
        r"micro-?certifications?|microcertifications?|micro-?certificats?)|"
        r"(?:micro-?credentials?|micro credentials?|micro-?certifications?|"
        r"microcertifications?)\b[^?]{0,80}\b(?:what|quoi|exactly|exactement|mean|"
        r"signifie|veut dire))(?![\w'])")),
)
# "do I qualify?" after naming a program of aid asks about that aid
_ELIGIBLE = re.compile(r"(?<!\w)(?:qualify|eligible|admissible|ai-je droit|j'ai droit|"
                       r"apply for it|get it)(?!\w)")
_COST_NOT = re.compile(r"(?<!\w)(?:combien de temps|how long|how many|combien d'heures|"
                       r"combien de semaines|combien de mois)(?![\w'])")


def _question_kinds(question: str, whole: str) -> tuple[str, ...]:
    kinds: list[str] = []
    for kind, pattern in _QUESTION_KINDS:
        if pattern.search(question):
            kinds.append(kind)
    if "wage" in kinds and "cost" in kinds and not re.search(
            r"(?<!\w)(?:cost|costs|price|tuition|fees?|frais|coute|prix|cher)(?![\w'])",
            question):
        kinds.remove("cost")  # "how much would I earn": a wage question
    if "cost" not in kinds and "wage" not in kinds and re.search(
            r"(?<!\w)(?:how much|combien)(?![\w'])", question) and not _COST_NOT.search(
            question):
        kinds.append("cost")
    if "what_is" not in kinds and re.search(
            r"(?<!\w)(?:c'est quoi|what is it|what are they|qu'est-ce que c'est)"
            r"(?: exactement| exactly)?(?![\w'])", question) and re.search(
            r"micro-?cred|microcert|micro-?certif", whole):
        kinds.append("what_is")
    if "outlook" in kinds and "what_is" in kinds and not re.search(
            r"micro-?cred|microcert|micro-?certif|recogni|reconnu|accredit", question):
        kinds.remove("what_is")
    return tuple(k for k in QUESTION_KINDS if k in kinds)


# --- reading a message, clause by clause ---------------------------------------------------

_SENTENCE_END = re.compile(r"\?+|!+|;|\n+|\.{2,}|…|(?<!\d)\.|\.(?!\d)")
_CLAUSE_SEP = re.compile(
    r"\s*(?:(?<!\d),|,(?!\d)|:|\(|\)|\s-\s|(?<!\w)(?:"
    r"(?<!anything )(?<!everything )(?<!nothing )(?<!all )but|mais|so|donc|alors|faque|"
    r"fait que|because|"
    r"parce que|cause|car|and|et|pis|then|puis|while|whereas|tandis que|though|although|"
    r"sinon|otherwise|plus tard|anyway|anyways|en tout cas|btw|by the way)(?![\w']))\s*")
_STOPPING_SEPS = ("but", "mais", "so", "donc", "alors", "faque", "fait que", "because",
                  "parce que", "cause", "car", "then", "puis", "while", "whereas",
                  "tandis que", "though", "although", "sinon", "otherwise")
_SOFT_BEFORE = re.compile(
    r"(?<!\w)(?:ideally|idealy|preferably|preferrably|i'?d prefer|i would prefer|i prefer|"
    r"prefer|prefers|i'?d rather(?! than)|i would rather(?! than)|idealement|de preference|"
    r"je prefere|je prefererais|j'aimerais mieux|j'preferais|je prefererai|"
    r"if possible|if at all possible|si possible|si c'est possible|ideal would be|"
    r"l'ideal (?:ce serait|serait|c'est))(?![\w'])")
_SOFT_AFTER = re.compile(
    r"(?<!\w)(?:if possible|if at all possible|if i can|if we can|if available|"
    r"if (?:it'?s|it is|that'?s|that is) (?:possible|available|an option)|"
    r"if (?:you|u) have (?:any|one|some)|if there (?:is|are) (?:any|one|some)|"
    r"(?:it|that|this|which)'d be (?:ideal|nice|great|good|better|best|perfect|a plus|"
    r"a bonus|awesome|amazing|"
    r"lovely)|hopefully|(?:best|better|ideal|nicer|great) if|preference|preferences|"
    r"preferable|j'espere|s'il y en a|si vous en avez|si ca existe|ca serait cool|"
    r"ce serait cool|serait le fun|"
    r"where possible|when possible|would be (?:ideal|nice|great|good|better|best|preferable|"
    r"perfect|a plus|a bonus|awesome|amazing|lovely)|(?:is|are|'s) (?:best|ideal|preferred|"
    r"preferable|better|my preference|nicer|a plus|a bonus)|works best|ideally|preferably|"
    r"preferred|si possible|si c'est possible|si je peux|si on peut|si ca se peut|"
    r"si jamais c'est possible|de preference|idealement|(?:ce serait|serait|c'est|"
    r"ca serait|ca s'rait) (?:l'ideal|ideal|bien|mieux|le mieux|parfait|super|un plus|"
    r"un bonus|genial|le top)|un plus|a plus|nice to have|bonus|would be my preference|"
    r"idealy|preferrably|ideal)(?![\w'])")
_HARD = re.compile(r"(?<!\w)(?:only|must|has to|have to|need|needs|required|max|maximum|"
                   r"seulement|uniquement|obligatoire|obligatoirement|doit|doivent|faut|"
                   r"absolutely|absolument|no more than|pas plus de)(?![\w'])")
_ACCEPT = re.compile(
    r"(?<!\w)(?:ok|okay|fine|acceptable|works too|would work|works for me|is alright|"
    r"also works|no problem|ca va|ca me va|c'est correct|c'est ok|c'est beau|correct|"
    r"ferait l'affaire|fait l'affaire|aussi|too|i don't mind|i dont mind|"
    r"ca me derange pas|open to|ouvert a|ouverte a|as well|also|willing to|ok with|"
    r"fine with|wouldn't mind|would not mind|can also do|could also do|could do|"
    r"pret a|prete a|d'accord (?:avec|pour))(?![\w'])")
_CORRECTION = re.compile(
    r"^\s*(?:wait|actually|i mean|i meant|sorry|oops|en fait|finalement|plutot|non|no|"
    r"rather|instead|changed my mind|change of plans?|correction|euh|scratch that|"
    r"on second thought|j'ai change d'idee|a bien y penser|attends|attend)(?![\w'])")
# A correction anywhere in the message ("en anglais finalement"), not only at its start.
_CHANGE_WORDS = re.compile(r"(?<!\w)(?:actually|finalement|en fait|changed my mind|"
                           r"j'ai change d'idee)(?![\w'])")
_RETRACT = re.compile(
    r"^\s*(?:no wait|wait no|wait,? no|nah|scratch that|never mind|nevermind|forget (?:it|that)|"
    r"non attends?|euh non|non finalement|laisse faire|oublie ca|oublie ça|non non|"
    r"actually no|actually,? never mind)(?![\w'])")
_GREETINGS = re.compile(
    r"(?<!\w)(?:good (?:morning|evening|afternoon|night|day)|(?:have a )?(?:good|great|nice) "
    r"(?:evening|weekend|night|day|morning)|bonne (?:soiree|fin de semaine|journee|nuit)|"
    r"bon (?:week-?end|apres-midi|matin)|this (?:morning|evening|afternoon|weekend)|tonight|"
    r"last (?:night|weekend|evening)|yesterday (?:morning|evening)|ce (?:matin|soir)|a soir|"
    r"hier (?:soir|matin)|cette fin de semaine|ce week-?end|la fin de semaine (?:passee|"
    r"derniere)|over the weekend|the other (?:day|night|evening))(?![\w'])")


_FILLER = re.compile(r"(?<!\w)(?:and|et|pis|but|mais|so|donc|then|also|aussi|well|bon|ben|"
                     r"ok|okay|oh|i|i'd|je|j'|would|really|vraiment|honestly|mostly|surtout|"
                     r"personally|personnellement|moi|me)(?!\w)|[^\w]")


@dataclass
class _Clause:
    text: str
    start: int
    sep: str
    sentence: int
    question: bool = False  # part of a question the assistant answers (not a search)
    soft: bool = False
    own: bool = False  # about the learner's own working hours or workplace
    correction: bool = False
    retract: bool = False
    next_text: str = ""  # the clause after it in the sentence ("3000 $, c'est trop cher")


# A yes/no question opens with an auxiliary ("is OSAP ...", "do PSWs ...") or inverts ("peut-on").
_AUXILIARY_FIRST = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|can|could|will|would|should|shall|may|might|has|"
    r"have|must)\s+\w|(?<!\w)\w+-(?:tu|vous|il|elle|ils|elles|on|je)(?!\w)")


def _asks(clause: str) -> bool:
    return bool(_ASKS.search(clause) or _AUXILIARY_FIRST.search(clause))


def _clauses(text: str) -> tuple[list[_Clause], list[tuple[str, str]]]:
    """The message cut into clauses, each marked; and the questions it asks (their words and
    the sentence they are in)."""
    clauses: list[_Clause] = []
    questions: list[tuple[str, str]] = []
    start = 0
    sentence_no = 0
    ends = [*_SENTENCE_END.finditer(text), None]
    for end in ends:
        stop = end.start() if end is not None else len(text)
        sentence = text[start:stop]
        mark = end.group(0) if end is not None else ""
        offset = start
        start = end.end() if end is not None else len(text)
        if not sentence.strip():
            continue
        parts: list[_Clause] = []
        position, sep = 0, ""
        for match in [*_CLAUSE_SEP.finditer(sentence), None]:
            stop2 = match.start() if match is not None else len(sentence)
            piece = sentence[position:stop2]
            if piece.strip():
                parts.append(_Clause(piece, offset + position, sep, sentence_no))
            if match is not None:
                sep = match.group(0).strip()
                position = match.end()
        if not parts:
            continue
        for clause, following in zip(parts, parts[1:], strict=False):
            clause.next_text = following.text
        # "maybe HVAC?" is a tentative statement; a question has a word that asks.
        asked = ("?" in mark and any(_asks(c.text) for c in parts)) or bool(
            _ASKS_WITHOUT_MARK.search(sentence))
        if asked:
            first = next((i for i, c in enumerate(parts) if _asks(c.text)), 0)
            question_text = " ".join(c.text for c in parts[first:])
            if question_text.strip() and not _SEARCH.search(question_text):
                for clause in parts[first:]:
                    clause.question = True
                if not _SMALL_TALK.match(question_text) and not (
                        _CHAT_WORDS.search(question_text) and re.search(
                            r"(?<![a-z])(?:french|english|francais|anglais)(?![a-z])",
                            question_text)):
                    questions.append((question_text, sentence))
        if _CORRECTION.match(parts[0].text):
            for clause in parts:
                clause.correction = True
        for clause in parts[1:]:
            if _CORRECTION.match(clause.text):
                clause.correction = True
        # one taking-back per sentence ("actually no, forget it")
        taken_back = next((c for c in parts if _RETRACT.match(c.text)), None)
        if taken_back is not None:
            taken_back.retract = True
        # Soft wishes: "online, if possible", "idéalement le soir, en français"
        spreading = False
        for clause in parts:
            if clause.sep in _STOPPING_SEPS:
                spreading = False
            if _SOFT_BEFORE.search(clause.text) or _SOFT_AFTER.search(clause.text):
                clause.soft = True
                before = _SOFT_BEFORE.search(clause.text)
                spreading = before is not None and not _FILLER.sub(
                    "", clause.text[:before.start()]).strip()
            elif spreading and not _HARD.search(clause.text):
                clause.soft = True
            else:
                spreading = False
        # The learner's own work: "I work 4 nights a week, 10 hr shifts"
        own = False
        for clause in parts:
            if clause.sep in _STOPPING_SEPS:
                own = False
            if _WORK.search(clause.text) and not _STUDY.search(clause.text):
                own = True
            elif _STUDY.search(clause.text) or _WANTS.search(clause.text):
                own = False  # "night shift nurse, need something daytime"
            clause.own = own
        clauses.extend(parts)
        sentence_no += 1
    return clauses, questions


@dataclass
class _Event:
    pos: int
    field: str
    value: Any  # None: the field is cleared
    soft: bool
    kind: str = "set"  # set | neg | accept | clear
    correction: bool = False
    residence: bool = False


_CLEARS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(r"(?<!\w)(?:" + pattern + r")(?![\w'])"), names) for pattern, names in (
        (r"any budget|any price|no (?:budget|price|cost) limit|no limit|price (?:doesn't|does "
         r"not|don't|dont|doesnt) matter|cost (?:doesn't|does not|doesnt) matter|"
         r"money is no (?:object|issue)|peu importe (?:le|mon) (?:prix|cout|budget)|"
         r"n'importe quel (?:prix|budget)|pas de limite(?: de (?:prix|budget))?|"
         r"sans limite(?: de budget)?|budget illimite|le prix (?:n'a pas|importe peu)|"
         r"le prix est pas important|cost is not an issue|money isn't an issue",
         ("max_cost",)),
        (r"any length|any duration|no time limit|however long|length doesn't matter|"
         r"peu importe la duree|n'importe quelle duree|pas de limite de (?:temps|duree)|"
         r"duration doesn't matter|la duree importe peu", ("max_weeks", "max_hours")),
        (r"any format|any delivery|online or in person|in person or online|either format|"
         r"online or in-person|in-person or online|either way|"
         r"peu importe le (?:format|mode)|en ligne ou en personne|en personne ou en ligne|"
         r"en ligne ou en presentiel|en presentiel ou en ligne|n'importe quel format|"
         r"format doesn't matter", ("delivery",)),
        (r"any time|anytime|any schedule|whenever|peu importe (?:l'horaire|le moment|quand)|"
         r"n'importe quel horaire|n'importe quand|day or night|jour ou soir|"
         r"schedule doesn't matter|l'horaire importe peu", ("schedule",)),
        (r"any language|either language|english or french|french or english|"
         r"peu importe la langue|anglais ou francais|francais ou anglais|"
         r"n'importe quelle langue|language doesn't matter", ("language",)),
        (r"anywhere|any region|any city|n'importe ou|partout|peu importe (?:la region|ou|"
         r"l'endroit|la ville)", ("region",)),
    ))


def _clause_events(clause: _Clause) -> list[_Event]:
    """What one clause states of each field (a clause about the learner's own work states no
    length, format or time; "in town or online" states neither format nor place)."""
    text = " " + clause.text + " "
    base = clause.start - 1
    events: list[_Event] = []

    def add(pos: int, name: str, value: Any, kind: str = "set", residence: bool = False
            ) -> None:
        events.append(_Event(base + pos, name, value, clause.soft, kind, clause.correction,
                             residence))

    for pattern, names in _CLEARS:
        for match in pattern.finditer(text):
            for name in names:
                add(match.start(), name, None, "clear")
    cleared = {e.field for e in events}

    if not clause.own:
        for pos, name, value in _parse_durations(text):
            if name not in cleared:
                add(pos, name, value)
    durations_removed = _DURATION.sub(lambda m: " " * len(m.group(0)), text)
    if "max_cost" not in cleared:
        for pos, amount in _parse_cost(durations_removed, clause.next_text):
            add(pos, "max_cost", amount)

    accept = bool(_ACCEPT.search(text)) and not _HARD.search(text)
    either = bool(_PLACE_OR_ONLINE.search(text))
    if not clause.own and not either and "delivery" not in cleared:
        for mode, pattern in _DELIVERY_RES:
            for match in pattern.finditer(text):
                if mode == "online" and (_ONLINE_TOPIC.search(text[:match.start()]) or
                                          _ONLINE_TOPIC_AFTER.match(text[match.end():])):
                    continue
                if _FORMAT_NOT_AFTER.match(text[match.end():]) or _FORMAT_NOT_BEFORE.search(
                        text[max(0, match.start() - 25):match.start()]):
                    continue
                kind = "neg" if _negated(text, match.start()) else (
                    "accept" if accept else "set")
                add(match.start(), "delivery", (mode,), kind)
    if not clause.own and "schedule" not in cleared:
        for time, pattern in _SCHEDULE_RES:
            for match in pattern.finditer(text):
                kind = "neg" if _negated(text, match.start()) else (
                    "accept" if accept else "set")
                add(match.start(), "schedule", (time,), kind)

    if "region" not in cleared and not either:
        for pos, code, residence in _places(text):
            add(pos, "region", code, residence=residence)

    for match in _NO_AID.finditer(text):
        add(match.start(), "financial_aid", None, "clear")
    aid = _AID.search(text)
    if aid is not None and not _UNSURE.search(text) and not any(
            e.field == "financial_aid" for e in events):
        # "OSAP" in a list of limits, or stated as needed: "must be OSAP eligible", "avec le RAFEO"
        bare = not _AID_FILLER.sub(" ", _AID.sub(" ", text)).strip()
        if bare or _AID_REQUIRED.search(text) or clause.soft:
            add(aid.start(), "financial_aid", True)

    if "language" not in cleared:
        for lang, pattern in _LANG_RES.items():
            for match in pattern.finditer(text):
                add(match.start(), "language", lang)
    return events


_SET_FIELDS = ("delivery", "schedule")
_OTHER_MODE = {"online": "in_person", "in_person": "online"}


def _resolve(events: list[_Event], soft: bool, widen: Mapping[str, Any]) -> dict[str, Any]:
    """The value of each field the events state (``soft``: the wishes, else the limits);
    a field mapped to None or () is cleared. An accepted value ("hybrid is fine") widens
    the limit stated, else the one in ``widen``; alone it limits nothing."""
    chosen = [e for e in events if e.soft == soft or e.kind == "clear"]
    values: dict[str, Any] = {}
    for name in ("max_cost", "max_weeks", "max_hours", "language", "region", "financial_aid"):
        mine = [e for e in chosen if e.field == name]
        if not mine:
            continue
        if name == "region":
            sets = [e for e in mine if e.kind == "set"]
            living = [e for e in sets if e.residence]
            last_clear = max((e.pos for e in mine if e.kind == "clear"), default=-1)
            pick = (living or sets)
            pick = [e for e in pick if e.pos > last_clear]
            values[name] = pick[-1].value if pick else None
            continue
        values[name] = max(mine, key=lambda e: e.pos).value
    for name in _SET_FIELDS:
        mine = sorted((e for e in chosen if e.field == name), key=lambda e: e.pos)
        if not mine:
            continue
        allowed: tuple[str, ...] = DELIVERY_MODES if name == "delivery" else SCHEDULES
        positive: set[str] = set()
        negative: set[str] = set()
        accepted: set[str] = set()
        cleared = False
        for event in mine:
            if event.kind == "clear":
                positive, negative, accepted, cleared = set(), set(), set(), True
                continue
            cleared = False
            if event.kind == "set" and event.correction and positive and not (
                    set(event.value) & positive):
                positive = set()
            if event.kind == "set":
                positive |= set(event.value)
                negative -= set(event.value)
            elif event.kind == "neg":
                negative |= set(event.value)
                positive -= set(event.value)
            else:
                accepted |= set(event.value)
        result: set[str] = set()
        if positive:
            result = positive - negative
        elif negative and name == "delivery":
            # "not online" is in person, "pas en personne" online (the set's convention)
            result = {_OTHER_MODE.get(v, v) for v in negative} - negative or (
                set(allowed) - negative)
        elif negative:
            result = set(allowed) - negative
        if accepted:
            base = result or set(widen.get(name) or ())
            result = (base | accepted) if base else set()
        if result:
            values[name] = tuple(v for v in allowed if v in result)
        elif cleared:
            values[name] = ()
    return values


@dataclass(frozen=True)
class StatedLimits:
    """What one message states: the program's limits (filters, merged over the earlier ones),
    soft wishes (they rank, never filter) and the questions it asks (answered, never turned
    into filters)."""

    constraints: Constraints
    preferences: Constraints
    questions: tuple[str, ...]


def _as_constraints(value: Constraints | Mapping[str, Any] | None) -> Constraints:
    if isinstance(value, Constraints):
        return value
    return Constraints.from_dict(value if isinstance(value, Mapping) else None)


def _cleared_value(name: str) -> Any:
    return () if name in _SET_FIELDS else None


def read_limits(text: str, previous: Constraints | None = None,
                previous_preferences: Constraints | None = None) -> StatedLimits:
    """The limits, wishes and questions in ``text`` (EN or FR).

    Limits are merged over ``previous`` field by field: a field the message states replaces
    the old value, "any budget" / "peu importe le format" clears it, a field it does not name
    is kept. Wishes ("online if possible", "idéalement le soir") are merged the same way over
    ``previous_preferences``; a wish for a field lifts that field's old limit and a limit lifts
    the old wish, unless the message states both ("ideally online but hybrid is fine").
    A question ("Can I get OSAP for these?", "c'est combien?") is listed by kind and limits
    nothing; only words that state a limit of the program set one (the learner's own work
    hours, years of experience, a greeting's "evening" do not)."""
    base = _as_constraints(previous)
    wishes = _as_constraints(previous_preferences)
    if not isinstance(text, str) or not text.strip():
        return StatedLimits(base, wishes, ())
    prepared = _GREETINGS.sub(lambda m: " " * len(m.group(0)), _prepare(text))
    clauses, asked = _clauses(prepared)

    events: list[_Event] = []
    last_found: list[_Event] = []
    for clause in clauses:
        if clause.question:
            continue
        found = _clause_events(clause)
        if clause.retract and not found and events:
            # "it should be OSAP... no wait, that's for students": the last limit is taken back
            events.remove(max(events, key=lambda e: e.pos))
        if clause.soft and not found and not _SOFT_BEFORE.search(clause.text):
            for event in last_found:  # "online, if possible": the wish is the clause before
                if event.kind != "clear":
                    event.soft = True
        events.extend(found)
        if found:
            last_found = found

    # "courses in French" sets the program language; "en français svp" alone switches the chat;
    # a correction ("plutôt en anglais finalement", "actually in English") changes a list.
    language_events = [e for e in events if e.field == "language" and e.kind == "set"]
    if language_events:
        others = any(e.field != "language" for e in events) or bool(
            _HARD.search(prepared) or _CHANGE_WORDS.search(prepared)
            or any(e.soft for e in language_events))
        if not _PROGRAM_WORDS.search(prepared) and (not others or _CHAT_WORDS.search(prepared)):
            events = [e for e in events if not (e.field == "language" and e.kind == "set")]

    soft = _resolve(events, True, {})
    hard = _resolve(events, False, {**base.to_dict(), **{
        k: v for k, v in soft.items() if k in _SET_FIELDS}})
    # Where one lives does not limit a program that is to be online anyway.
    if ("online",) in (hard.get("delivery"), soft.get("delivery")):
        if hard.get("region"):
            del hard["region"]
        if soft.get("region"):
            del soft["region"]

    limits: dict[str, Any] = {}
    prefs: dict[str, Any] = {}
    for name in CONSTRAINT_FIELDS:
        in_hard, in_soft = name in hard, name in soft
        if in_hard:
            limits[name] = _cleared_value(name) if hard[name] in (None, ()) else hard[name]
        if in_soft:
            prefs[name] = _cleared_value(name) if soft[name] in (None, ()) else soft[name]
        if in_soft and not in_hard and soft[name] not in (None, ()):
            limits[name] = _cleared_value(name)  # a wish now: no longer a limit
        if in_hard and not in_soft and hard[name] not in (None, ()):
            prefs[name] = _cleared_value(name)  # a limit now: no longer only a wish
    kinds: set[str] = set()
    for question, sentence in asked:
        said = _question_kinds(question, prepared)
        if not said and _ELIGIBLE.search(question):
            said = tuple(k for k in _question_kinds(sentence, prepared) if k == "osap")
        kinds.update(said or ("other",))
    questions = tuple(k for k in QUESTION_KINDS if k in kinds)
    return StatedLimits(replace(base, **limits), replace(wishes, **prefs), questions)


# --- questions about the programs listed ("how long are they?", "c'est combien?") ----------

ProgramAspect = Literal["cost", "length", "format", "language"]
PROGRAM_ASPECTS: tuple[ProgramAspect, ...] = get_args(ProgramAspect)
_ASPECT_WORDS: tuple[tuple[ProgramAspect, re.Pattern[str]], ...] = (
    ("cost", re.compile(r"(?<!\w)(?:cost|costs|price|prices|priced|fees?|tuition|expensive|"
                        r"cheap|how much|combien(?! de temps)|coute\w*|prix|frais|cher|chers|"
                        r"chere|cheres)(?![\w'])")),
    ("length", re.compile(r"(?<!\w)(?:how long|length|duration|last|take|weeks?|hours?|"
                          r"combien de temps|duree|durent|dure|semaines?|heures?|long|longs|"
                          r"longue)(?![\w'])")),
    ("format", re.compile(r"(?<!\w)(?:online|in person|in-person|hybrid|virtual|remote|"
                          r"format|en ligne|en personne|presentiel|hybride|a distance|"
                          r"distance)(?![\w'])")),
    ("language", re.compile(r"(?<!\w)(?:french|english|language|francais|anglais|langue)"
                            r"(?![\w'])")),
)


def program_aspects(text: str) -> tuple[ProgramAspect, ...]:
    """What a question about the programs listed asks ("how long are they?": length; "c'est
    en français?": language), in PROGRAM_ASPECTS order; every aspect when it names none
    ("tell me more about them")."""
    folded = fold(text) if isinstance(text, str) else ""
    found = tuple(aspect for aspect, words in _ASPECT_WORDS if words.search(folded))
    return found or PROGRAM_ASPECTS


# "Which one is the cheapest?": a question about the list shown, not a request for more.
_WHICH_CHEAPEST = re.compile(
    r"(?<!\w)(?:which|what is|what's|lequel|laquelle|lesquels|lesquelles|quel|quelle)"
    r"(?![\w']).{0,30}?(?<!\w)(?:cheapest|least expensive|lowest[- ]cost|le moins cher|"
    r"la moins chere|les moins cheres|les moins chers|moins cher|moins chere)(?![\w'])")


def asks_which_is_cheapest(text: str) -> bool:
    """Whether ``text`` asks which program of the list costs least ("which is the cheapest
    one?", "laquelle est la moins chère?"), rather than for cheaper ones."""
    return isinstance(text, str) and _WHICH_CHEAPEST.search(fold(text[:2000])) is not None


# No limit or wish at all (Constraints is frozen: one shared value is safe).
NONE_STATED = Constraints()
CONSTRAINT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Constraints))


def parse_constraints(text: str, previous: Constraints | None = None) -> Constraints:
    """The constraints stated in ``text`` merged over ``previous`` field by field: a field the
    message states replaces the old value, "any budget" / "peu importe le prix" clears it, a
    field it does not mention is kept (``read_limits(text, previous).constraints``)."""
    return read_limits(text, previous).constraints


# --- goals ---------------------------------------------------------------------------------

def _goal_re(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + pattern + r")(?![\w'])")


# Someone speaking for staff: an employer's message states no learner goal.
_EMPLOYER = _goal_re(
    r"(?:my|our) (?:[\w-]+ ){0,2}?(?:team|staff|employees|crew|workers|assistants|managers|"
    r"supervisors|new hires|technicians|nurses|people|techs|operators|drivers|millwrights|"
    r"welders|plumbers|electricians|mechanics|machinists|cooks|cleaners|guards|carpenters|"
    r"painters|labourers|laborers|installers|assemblers|servers|cashiers|clerks|agents|aides|"
    r"psws|caregivers|educators|apprentices|apprentis)|"
    r"(?:mes|nos) (?:mecaniciens|soudeurs|plombiers|electriciens|machinistes|cuisiniers|"
    r"educatrices|educateurs|caissieres|caissiers|commis|agents|preposees|apprentis|"
    r"operateurs|chauffeurs|employees|gars|monteurs|menuisiers)|"
    r"(?:je suis |i'm the |i am the )?(?:proprietaire|owner) (?:d'un|d'une|of an?) |"
    r"(?:our|notre) (?:company|plant|clinic|firm|usine|entreprise|compagnie|clinique|"
    r"organisation|organization)|nos (?:employes|equipes|travailleurs|gestionnaires|"
    r"superviseurs|nouveaux|techniciens|preposes|infirmieres)|notre (?:equipe|personnel)|"
    r"mon equipe|mes employes|mes travailleurs|i'm an employer|i am an employer|"
    r"je suis (?:un |une )?employeur|hr manager|we (?:need|want|are hiring|hire|run|have)|"
    r"we're hiring|on embauche|i run a|je gere une equipe|asking for my|for my (?:staff|team)|"
    r"pour (?:mes|nos) employes|pour mon equipe|on voudrait leur")
_NOT_RETURN = _goal_re(
    r"(?:not|don't want to|dont want to|do not want to|never) (?:go back|return|get back) to "
    r"(?:the same|my old|that)|(?:pas|plus|jamais) (?:retourner|revenir) (?:au|a la|dans le|"
    r"dans la) (?:meme|mon ancien)")
_RETURN = _goal_re(
    r"back to work|return(?:ing)? to work|go(?:ing)? back to work|get(?:ting)? back to work|"
    r"back into the (?:work ?force|job market|workforce)|re-?enter(?:ing)? the (?:work ?force|"
    r"job market|workforce)|back in the (?:work ?force|workforce|job market)|"
    r"after (?:(?:a|my|an|the) )?(?:\w+ )?(?:break|leave|career break|maternity|parental|injury|"
    r"illness|surgery|accident|burnout|sick leave)|years? (?:off|at home|home)|"
    r"been out of work|out of the work ?force|stay at home (?:mom|dad|mother|father|parent)|"
    r"stay-at-home|home with (?:my|the) (?:kids|children|twins|baby|son|daughter)|"
    r"retired|i'm retired|retiree|retraitee?|a la retraite|"
    r"retour au travail|retourn\w* (?:au travail|sur le marche|travailler)|"
    r"reprendre le travail|revien\w* (?:au travail|sur le marche)|revenir (?:au travail|"
    r"sur le marche)|retour sur le marche|retravailler|travailler (?:a|de) nouveau|"
    r"(?:ready|want|like|able|wanna) to work again|"
    r"(?:was|been|i've been|i have been) off (?:work )?for|off work for|"
    r"apres (?:un|une|mon|ma) (?:\w+ )?(?:conge|pause|arret|maladie|accident|burnout)|"
    r"a la maison avec (?:mes|les) enfants|conge de maladie|"
    r"get back into (?:my|the) (?:field|profession|trade)|return to my (?:field|profession)|"
    r"(?:haven't|have not|havent) worked (?:in|for|since)|(?:n'ai|ai) pas travaille depuis|"
    r"rejoin the work ?force|depuis mon (?:accident|arret|conge)|since my (?:accident|injury|"
    r"surgery|leave)")
# Wanting out of one's line of work, said in so many words.
_WANTS_OUT = _goal_re(
    r"switch(?:ing)? (?:careers?|carriere|fields?)|change (?:my )?(?:careers?|carriere|field)|"
    r"changing (?:careers?|fields?)|career change|career switch|new career|new field|"
    r"different field|another field|burn(?:t|ed) out|burnout|"
    r"(?:chu|je suis|j'suis|jsuis|suis) (?!pas\b|plus\b|jamais\b)(?:\w+ )?"
    r"(?:brulee?|epuisee?|videe?)(?! (?:apres|a cause|par) (?:mes|les|des|mon|ma) "
    r"(?:quarts?|shifts?|nuits?|heures|journees?))|"
    r"(?:my|mon) (?:back|dos) (?:is|est) (?:done|fini|bris\w*)|"
    r"tired of(?! (?:the |my |working |doing )?(?:night|day|evening|weekend|early|late|long|"
    r"rotating|split)\b| (?:the |my )?(?:commute|commuting|driving to|shifts?\b))|"
    r"sick of|fed up|get out of|leave (?:my|the) (?:field|industry|trade)|"
    r"changer de (?:carriere|metier|domaine|travail|job|branche)|me reorienter|"
    r"reorientation|reorienter|reconversion|me reconvertir|me recycler|nouveau metier|"
    r"nouvelle carriere|nouveau domaine|autre domaine|tanne|tannee|ecoeure|ecoeuree|"
    r"j'en ai assez|plus capable|sortir de|quitter (?:le|mon) (?:domaine|metier)|"
    r"something (?:completely |totally |entirely )?(?:different|new)|new direction|"
    r"quelque chose de (?:completement |totalement )?(?:different|nouveau)|autre chose|"
    r"hate my job|deteste ma job|deteste mon (?:emploi|travail)|retrain|retraining|"
    r"i hate it|je deteste ca|(?:a|new|une|nouvelle) (?:career|carriere) (?:in|en|dans)|"
    r"want out|je veux sortir|"
    r"looking for a change|need a change|want a change|besoin de changement|changer d'air|"
    r"fresh start|recommencer a zero|j'en ai marre|j'en peux plus|"
    r"(?:don't|do not|dont) want to be an? \w+ (?:anymore|any more|forever)|"
    r"ne (?:veux|voudrais) plus etre|veux plus etre|no longer want to")
# Losing one's job: often a change of career too, but not said to be one.
_LOST_JOB = _goal_re(
    r"plant is closing|plant closing|closing down|laid off|lay-?off|lost my job|"
    r"licencie|licenciee|mis a pied|mise a pied|perdu mon (?:emploi|job)|fermeture")
# Moving towards something: a change unless the jobs read are in one line of work ("an RPN
# who wants to get into wound care").
_CHANGE_TOWARDS = _goal_re(
    r"get into|getting into|break into|move into|go into|going into|transition (?:to|into)|"
    r"pivot|pivoting")
_STEP_UP = (r"supervisor|superviseure?|manager|gerante?|chef|lead|team lead|foreman|"
            r"forewoman|contremaitre\w*|chef d'equipe|inspector|inspecteur|inspectrice|"
            r"trainer|formateur|formatrice|senior|coordinator|coordonnateur|coordonnatrice|"
            r"director|directeur|directrice|head|responsable|specialist|specialiste")
_UPSKILL = _goal_re(
    r"better at my (?:job|work)|get better|improve my (?:skills|work|english|french)|"
    r"promotion|promoted|up-?skill(?:ing)?|advance (?:in|my)|move up|level up|raise|"
    r"in my current (?:job|role|position)|stay in my (?:job|field)|keep my job|"
    r"update my skills|upgrade my skills|brush up|refresh my|refresher|stay current|"
    r"keep up with|mise a niveau|me mettre a jour|rafraichir mes|"
    r"improve my \w+ skills|ameliorer (?:mon|ma|mes) \w+ (?:en|au travail|pour)|"
    # "English for work", not "looking for work" (someone without a job)
    r"for my (?:job|work)|(?<!looking )(?<!search )(?<!searching )(?<!find )(?<!apply )"
    r"(?<!hunting )for (?:job|work)|at work|for my (?:career|role|position|business)|"
    r"my (?:boss|employer|manager|supervisor|firm|company|work|job|union|workplace) "
    r"(?:wants|asked|needs|requires)|"
    r"(?:exam|test) prep|prepare for (?:my|the) (?:\w+ )?(?:exam|test)|"
    r"(?:ticket|licen[cs]e|certification) (?:upgraded|renewed)|"
    r"(?:like|want|wanna|hoping|looking|need) to add|add (?:a |an |some )?(?:new )?"
    r"(?:skill|service|services|certification|ticket)|"
    r"need my [\w\s]{0,25}(?:ticket|licen[cs]e|certification|cert|card|papers)|"
    r"(?:renew|upgrade) my|open my own|start my own|my own (?:business|shop|salon|company)|"
    r"bridg(?:e|ing) (?:to|into|program)|"
    r"(?:become|be|becoming|thinking|move up to|as an?|to be an?|promoted to|role as|"
    r"(?:cards?|ticket|papers|licen[cs]e|certification) (?:as|for))\s+(?:an? |the )?(?:\w+ )?"
    r"(?:" + _STEP_UP + r")|"
    r"me perfectionner|perfectionnement|me specialiser|specialis\w+|specializ\w+|"
    r"ameliorer mes competences|avancement|monter en grade|mettre a jour mes competences|"
    r"progresser|dans mon (?:emploi|poste|travail|domaine) actuel|"
    r"pour (?:ma|mon) (?:job|travail|emploi|poste|entreprise|business)|"
    r"(?:mon|ma) (?:patron|patronne|employeur|boss|superieur) (?:veut|demande|exige)|"
    r"(?:veux|voudrais|aimerais|j'aimerais) ajouter|ajouter (?:une|un|des) (?:competence|"
    r"service|certification)|ouvrir (?:mon|ma) propre|mon propre (?:salon|commerce|entreprise)|"
    r"a mon compte|lancer (?:mon|ma) (?:entreprise|business|compagnie)|passerelle|"
    r"(?:devenir|redevenir|comme|poste de|cartes? de|titre de|promue? (?:a|au poste de))\s+"
    r"(?:un |une |le |la )?(?:\w+ )?(?:" + _STEP_UP + r")")
# Not knowing what to do comes before any change of field the message muses about.
_UNSURE_WHAT = _goal_re(
    r"(?:don't|dont|do not) (?:really |quite |even )?know what|no idea what|idk what|"
    r"not sure (?:what|which)|pas sur(?:e)? de ce que|je (?:ne )?sais pas (?:trop )?quoi")
_EXPLORE = _goal_re(
    r"explore|exploring|just looking|browsing|curious|"
    r"not sure (?:what|which|where|about my|if i want|what i want)|"
    r"(?:don't|dont|do not) know what|no idea what|idk what|undecided|"
    r"see (?:my|the|what) options|what options|any ideas|any suggestions|"
    r"pas sur(?:e)? de ce que|pas certaine? de ce que|je (?:ne )?sais pas (?:quoi|trop|encore)|"
    r"je ne sais pas$|je sais pas$|indecise?|explorer|decouvrir|voir (?:mes|les) options|"
    r"juste regarder|perdue?|lost|what are my options|quelles sont mes options|"
    r"open to (?:anything|everything|any (?:field|job|career)|all options|suggestions)|"
    r"ouverte? a (?:tout|toute suggestion|n'importe quoi)|"
    r"help me (?:decide|choose)|aide-moi a choisir|not sure where to start|"
    r"je sais pas par ou commencer|what'?s out there|what is out there")
_CURRENT_JOB = re.compile(r"(?<!\w)(?:" +
    r"(?:i'?m|i am|im)\s+(?:a|an)\s+(?!newcomer|new\b|student|stay|single|bit|little|lot|"
    r"huge|big|fan|beginner|immigrant|recent|mom\b|dad\b|mother|father|parent|quick)\w|"
    r"(?:i work|i'm working|im working|working)\s+(?:as|in|at|for)\b|"
    r"i (?:was|used to be|have been|'ve been|ve been)\s+(?:a|an)\s|"
    r"i used to (?:work|do)\b|former\s|ex-\w|retired\s\w|"
    r"(?:je suis|j'suis|jsuis|chu|je suis presentement)\s+(?:un |une )?(?!a\b|au\b|en\b|"
    r"dans\b|pas\b|pret|prete|sur\b|sure\b|interesse|nouvel|nouveau|nouvelle|arrive|ici\b|"
    r"la\b|le\b|retraite|tanne|rendu|capable|disponible|libre|mere|pere|maman|papa|"
    r"etudiant|en train|bien|content|motive|desole|perdu|curieux|curieuse|tres|vraiment|"
    r"un peu|toujours|encore|de\b|d'|originaire|inscrit|presque|ne\b|nee\b|seul|seule)\w|"
    r"je (?:travaille|bosse|travaillais|bossais)\s+(?:comme|en tant que|dans|en|chez|a)\b|"
    r"j'travaille\s+(?:comme|dans|en|chez)|j'etais\s+(?:un |une )?\w|j'ai ete\s+\w|"
    r"ancien(?:ne)?\s+\w|"
    r"^\s*(?:\w+\s+){0,2}(?:worker|associate|operator|technician|assistant|clerk|nurse|"
    r"driver|teacher|manager|aide|psw|cook|chef|bartender|server|cashier|welder|electrician|"
    r"plumber|carpenter|mechanic|machinist|labourer|laborer|dispatcher|accountant|"
    r"bookkeeper|receptionist|secretary|cleaner|janitor|caretaker|caregiver|preposee?|"
    r"commis|caissiere?|soudeuse?|infirmiere?|mecanicien\w*|electricien\w*|plombier|"
    r"menuisier|camionneur|chauffeur|cuisinier\w*|serveuse?|enseignante?|educatrice?)\b"
    r"(?:\s+(?:at|in|for|with|chez|a|dans|de)\b|\s*,))")
_LEARN = _goal_re(
    r"learn|learning|apprendre|study|etudier|train in|training in|get certified|"
    r"(?:course|courses|cours|formation|formations) (?:in|on|en|sur)\b(?! ligne| personne|"
    r" presentiel| francais| anglais| english| french| person| the (?:evening|morning|weekend)|"
    r" weekends?| evenings?| soiree| classe| class| campus| zoom| line| site)|"
    r"take (?:a |some )?(?:course|courses|class|classes) (?:in|on)|"
    r"suivre (?:un|une|des) (?:cours|formation) (?:en|de|sur)|me former (?:en|sur)|"
    r"(?:do|take|get|faire|suivre) (?:a|an|the|my|un|une|mon|ma) (?:[\w-]+ ){1,3}"
    r"(?:certificate|certification|course|ticket|certificat|cours|formation|attestation)")
_INTO = _goal_re(
    r"become|becoming|be an?|devenir|(?:to|wanna|gonna) work (?:in|as)|"
    r"travailler (?:dans|comme|en)|"
    r"interested in|looking at|thinking (?:of|about)?|want (?:something|to do something) in|"
    r"interessee? (?:par|a|au|aux)|m'interesse|"
    r"(?:something|quelque chose) (?:in|en|dans)|faire quelque chose|enseigner|teach|"
    r"teaching|maybe (?:\w+ ){0,2}(?:or|ou)|peut-etre|"
    r"(?:certificat|certificate|diploma|diplome|dep|aec|dec|program|programme) (?:en|in|d')|"
    r"want something|veux quelque chose|aimerais quelque chose|"
    r"(?:a|une|un) (?:job|emploi|travail|poste) (?:en|dans|in)\b")
# The learner was a professional before coming to Canada.
_NEWCOMER = _goal_re(
    r"newcomer|new to canada|immigrant|immigrated|arrived (?:in canada|here)|refugee|"
    r"in canada (?:for )?\d+ (?:years?|months?)|been in canada|here for \d+ (?:years?|months?)|"
    r"nouvel(?:le)? arrivante?|immigrante?|je viens d'arriver|arrivee? au canada|"
    r"recemment arrivee?|back home|in my country|dans mon pays|au pays|"
    r"internationally (?:trained|educated)|foreign[- ](?:trained|educated)|"
    r"(?:trained|educated|studied) (?:abroad|overseas)|formee? a l'etranger|"
    r"diplomee? (?:a|de) l'etranger|diplome etranger")
_OWN_PROFESSION = _goal_re(
    r"in my field|my profession|ma profession|mon domaine|licen[cs]e|licensed|equivalen\w*|"
    r"recogni[sz]e my|credentials? (?:recogni\w*|assess\w*|evaluat\w*)|reconnaissance|"
    r"faire reconnaitre|canadian experience|experience canadienne|exercer|pratiquer|"
    r"practi[sc]e (?:here|again)|again|de nouveau|a nouveau|"
    r"(?:work|working) (?:here|in canada|in ontario)(?! (?:as|in|comme|en|dans)\b)|"
    r"travailler (?:ici|au canada|en ontario)(?! (?:comme|en|dans)\b)|"
    r"(?:get|obtain|earn|obtenir|avoir) (?:my|mon|ma) (?:\w+ )?(?:designation|licen[cs]e|"
    r"credentials?|cpa|p\.?eng|certification|accreditation|permis|titre)")
_ABROAD_PAST = re.compile(
    r"\b(?i:I was|I worked|I used to|I'm an?|I am an?|Im an?|j'étais|j'etais|j'ai travaillé|"
    r"j'ai été|je suis|j'suis|chu)\b[^.!?]{0,60}?\b(?:in|en|au|aux|à|from)\s+(?:the\s+)?"
    r"(?P<place>[A-ZÀ-Ý][a-zà-ÿ]+)|\b(?:from|of|d'|de)\s+(?:the\s+)?"
    r"(?P<origin>[A-ZÀ-Ý][a-zà-ÿ]+)[^.!?]{0,20}?\b(?:where|où|ou) (?:I|j')")
_NOT_ABROAD = frozenset(("ontario", "canada", "quebec", "the", "a", "my", "mon", "ma", "i",
                         "je", "english", "french", "anglais", "francais"))
_TARGET_AFTER = re.compile(
    r"(?<!\w)(?:become|becoming|be an?|be|devenir|redevenir|thinking|into|vers|"
    r"to be|maybe|peut-etre|to work as an?|travailler comme|(?:want|like|hope|plan) to|"
    r"je veux|je voudrais|j'aimerais)\s+"
    r"(?:an? |the |un |une |le |la |l')?(?P<words>(?:[\w'-]+\s*){1,4})")
_CURRENT_AFTER = re.compile(
    r"(?<!\w)(?:i'?m an?|i am an?|im an?|i work as an?|i've been an?|i have been an?|"
    r"i was an?|je suis|j'suis|chu|je travaille comme|j'travaille comme|j'etais|former)\s+"
    r"(?:un |une |le |la )?(?P<words>(?:[\w'-]+\s*){1,3})")
_LADDER = (
    re.compile(r"(?<!\w)(?:psw|pab|preposee?s?|personal support|support worker|"
               r"health care aide|healthcare aide|aide-soignante?|nurse aide|"
               r"dietary aide)(?![\w'])"),
    re.compile(r"(?<!\w)(?:rpn|rpns|iaa|practical nurse|infirmiere? auxiliaire|"
               r"nurse|nurses|infirmiere?s?)(?![\w'])"),
    re.compile(r"(?<!\w)(?:rn|rns|registered nurse|infirmiere? autorisee?|bscn)(?![\w'])"),
    re.compile(r"(?<!\w)(?:np|nurse practitioner|infirmiere? praticienne?)(?![\w'])"),
)
_GOAL_STOP = frozenset((
    "the", "and", "for", "with", "from", "this", "that", "have", "been", "years", "year",
    "months", "work", "working", "job", "jobs", "dans", "pour", "avec", "depuis", "avoir",
    "etre", "travail", "emploi", "poste", "something", "quelque", "chose", "want", "would",
    "like", "into", "first", "then"))


def _ladder_level(words: str) -> int | None:
    levels = [i for i, pattern in enumerate(_LADDER) if pattern.search(words)]
    return max(levels) if levels else None


def _up_the_ladder(text: str) -> bool:
    """A step up the nursing ladder (PSW -> RPN -> RN -> NP), which the set calls upskilling."""
    for target in _TARGET_AFTER.finditer(text):
        have, want = _ladder_level(text[:target.start()]), _ladder_level(target.group("words"))
        if have is not None and want is not None and want >= have:
            return True
    return False


def _same_field(text: str) -> bool:
    """Whether a job the learner wants is in the field of the one they have (a shared word
    stem: "welder" / "welding inspector", "secrétaire juridique" / "technicienne juridique"),
    or a step up the nursing ladder."""
    if _up_the_ladder(text):
        return True
    current = _CURRENT_AFTER.search(text)
    if current is None:
        return False
    stems = {w[:4] for w in re.findall(r"[a-z]{5,}", current.group("words"))
             if w not in _GOAL_STOP}
    return any(w[:4] in stems
               for target in _TARGET_AFTER.finditer(text, current.end())
               for w in re.findall(r"[a-z]{5,}", target.group("words")) if w not in _GOAL_STOP)


def speaks_for_staff(text: str) -> bool:
    """Whether the message is an employer's, for their staff ("HR manager here. We need our
    supervisors to ...", "notre usine"): it states no learner's job or goal."""
    return isinstance(text, str) and bool(_EMPLOYER.search(_prepare(text)))


def _same_family(have: str, want: str) -> bool:
    """Two NOC 2021 unit groups in one line of work: the same broad category (1st digit) and
    the same occupational family across TEER levels (3rd digit): cooks 63200 / chefs 62200,
    nurse aides 33102 / practical nurses 32101, accounting clerks 14200 / bookkeepers 12200;
    not dispatchers 14404 / project coordinators 13100, caregivers 44101 / counsellors 42201."""
    return len(have) == len(want) == 5 and have[0] == want[0] and have[2] == want[2]


def _leads(noc: str) -> bool:
    """A unit group of managers (TEER 0: x0xxx) or of supervisors (xx0xx: 62010, 72010)."""
    return len(noc) == 5 and (noc[1] == "0" or noc[2] == "0")


def parse_goal(text: str, current: tuple[str, ...] | None = None,
               target: tuple[str, ...] | None = None) -> Goal | None:
    """The learner's goal in ``text`` (EN or FR), or None when none is stated or clearly
    implied: returning to work (after a break, leave, illness or retirement), changing
    careers, upskilling in one's field (a promotion, a step up, a skill for the current job),
    exploring. An employer's message states none.

    ``current`` / ``target``: the unit groups of the job held and of the occupation wanted
    when the message was read for them (``knowledge.reading``), best first; a job held and
    one wanted in one line of work is upskilling, in another a change of career."""
    if not isinstance(text, str) or not text.strip():
        return None
    prepared = _prepare(text)
    if _EMPLOYER.search(prepared):
        return None
    if _NOT_RETURN.search(prepared):
        return "change_career"
    if _RETURN.search(prepared):
        return "return_to_work"
    newcomer = bool(_NEWCOMER.search(prepared))
    abroad = any(fold(m.group("place") or m.group("origin")) not in _NOT_ABROAD and
                 fold(m.group("place") or m.group("origin")) not in _PLACE_TO_REGION
                 for m in _ABROAD_PAST.finditer(text[:2000]))
    if (abroad or newcomer) and (_same_field(prepared) or _OWN_PROFESSION.search(prepared)):
        return "return_to_work"
    if _UNSURE_WHAT.search(prepared):
        return "explore"
    if _WANTS_OUT.search(prepared) or _LOST_JOB.search(prepared):
        return "change_career"
    if current and target:
        if _same_family(current[0], target[0]) or _same_field(prepared) or _up_the_ladder(
                prepared):
            return "upskill"
        if not _leads(target[0]):  # a supervisor or manager may be a step up: the words tell
            return "change_career"
    if _CHANGE_TOWARDS.search(prepared):
        return "change_career"
    if _UPSKILL.search(prepared) or _up_the_ladder(prepared):
        return "upskill"
    holds = bool(current) or bool(_CURRENT_JOB.search(prepared))
    if holds and _same_field(prepared):
        return "upskill"
    if _EXPLORE.search(prepared):
        return "explore"
    if newcomer and _INTO.search(prepared):
        return "change_career"
    if holds and _LEARN.search(prepared):
        return "upskill"
    if holds and _INTO.search(prepared):
        return "change_career"
    return None

def says_wants_out(text: str) -> bool:
    """Whether ``text`` says the learner wants out of their line of work ("I want to change
    careers", "burned out", "je veux changer de job"); losing a job is not saying it."""
    return isinstance(text, str) and bool(text.strip()) and \
        _WANTS_OUT.search(_prepare(text[:2000])) is not None


# --- amounts as each language writes them (sentences: knowledge/explainer.py) ------------

def format_money(amount: float, lang: Lang, keep_cents: bool = False) -> str:
    """$1,500 / $17.50 in English; 1 500 $ / 17,50 $ in French (non-breaking spaces).
    ``keep_cents``: $22.00, as hourly wages are written."""
    cents = keep_cents or round(amount * 100) % 100 != 0
    text = f"{amount:,.2f}" if cents else f"{round(amount):,}"
    if lang == "fr":
        return text.replace(",", "\u00a0").replace(".", ",") + "\u00a0$"
    return "$" + text


def format_number(value: float, lang: Lang) -> str:
    text = f"{value:g}" if value != int(value) else str(int(value))
    return text.replace(".", ",") if lang == "fr" else text
