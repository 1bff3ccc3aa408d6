"""The resolver with its meaning path (knowledge/resolver/hybrid.py, semantic.py): titles
worded unlike NOC's examples, when to ask back, what is no title at all, and the caches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.loaders.noc import ExampleTitleRow, UnitGroupRow
from knowledge.resolver import Resolution, TitleIndex, resolve_title, resolve_titles
from knowledge.resolver.exclusions import exclusion_titles
from knowledge.resolver.folds import EVALUATION, FOLDS, fold_of
from knowledge.resolver.hybrid import (
    CLEAR_FEATURES,
    FEATURES,
    QUERY_FEATURES,
    WEIGHTS_FILE,
    attach,
)
from knowledge.resolver.semantic import SemanticIndex, encode_cached
from knowledge.resolver.train import index_titles, load_rows
from knowledge.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"


@pytest.fixture(scope="module")
def rows() -> tuple[list[UnitGroupRow], list[ExampleTitleRow]]:
    return load_rows()


@pytest.fixture(scope="module")
def index(rows) -> TitleIndex:
    # As the app builds it (titles and exclusions): the semantic part comes from var/cache/
    # (built by `pathfinder load-data`).
    groups, titles = rows
    return attach(TitleIndex.build(groups, index_titles(titles)))


def codes(res: Resolution, n: int = 3) -> list[str]:
    return [c.noc for c in res.candidates[:n]]


@pytest.mark.parametrize("query, noc", [
    ("welder", "72106"),  # published under 72104 too, but nearly every welder is a 72106
    ("cashier", "65100"),
    ("registered nurse", "31301"),
    ("soudeuse", "72106"),
    ("caissière", "65100"),
    ("software engineer", "21231"),
])
def test_obvious_titles_are_clear(index: TitleIndex, query: str, noc: str) -> None:
    res = resolve_title(query, index=index)
    assert (res.status, codes(res, 1)) == ("clear", [noc])


@pytest.mark.parametrize("query, among", [
    ("supervisor", set()),
    ("technician", set()),
    ("PSW", {"33102", "44101"}),  # long-term care or home care
    ("EA", {"43100", "12100"}),   # educational or executive assistant
])
def test_titles_that_could_be_several_jobs_ask_back(index: TitleIndex, query: str,
                                                    among: set[str]) -> None:
    res = resolve_title(query, index=index)
    assert res.status == "ambiguous"
    assert len(res.candidates) >= 2
    assert among <= set(codes(res, 5))


@pytest.mark.parametrize("query", ["banana", "qwerty", "select * from users",
                                   "how much does it cost", "asdfgh", "😀😀"])
def test_what_is_no_job_title_is_none(index: TitleIndex, query: str) -> None:
    assert resolve_title(query, index=index).status == "none"


def test_a_title_worded_unlike_any_example_finds_its_occupation(index: TitleIndex) -> None:
    # Neither is a published example title; both are common ways of saying the job.
    for query, noc in (("HVAC technician", "72402"), ("home care aide", "44101")):
        assert noc in codes(resolve_title(query, index=index)), query


def test_candidates_carry_a_probability_and_the_title_that_matched(index: TitleIndex) -> None:
    res = resolve_title("machiniste CNC", index=index)
    assert res.candidates and res.lang == "fr"
    assert all(0 < c.score <= 100 for c in res.candidates)
    assert [c.score for c in res.candidates] == sorted((c.score for c in res.candidates),
                                                       reverse=True)
    assert sum(c.score for c in res.candidates) <= 100.5
    assert all(c.matched_title for c in res.candidates)


def test_a_batch_answers_as_one_title_at_a_time(index: TitleIndex) -> None:
    titles = ["welder", "PSW", "banana", "infirmière auxiliaire", "", "data scientist"]
    one_by_one = [resolve_title(t, index=index) for t in titles]
    assert resolve_titles(titles, index=index) == one_by_one


def test_the_lexical_path_is_still_there_on_its_own(index: TitleIndex) -> None:
    # Tagging reads program titles word for word; its answers keep the lexical scale.
    res = index.resolve_lexical("welder")
    assert res.status == "ambiguous" and set(codes(res, 2)) == {"72104", "72106"}


# --- honesty of the learned parts -----------------------------------------------------------

def test_folds_split_by_title_whatever_its_case_accents_or_gender_form() -> None:
    assert fold_of("Soudeur/soudeuse") == fold_of("SOUDEUR/SOUDEUSE") == fold_of(
        "soudeur/soudeuse ")
    assert fold_of("infirmière") == fold_of("infirmiere")
    spread = {fold_of(f"title {i}") for i in range(400)}
    assert spread == set(range(FOLDS))


def test_the_weights_file_was_learned_without_the_evaluation_fold() -> None:
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert tuple(data["features"]) == FEATURES and tuple(data["query_features"]) == (
        QUERY_FEATURES) and tuple(data["clear_features"]) == CLEAR_FEATURES
    assert f"fold {EVALUATION} never read" in data["about"]
    assert 0.0 < data["clear_from"] < 1.0 and 0.0 < data["title_from"] < 1.0
    assert 0.9 < data["exact_right"] < 1.0


class Watched:
    """The index's own encoder, counting what it is asked to encode."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.encoded: list[str] = []

    def encode(self, texts):
        self.encoded.extend(texts)
        return self.encoder.encode(texts)


def test_a_title_of_one_occupation_word_for_word_needs_no_meaning(index: TitleIndex) -> None:
    hybrid = index.hybrid
    assert hybrid is not None
    watched = Watched(hybrid.encoder)
    hybrid.encoder = watched
    hybrid.forget_recent()  # what is encoded, not what was remembered
    try:
        res = resolve_title("Cashier", index=index)
        assert (res.status, codes(res, 1)) == ("clear", ["65100"])
        assert watched.encoded == []
        # Published under two unit groups: the meaning path still decides.
        assert codes(resolve_title("welder", index=index), 1) == ["72106"]
        assert watched.encoded == ["welder"]
    finally:
        hybrid.encoder = watched.encoder


def test_exclusions_are_titles_of_the_unit_group_they_point_to(rows) -> None:
    groups, _titles = rows
    found = exclusion_titles(DATA_DIR, {g.noc for g in groups})
    assert ExampleTitleRow("13112", "en", "Medical administrative assistants") in found
    assert len(found) == len(set(found))  # listed under several groups: once
    assert {t.noc for t in found} <= {g.noc for g in groups}  # never "See 1003 Managers ..."


class CountingEncoder:
    """Stands in for the sentence encoder: a fixed random vector per text, and a count."""

    version = "test"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts):
        self.encoded.extend(texts)
        out = []
        for text in texts:
            rng = np.random.default_rng(abs(hash(text)) % 2**32)
            v = rng.normal(size=512).astype(np.float32)
            out.append(v / np.linalg.norm(v))
        return np.vstack(out) if out else np.zeros((0, 512), np.float32)


def test_vectors_are_encoded_once_and_read_back_from_the_cache(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    first = encode_cached(["welder", "cook", "welder"], encoder, tmp_path)
    assert sorted(encoder.encoded) == ["cook", "welder"]
    again = encode_cached(["cook", "nurse"], encoder, tmp_path)
    assert sorted(encoder.encoded) == ["cook", "nurse", "welder"]  # only the new one
    assert np.allclose(first[1], again[0])


def test_the_trained_model_is_cached_by_its_titles(tmp_path: Path) -> None:
    encoder = CountingEncoder()
    titles = [(f"{10000 + i % 7}", f"job {i}") for i in range(300)]
    built = SemanticIndex.build(titles, encoder, tmp_path)
    models = list(tmp_path.glob("resolver-*.npz"))
    assert len(models) == 1
    again = SemanticIndex.build(list(reversed(titles)), encoder, tmp_path)
    assert list(tmp_path.glob("resolver-*.npz")) == models  # same titles: same model file
    assert np.array_equal(built.weights, again.weights)
    SemanticIndex.build(titles[:-1], encoder, tmp_path)
    assert len(list(tmp_path.glob("resolver-*.npz"))) == 2


def test_an_answer_from_memory_is_the_one_asked_for(index: TitleIndex) -> None:
    # A chat turn resolves the same words more than once; what is remembered must not
    # answer another question (another language, fewer candidates).
    assert index.hybrid is not None
    index.hybrid.forget_recent()
    short = resolve_title("technician", index=index, top=1)
    longer = resolve_title("technician", index=index, top=5)
    assert len(short.candidates) == 1 < len(longer.candidates)
    fresh = resolve_titles(["welding technician", "technician"], index=index, top=5)
    assert fresh[1] == longer and codes(fresh[0], 1) != []
    french = resolve_title("technicien", lang="fr", index=index)
    assert french.lang == "fr" and resolve_title("technicien", lang="en", index=index).lang \
        == "en"


@pytest.mark.parametrize("query, bare, lang", [
    ("our welders", "welders", "en"), ("my plumbers", "plumbers", "en"),
    ("nos éducatrices", "éducatrices", "fr"), ("mes soudeurs", "soudeurs", "fr"),
])
def test_possessives_carry_no_occupation(index: TitleIndex, query: str, bare: str,
                                         lang: str) -> None:
    """"nos" is no "nose specialist": "our welders" reads as "welders" does, first."""
    res = index.resolve(query, lang)  # type: ignore[arg-type]
    assert codes(res, 1) == codes(index.resolve(bare, lang), 1)  # type: ignore[arg-type]
    assert "31101" not in codes(res, 5)  # specialists in surgery


@pytest.mark.parametrize("query, singular", [("PSWs", "PSW"), ("RPNs", "RPN"), ("ECEs", "ECE")])
def test_an_abbreviations_plural_reads_as_the_abbreviation(index: TitleIndex, query: str,
                                                           singular: str) -> None:
    assert codes(index.resolve(query), 2) == codes(index.resolve(singular), 2)
    assert index.resolve(query).status != "none"


@pytest.mark.parametrize("query, noc", [
    ("préposée en CHSLD", "33102"), ("aide de cuisine en CHSLD", "65201"),
    ("infirmière auxiliaire en CHSLD", "32101"), ("cook at The Keg", "63200"),
    ("server at a restaurant", "65200"),
])
def test_the_workplace_tells_the_job(index: TitleIndex, query: str, noc: str) -> None:
    """A CHSLD (a long-term care centre) tells which préposée, and changes no other title;
    "at a restaurant" is a workplace, "at The Keg" an employer's name."""
    assert codes(index.resolve(query), 1) == [noc]
