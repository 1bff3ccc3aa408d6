"""End-to-end fixtures: the whole Pathfinder stack (real Rasa engine with
models/pathfinder.tar.gz + real actions server, free ports, a temporary tracker store: the
suite's shared engine, tests/conftest.py), and a `Chat` that talks to it over Rasa's REST
channel like a client does.

Every reply is checked as it arrives (see `Chat.send`): a recommendations payload follows the
documented schema, its programs are the catalog's rows and fit the constraints the test says
the learner stated, and every wage figure shown (text and payload) is the Wage table's.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.stack import Stack
from knowledge import models
from knowledge.constraints import Constraints
from knowledge.occupations import ONTARIO, outlook_for, wage_for
from knowledge.settings import E2E_RASA_URL
from tests.conftest import Stacks
from tests.e2e.checks import (
    assert_payload_matches_db,
    assert_payload_schema,
    assert_programs_fit,
    assert_wage_payload,
    money_figures,
    wage_figures,
)

TURN_TIMEOUT_S = 30
# How a wage and an outlook explanation start (knowledge/explainer.py), EN and FR.
WAGE_MARKERS = ("This is the pay for this job:", "Voici le salaire.")
OUTLOOK_MARKERS = ("Job outlook", "Perspectives d'emploi")


@pytest.fixture(scope="package")
def stack(stacks: Stacks) -> Stack | None:
    """The suite's shared engine, or None when PATHFINDER_E2E_RASA_URL names a stack already
    running (to iterate on the tests; it should read a knowledge base built from data/, as
    expected values come from the suite's: `db`)."""
    if E2E_RASA_URL.read():
        return None
    return stacks.engine()


@pytest.fixture(scope="package")
def rasa_url(stack: Stack | None) -> str:
    if stack is None:
        url = E2E_RASA_URL.read()
        assert url is not None  # no stack of ours: it is set
        return url.rstrip("/")
    return stack.rasa_url


@pytest.fixture(scope="module")
def titles(kb_engine: Engine) -> dict[str, str]:
    """Occupation title (EN and FR) -> NOC, longest first, to find the job a text is about."""
    found: dict[str, str] = {}
    with Session(kb_engine) as db:
        for occupation in db.scalars(select(models.Occupation)):
            found[occupation.title_en] = occupation.noc
            found[occupation.title_fr] = occupation.noc
    return dict(sorted(found.items(), key=lambda item: -len(item[0])))


@dataclass
class Reply:
    status: int
    messages: list[dict[str, Any]]

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [m["custom"] for m in self.messages if m.get("custom")]

    @property
    def programs(self) -> list[dict[str, Any]]:
        return [p for payload in self.payloads for p in payload.get("programs") or []]

    def button(self, title_part: str) -> dict[str, Any]:
        for button in self.buttons:
            if title_part.lower() in button["title"].lower():
                return button
        raise AssertionError(f"no button with {title_part!r} in {self.buttons}")


@dataclass
class Chat:
    """One conversation (its own sender id). `expected` is what the learner has asked for so
    far, as the test states it; `lang` the language answers must be in."""

    url: str
    db: Session
    titles: dict[str, str]
    lang: str = "en"
    expected: Constraints = field(default_factory=Constraints)
    sender: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:12]}")
    transcript: list[tuple[str, list[str]]] = field(default_factory=list)
    # The main occupation's wage comes with every list; a test turns this off where none is
    # due (a career changer with only a field in view: their old job's pay is not its).
    wage_shown: bool = True

    def send(self, message: str, *, check: bool = True,
             metadata: dict[str, Any] | None = None) -> Reply:
        body: dict[str, Any] = {"sender": self.sender, "message": message}
        if metadata is not None:
            body["metadata"] = metadata
        response = httpx.post(f"{self.url}/webhooks/rest/webhook", json=body,
                              timeout=TURN_TIMEOUT_S)
        reply = Reply(response.status_code,
                      response.json() if response.status_code == 200 else [])
        self.transcript.append((message, reply.texts))
        assert response.status_code == 200, f"HTTP {response.status_code}: {response.text}"
        if check:
            self.check(reply)
        return reply

    def click(self, button: dict[str, Any]) -> Reply:
        return self.send(str(button["payload"]))

    def check(self, reply: Reply) -> None:
        """What must hold of every answer, whatever the conversation."""
        assert reply.messages, f"no answer; conversation so far: {self.transcript}"
        for payload in reply.payloads:
            assert_payload_schema(payload, self.lang)
            assert_payload_matches_db(self.db, payload)
            assert_programs_fit(self.db, [p["id"] for p in payload["programs"]], self.expected)
            assert len(payload["programs"]) <= 5
            main = payload["target_occupation"] or payload["occupation"]
            if main is not None and self.wage_shown:
                assert_wage_payload(payload["wage"],
                                    wage_for(self.db, main["noc"], self.region))
            else:
                assert payload["wage"] is None
        for text in reply.texts:
            if any(marker in text for marker in WAGE_MARKERS):
                self.check_wage_text(text)
            if any(marker in text for marker in OUTLOOK_MARKERS):
                self.check_outlook_text(text)

    @property
    def region(self) -> str:
        return self.expected.region or ONTARIO

    def occupation_named(self, text: str) -> str:
        # The explainer may space the slashes of French titles ("Cuisiniers / cuisinières").
        flat = _unspaced_slashes(text)
        noc = next((noc for title, noc in self.titles.items()
                    if _unspaced_slashes(title) in flat), None)
        assert noc is not None, f"no occupation title in {text!r}"
        return noc

    def check_outlook_text(self, text: str) -> None:
        """An outlook explanation shows the Outlook table's label and period for the job the
        message names (the wage sentence before it, or the outlook's own title)."""
        outlook = outlook_for(self.db, self.occupation_named(text))
        assert outlook is not None, f"an outlook text for a job without one: {text!r}"
        assert (outlook.label_fr if self.lang == "fr" else outlook.label_en) in text
        assert all(year in text for year in re.findall(r"\d{4}", outlook.period)), (
            outlook.period, text)

    def check_wage_text(self, text: str) -> None:
        """Every dollar figure of a wage explanation is the low, median or high wage of the
        job it names, from the Wage table, and the year is the table's."""
        noc = self.occupation_named(text)
        wage = wage_for(self.db, noc, self.region)
        assert wage is not None, f"a wage text for {noc}, which has no wage: {text!r}"
        figures = money_figures(text)
        assert figures, text
        assert set(figures) <= wage_figures(wage), (text, wage)
        assert str(wage.year) in text


def _unspaced_slashes(text: str) -> str:
    return re.sub(r"\s*/\s*", "/", text)


@pytest.fixture()
def chat(rasa_url: str, db: Session, titles: dict[str, str]) -> Chat:
    return Chat(rasa_url, db, titles)


@pytest.fixture()
def new_chat(rasa_url: str, db: Session, titles: dict[str, str]) -> Any:
    """A factory, for tests that need a conversation in French from the start, etc."""
    def make(lang: str = "en") -> Chat:
        return Chat(rasa_url, db, titles, lang=lang)
    return make


def is_french(text: str) -> bool:
    """A rough check that an answer is French: its function words outnumber English ones."""
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    fr = sum(w in {"le", "la", "les", "de", "des", "du", "et", "vous", "votre", "pour", "est",
                   "une", "un", "en", "qui", "que", "avec", "sur", "à", "au", "aux"}
             for w in words)
    en = sum(w in {"the", "and", "you", "your", "for", "is", "a", "an", "of", "to", "with",
                   "on", "that", "this", "in", "are"} for w in words)
    return fr > en
