"""Labelled evaluation sets for the title resolver, shared by ``bench/resolver.py`` and the tests.

* ``build_eval_set(seed)``: published NOC example titles (stratified by NOC, EN and FR) turned
  into what people type: typos, word order, abbreviations (the resolver's own tables read
  backwards), "I work as a" phrases, seniority words, case and accents. The label is every NOC
  the source title is published under (the same text sometimes appears under several).
* ``held_out_index``: the same index without the sampled titles, for the honest "unseen title"
  figure (the resolver must place a title it has never seen).
* ``HAND_SET``: realistic queries with the NOC codes a careers adviser would expect.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.language import Lang
from knowledge.loaders.noc import (
    CLASSES_FILE,
    EXAMPLES_FILE,
    ExampleTitleRow,
    UnitGroupRow,
    read_example_titles,
    read_unit_groups,
)
from knowledge.resolver import TitleIndex, abbreviations
from knowledge.resolver.normalize import fold, gender_variants, normalize


@dataclass(frozen=True)
class EvalItem:
    query: str
    labels: frozenset[str]  # any of these NOCs is a hit
    source: str  # the published title the query was made from
    lang: Lang
    noise: tuple[str, ...]  # what was done to it


@dataclass(frozen=True)
class HandCase:
    query: str
    lang: Lang | None
    expected: frozenset[str]  # acceptable NOCs
    status: str | None = None  # expected status, when it matters
    within: int = 1  # an expected NOC must be in the top ``within`` candidates


def _h(query: str, lang: Lang | None, *codes: str, status: str | None = None,
       within: int = 1) -> HandCase:
    return HandCase(query, lang, frozenset(codes), status, within)


# Realistic queries. Every code is checked against classes.csv by the tests.
HAND_SET: tuple[HandCase, ...] = (
    _h("psw", None, "33102", "44101", status="ambiguous"),
    _h("PSW", "fr", "33102", "44101", status="ambiguous"),
    _h("personal support worker", None, "33102", "44101"),
    _h("rpn", None, "32101"),
    _h("RN", None, "31301"),
    _h("regsitered nurse", None, "31301"),
    _h("nurse registered", None, "31301"),
    _h("infirmière", None, "31301"),
    _h("infirmiere auxiliaire", "fr", "32101"),
    _h("ece", None, "42202"),
    _h("ECE", "fr", "42202"),
    _h("early childhood educator", None, "42202"),
    _h("éducatrice à la petite enfance", "fr", "42202"),
    _h("EA", None, "43100", "12100", status="ambiguous"),
    _h("educational assistant", None, "43100"),
    _h("cnc machinist", None, "72100"),
    _h("machiniste CNC", "fr", "72100"),
    _h("machinist", None, "72100"),
    _h("soudeuse", None, "72106"),
    _h("weldr", None, "72106", "72104"),
    _h("I work as a senior software dev", None, "21232"),
    _h("software engineer", None, "21231"),
    _h("web developer", None, "21234"),
    _h("développeur logiciel", "fr", "21232"),
    _h("j'étais préposée aux bénéficiaires", None, "33102"),
    _h("truck driver", None, "73300"),
    _h("AZ driver", None, "73300"),
    _h("DZ driver", None, "73300"),
    _h("chauffeur de camion", "fr", "73300"),
    _h("cashier", None, "65100"),
    _h("caissière", None, "65100"),
    _h("line cook", None, "63200"),
    _h("cuisinier", "fr", "63200"),
    _h("admin assistant", None, "13110"),
    _h("administrative assistant", None, "13110"),
    _h("customer service rep - call centre", None, "64409"),
    _h("RMT", None, "32201"),
    _h("registered massage therapist", None, "32201"),
    _h("electrician", None, "72200"),
    _h("électricien", None, "72200"),
    _h("plumber", None, "72300"),
    _h("carpenter", None, "72310"),
    _h("millwright", None, "72400"),
    _h("forklift operator", None, "75101"),
    _h("retail sales associate", None, "64100"),
    _h("barista", None, "65201"),
    _h("dishwasher", None, "65201"),
    _h("waitress", None, "65200"),
    # "serveur/serveuse" is also a machine feeder in French (95103, 95109): honestly ambiguous.
    _h("serveuse", "fr", "65200", status="ambiguous", within=3),
    _h("security guard", None, "64410"),
    _h("gardien de sécurité", "fr", "64410"),
    _h("janitor", None, "65312"),
    _h("accountant", None, "11100"),
    _h("CPA", None, "11100"),
    _h("bookkeeper", None, "12200"),
    _h("receptionist", None, "14101"),
    _h("graphic designer", None, "52120"),
    _h("pharmacy tech", None, "32124"),
    _h("dental assistant", None, "33100"),
    _h("social worker", None, "41300"),
    _h("child and youth worker", None, "42201"),
    _h("physiotherapist", None, "31202"),
    _h("I'm a sr. welder", None, "72106", "72104"),
    _h("my job is cashier", None, "65100"),
    _h("je travaille comme plombier", None, "72300"),
    _h("ancienne enseignante au primaire", None, "41221"),
    _h("supervisor", None, *(), status="ambiguous"),
    _h("technician", None, *(), status="ambiguous"),
    _h("asdfqwer", None, *(), status="none"),
    _h("banana", None, *(), status="none"),
    _h("", None, *(), status="none"),
)


# --- data ------------------------------------------------------------------------------------

def data_root() -> Path:
    from knowledge.settings import data_dir

    return data_dir()


def load_rows(root: Path | None = None) -> tuple[list[UnitGroupRow], list[ExampleTitleRow]]:
    root = root or data_root()
    groups = [g for g in read_unit_groups(root / CLASSES_FILE) if isinstance(g, UnitGroupRow)]
    titles = [t for t in read_example_titles(root / EXAMPLES_FILE)
              if isinstance(t, ExampleTitleRow)]
    return groups, titles


def title_labels(titles: Iterable[ExampleTitleRow]) -> dict[str, frozenset[str]]:
    """normalised title text (any language) -> every NOC it is published under."""
    out: dict[str, set[str]] = defaultdict(set)
    for t in titles:
        out[normalize(t.title)].add(t.noc)
    return {k: frozenset(v) for k, v in out.items()}


def _stratified(rows: Sequence[ExampleTitleRow], n: int, rng: random.Random
                ) -> list[ExampleTitleRow]:
    """n rows, allocated to NOCs in proportion to their titles (at least one each if possible)."""
    by_noc: dict[str, list[ExampleTitleRow]] = defaultdict(list)
    for row in rows:
        by_noc[row.noc].append(row)
    nocs = sorted(by_noc)
    total = len(rows)
    quotas = {noc: n * len(by_noc[noc]) / total for noc in nocs}
    alloc = {noc: int(q) for noc, q in quotas.items()}
    rest = n - sum(alloc.values())
    for noc in sorted(nocs, key=lambda c: (alloc[c] > 0, -(quotas[c] - alloc[c]), c))[:rest]:
        alloc[noc] += 1
    picked: list[ExampleTitleRow] = []
    for noc in nocs:
        pool = by_noc[noc][:]
        rng.shuffle(pool)
        picked.extend(pool[: alloc[noc]])
    rng.shuffle(picked)
    return picked[:n]


# --- noise -----------------------------------------------------------------------------------

_KEYS = "abcdefghijklmnopqrstuvwxyz"
_EN_PHRASES = ("I work as a", "I'm a", "I used to be a", "my job is", "i am a", "I worked as a",
               "currently", "I was a")
_FR_PHRASES = ("je suis", "j'étais", "je travaille comme", "ancien", "ancienne",
               "j'ai travaillé comme")
_EN_SENIORITY = ("senior", "junior", "lead", "sr", "Sr.", "intermediate")
_FR_SENIORITY = ("principal", "senior", "junior", "principale")
_PAREN = re.compile(r"\s*\([^)]*\)")


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    op = rng.choice(("swap", "drop", "insert", "substitute"))
    if op == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "insert":
        return word[:i] + rng.choice(_KEYS) + word[i:]
    return word[:i] + rng.choice(_KEYS.replace(word[i].lower(), "")) + word[i + 1:]


def _reverse_abbreviations(lang: str) -> list[tuple[re.Pattern[str], str]]:
    table = abbreviations.FR_ABBREVIATIONS if lang == "fr" else abbreviations.EN_ABBREVIATIONS
    out = []
    for abbr, expansions in table.items():
        if abbr in abbreviations.AMBIGUOUS_SHORT:
            continue
        for phrase in expansions:
            if len(phrase.split()) >= 1 and len(phrase) > len(abbr) + 2:
                pattern = re.compile(r"(?<![\w])" + re.escape(fold(phrase)) + r"(?![\w])")
                out.append((pattern, abbr.upper() if len(abbr) <= 4 else abbr))
    return out


def noisy_query(title: str, lang: str, rng: random.Random,
                reverse: list[tuple[re.Pattern[str], str]]) -> tuple[str, tuple[str, ...]]:
    """What someone might type for a published title, and the noise applied."""
    noise: list[str] = []
    text = rng.choice(gender_variants(title))
    if "(" in text:
        text = _PAREN.sub("", text) if rng.random() < 0.5 else text.replace("(", "").replace(
            ")", "")
    # Abbreviations: the resolver's tables read backwards.
    abbr = None
    if rng.random() < 0.5:
        folded = fold(text)
        hits = [(p, a) for p, a in reverse if p.search(folded)]
        if hits:
            pattern, abbr = rng.choice(hits)
            text = pattern.sub(abbr, folded, count=1)
            noise.append("abbreviation")
    words = text.split()
    if len(words) > 1 and rng.random() < 0.25:
        rng.shuffle(words)
        noise.append("reorder")
    # Typos: 0, 1 or 2, on words of four letters or more (not on an abbreviation just made).
    n_typos = rng.choices((0, 1, 2), weights=(0.25, 0.45, 0.30))[0]
    for _ in range(n_typos):
        long_words = [i for i, w in enumerate(words)
                      if sum(c.isalpha() for c in w) >= 4 and w != abbr]
        if not long_words:
            break
        i = rng.choice(long_words)
        words[i] = _typo(words[i], rng)
        noise.append("typo")
    if rng.random() < 0.2:
        words.insert(0, rng.choice(_FR_SENIORITY if lang == "fr" else _EN_SENIORITY))
        noise.append("seniority")
    if rng.random() < 0.3:
        words.insert(0, rng.choice(_FR_PHRASES if lang == "fr" else _EN_PHRASES))
        noise.append("phrase")
    text = " ".join(words)
    r = rng.random()
    if r < 0.4:
        text = text.lower()
        noise.append("lower")
    elif r < 0.5:
        text = text.upper()
        noise.append("upper")
    if lang == "fr" and rng.random() < 0.5:
        text = "".join(c for c in _strip_accents(text))
        noise.append("accents")
    if not noise:  # every query gets at least one kind of noise
        words = text.split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 4]
        if long_words:
            i = rng.choice(long_words)
            words[i] = _typo(words[i], rng)
            text = " ".join(words)
            noise.append("typo")
    return text, tuple(noise)


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def build_eval_set(seed: int = 0, n_en: int = 2000, n_fr: int = 1000,
                   titles: Sequence[ExampleTitleRow] | None = None) -> list[EvalItem]:
    """Noisy queries made from published titles (distinct texts), labelled with their NOCs."""
    if titles is None:
        titles = load_rows()[1]
    labels = title_labels(titles)
    rng = random.Random(seed)
    items: list[EvalItem] = []
    sizes: tuple[tuple[Lang, int], ...] = (("en", n_en), ("fr", n_fr))
    for lang, n in sizes:
        seen: set[str] = set()
        pool = []
        for t in titles:
            key = normalize(t.title)
            if t.lang == lang and key and key not in seen:
                seen.add(key)
                pool.append(t)
        reverse = _reverse_abbreviations(lang)
        for row in _stratified(pool, n, rng):
            query, noise = noisy_query(row.title, lang, rng, reverse)
            items.append(EvalItem(query, labels[normalize(row.title)], row.title, lang, noise))
    return items


def held_out_index(groups: Sequence[UnitGroupRow], titles: Sequence[ExampleTitleRow],
                   items: Iterable[EvalItem]) -> TitleIndex:
    """An index without the eval set's source titles (under any NOC, in either language)."""
    held = {normalize(item.source) for item in items}
    kept = [t for t in titles if normalize(t.title) not in held]
    return TitleIndex.build(groups, kept)


# --- scoring ---------------------------------------------------------------------------------

@dataclass
class Accuracy:
    n: int = 0
    top1: int = 0
    top3: int = 0
    clear: int = 0
    clear_right: int = 0
    none: int = 0

    def as_dict(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {"n": self.n, "top1": self.top1 / n, "top3": self.top3 / n,
                "clear_rate": self.clear / n,
                "clear_precision": self.clear_right / max(self.clear, 1),
                "none_rate": self.none / n}


def evaluate(index: TitleIndex, items: Iterable[EvalItem], give_lang: bool = False
             ) -> Accuracy:
    """Top-1 / top-3 accuracy (a candidate list is ranked even when the status is ambiguous)."""
    acc = Accuracy()
    for item in items:
        res = index.resolve(item.query, item.lang if give_lang else None, top=3)
        codes = [c.noc for c in res.candidates]
        acc.n += 1
        acc.top1 += bool(codes) and codes[0] in item.labels
        acc.top3 += any(c in item.labels for c in codes[:3])
        acc.none += res.status == "none"
        if res.status == "clear":
            acc.clear += 1
            acc.clear_right += codes[0] in item.labels
    return acc


def evaluate_hand(index: TitleIndex, cases: Iterable[HandCase] = HAND_SET
                  ) -> list[tuple[HandCase, list[str], str, bool]]:
    """(case, top-3 codes, status, passed) per hand-written case."""
    out: list[tuple[HandCase, list[str], str, bool]] = []
    for case in cases:
        res = index.resolve(case.query, case.lang, top=3)
        codes = [c.noc for c in res.candidates]
        ok = True
        if case.expected:
            ok = any(c in case.expected for c in codes[: case.within])
        if case.status is not None:
            ok = ok and res.status == case.status
        out.append((case, codes, res.status, ok))
    return out
