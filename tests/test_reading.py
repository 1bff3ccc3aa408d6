"""Reading a whole message for the jobs it names (knowledge/reading.py), with the real resolver
(its meaning path from var/cache/). Wordings written for these tests, not from bench/sets/."""

from __future__ import annotations

import pytest

from knowledge.reading import find_jobs, read_message
from knowledge.resolver import TitleIndex
from knowledge.resolver.hybrid import attach
from knowledge.resolver.train import load_rows


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    return attach(TitleIndex.build(*load_rows()))


@pytest.mark.parametrize("text, lang, current, noc", [
    ("I got laid off from my job as a machinist last spring and need something new", "en",
     "machinist", "72100"),
    ("I've been a welder for 14 years, my back can't take it anymore", "en", "welder", "72106"),
    ("Chu électricien depuis 2009 à Sudbury", "fr", "électricien", "72200"),
    ("je travaille comme caissière chez Metro le soir", "fr", "caissière", "65100"),
    ("Forklift operator, 3 years, looking for a change", "en", "Forklift operator", "75101"),
])
def test_the_current_job_is_found_in_a_sentence(index: TitleIndex, text: str, lang: str,
                                                current: str, noc: str) -> None:
    found, _target = find_jobs(text, lang, index)  # type: ignore[arg-type]
    assert found is not None and found.text.lower() == current.lower()
    assert noc in found.nocs[:3]


def test_the_current_job_and_the_target_are_told_apart(index: TitleIndex) -> None:
    current, target = find_jobs("I'm a PSW at a nursing home and I want to become an RPN",
                                "en", index)
    assert current is not None and current.text == "PSW"
    assert target is not None and "32101" in target.nocs[:3]
    current, target = find_jobs("je suis préposée aux bénéficiaires, je veux devenir "
                                "infirmière auxiliaire", "fr", index)
    assert current is not None and "33102" in current.nocs[:2]
    assert target is not None and "32101" in target.nocs[:3]


def test_the_job_held_now_wins_over_the_one_held_before(index: TitleIndex) -> None:
    current, _target = find_jobs("I was a teacher back home. Here I work as a cashier.",
                                 "en", index)
    assert current is not None and current.text == "cashier"


def test_a_field_to_learn_is_kept_as_a_skill(index: TitleIndex) -> None:
    _current, target = find_jobs("I'd like to learn machine learning, online if possible",
                                 "en", index)
    assert target is not None and target.skill == "machine learning"
    _current, target = find_jobs("quels cours enseignent la soudure au TIG?", "fr", index)
    assert target is not None and target.skill is not None and "soudure" in target.skill


@pytest.mark.parametrize("text", [
    "Good evening, can you help me?",
    "How much does it cost? Is it online?",
    "Sorry, I meant the cheaper ones",
    "asdf qwer",
    "<script>alert(1)</script>",
    "",
])
def test_a_message_that_names_no_job_gives_none(index: TitleIndex, text: str) -> None:
    assert find_jobs(text, "en", index) == (None, None)


def test_a_long_story_is_read_without_echoing_it(index: TitleIndex) -> None:
    story = ("So last year the plant closed and since then I have been doing odd jobs, "
             "mostly moving furniture, but before all that I was a millwright for a long time. "
             * 40)
    reading = read_message(story, "en", index=index)
    assert reading.current is not None and len(reading.current.text.split()) <= 6
    assert "72400" in reading.current.nocs[:3]


def test_a_message_full_of_cues_costs_a_bounded_number_of_resolutions(
        index: TitleIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """A paste that repeats cues and short clauses must not make the actions server resolve
    hundreds of spans (every other learner waits meanwhile)."""
    import knowledge.reading as reading

    resolved: list[str] = []
    real = reading.resolve_titles

    def counting(texts, *args, **kwargs):  # type: ignore[no-untyped-def]
        resolved.extend(texts)
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(reading, "resolve_titles", counting)
    paste = "I'm a qwzx, I want to become a zqxw, " * 60 + "ab, cd, ef, " * 60
    find_jobs(paste, "en", index)
    bound = (2 * reading.MAX_CUES) * reading.MAX_SPAN_WORDS + reading.MAX_CLAUSES
    assert 0 < len(resolved) <= bound
