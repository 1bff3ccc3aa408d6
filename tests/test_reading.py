"""Reading a whole message for the jobs it names (knowledge/reading.py), with the real resolver
(its meaning path from var/cache/). Wordings written for these tests, not from bench/sets/."""

from __future__ import annotations

import pytest

from knowledge.reading import find_jobs, read_message
from knowledge.resolver import TitleIndex
from knowledge.resolver.hybrid import attach
from knowledge.resolver.train import index_titles, load_rows


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    groups, titles = load_rows()  # as the app builds it (with the exclusions): one cache
    return attach(TitleIndex.build(groups, index_titles(titles)))


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


@pytest.mark.parametrize("text, lang, current, noc", [
    ("Been a cashier at No Frills for 4 years, I'd love something in pharmacy", "en",
     "cashier", "65100"),
    ("I have 10 years experience as a chef and I'd like to teach", "en", "chef", "62200"),
    ("Currently unemployed, was a customer service rep for 8 years", "en",
     "customer service rep", "64409"),
    ("I'm interested in project management. I'm a bookkeeper right now.", "en", "bookkeeper",
     "12200"),
    ("Je suis nouvelle arrivante, j'étais pharmacienne en Algérie", "fr", "pharmacienne",
     "31120"),
    ("J'ai été mise à pied en mars. J'étais caissière chez Metro", "fr", "caissière",
     "65100"),
    ("I'd like to upgrade my Excel skills for my job as a receptionist", "en", "receptionist",
     "14101"),
])
def test_the_current_job_is_found_after_other_cues(index: TitleIndex, text: str, lang: str,
                                                   current: str, noc: str) -> None:
    found, _target = find_jobs(text, lang, index)  # type: ignore[arg-type]
    assert found is not None and found.text.lower() == current.lower()
    assert noc in found.nocs[:3]


@pytest.mark.parametrize("text", [
    "I'm a stay-at-home mom and want to start working as a bookkeeper",
    "How much does the PSW program cost at Cambrian?",
    "I'm interested in machine learning, is there anything online?",
    "allô, je suis prête à commencer",
])
def test_words_that_are_no_job_held_give_no_current_job(index: TitleIndex, text: str) -> None:
    current, _target = find_jobs(text, "en", index)
    assert current is None


@pytest.mark.parametrize("text, lang, skill", [
    ("I'm a mechanic, I want to learn about electric vehicles. Evening classes in Windsor",
     "en", "electric vehicles"),
    ("I used to be a bank teller. Want to get back into banking, mornings only", "en",
     "banking"),
    ("I'm looking for a career in IT, no experience", "en", "IT"),
    ("Je cherche une formation courte en logistique, moins de 8 semaines", "fr", "logistique"),
    ("je voudrais des cours de jour en informatique", "fr", "informatique"),
    ("We need our staff certified in confined space entry", "en", "confined space entry"),
    ("i want to learn python and SQL", "en", "python and SQL"),
    ("I'm a chef de partie, want to open my own restaurant one day. Any business courses?",
     "en", "business"),
    ("got any excel training?", "en", "excel"),
    ("je suis cuisinier et je veux apprendre l'anglais", "fr", "anglais"),
    ("I want to learn French", "en", "French"),
    ("looking for free welding courses", "en", "welding"),
    ("I work in a call center and I hate it. I like computers", "en", "computers"),
])
def test_the_field_wanted_is_read_whole(index: TitleIndex, text: str, lang: str,
                                        skill: str) -> None:
    _current, target = find_jobs(text, lang, index)  # type: ignore[arg-type]
    assert target is not None and target.skill == skill


@pytest.mark.parametrize("text, lang", [
    ("I'm an internationally trained pharmacist and I want to work in Canada", "en"),
    ("Je suis soudeuse et je veux travailler en Ontario", "fr"),
])
def test_a_place_to_work_in_is_no_field_wanted(index: TitleIndex, text: str, lang: str) -> None:
    current, target = find_jobs(text, lang, index)  # type: ignore[arg-type]
    assert current is not None and current.clear
    assert target is None


def test_a_field_wanted_does_not_end_in_a_preposition(index: TitleIndex) -> None:
    """"une formation en soins palliatifs en français": the language is a limit."""
    _current, target = find_jobs("je suis préposé aux bénéficiaires et je cherche une "
                                 "formation en soins palliatifs en français", "fr", index)
    assert target is not None and target.skill == "soins palliatifs"


def test_a_field_held_is_told_from_the_one_wanted(index: TitleIndex) -> None:
    current, target = find_jobs("I work in retail management and I'm thinking about a career "
                                "change into UX design", "en", index)
    assert current is not None and current.text == "retail management"
    assert target is not None and target.skill == "UX design"


def test_a_goal_is_read_from_the_jobs_named(index: TitleIndex) -> None:
    reading = read_message("I'm an accounting clerk at a dealership and I'd like to become a "
                           "bookkeeper", "en", index=index)
    assert reading.goal == "upskill"


def test_a_change_of_mind_changes_only_what_it_names(index: TitleIndex) -> None:
    from knowledge.constraints import Constraints

    before = Constraints(delivery=("online",), schedule=("evenings",), max_cost=800)
    reading = read_message("Finalement, je préfère en présentiel.", "fr", previous=before,
                           index=index)
    assert reading.preferences.delivery == ("in_person",)
    assert reading.constraints.schedule == ("evenings",) and reading.constraints.max_cost == 800
    assert reading.current is None and reading.target is None


@pytest.mark.parametrize("text, lang, noc", [
    ("how much does a welder make in Sudbury?", "en", "72106"),
    ("combien gagne une infirmière auxiliaire à Ottawa?", "fr", "32101"),
    ("are there jobs for electricians up north?", "en", "72200"),
    ("How much is the PSW program at Cambrian?", "en", "33102"),
])
def test_an_occupation_asked_about_is_the_target(index: TitleIndex, text: str, lang: str,
                                                 noc: str) -> None:
    current, target = find_jobs(text, lang, index)  # type: ignore[arg-type]
    assert current is None
    assert target is not None and noc in target.nocs[:3]
    assert "Ottawa" not in target.text and "Sudbury" not in target.text


@pytest.mark.parametrize("text, lang", [
    ("Bonjour… je suis soudeur et je veux devenir infirmier", "fr"),  # a phone's ellipsis
    ("Hi… I am a welder… I want to become a nurse", "en"),
    ("ﬁrst: je suis soudeur, je veux devenir infirmier", "fr"),  # a ligature from a PDF
])
def test_characters_that_fold_to_several_do_not_shift_the_words(index: TitleIndex, text: str,
                                                                 lang: str) -> None:
    current, target = find_jobs(text, lang, index)  # type: ignore[arg-type]
    assert current is not None and current.text in ("soudeur", "welder")
    assert current.nocs[0] == "72106"
    assert target is not None and target.text in ("infirmier", "nurse")
    assert target.nocs[0] == "31301"


@pytest.mark.parametrize("text", [
    "I have some first aid training already",
    "I'm a welder, I like the pay but I want evening classes",
    "je suis préposée, j'aime le monde mais je veux des cours en ligne",
    "need a cheap online course, something quick",
    "I like my job but the pay is low",
])
def test_words_about_training_had_or_its_kind_name_no_field_wanted(index: TitleIndex,
                                                                   text: str) -> None:
    _current, target = find_jobs(text, "en", index)
    assert target is None, target


@pytest.mark.parametrize("text, asked", [
    ("I'm a PSW and I want to become an RPN. How much do PSWs make?", "PSWs"),
    ("Je suis camionneur. Combien gagne un répartiteur?", "répartiteur"),
])
def test_the_job_a_question_asks_about_is_the_asking_sentences(index: TitleIndex, text: str,
                                                                asked: str) -> None:
    from knowledge.reading import job_asked_about_in
    found = job_asked_about_in(text, None, index)
    assert found is not None and found.text == asked
