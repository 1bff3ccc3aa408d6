"""The programs that teach a skill ("Which programs teach CNC?"), with the institution and a
link, or a sector's (the "browse by sector" buttons): what action_search_by_skill
(actions/recommendations.py) shows when the request names a skill or a sector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.orm import Session

from actions.context import (
    Lang,
    Turn,
    shown_back,
    user_constraints,
    user_wishes,
)
from actions.occupation import sector_buttons
from knowledge import models
from knowledge.constraints import Constraints
from knowledge.explainer import (
    explain_cheaper_intro,
    explain_closest_programs,
    explain_no_results,
    explain_program_for_employers,
    explain_sector_intro,
    explain_skills_intro,
    explain_staff_intro,
)
from knowledge.occupations import occupation_title
from knowledge.payload import recommendations_payload
from knowledge.recommender import ProgramMatch, breaks, recommend
from knowledge.skill_search import programs_in_sector, sectors, topic_skills

MAX_PROGRAMS = 5
SEARCH_DEPTH = 40  # a sector's programs fetched before the employer's constraints are applied
CLOSEST = 3        # the closest shown when none meets the employer's constraints


def _matching_sector(session: Session, text: str | None, lang: Lang) -> str | None:
    if not text:
        return None
    folded = text.casefold()
    for language in (lang, "fr" if lang == "en" else "en"):
        for sector in sectors(session, language):
            if sector.casefold() == folded:
                return sector
    return None


def teaches_something(session: Session, skill: str | None, query: str, lang: Lang) -> bool:
    """Whether :func:`search_by_skill` has a sector or a catalog skill to search for."""
    return _matching_sector(session, skill, lang) is not None or \
        bool(query and topic_skills(session, query, lang))


def search_by_skill(turn: Turn, session: Session, skill: str | None,
                    query: str) -> list[EventType]:
    """The programs that teach ``query`` (the ``skill`` named, else the message), or a
    sector's, under the conversation's limits and wishes: also what refines such a list
    ("only in person, near London", action_recommend)."""
    wanted, wishes = user_constraints(turn.tracker), user_wishes(turn.tracker)
    sector = _matching_sector(session, skill, turn.lang)
    if sector is not None:
        found = programs_in_sector(session, sector, turn.lang, limit=SEARCH_DEPTH)
        intro = explain_sector_intro(sector, turn.lang)
        return _present(turn, session, found, wanted, wishes, intro, skill)
    if not query:
        turn.respond("utter_ask_skill")
        return []
    matches = topic_skills(session, query, turn.lang)  # as recommend(topic=) reads it
    # The learner's ranking by topic (knowledge.recommender): the programs about the skill
    # that meet the limits, else the closest ones without them.
    recs = recommend(session, target_noc=None, current_noc=None, goal=None,
                     constraints=wanted, lang=turn.lang, limit=MAX_PROGRAMS, topic=query,
                     wishes=wishes) if matches else None
    if recs is None or not (recs.programs or recs.alternatives):
        buttons = sector_buttons(session, turn.lang)
        if skill:
            turn.respond("utter_no_skill_programs", buttons=buttons, quoted=shown_back(skill))
        else:
            turn.respond("utter_no_skill_programs_unnamed", buttons=buttons)
        return [SlotSet("skill", None)]
    intro = explain_skills_intro([m.name for m in matches], turn.lang)
    # What was searched is remembered (the `skill` slot), so that a limit or "cheaper" typed
    # next searches it again: the entity, else the words ("cook, want to learn baking").
    searched = skill or query
    if recs.programs:
        return _list(turn, recs.programs, intro, searched)
    return _closest(turn, recs.alternatives[:CLOSEST], wanted, searched)


def search_for_staff(turn: Turn, session: Session, noc: str) -> list[EventType]:
    """An employer's staff in one occupation ("we're hiring 10 PSWs"): the programs for it,
    under the conversation's limits; the occupation is remembered as the job to refine."""
    wanted, wishes = user_constraints(turn.tracker), user_wishes(turn.tracker)
    recs = recommend(session, target_noc=None, current_noc=noc, goal=None,
                     constraints=wanted, lang=turn.lang, limit=MAX_PROGRAMS, wishes=wishes)
    title = occupation_title(session, noc, turn.lang) or noc
    if recs.programs:
        events = _list(turn, recs.programs, explain_staff_intro(title, turn.lang), None)
    elif recs.alternatives:
        events = _closest(turn, recs.alternatives[:CLOSEST], wanted, None)
    else:
        turn.say(explain_no_results(recs, wanted, turn.lang))
        events = []
    return [SlotSet("current_noc", noc), *events]


def cheaper_in_sector(turn: Turn, session: Session, named: str | None,
                      shown_ids: Sequence[str]) -> list[EventType] | None:
    """"Cheaper?" after a sector's list: that sector's programs cheaper than the cheapest
    one shown, under the conversation's limits (None: ``named`` is no sector)."""
    sector = _matching_sector(session, named, turn.lang)
    if sector is None:
        return None
    costs = [float(p.cost) for p in (session.get(models.Program, i) for i in shown_ids) if p]
    wanted, wishes = user_constraints(turn.tracker), user_wishes(turn.tracker)
    found = [m for m in programs_in_sector(session, sector, turn.lang, limit=10_000)
             if costs and m.cost < min(costs) and m.id not in shown_ids
             and not _breaks(session, m, wanted)]
    if not found:
        turn.respond("utter_nothing_cheaper")
        return []
    # Those meeting more wishes first, then the cheapest.
    programs = sorted(found, key=lambda m: (len(_breaks(session, m, wishes)), m.cost))
    programs = programs[:MAX_PROGRAMS]
    return _list(turn, programs, explain_cheaper_intro(len(programs), turn.lang), named)


def _present(turn: Turn, session: Session, found: Sequence[ProgramMatch],
             wanted: Constraints, wishes: Constraints, intro: str,
             skill: str | None) -> list[EventType]:
    if not found:
        turn.respond("utter_no_sector_programs")
        return []
    # An employer's "online" or "under $1,000" counts as much as a learner's; their wishes
    # ("in person if possible") put the programs meeting more of them first, as the
    # learner's do (knowledge.recommender.recommend).
    fitting = [m for m in found if not _breaks(session, m, wanted)]
    programs = sorted(fitting, key=lambda m: len(_breaks(session, m, wishes)))[:MAX_PROGRAMS]
    if not programs:
        closest = [replace(m, breaks=_breaks(session, m, wanted)) for m in found[:CLOSEST]]
        return _closest(turn, closest, wanted, skill)
    return _list(turn, programs, intro, skill)


def _closest(turn: Turn, closest: Sequence[ProgramMatch], wanted: Constraints,
             skill: str | None) -> list[EventType]:
    turn.list_programs(
        explain_closest_programs(wanted, turn.lang),
        [f"- {explain_program_for_employers(m, turn.lang)}" for m in closest],
        recommendations_payload(lang=turn.lang, occupation=None, target_occupation=None,
                                programs=(), wage=None, outlook=None,
                                alternatives=tuple(closest)))
    return [SlotSet("skill", skill)]


def _list(turn: Turn, programs: Sequence[ProgramMatch], intro: str, skill: str | None
          ) -> list[EventType]:
    lines = [f"{n}. {explain_program_for_employers(match, turn.lang)}"
             for n, match in enumerate(programs, start=1)]
    turn.list_programs(intro, lines, recommendations_payload(
        lang=turn.lang, occupation=None, target_occupation=None, programs=tuple(programs),
        wage=None, outlook=None))
    return [SlotSet("last_program_ids", [match.id for match in programs]),
            SlotSet("skill", skill)]


def _breaks(session: Session, match: ProgramMatch, wanted: Constraints) -> tuple[str, ...]:
    """The employer's limits ``match`` does not meet (none: it fits)."""
    if wanted.is_empty():
        return ()
    program = session.get(models.Program, match.id)
    return breaks(program, wanted) if program is not None else wanted.set_fields()
