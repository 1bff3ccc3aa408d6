"""The learner's programs: action_resolve_job (a job named, then programs), action_recommend,
action_show_cheaper, action_describe_programs (a question about the programs listed),
action_search_by_skill (a skill or sector's programs, actions/employer.py, unless the request
names a job instead) and action_read_unsure (the NLU unsure of the intent). Constraints in
the message are read first (PathfinderAction)."""

from __future__ import annotations

from typing import cast

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.orm import Session

from actions.context import (
    PathfinderAction,
    Turn,
    best_guess_intent,
    is_button_payload,
    knowledge_session,
    known_noc,
    latest_entity,
    latest_text,
    read_constraints,
    said_response,
    shown_back,
    since_start_over,
    slot_list,
    slot_text,
    user_constraints,
    user_wishes,
)
from actions.employer import (
    cheaper_in_sector,
    search_by_skill,
    search_for_staff,
    teaches_something,
)
from actions.labour_market import describe_current_wage, wage_region
from actions.occupation import (
    TargetStep,
    ask_for_job,
    jobs_named,
    resolve_job,
    resolve_target,
    sector_buttons,
)
from knowledge.constraints import (
    GOALS,
    Goal,
    asks_which_is_cheapest,
    program_aspects,
    says_wants_out,
    speaks_for_staff,
)
from knowledge.explainer import (
    explain_cheaper_intro,
    explain_cheapest_listed,
    explain_labour_market,
    explain_no_results,
    explain_program,
    explain_program_aspects,
    explain_programs_intro,
)
from knowledge.fields import sector_in_words
from knowledge.language import Lang
from knowledge.occupations import occupation_title, outlook_for, wage_for
from knowledge.payload import recommendations_payload
from knowledge.reading import TITLE_LIKELY
from knowledge.recommender import (
    ProgramMatch,
    Recommendations,
    cheaper,
    recommend,
    serves_occupation,
    shown_programs,
)
from knowledge.resolver import resolve_title
from knowledge.skill_search import sector_choices
from knowledge.vocabulary import label as term_label

WANTS_OUT_LOOKBACK = 20  # user messages read back for "I want to change careers"


class Learner:
    """The learner as the slots describe them, with the job they want resolved if they just
    named it (goal and constraint turns do not run action_resolve_job)."""

    def __init__(self, turn: Turn, session: Session, target: TargetStep | None = None) -> None:
        """``target``: the wanted job as action_resolve_job read it this turn (its events
        returned by that step), else read here."""
        tracker = turn.tracker
        self.current_noc = known_noc(session, slot_text(tracker, "current_noc"))
        self.target: TargetStep = target if target is not None else resolve_target(
            turn, session, exclude=self.current_noc)
        self.events: list[EventType] = [] if target is not None else self.target.events
        self.target_noc = self.target.noc
        # A field or skill they want ("machine learning"): programs teaching it come first.
        self.topic = self.target.topic
        goal = slot_text(tracker, "goal")
        self.goal: Goal | None = cast(Goal, goal) if goal in GOALS else None
        # Said in so many words in this conversation ("I want to change careers"), not only
        # implied (a layoff, "I used to be a driver"): then their job's programs can wait.
        said = [event.get("text") or "" for event in since_start_over(tracker)
                if event.get("event") == "user"]
        # The latest messages only: a turn's cost must not grow with the conversation.
        self.wants_out = self.goal == "change_career" and any(
            says_wants_out(text) for text in said[-WANTS_OUT_LOOKBACK:])
        self.constraints = user_constraints(tracker)
        self.wishes = user_wishes(tracker)
        self.shown_ids = slot_list(tracker, "last_program_ids")

    @property
    def main_noc(self) -> str | None:
        """The occupation the programs lead to: the one they want, else the one they have."""
        return self.target_noc or self.current_noc


def present(turn: Turn, session: Session, learner: Learner, recs: Recommendations,
            intro: str) -> list[EventType]:
    """Says what was found: the programs (or why nothing fits and what comes closest), with
    the structured payload right after them, then the main occupation's wage and outlook in
    one message. A client that shows cards gets the wage and the outlook in the payload only
    (the widget draws them, Telegram says them): the text then says only that there is no
    figure, where there is none. Someone changing careers also gets what their job pays now."""
    lang = turn.lang
    wage = outlook = None
    said: str | None = None
    compare: str | None = None
    # A career changer who named a field, not a job, or a field none of whose programs is
    # for their job ("trucker, looking at office jobs"): their job's pay and outlook would
    # read as the figures of what they asked for.
    noc = None if wants_out_without_target(learner) or field_beyond_job(
        session, learner, recs) else learner.main_noc
    if noc is not None:
        region = wage_region(turn)
        wage, outlook = wage_for(session, noc, region), outlook_for(session, noc)
        said = explain_labour_market(wage, outlook, occupation_title(session, noc, lang) or noc,
                                     lang, in_payload=turn.shows_cards)
        if learner.current_noc and learner.target_noc and \
                learner.current_noc != learner.target_noc:
            compare = describe_current_wage(session, learner.current_noc, lang, region)
    payload = recommendations_payload(
        lang=lang,
        occupation=_named(session, learner.current_noc, turn),
        target_occupation=_named(session, learner.target_noc, turn),
        programs=recs.programs, wage=wage, outlook=outlook,
        alternatives=() if recs.programs else recs.alternatives)

    if recs.programs:
        lines = [f"{n}. {program_line(match, lang)}"
                 for n, match in enumerate(recs.programs, start=1)]
        turn.list_programs(intro, lines, payload)
    else:
        # The explanation names what blocks and introduces the closest programs, if any.
        lines = [f"- {program_line(match, lang)}" for match in recs.alternatives]
        turn.list_programs(explain_no_results(recs, learner.constraints, lang), lines, payload)
    if said:
        turn.say(said)
    if compare:  # a message of its own: one occupation's figures per message
        turn.say(compare)
    if recs.programs:
        turn.respond("utter_what_next")
        if not asked_helpful(turn.tracker):
            turn.respond("utter_ask_helpful")
    return [*learner.events,
            SlotSet("last_program_ids", [match.id for match in recs.programs])]


RATE_RECOMMENDATIONS = "/rate_recommendations"


def asked_helpful(tracker: Tracker) -> bool:
    """Whether "was this list helpful?" was asked in this conversation (once is enough)."""
    return any(str(button.get("payload") or "").startswith(RATE_RECOMMENDATIONS)
               for event in tracker.events if event.get("event") == "bot"
               for button in (event.get("data") or {}).get("buttons") or [])


def program_line(match: ProgramMatch, lang: Lang) -> str:
    """A program in a list: the plain-language line, then its link (text channels have no
    cards, so the link must be in the text)."""
    return f"{explain_program(match, lang)} {match.url}"


def _named(session: Session, noc: str | None, turn: Turn) -> tuple[str, str] | None:
    if noc is None:
        return None
    return noc, occupation_title(session, noc, turn.lang) or noc


def _intro(turn: Turn, session: Session, learner: Learner, recs: Recommendations) -> str:
    target = learner.target_noc and occupation_title(session, learner.target_noc, turn.lang)
    current = learner.current_noc and occupation_title(session, learner.current_noc, turn.lang)
    topic = shown_back(learner.topic) if learner.topic else None
    return explain_programs_intro(len(recs.programs), target or None, current or None,
                                  learner.constraints, turn.lang, learner.wishes,
                                  recs.unmet_wishes, topic)


class ActionResolveJob(PathfinderAction):
    """The learner names a job they have or want (or picks one with a button): resolve it,
    then recommend when there is an occupation to work from, in the same action."""

    reads_constraints = True

    def name(self) -> str:
        return "action_resolve_job"

    def act(self, turn: Turn) -> list[EventType]:
        with knowledge_session() as session:
            text = latest_text(turn.tracker)
            field = staff_field(turn, text)
            if field is not None and teaches_something(session, None, field, turn.lang):
                # "mes mécaniciens veulent apprendre les véhicules hybrides": an employer's
                # request for their staff, read as a wish to become something.
                return search_by_skill(turn, session, latest_entity(turn.tracker, "skill"),
                                       field)
            step = resolve_job(turn, session)
            if not step.resolved:
                return step.events
            turn.tracker.add_slots(step.events)
            return [*step.events, *recommend_step(turn, session, step.target)]


# The intents of a learner telling their job or goal (the rules run action_resolve_job),
# and of asking for a skill's programs (action_search_by_skill).
LEARNER_INTENTS = ("inform_job", "state_goal")
SKILL_INTENT = "search_by_skill"


class ActionReadUnsure(PathfinderAction):
    """The NLU was not sure of the intent (nlu_fallback). When its best guess is that the
    learner tells their job or goal, and knowledge.reading finds words the title resolver
    reads as a job ("im a uber driver want a career in logistics": inform_job and state_goal
    tie), that is the learner's turn; a skill search with a skill named is that search;
    anything else is asked again in other words."""

    def name(self) -> str:
        return "action_read_unsure"

    def act(self, turn: Turn) -> list[EventType]:
        text = latest_text(turn.tracker)
        guess = best_guess_intent(turn.tracker)
        if is_button_payload(text) or guess not in (*LEARNER_INTENTS, SKILL_INTENT):
            turn.respond("utter_default")
            return []
        if guess == SKILL_INTENT and latest_entity(turn.tracker, "skill"):
            # "Je suis mécanicien, y a-t-il des formations en hydraulique?"
            return [*read_constraints(turn), *ActionSearchBySkill().act(turn)]
        if any(m is not None and m.nocs for m in jobs_named(text, turn.lang)):
            return [*read_constraints(turn), *ActionResolveJob().act(turn)]
        turn.respond("utter_default")
        return []


def staff_field(turn: Turn, text: str) -> str | None:
    """The field an employer wants their staff to learn, when the message speaks for staff."""
    if is_button_payload(text) or not speaks_for_staff(text):
        return None
    skill = latest_entity(turn.tracker, "skill")
    _current, wanted = jobs_named(text, turn.lang)
    return skill or (wanted.text if wanted is not None and wanted.skill else None)


class ActionSearchBySkill(PathfinderAction):
    """"Which programs teach CNC?": the programs of that skill or sector. A learner who names
    their job with the skill ("cook, want to learn baking") gets the learner's list, ranked by
    the skill; a request no skill or sector matches that names a job ("welder", "programs
    for my plumbers") gets that job's programs instead of "no program teaches 'welder'"."""

    reads_constraints = True  # "welding programs in French, online"

    def name(self) -> str:
        return "action_search_by_skill"

    def act(self, turn: Turn) -> list[EventType]:
        text = latest_text(turn.tracker)
        skill = latest_entity(turn.tracker, "skill")
        query = skill or ("" if is_button_payload(text) else text.strip())
        with knowledge_session() as session:
            teaches = teaches_something(session, skill, query, turn.lang)  # once a turn
            # An employer's request naming no skill: a job named first ("we're hiring 10
            # PSWs, what programs could get them ready?"), else the workplace ("nous sommes
            # une garderie, quelles formations pour ...").
            for_staff = not teaches and not is_button_payload(text) and speaks_for_staff(text)
            staff = staff_job(session, turn, text) if for_staff else None
            if staff is not None:
                return search_for_staff(turn, session, staff)
            sector = workplace_sector(session, turn, text) if for_staff else None
            if sector is not None:
                return search_by_skill(turn, session, sector, sector)
            if not is_button_payload(text) and (names_own_job(turn, text) or (
                    names_a_job(turn, text) and not teaches)):
                step = resolve_job(turn, session)
                if not step.resolved:
                    return step.events
                turn.tracker.add_slots(step.events)
                return [*step.events, *recommend_step(turn, session, step.target)]
            return search_by_skill(turn, session, skill, query)


def workplace_sector(session: Session, turn: Turn, text: str) -> str | None:
    """The kind of workplace an employer's request names, a catalog sector ("we're a
    daycare", "notre usine"): that sector's label, in the turn's language."""
    code = sector_in_words(text)
    return term_label("sector", code, turn.lang) if code is not None and code in {
        c for c, _label in sector_choices(session, turn.lang)} else None


def staff_job(session: Session, turn: Turn, text: str) -> str | None:
    """The occupation of an employer's staff the request names: the resolver's first reading
    of the job named, when it is sure of it or finds it likely (an employer asks for
    programs for their PSWs, not which PSW they are)."""
    current, wanted = jobs_named(text, turn.lang)
    named = [m.text for m in (wanted, current) if m is not None and m.nocs]
    named += [e for e in (latest_entity(turn.tracker, "job_title"),
                          latest_entity(turn.tracker, "target_job")) if e]
    for words in named:
        resolution = resolve_title(words)
        if resolution.candidates and (resolution.status == "clear" or
                                      resolution.candidates[0].score >= TITLE_LIKELY):
            return known_noc(session, resolution.candidates[0].noc)
    return None


def names_own_job(turn: Turn, text: str) -> bool:
    """Whether the message names a job the learner holds and a field they want to learn
    ("cook, want to learn baking"): a learner's request, ranked by the field, not an
    employer's search ("TIG welding courses" names no job held; knowledge.reading leaves out
    the job of someone speaking for their staff)."""
    current, wanted = jobs_named(text, turn.lang)
    return current is not None and bool(current.nocs) and \
        wanted is not None and wanted.skill is not None


def names_a_job(turn: Turn, text: str) -> bool:
    """Whether the message names an occupation the learner has or wants (an entity, or words
    knowledge.reading takes for a job), not only a field."""
    if latest_entity(turn.tracker, "job_title") or latest_entity(turn.tracker, "target_job"):
        return True
    return any(mention is not None and mention.nocs for mention in jobs_named(text, turn.lang))


class ActionRecommend(PathfinderAction):
    """Programs for the job the learner has or wants, their goal and constraints (after a
    constraint or a "show me programs"); with no job but a skill list shown (an employer's),
    that skill's programs under the new limits; else asks for the job."""

    reads_constraints = True

    def name(self) -> str:
        return "action_recommend"

    def act(self, turn: Turn) -> list[EventType]:
        with knowledge_session() as session:
            return recommend_step(turn, session)


def recommend_step(turn: Turn, session: Session,
                   target: TargetStep | None = None) -> list[EventType]:
    learner = Learner(turn, session, target)
    if learner.target.question is not None:
        # "I want to become a technician": which one, before any list.
        learner.target.ask(turn)
        return learner.events
    if learner.main_noc is None and learner.topic is None:
        skill = slot_text(turn.tracker, "skill")
        if skill and learner.shown_ids:
            # Refining a list of the programs that teach a skill (an employer's "only in
            # person, near London"): the same search under the new limits, not a job asked.
            return [*learner.events, *search_by_skill(turn, session, skill, skill)]
        ask_for_job(turn, session)
        return learner.events
    if wants_out_without_target(learner) and learner.topic is None and not any(
            said_response(event, "utter_ask_target_job")
            for event in since_start_over(turn.tracker)):
        # "I'm a trucker, I want to change jobs": their own job's programs are not what they
        # came for. Asked once; a learner who goes on without answering gets that list.
        turn.respond("utter_ask_target_job", buttons=sector_buttons(session, turn.lang))
        return learner.events
    return _first_list(turn, session, learner)


def field_beyond_job(session: Session, learner: Learner, recs: Recommendations) -> bool:
    """A field wanted with no occupation, taught by none of the programs found for the job
    the learner holds."""
    return learner.topic is not None and learner.target_noc is None and \
        learner.current_noc is not None and not serves_occupation(
            session, recs.programs or recs.alternatives, learner.current_noc)


def wants_out_without_target(learner: Learner) -> bool:
    """Wanting out of their job, with only that job known (a field they want, without an
    occupation, is no job to go to)."""
    return learner.wants_out and learner.current_noc is not None and \
        learner.target_noc is None


def _first_list(turn: Turn, session: Session, learner: Learner) -> list[EventType]:
    recs = recommend(session, target_noc=learner.target_noc, current_noc=learner.current_noc,
                     goal=learner.goal, constraints=learner.constraints, lang=turn.lang, limit=5,
                     topic=learner.topic, wishes=learner.wishes)
    if learner.main_noc is None and learner.topic and not (recs.programs or recs.alternatives):
        # A field no program teaches, and no job to fall back on: say so, offer the sectors.
        turn.respond("utter_no_skill_programs", buttons=sector_buttons(session, turn.lang),
                     quoted=shown_back(learner.topic))
        return learner.events
    intro = _intro(turn, session, learner, recs)
    return present(turn, session, learner, recs, intro)


class ActionShowCheaper(PathfinderAction):
    """Programs strictly cheaper than the cheapest one shown, with the same constraints."""

    def name(self) -> str:
        return "action_show_cheaper"

    def act(self, turn: Turn) -> list[EventType]:
        with knowledge_session() as session:
            learner = Learner(turn, session)
            if not learner.shown_ids:
                if learner.main_noc is None and learner.topic is None:
                    turn.respond("utter_ask_job_title")
                    return learner.events
                # Nothing shown yet: the cheapest-first question starts with a first list.
                return _first_list(turn, session, learner)
            shown = shown_programs(session, learner.shown_ids, turn.lang)
            if shown and asks_which_is_cheapest(latest_text(turn.tracker)):
                # "Which one is the cheapest?": of the list they have, not a new one.
                turn.say(explain_cheapest_listed(min(shown, key=lambda m: m.cost), turn.lang))
                return learner.events
            # Cheaper than a list of the programs that teach a skill (an employer's): the
            # same skill, or "the lowest-cost ones" would be said of programs never compared.
            skill = slot_text(turn.tracker, "skill") if learner.main_noc is None else None
            in_sector = cheaper_in_sector(turn, session, skill, learner.shown_ids) \
                if learner.topic is None else None
            if in_sector is not None:
                return [*learner.events, *in_sector]
            topic = learner.topic or skill
            recs = cheaper(session, previous_ids=learner.shown_ids,
                           target_noc=learner.target_noc, current_noc=learner.current_noc,
                           goal=learner.goal, constraints=learner.constraints,
                           lang=turn.lang, limit=5, topic=topic, wishes=learner.wishes)
            if not recs.programs:
                turn.respond("utter_nothing_cheaper")
                # The list shown before is still the one to compare with.
                return learner.events
            intro = explain_cheaper_intro(len(recs.programs), turn.lang)
            return present(turn, session, learner, recs, intro)


class ActionDescribePrograms(PathfinderAction):
    """"How long are they?", "c'est combien?", "are they in French?": the facts asked about,
    for each program of the list shown last (before any list: the learner's job is asked)."""

    def name(self) -> str:
        return "action_describe_programs"

    def act(self, turn: Turn) -> list[EventType]:
        with knowledge_session() as session:
            shown = shown_programs(session, slot_list(turn.tracker, "last_program_ids"),
                                   turn.lang)
        if not shown:
            turn.respond("utter_ask_job_title")
            return []
        aspects = program_aspects(latest_text(turn.tracker))
        turn.say("\n".join(f"{n}. {explain_program_aspects(match, aspects, turn.lang)}"
                            for n, match in enumerate(shown, start=1)))
        return []
