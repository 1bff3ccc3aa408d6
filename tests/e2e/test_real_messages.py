"""Conversations as people type them, of the kinds that went wrong before (issue 13): a job
title alone, a story with the job held and the one wanted, a career changer who has not said
what next, the learner's own shifts, a question about the programs' language. Every reply is
also checked by `Chat.send` (payload schema, catalog rows, wage figures)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints
from tests.e2e.conftest import Chat
from tests.e2e.test_conversations import (
    NewChat,
    listed,
    noc_of,
    program_skills,
    recommendations,
)

CHOOSE_OCCUPATION = "/choose_occupation"


def test_a_job_title_alone_gets_that_jobs_programs(chat: Chat) -> None:
    payload = listed(chat, chat.send("welder"))
    assert payload["occupation"]["noc"] == noc_of("welder")


def test_a_clear_wanted_job_is_not_held_up_by_which_psw(new_chat: NewChat) -> None:
    chat = new_chat("fr")
    reply = chat.send("je suis PSSP depuis 3 ans dans un CHSLD, j'aimerais devenir "
                      "infirmière auxiliaire")
    assert not [b for b in reply.buttons if b["payload"].startswith(CHOOSE_OCCUPATION)]
    payload = listed(chat, reply)
    assert payload["target_occupation"]["noc"] == noc_of("infirmière auxiliaire")


def test_a_trucker_who_wants_out_is_asked_what_next(new_chat: NewChat, db: Session) -> None:
    chat = new_chat("fr")
    asked = chat.send("salut chu camionneur, mal au dos, je veux changer de job")
    assert not asked.payloads and "Vers quel métier" in asked.text, asked.texts
    chat.wage_shown = False
    reply = chat.send("quelque chose de bureau")
    payload = recommendations(reply)  # a field's programs, not the trucking job's
    assert payload["programs"]
    office = set(db.scalars(select(models.Skill.code).where(
        models.Skill.name_en.ilike("%office%"))))
    assert office and all(program_skills(db, p["id"]) & office for p in payload["programs"])
    # No trucking pay presented as if it were the office jobs'.
    assert payload["wage"] is None and "Voici le salaire" not in reply.text


def test_the_learners_own_shift_is_not_a_program_schedule(chat: Chat) -> None:
    reply = chat.send("nurse nights at the hospital, I want to get better at wound care")
    payload = listed(chat, reply)
    assert payload["occupation"]["noc"] == noc_of("registered nurse")
    assert "evening" not in reply.text.lower()


def test_any_in_french_after_a_list_answers_about_the_programs(chat: Chat) -> None:
    payload = listed(chat, chat.send("I'm a cashier"))
    reply = chat.send("any in french?")
    lines = [line for line in reply.texts[0].splitlines() if line.strip()]
    assert len(lines) == len(payload["programs"]), reply.texts
    for line, program in zip(lines, payload["programs"], strict=True):
        assert program["title"] in line
        said = line.split(program["title"], 1)[1]  # a title may name French itself
        assert ("French" in said) == (program["language"] in ("fr", "bilingual")), line
    assert chat.send("thanks").text.startswith("You")  # still in English


def test_pipe_welding_is_welding(chat: Chat, db: Session) -> None:
    chat.expected = Constraints()
    reply = chat.send("I want to learn pipe welding")
    assert reply.programs, reply.texts
    stick = db.scalars(select(models.Skill.code).where(
        models.Skill.name_en.ilike("%stick welding%"))).one()
    assert all(stick in program_skills(db, p["id"]) for p in reply.programs)
