"""Program recommendations: every returned program meets every constraint (checked against the
Program rows in the database), ranking follows the occupation, and empty results say why."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints, parse_constraints
from knowledge.db import make_engine, session_factory
from knowledge.loaders.pipeline import load_all
from knowledge.recommender import ProgramMatch, Recommendations, cheaper, recommend

pytestmark = pytest.mark.both_backends  # the tests that use `db`: on SQLite and PostgreSQL

# Occupations the sample catalog tags programs for (nurse aides, cooks, welders, ECEs,
# software developers, accounting clerks...) plus one it barely covers.
NOCS = ["33102", "63200", "72106", "42202", "21232", "13110", "72410", "65201", "11100"]

CONSTRAINT_TEXTS = [
    "", "under $500", "online", "in person in Toronto", "evenings or weekends",
    "courses in French", "less than 4 weeks", "OSAP", "moins de 1 000 $ en ligne le soir",
    "in Sudbury, under 40 hours, hybrid", "self-paced, under $300, OSAP",
    "weekends in Ottawa in person", "free", "Thunder Bay daytime",
]


def meets(program: models.Program, c: Constraints) -> bool:
    """The constraints' meaning, written out from the catalog columns: online programs are
    open to any region; a bilingual program is taught in both languages."""
    checks = [
        c.max_cost is None or float(program.cost) <= c.max_cost,
        c.max_weeks is None or program.weeks <= c.max_weeks,
        c.max_hours is None or program.hours <= c.max_hours,
        not c.delivery or program.delivery in c.delivery,
        not c.schedule or bool(set(program.schedule) & set(c.schedule)),
        c.language is None or program.language in (c.language, "bilingual"),
        c.region is None or program.delivery == "online" or program.region_code == c.region,
        not c.financial_aid or program.osap_eligible,
    ]
    return all(checks)


def tagged(db: Session, noc: str) -> set[str]:
    return set(db.scalars(select(models.ProgramOccupation.program_id)
                               .where(models.ProgramOccupation.noc == noc)))


def row(db: Session, match: ProgramMatch) -> models.Program:
    program = db.get(models.Program, match.id)
    assert program is not None, f"{match.id} is not in the catalog"
    return program


def tagged_fitting(db: Session, noc: str, c: Constraints) -> list[models.Program]:
    """The programs the catalog tags for ``noc`` that meet ``c``, read from the rows: a
    program tagged for the target is always worth showing, so these must be found."""
    programs = (db.get(models.Program, pid) for pid in sorted(tagged(db, noc)))
    return [p for p in programs if p is not None and meets(p, c)]


def everything(db: Session, noc: str, c: Constraints) -> tuple[ProgramMatch, ...]:
    """Every program the recommender finds for ``noc`` under ``c``, not only the first five."""
    return recommend(db, target_noc=noc, current_noc=None, goal=None, constraints=c,
                     lang="en", limit=10_000).programs


def test_every_returned_program_meets_every_constraint(db: Session) -> None:
    shown = 0
    for noc, text in itertools.product(NOCS, CONSTRAINT_TEXTS):
        c = parse_constraints(text)
        recs = recommend(db, target_noc=noc, current_noc=None, goal="change_career",
                         constraints=c, lang="en")
        # Where the catalog tags programs for the target that fit, the list has them.
        fitting = tagged_fitting(db, noc, c)
        assert len(recs.programs) >= min(5, len(fitting)), (noc, text, len(fitting))
        for match in recs.programs:
            program = row(db, match)
            assert meets(program, c), (noc, text, match.id)
            # the card shows the catalog's own figures
            assert match.cost == float(program.cost) and match.hours == program.hours
            assert match.weeks == program.weeks and match.delivery == program.delivery
            assert match.url == program.url and match.currency == "CAD"
            shown += 1
        assert len({m.id for m in recs.programs}) == len(recs.programs)
    assert shown > 100


def test_three_to_five_results_when_the_catalog_has_them(db: Session) -> None:
    for noc in NOCS:
        recs = recommend(db, target_noc=noc, current_noc=None, goal=None,
                         constraints=Constraints(), lang="en")
        if len(tagged(db, noc)) >= 3:
            assert 3 <= len(recs.programs) <= 5, noc
        assert recs.blocked_by == () and recs.alternatives == ()
    assert len(recommend(db, target_noc="33102", current_noc=None, goal=None,
                         constraints=Constraints(), lang="en", limit=3).programs) == 3


def test_a_job_with_no_program_gets_none_rather_than_unrelated_ones(db: Session) -> None:
    # The sample catalog tags nothing for auto body technicians (72411) or for financial
    # advisors (11102): their OaSIS skills overlap with many programs (machining, Excel), which
    # would be no reason to offer those. Nothing is shown, and no constraint is blamed.
    for noc in ("72411", "11102"):
        assert not tagged(db, noc)
        for c in (Constraints(), parse_constraints("online")):
            recs = recommend(db, target_noc=noc, current_noc=None, goal=None, constraints=c,
                             lang="en", limit=10_000)
            assert recs.programs == () and recs.alternatives == () and recs.blocked_by == (), noc


def test_only_programs_for_the_target_are_shown_never_padding(db: Session) -> None:
    # Cooks (63200) have eleven tagged programs: asking for fifty gives those, not fifty.
    recs = recommend(db, target_noc="63200", current_noc=None, goal=None,
                     constraints=Constraints(), lang="en", limit=50)
    assert recs.programs and {m.id for m in recs.programs} <= tagged(db, "63200")
    assert len(recs.programs) < 50


def test_programs_tagged_for_the_target_come_first(db: Session) -> None:
    for noc in ["33102", "72106", "42202", "63200"]:
        own = tagged(db, noc)
        recs = recommend(db, target_noc=noc, current_noc=None, goal="change_career",
                         constraints=Constraints(), lang="en")
        assert len(own) >= 5
        assert recs.programs and all(m.id in own for m in recs.programs), noc
        scores = [m.score for m in recs.programs]
        assert scores[0] == max(scores)


def test_matched_skills_are_taught_by_the_program_and_named_in_why(db: Session) -> None:
    for lang in ("en", "fr"):
        recs = recommend(db, target_noc="72106", current_noc=None, goal=None,
                         constraints=Constraints(), lang=lang)
        assert recs.programs, lang
        for match in recs.programs:
            taught = row(db, match).skills
            names = {(s.name_fr if lang == "fr" else s.name_en) for s in taught}
            assert match.matched_skills and set(match.matched_skills) <= names
            assert match.why.count(".") >= 1
            first = match.matched_skills[0]
            assert first[1:] in match.why  # named in the sentence (first letter may be lowered)


def test_names_are_in_the_learners_language(db: Session) -> None:
    recs = recommend(db, target_noc="42202", current_noc=None, goal=None,
                     constraints=Constraints(), lang="fr")
    occupation = db.get(models.Occupation, "42202")
    assert occupation is not None and recs.programs
    for match in recs.programs:
        program = row(db, match)
        assert match.title == program.title_fr
        assert match.institution == program.institution.name_fr
        assert match.why.startswith("Il enseigne")
        assert occupation.title_fr in match.why
    english = recommend(db, target_noc="42202", current_noc=None, goal=None,
                        constraints=Constraints(), lang="en")
    assert [m.id for m in english.programs] == [m.id for m in recs.programs]
    assert all(m.title == row(db, m).title_en for m in english.programs)


def test_upskilling_without_target_uses_the_current_job(db: Session) -> None:
    recs = recommend(db, target_noc=None, current_noc="72106", goal="upskill",
                     constraints=Constraints(), lang="en")
    assert recs.programs and all(m.id in tagged(db, "72106") for m in recs.programs)


def test_moving_up_puts_the_next_jobs_programs_before_the_current_level(db: Session) -> None:
    # A PSW (33102) becoming a practical nurse (32101): programs made for the nurse's job come
    # before programs the catalog also tags for PSWs (dementia care at PSW level), whatever
    # the goal is called.
    nurse, psw = tagged(db, "32101"), tagged(db, "33102")
    assert nurse - psw and nurse & psw
    for goal in ("upskill", "change_career"):
        recs = recommend(db, target_noc="32101", current_noc="33102", goal=goal,  # type: ignore[arg-type]
                         constraints=Constraints(), lang="en", limit=10_000)
        ids = [m.id for m in recs.programs]
        assert ids and set(ids) <= nurse, goal
        first_shared = min((i for i, pid in enumerate(ids) if pid in psw), default=len(ids))
        assert all(pid not in psw for pid in ids[:first_shared])
        assert first_shared >= min(5, len(nurse - psw)), (goal, ids[:6])


def test_a_named_topic_ranks_before_the_occupations_programs(db: Session) -> None:
    # A software developer (21232) who asks for machine learning: the machine-learning programs
    # first, not the occupation's other programs (Python, DevOps, testing).
    plain = recommend(db, target_noc="21232", current_noc=None, goal=None,
                      constraints=Constraints(), lang="en")
    recs = recommend(db, target_noc="21232", current_noc=None, goal=None,
                     constraints=Constraints(), lang="en", topic="machine learning")
    assert recs.programs and [m.id for m in recs.programs] != [m.id for m in plain.programs]
    for match in recs.programs:
        codes = {s.code for s in row(db, match).skills}
        assert "machine-learning" in codes, match.id
    assert "machine" in recs.programs[0].title.lower()
    # A topic nothing teaches leaves the occupation's list as it was.
    same = recommend(db, target_noc="21232", current_noc=None, goal=None,
                     constraints=Constraints(), lang="en", topic="xyzzy")
    assert [m.id for m in same.programs] == [m.id for m in plain.programs]


def test_same_question_same_answer(db: Session) -> None:
    c = parse_constraints("online, under $1,000")
    runs = [recommend(db, target_noc="21232", current_noc=None, goal=None, constraints=c,
                      lang="en") for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


def test_exclude_ids_gives_more_programs(db: Session) -> None:
    first = recommend(db, target_noc="33102", current_noc=None, goal=None,
                      constraints=Constraints(), lang="en")
    more = recommend(db, target_noc="33102", current_noc=None, goal=None,
                     constraints=Constraints(), lang="en",
                     exclude_ids=[m.id for m in first.programs])
    assert more.programs
    assert not {m.id for m in first.programs} & {m.id for m in more.programs}


def test_an_impossible_constraint_is_named_and_alternatives_shown(db: Session) -> None:
    shortest = db.scalar(select(func.min(models.Program.hours)))
    assert shortest is not None
    c = Constraints(max_hours=shortest / 2, delivery=("online",))
    recs = recommend(db, target_noc="33102", current_noc=None, goal=None, constraints=c,
                     lang="en")
    assert recs.programs == ()
    assert recs.blocked_by == ("max_hours",)  # removing the format alone would not help
    assert recs.alternatives
    relaxed = c.without("max_hours")
    assert all(meets(row(db, m), relaxed) for m in recs.alternatives)


def test_blocked_by_is_the_smallest_set_of_constraints(db: Session) -> None:
    checked = 0
    for noc, text in itertools.product(NOCS, [
            "in person in Stratford", "free, in French, OSAP", "under $100, weekends, hybrid",
            "courses in French in Windsor in person, less than 2 weeks"]):
        c = parse_constraints(text)
        recs = recommend(db, target_noc=noc, current_noc=None, goal=None, constraints=c,
                         lang="en")
        if recs.programs or not tagged(db, noc):
            continue  # a job the catalog has no program for has no alternatives either
        checked += 1
        assert recs.blocked_by and set(recs.blocked_by) <= set(c.to_dict())
        relaxed = c.without(*recs.blocked_by)
        assert recs.alternatives
        assert all(meets(row(db, m), relaxed) for m in recs.alternatives)
        # no smaller set of fields would have been enough
        for size in range(1, len(recs.blocked_by)):
            for fields in itertools.combinations(c.to_dict(), size):
                fewer = recommend(db, target_noc=noc, current_noc=None, goal=None,
                                  constraints=c.without(*fields), lang="en")
                assert not fewer.programs, (noc, text, fields)
    assert checked >= 3


CHEAPER_TEXTS = ["", "online", "under $500", "courses in French", "in person in Toronto",
                 "Thunder Bay daytime", "OSAP"]


def test_cheaper_is_strictly_cheaper_and_keeps_the_other_constraints(db: Session) -> None:
    """After each list, "cheaper" gives programs that all cost less than its cheapest, fit
    every other constraint and are new, as many as exist (up to five); or nothing, blocked by
    the budget, exactly when no program found for the same question costs less."""
    outcomes = {"cheaper": 0, "nothing": 0}
    for noc, text in itertools.product(NOCS, CHEAPER_TEXTS):
        c = parse_constraints(text)
        first = recommend(db, target_noc=noc, current_noc=None, goal=None, constraints=c,
                          lang="en")
        if not first.programs:
            continue  # nothing shown: nothing to be cheaper than
        # After the first list, and after a list holding only the priciest program found.
        priciest = max(everything(db, noc, c), key=lambda m: m.cost)
        for shown in (first.programs, (priciest,)):
            _check_cheaper(db, noc, text, c, shown, outcomes)
    # Both answers are exercised by the sample catalog.
    assert outcomes["cheaper"] >= 5 and outcomes["nothing"] >= 5, outcomes


def _check_cheaper(db: Session, noc: str, text: str, c: Constraints,
                   shown: tuple[ProgramMatch, ...], outcomes: dict[str, int]) -> None:
    ids = [m.id for m in shown]
    floor = min(float(row(db, m).cost) for m in shown)
    result = cheaper(db, previous_ids=ids, target_noc=noc, current_noc=None, goal=None,
                     constraints=c, lang="en")
    case = (noc, text, floor)
    # What exists, from the catalog rows (tagged for the target, so always relevant) and
    # from the recommender's whole answer to the same question.
    tagged_below = [p.id for p in tagged_fitting(db, noc, c)
                    if float(p.cost) < floor and p.id not in ids]
    found_below = {m.id for m in everything(db, noc, c)
                   if m.cost < floor and m.id not in ids}
    assert set(tagged_below) <= found_below, case
    if found_below:
        outcomes["cheaper"] += 1
        assert result.programs, case
        assert len(result.programs) == min(5, len(found_below)), case
        for match in result.programs:
            program = row(db, match)
            assert float(program.cost) < floor, (case, match.id, program.cost)
            assert meets(program, c) and match.id not in ids, (case, match.id)
            assert match.id in found_below, (case, match.id)
        assert result.blocked_by == () and result.alternatives == ()
    else:
        outcomes["nothing"] += 1
        # "The programs I showed you are the lowest-cost ones": true, and said so.
        assert result.programs == (), case
        assert "max_cost" in result.blocked_by, (case, result.blocked_by)


def test_cheaper_again_keeps_going_down_until_nothing_is_cheaper(db: Session) -> None:
    went_down = 0
    for noc in NOCS:
        found = everything(db, noc, Constraints())
        if not found:
            continue  # nothing shown: nothing to be cheaper than
        shown: tuple[ProgramMatch, ...] = (max(found, key=lambda m: m.cost),)
        ceiling = min(m.cost for m in shown)
        for _ in range(10):
            result = cheaper(db, previous_ids=[m.id for m in shown], target_noc=noc,
                             current_noc=None, goal=None, constraints=Constraints(),
                             lang="en")
            if not result.programs:
                break
            costs = [float(row(db, m).cost) for m in result.programs]
            assert max(costs) < ceiling, (noc, ceiling, costs)
            shown, ceiling = result.programs, min(costs)
            went_down += 1
        else:
            raise AssertionError(f"{noc}: still cheaper after 10 steps")
        # It stopped because nothing cheaper exists (below the last list's cheapest).
        assert not [m.id for m in everything(db, noc, Constraints()) if m.cost < ceiling], noc
        assert not [p.id for p in tagged_fitting(db, noc, Constraints())
                    if float(p.cost) < ceiling], noc
    assert went_down >= 3, went_down


def test_cheaper_than_programs_no_longer_in_the_catalog_is_not_an_ordinary_list(
        db: Session) -> None:
    # The programs shown before were removed from the catalog: there is no price to compare
    # with, so no list may be presented as "cheaper" (nor the budget blamed).
    for previous in (["gone-program-1", "gone-program-2"], []):
        result = cheaper(db, previous_ids=previous, target_noc="63200", current_noc=None,
                         goal=None, constraints=Constraints(), lang="en")
        assert result == Recommendations((), (), ()), previous
    # One of them still there: compared with that one.
    kept = recommend(db, target_noc="63200", current_noc=None, goal=None,
                     constraints=Constraints(), lang="en", limit=10_000).programs
    priciest = max(kept, key=lambda m: m.cost)
    result = cheaper(db, previous_ids=["gone-program-1", priciest.id], target_noc="63200",
                     current_noc=None, goal=None, constraints=Constraints(), lang="en")
    assert result.programs and all(m.cost < priciest.cost for m in result.programs)


def test_cheaper_than_free_is_nothing(db: Session) -> None:
    free = db.scalars(select(models.Program).where(models.Program.cost == 0)).first()
    assert free is not None
    result = cheaper(db, previous_ids=[free.id], target_noc="63200", current_noc=None,
                     goal=None, constraints=Constraints(), lang="en")
    assert result.programs == () and result.blocked_by == ("max_cost",)


@pytest.mark.parametrize("target, current", [
    (None, None), ("99999", None), ("", ""), ("'; DROP TABLE programs; --", None),
    ("x" * 10_000, "🙂"),
])
def test_unknown_or_missing_occupations_never_crash(db: Session, target: str | None,
                                                    current: str | None) -> None:
    recs = recommend(db, target_noc=target, current_noc=current, goal=None,
                     constraints=Constraints(), lang="xx",  # type: ignore[arg-type]
                     limit=-3, exclude_ids=["nope"])
    assert isinstance(recs, Recommendations)
    assert len(recs.programs) <= 1


def test_a_program_removed_from_the_catalog_is_no_longer_recommended(
        tmp_path: Path, data_dir: Path) -> None:
    # The catalog is shared between sessions (a chat turn must not re-read it); a change to
    # it must still show in the next recommendation.
    engine = make_engine(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    load_all(engine, data_dir)
    factory = session_factory(engine)
    with factory() as first:
        shown = recommend(first, target_noc="13112", current_noc=None, goal=None,
                          constraints=Constraints(), lang="en").programs
    assert shown
    with factory() as writer:
        writer.execute(delete(models.ProgramSkill).where(
            models.ProgramSkill.program_id == shown[0].id))
        writer.execute(delete(models.ProgramOccupation).where(
            models.ProgramOccupation.program_id == shown[0].id))
        writer.execute(delete(models.Program).where(models.Program.id == shown[0].id))
        writer.commit()
    with factory() as second:
        again = recommend(second, target_noc="13112", current_noc=None, goal=None,
                          constraints=Constraints(), lang="en").programs
    assert again and shown[0].id not in {p.id for p in again}
    engine.dispose()


# --- wishes ("online if possible"): they rank, they filter nothing out ----------------------

def test_a_wish_puts_the_programs_meeting_it_first_and_leaves_none_out(db: Session) -> None:
    none = Constraints()
    mixed = [noc for noc in NOCS
             if len({row(db, m).delivery == "in_person" for m in everything(db, noc, none)}) == 2]
    assert mixed, "no occupation with programs both in person and not"
    for noc in mixed:
        plain = everything(db, noc, none)
        wished = recommend(db, target_noc=noc, current_noc=None, goal=None, constraints=none,
                           lang="en", limit=10_000,
                           wishes=Constraints(delivery=("in_person",))).programs
        assert sorted(m.id for m in wished) == sorted(m.id for m in plain)  # none left out
        in_person = [row(db, m).delivery == "in_person" for m in wished]
        assert in_person == sorted(in_person, reverse=True), noc  # those in person first
        # Among equals, the relevance order stays.
        order = [m.id for m in plain]
        for group in (True, False):
            ids = [m.id for m, flag in zip(wished, in_person, strict=True) if flag is group]
            assert ids == sorted(ids, key=order.index)
        # The first five of a wish are in person as far as the relevant programs allow.
        top = recommend(db, target_noc=noc, current_noc=None, goal=None, constraints=none,
                        lang="en", wishes=Constraints(delivery=("in_person",))).programs
        assert sum(row(db, m).delivery == "in_person" for m in top) == \
            min(len(top), sum(in_person))


def test_a_wish_no_program_meets_is_reported_and_filters_nothing(db: Session) -> None:
    shortest = db.scalar(select(func.min(models.Program.hours)))
    assert shortest is not None
    wish = Constraints(max_hours=shortest / 2)
    recs = recommend(db, target_noc="33102", current_noc=None, goal=None,
                     constraints=Constraints(), lang="en", wishes=wish)
    assert recs.programs and recs.unmet_wishes == ("max_hours",)
    assert [m.id for m in recs.programs] == [m.id for m in recommend(
        db, target_noc="33102", current_noc=None, goal=None, constraints=Constraints(),
        lang="en").programs]
    # A limit of the same size empties the list instead (what a wish must not do).
    assert recommend(db, target_noc="33102", current_noc=None, goal=None, constraints=wish,
                     lang="en").programs == ()
