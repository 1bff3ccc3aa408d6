"""action_explain_wage and action_explain_outlook: Job Bank wages and COPS outlooks of the
learner's current and target occupations, in plain words, with source and year. When the
knowledge base has no figure, the answer says so: no number is ever made up here."""

from __future__ import annotations

from rasa_sdk.events import EventType
from sqlalchemy.orm import Session

from actions.context import (
    Lang,
    PathfinderAction,
    Turn,
    is_button_payload,
    knowledge_session,
    known_noc,
    latest_entity,
    latest_text,
    shown_back,
    slot_text,
    user_constraints,
)
from actions.occupation import job_asked_about
from knowledge.constraints import region_named
from knowledge.explainer import (
    explain_chosen_occupation,
    explain_current_wage,
    explain_no_outlook,
    explain_no_wage,
    explain_outlook,
    explain_wage,
)
from knowledge.occupations import (
    ONTARIO,
    OutlookSummary,
    WageRange,
    occupation_title,
    outlook_for,
    wage_for,
)
from knowledge.reading import job_asked_about_in
from knowledge.resolver import resolve_title


def wage_region(turn: Turn) -> str:
    """The economic region this message names ("how much does a welder make in Sudbury?"),
    else the one the learner asked for before ("in Ottawa"), else Ontario."""
    text = latest_text(turn.tracker)
    said = None if is_button_payload(text) else region_named(text)
    return said or user_constraints(turn.tracker).region or ONTARIO


def describe_wage(session: Session, noc: str, lang: Lang,
                  region: str) -> tuple[str, WageRange | None]:
    title = occupation_title(session, noc, lang) or noc
    wage = wage_for(session, noc, region)
    if wage is None:
        return explain_no_wage(title, lang), None
    return explain_wage(wage, title, lang), wage


def describe_current_wage(session: Session, noc: str, lang: Lang, region: str) -> str:
    """What the learner's current job pays, to compare with the one they want."""
    title = occupation_title(session, noc, lang) or noc
    return explain_current_wage(wage_for(session, noc, region), title, lang)


def describe_outlook(session: Session, noc: str,
                     lang: Lang) -> tuple[str, OutlookSummary | None]:
    title = occupation_title(session, noc, lang) or noc
    outlook = outlook_for(session, noc)
    if outlook is None:
        return explain_no_outlook(title, lang), None
    return explain_outlook(outlook, title, lang), outlook


def occupations_in_question(turn: Turn, session: Session) -> list[str]:
    """The NOCs a wage/outlook question is about: a job named in the question itself ("how
    much do welders make?"; of two, the one asked about: "Je suis camionneur. Combien gagne
    un répartiteur?"), else the learner's target and current occupations."""
    text = latest_text(turn.tracker)
    asked = None if is_button_payload(text) or not text.strip() else \
        job_asked_about_in(text, turn.lang)
    named = (asked.text if asked is not None else None) or \
        latest_entity(turn.tracker, "target_job") or latest_entity(turn.tracker, "job_title")
    if named:
        resolution = resolve_title(named)
        candidates = [c.noc for c in resolution.candidates if known_noc(session, c.noc)]
        if resolution.status != "none" and candidates:
            if resolution.status == "ambiguous":
                title = occupation_title(session, candidates[0], turn.lang)
                turn.say(explain_chosen_occupation(shown_back(named), str(title), turn.lang))
            return candidates[:1]
    nocs = [known_noc(session, slot_text(turn.tracker, slot))
            for slot in ("target_noc", "current_noc")]
    found = list(dict.fromkeys(noc for noc in nocs if noc))
    if not found:
        # "how much does a welder make?" then "and what's the outlook?": the job asked about.
        before = job_asked_about(turn.tracker)
        earlier = resolve_title(before) if before else None
        if earlier is not None and earlier.status != "none":
            found = [c.noc for c in earlier.candidates[:1] if known_noc(session, c.noc)]
    return found


class _ExplainLabourMarket(PathfinderAction):
    """The wage or the outlook of the occupations the question is about."""

    def describe(self, turn: Turn, session: Session, noc: str) -> str:
        raise NotImplementedError

    def act(self, turn: Turn) -> list[EventType]:
        with knowledge_session() as session:
            nocs = occupations_in_question(turn, session)
            if not nocs:
                turn.respond("utter_ask_job_title")
                return []
            for noc in nocs:
                turn.say(self.describe(turn, session, noc))
        return []


class ActionExplainWage(_ExplainLabourMarket):
    def name(self) -> str:
        return "action_explain_wage"

    def describe(self, turn: Turn, session: Session, noc: str) -> str:
        return describe_wage(session, noc, turn.lang, wage_region(turn))[0]


class ActionExplainOutlook(_ExplainLabourMarket):
    def name(self) -> str:
        return "action_explain_outlook"

    def describe(self, turn: Turn, session: Session, noc: str) -> str:
        return describe_outlook(session, noc, turn.lang)[0]
