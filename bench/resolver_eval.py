"""Labelled evaluation sets for the title resolver, shared by ``bench/resolver.py`` and the tests.

* ``build_eval_set(seed)``: published NOC example titles (stratified by NOC, EN and FR) turned
  into what people type: typos, word order, abbreviations (the resolver's own tables read
  backwards), "I work as a" phrases, seniority words, case and accents. The label is every NOC
  the source title is published under (the same text sometimes appears under several).
* ``held_out_index``: the same index without the sampled titles, for the honest "unseen title"
  figure (the resolver must place a title it has never seen).
* ``HAND_SET``: realistic queries with the NOC codes a careers adviser would expect (the
  resolver was tuned on them: a figure on them is a figure on seen data).
* ``load_title_set``: ``bench/sets/titles.yml``, titles as people type them, labelled by a
  person from the NOC definitions, main duties and exclusions; its ``test`` split is used by
  nothing but the benchmark, its ``dev`` split may be looked at while developing.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.language import Lang
from knowledge.loaders.noc import ExampleTitleRow, UnitGroupRow
from knowledge.resolver import Resolution, TitleIndex
from knowledge.resolver.normalize import normalize
from knowledge.resolver.train import load_rows
from knowledge.resolver.typing_noise import noisy_query, reverse_abbreviations


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


SETS_DIR = Path(__file__).resolve().parent / "sets"


@dataclass(frozen=True)
class TitleCase:
    query: str
    lang: Lang | None
    expected: frozenset[str]  # the unit groups a careful adviser accepts
    kind: str  # obvious: one clear answer | ambiguous: should ask back among ``expected``
    split: str  # test | dev


def load_title_set(split: str | None = "test", path: Path | None = None) -> list[TitleCase]:
    from ruamel.yaml import YAML

    rows = YAML(typ="safe").load((path or SETS_DIR / "titles.yml").read_text(encoding="utf-8"))
    cases = [TitleCase(str(r["query"]), r.get("lang"), frozenset(map(str, r["expected"])),
                       str(r["kind"]), str(r["split"])) for r in rows]
    return [c for c in cases if split is None or c.split == split]


@dataclass
class HandFigures:
    """``Accuracy`` plus what matters for titles labelled obvious or ambiguous."""

    accuracy: Accuracy = field(default_factory=lambda: Accuracy())
    obvious: int = 0
    obvious_asked: int = 0  # obvious titles answered "ambiguous" or "none"
    ambiguous: int = 0
    ambiguous_asked: int = 0  # ambiguous titles asked back about, right ones among the choices

    def line(self) -> str:
        a = self.accuracy
        return (f"{a.line()}  ask-back on obvious "
                f"{self.obvious_asked / max(self.obvious, 1):5.1%} (of {self.obvious})  "
                "ambiguous asked back "
                f"{self.ambiguous_asked / max(self.ambiguous, 1):5.1%} (of {self.ambiguous})")


def score_title_set(resolutions: Sequence[Resolution], cases: Sequence[TitleCase]
                    ) -> HandFigures:
    """The figures of ``bench/resolver.py`` over a hand-labelled set."""
    fig = HandFigures()
    for res, case in zip(resolutions, cases, strict=True):
        codes = fig.accuracy.add(res, case.expected)
        if case.kind == "obvious":
            fig.obvious += 1
            fig.obvious_asked += res.status != "clear"
        else:
            fig.ambiguous += 1
            fig.ambiguous_asked += res.status == "ambiguous" and any(
                c in case.expected for c in codes[:3])
    return fig


# --- data ------------------------------------------------------------------------------------

def data_root() -> Path:
    from knowledge.settings import data_dir

    return data_dir()


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


def build_eval_set(seed: int = 0, n_en: int = 2000, n_fr: int = 1000,
                   titles: Sequence[ExampleTitleRow] | None = None,
                   labelled_by: Sequence[ExampleTitleRow] | None = None) -> list[EvalItem]:
    """Noisy queries made from published titles (distinct texts), labelled with their NOCs
    (every NOC that publishes the title among ``labelled_by``, default ``titles``)."""
    if titles is None:
        titles = load_rows()[1]
    labels = title_labels(labelled_by if labelled_by is not None else titles)
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
        reverse = reverse_abbreviations(lang)
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
    clear_wrong: int = 0
    none: int = 0

    def add(self, res: Resolution, labels: frozenset[str]) -> list[str]:
        """Count one answer; returns its codes."""
        codes = [c.noc for c in res.candidates]
        self.n += 1
        self.top1 += bool(codes) and codes[0] in labels
        self.top3 += any(c in labels for c in codes[:3])
        self.none += res.status == "none"
        if res.status == "clear":
            self.clear += 1
            self.clear_wrong += codes[0] not in labels
        return codes

    def as_dict(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {"n": self.n, "top1": self.top1 / n, "top3": self.top3 / n,
                "clear_rate": self.clear / n,
                "clear_precision": 1 - self.clear_wrong / max(self.clear, 1),
                "none_rate": self.none / n}

    def line(self) -> str:
        n = max(self.n, 1)
        return (f"top-1 {self.top1 / n:6.1%}  top-3 {self.top3 / n:6.1%}  clear "
                f"{self.clear / n:6.1%}  wrong when clear "
                f"{self.clear_wrong / max(self.clear, 1):5.1%} (of {self.clear})  n={self.n}")


def evaluate(index: TitleIndex, items: Iterable[EvalItem], give_lang: bool = False
             ) -> Accuracy:
    """Top-1 / top-3 accuracy (a candidate list is ranked even when the status is ambiguous)."""
    acc = Accuracy()
    for item in items:
        acc.add(index.resolve(item.query, item.lang if give_lang else None, top=3), item.labels)
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
