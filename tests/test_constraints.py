"""Reading a learner's constraints and goal from what they type, in English and French."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import (
    Constraints,
    parse_constraints,
    parse_goal,
)
from knowledge.explainer import describe_constraints
from knowledge.vocabulary import DELIVERY_MODES, REGIONS, SCHEDULES


@pytest.mark.parametrize("text, cost", [
    ("under $800", 800), ("800$", 800), ("800 dollars", 800), ("moins de 800 $", 800),
    ("under 1k", 1000), ("budget is 1,500", 1500), ("1 500 $ maximum", 1500),
    ("I can't pay more than $1,200", 1200), ("pas plus de 600 dollars", 600),
    ("maximum 900", 900), ("under 2.5k", 2500), ("it has to be free", 0),
    ("un cours gratuit", 0), ("Under $ 750!!", 750),
])
def test_budget_in_any_usual_form(text: str, cost: float) -> None:
    assert parse_constraints(text).max_cost == cost


@pytest.mark.parametrize("text, weeks, hours", [
    ("less than 6 weeks", 6, None), ("under 2 months", 8, None), ("moins de 3 mois", 13, None),
    ("40 hours", None, 40), ("au plus 30 heures", None, 30), ("12 weeks or less", 12, None),
    ("no more than two weeks", 2, None), ("moins de six semaines", 6, None),
])
def test_length_in_weeks_months_and_hours(text: str, weeks: float | None,
                                          hours: float | None) -> None:
    parsed = parse_constraints(text)
    assert (parsed.max_weeks, parsed.max_hours) == (weeks, hours)


@pytest.mark.parametrize("text", [
    "10 hours a week", "more than 6 weeks", "under 6", "I have 3 kids", "6 h par semaine",
    "I am 45 years old", "10 years of experience", "out of work for 8 months",
    "back to work after 6 months off", "sans emploi depuis 6 mois", "classes twice a week",
    "cours à 18 h 30", "classes at 18h",
])
def test_numbers_that_are_not_limits_are_ignored(text: str) -> None:
    parsed = parse_constraints(text)
    assert parsed.max_cost is None and parsed.max_weeks is None and parsed.max_hours is None


@pytest.mark.parametrize("text, delivery", [
    ("online", ("online",)), ("en ligne", ("online",)), ("à distance", ("online",)),
    ("virtual classes", ("online",)), ("onlin", ("online",)), ("in person", ("in_person",)),
    ("en personne", ("in_person",)), ("en présentiel", ("in_person",)),
    ("hybrid", ("hybrid",)), ("online or hybrid", ("online", "hybrid")),
    ("not online", ("in_person", "hybrid")),
])
def test_delivery(text: str, delivery: tuple[str, ...]) -> None:
    assert parse_constraints(text).delivery == delivery


@pytest.mark.parametrize("text, schedule", [
    ("evenings", ("evenings",)), ("le soir", ("evenings",)), ("evenigs", ("evenings",)),
    ("weekends", ("weekends",)), ("la fin de semaine", ("weekends",)),
    ("weekneds only", ("weekends",)), ("self-paced", ("self_paced",)),
    ("à mon rythme", ("self_paced",)), ("evenings or weekends", ("evenings", "weekends")),
    ("part-time", ("evenings", "weekends", "self_paced")),
    ("I work days", ("evenings", "weekends", "self_paced")),
    ("je travaille le jour", ("evenings", "weekends", "self_paced")),
    ("daytime classes", ("daytime",)),
    ("je veux des cours du soir moins de 1000$", ("evenings",)), ("night school", ("evenings",)),
    # Their own evening work means classes at other times, "du soir" or not.
    ("je travaille du soir", ("daytime", "weekends", "self_paced")),
    ("je fais le quart du soir", ("daytime", "weekends", "self_paced")),
])
def test_schedule_uses_the_catalog_vocabulary(text: str, schedule: tuple[str, ...]) -> None:
    assert parse_constraints(text).schedule == schedule
    assert set(schedule) <= set(SCHEDULES)


@pytest.mark.parametrize("text, language", [
    ("courses in French", "fr"), ("des cours en français", "fr"),
    ("programme en anglais", "en"), ("a French-language program", "fr"),
    ("online in French under $800", "fr"), ("une formation en français svp", "fr"),
    # asking the assistant to switch the chat language is not a program constraint
    ("in French please", None), ("en français", None), ("can you speak French?", None),
    ("parlez-vous anglais ?", None),
    # learning the language is a topic, not the language of instruction
    ("I want to learn French", None),
])
def test_program_language_only_when_it_is_about_programs(text: str,
                                                         language: str | None) -> None:
    assert parse_constraints(text).language == language


@pytest.mark.parametrize("text, region", [
    ("in Toronto", "ER3530"), ("à Ottawa", "ER3510"), ("near Sudbury", "ER3590"),
    ("Thunder Bay", "ER3595"), ("in Windsor", "ER3570"), ("London, Ontario", "ER3560"),
    ("Hamilton", "ER3550"), ("Kingston", "ER3515"), ("Niagara Falls", "ER3550"),
    ("Waterloo", "ER3540"), ("I live in Mississauga", "ER3530"),
    ("Sault-Sainte-Marie", "ER3590"), ("dans le Nord-Ouest de l'Ontario", "ER3595"),
    ("Peterborough", "ER3520"), ("Stratford", "ER3580"),
])
def test_places_become_economic_regions(text: str, region: str) -> None:
    assert parse_constraints(text).region == region
    assert region in REGIONS


@pytest.mark.parametrize("text", ["OSAP", "RAFEO", "I need financial aid", "aide financière",
                                  "can I get a student loan?"])
def test_financial_aid(text: str) -> None:
    assert parse_constraints(text).financial_aid is True


def test_typos_and_everything_in_one_message() -> None:
    parsed = parse_constraints("moins de 1 000 $ en ligne le soir, cours en français, à Sudbury, "
                               "avec le RAFEO")
    assert parsed == Constraints(max_cost=1000, delivery=("online",), schedule=("evenings",),
                                 language="fr", region="ER3590", financial_aid=True)


def test_later_statements_override_field_by_field() -> None:
    first = parse_constraints("under $800, online, evenings")
    second = parse_constraints("actually up to $1,200", first)
    assert second == Constraints(max_cost=1200, delivery=("online",), schedule=("evenings",))
    third = parse_constraints("in person is fine, in Hamilton", second)
    assert third.delivery == ("in_person",) and third.region == "ER3550"
    assert third.max_cost == 1200 and third.schedule == ("evenings",)


@pytest.mark.parametrize("text", ["any budget", "peu importe le prix", "no limit",
                                  "price doesn't matter"])
def test_any_budget_clears_only_the_budget(text: str) -> None:
    before = Constraints(max_cost=800, delivery=("online",), region="ER3530")
    after = parse_constraints(text, before)
    assert after.max_cost is None
    assert after.delivery == ("online",) and after.region == "ER3530"


def test_other_fields_can_be_cleared() -> None:
    before = parse_constraints("online, less than 6 weeks, in Toronto, courses in French")
    after = parse_constraints("any format, any length, anywhere, any language", before)
    assert after.is_empty()


@pytest.mark.parametrize("text", [
    "", "   ", "x" * 10_000, "🙂🚀" * 500, "<script>alert('$800')</script>",
    "'; DROP TABLE programs; --", "\x00\x01\x02", "١٢٣ dollars", "9" * 400 + "$",
    "$" * 1000, "1e999 dollars", "NaN weeks",
])
def test_bad_input_never_crashes(text: str) -> None:
    parsed = parse_constraints(text, Constraints(max_weeks=4))
    assert parsed.max_weeks in (4, None) or parsed.max_weeks > 0
    json.dumps(parsed.to_dict())
    parse_goal(text)


def test_dict_round_trip_and_tolerance_of_junk() -> None:
    full = Constraints(max_cost=800, max_weeks=6, max_hours=40, delivery=("online", "hybrid"),
                       schedule=("evenings",), language="fr", region="ER3510",
                       financial_aid=True)
    data = json.loads(json.dumps(full.to_dict()))
    assert Constraints.from_dict(data) == full
    assert Constraints().to_dict() == {} and Constraints().is_empty()
    junk = {"max_cost": "lots", "max_weeks": -3, "max_hours": float("nan"),
            "delivery": ["teleport", 3, "online"], "schedule": "evenings", "language": "klingon",
            "region": "ER9999", "financial_aid": "yes", "extra": object()}
    assert Constraints.from_dict(junk) == Constraints(delivery=("online",),
                                                      schedule=("evenings",))
    values: tuple[Any, ...] = (None, [], "text", 42, {"max_cost": True})
    for value in values:
        assert Constraints.from_dict(value) == Constraints()  # type: ignore[arg-type]


@pytest.mark.parametrize("text, goal", [
    ("I want to switch careers", "change_career"), ("swich carrer", "change_career"),
    ("how do I get into welding?", "change_career"), ("je veux changer de carrière",
                                                       "change_career"),
    ("me réorienter", "change_career"), ("get better at my job", "upskill"),
    ("I want a promotion", "upskill"), ("je veux me perfectionner", "upskill"),
    ("just exploring my options", "explore"), ("je ne sais pas encore", "explore"),
    ("back to work after a break", "return_to_work"),
    ("retour au travail après un congé parental", "return_to_work"),
    ("hello", None), ("", None),
])
def test_goals(text: str, goal: str | None) -> None:
    assert parse_goal(text) == goal


def test_descriptions_are_plain_words_in_each_language() -> None:
    c = Constraints(max_cost=1500, max_weeks=6, delivery=("online",),
                    schedule=("evenings", "weekends"), language="fr", region="ER3510",
                    financial_aid=True)
    assert describe_constraints(c, "en") == [
        "$1,500 or less", "6 weeks or less", "online", "evenings or weekends",
        "taught in French", "in the Ottawa region", "OSAP-eligible"]
    assert describe_constraints(c, "fr") == [
        "1\u00a0500\u00a0$ ou moins", "6 semaines ou moins", "en ligne",
        "le soir ou la fin de semaine", "en français", "dans la région d'Ottawa",
        "admissible au RAFEO"]
    assert describe_constraints(Constraints(), "en") == []


def test_every_parsed_value_is_in_the_catalog_vocabulary() -> None:
    parsed = parse_constraints("hybrid or in person, evenings, weekends, self-paced, daytime")
    assert set(parsed.delivery) <= set(DELIVERY_MODES)
    assert set(parsed.schedule) == set(SCHEDULES)


@pytest.mark.both_backends
def test_the_parsers_regions_are_the_knowledge_bases_ontario_regions(db: Session) -> None:
    # The vocabulary adds French names (the regions table has Job Bank's English ones only):
    # the two must name the same economic regions, or a region could be parsed that no wage
    # or program knows.
    codes = set(db.scalars(select(models.Region.code).where(
        models.Region.code.like("ER35_%"))))
    assert codes == set(REGIONS)
