"""Every text reply of real conversations is easy to read: English Flesch-Kincaid grade <= 8,
French Flesch reading ease >= 60 (textstat 0.7.3, through knowledge.explainer.readability).

The conversations run through the whole stack (Rasa engine with the trained model + actions
server, the suite's shared engine), in English and in French, each twice: as a text client
(plain REST: program lists written out with their links) and as a client that shows cards
(``{"cards": true}``, as the widget's relay and the Telegram connector send). They cover a
first list, asking back (an ambiguous job, then a button or a typed ordinal), a career
change, a changed limit, "nothing fits", cheaper programs (twice), wages and outlooks
(buttons and typed questions, a job named in the question), OSAP/RAFEO, the greeting, help
and what a micro-credential is. Each bot message with text is measured on its own, as the
learner reads it: one chat bubble, lists included.

What is measured, and what is not:

- **Names stay in the sentence as one word.** A program's title, an institution's name and a
  NOC occupation title are names from the data: the learner reads "Conestoga College" or
  "Nurse aides, orderlies and patient service associates" as the name of one thing, and the
  bot can neither shorten nor reword it. Each is replaced by one short word (``Name`` /
  ``Nom``) before measuring, so the sentence around it is measured in full and the name
  counts as one easy word, not as nothing. Everything else is measured as sent: the bot's
  own words, skill names (the "why" of a program), figures, sources, the learner's words
  quoted back, list numbers.
- **Links are left out**: a URL is not read as words (textstat would count
  ``https://www.example.ca/ce/ohip-billing`` as one long word and its dots as sentence ends).
- Button captions are not replies and are not measured.

Both rules are ``knowledge.explainer.measured_text``'s (the unit tests measure the same way);
the report below also gives the figures of the text exactly as sent, names and links in.
The replies' length is checked too: a turn that lists programs is a few messages and reads in
under a minute, and a client that shows cards gets the wage and the outlook once, in the
payload, not again in the text.

textstat's French: ``set_lang("fr")`` (``fr_FR`` here: the same constants) gives Kandel and
Moles' Flesch formula (207 - 1.015 x words per sentence - 73.6 x syllables per word), with
syllables counted by Pyphen's hyphenation dictionary, which counts fewer syllables than are
spoken in some words ("gagnent": 1) and more in others; apostrophes are removed, so
"l'heure" is one word. A sentence is what ends at ".", "!" or "?" (so in English the point of
"$17.50" ends one), and a "sentence" of two words or fewer is not counted as one.

``PATHFINDER_READABILITY_REPORT=1`` (with ``-s``) prints every reply with its score, and the
figures.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.constraints import Constraints, format_money
from knowledge.explainer import MAX_EN_GRADE, MIN_FR_EASE, measured_text, readability
from knowledge.language import Lang, as_lang
from knowledge.resolver import resolve_title
from knowledge.settings import RASA_TOKEN, READABILITY_REPORT
from tests.e2e.conftest import Chat, Reply

# A turn that lists programs: the list, the payload, the wage and outlook, "what next?" and
# (after the first list) "is this list helpful?"; a client that shows cards gets no wage or
# outlook text. One message more when the learner changed a limit ("Okay: …") and one when
# they change careers (what their job pays now).
MAX_LIST_MESSAGES = {False: 5, True: 4}
# Read in under a minute: 200 words of the bot's own (links left out, each name one word, as
# for the reading level: a name is recognised, not read word by word), about what adults
# read in a minute in French (195 words) and less than in English (228) (Trauzettel-Klosinski
# and Dietz, 2012, IReST). The report gives the count with the names in full too.
MAX_LIST_WORDS = 200
WORD = re.compile(r"[^\W_][^\s]*")
# How sources are named in English that a French reply must not use.
ENGLISH_SOURCE_NAMES = ("Job Bank", "Employment and Social Development",
                        "Canadian Occupational Projection", "COPS", "ESDC")


@dataclass(frozen=True)
class Said:
    """One bot message with text, in the conversation where it was said."""

    script: str
    cards: bool
    lang: Lang
    message: str  # what the learner sent
    text: str


@dataclass(frozen=True)
class Turn:
    """One message of the learner and the whole reply."""

    script: str
    cards: bool
    lang: Lang
    message: str
    reply: Reply


@dataclass
class Talk:
    """A conversation as one kind of client: every message is sent with (or without) the
    cards metadata; Chat checks every answer (payload, programs, wage figures)."""

    chat: Chat
    cards: bool
    script: str
    turns: list[Turn] = field(default_factory=list)

    def send(self, message: str) -> Reply:
        reply = self.chat.send(message, check=False,
                               metadata={"cards": True} if self.cards else None)
        # Chat's checks against the limits the engine now holds (the conversation tests
        # check that it understood them).
        self.chat.expected = self.constraints()
        self.chat.check(reply)
        self.turns.append(Turn(self.script, self.cards, as_lang(self.chat.lang), message,
                               reply))
        return reply

    def constraints(self) -> Constraints:
        response = httpx.get(f"{self.chat.url}/conversations/{self.chat.sender}/tracker",
                             params={"include_events": "NONE",
                                     "token": RASA_TOKEN.read()}, timeout=30)
        assert response.status_code == 200, response.text
        value = (response.json().get("slots") or {}).get("constraints")
        return Constraints.from_dict(value if isinstance(value, dict) else None)

    def click(self, button: dict[str, Any]) -> Reply:
        return self.send(str(button["payload"]))

    def choose(self, reply: Reply, title_part: str | None = None) -> Reply:
        """Answers an ask-back: the button whose title has ``title_part``, else the first."""
        buttons = [b for b in reply.buttons if "/choose_occupation" in str(b["payload"])]
        assert buttons, f"no occupation buttons in {reply.texts}"
        wanted = [b for b in buttons
                  if title_part and title_part.lower() in str(b["title"]).lower()]
        return self.click((wanted or buttons)[0])

    def answered_with_programs(self, reply: Reply) -> Reply:
        """Follows ask-backs (current or target job) until the programs come."""
        for _ in range(2):
            if reply.payloads or not reply.buttons:
                break
            reply = self.choose(reply, "administrative")
        return reply


def noc_of(title: str) -> str:
    return resolve_title(title).candidates[0].noc


# --- the conversations -------------------------------------------------------------------

def psw_to_health_admin(talk: Talk) -> None:
    reply = talk.send("I'm a PSW and I want to move into health care admin, online, "
                      "under $800")
    nurse_aides = noc_of("nurse aide")
    button = next((b for b in reply.buttons if f'"{nurse_aides}"' in b["payload"]), None)
    if button is not None:
        reply = talk.click(button)
    talk.answered_with_programs(reply)
    talk.send("/ask_wage")
    talk.send("/ask_outlook")


def cashier_asks_everything(talk: Talk) -> None:
    talk.send("hello")
    talk.send("I work as a cashier")
    talk.send("how much do cashiers earn?")
    talk.send("what is the job outlook?")
    talk.send("show me cheaper ones")
    talk.send("/ask_cheaper")
    talk.send("can I get OSAP to pay for a micro-credential?")
    talk.send("actually my budget is under $500")
    talk.send("what is a micro-credential?")
    talk.send("what can you do?")


def driver_asked_back(talk: Talk) -> None:
    talk.choose(talk.send("I used to be a driver"))
    talk.send("I'm a truck driver")
    talk.choose(talk.send("I'm a driver"))


def cashier_to_baker(talk: Talk) -> None:
    talk.send("I'm a cashier and I want to become a baker")
    talk.send("what would I earn?")
    talk.send("what's the outlook?")


def nothing_fits(talk: Talk) -> None:
    talk.send("I'm a cashier")
    talk.send("it has to be free and less than 1 hour long")


def named_jobs_and_regions(talk: Talk) -> None:
    talk.send("how much do welders make?")
    talk.send("I'm a cook in Ottawa")
    talk.send("I'm an electrician")
    talk.send("/ask_cheaper")
    talk.send("/ask_cheaper")


def caissiere(talk: Talk) -> None:
    talk.send("Bonjour!")
    talk.send("Je suis caissière")
    talk.send("Je ne veux pas payer plus de 500 $")
    talk.send("Avez-vous des formations moins chères ?")
    talk.send("Quel est le salaire pour ce métier ?")
    talk.send("Quelles sont les perspectives d'emploi pour ce métier ?")
    talk.send("Est-ce que le RAFEO peut payer ma formation ?")
    talk.send("C'est quoi une microcertification ?")
    talk.send("Qu'est-ce que tu peux faire ?")


def chauffeur(talk: Talk) -> None:
    talk.send("Je suis chauffeur")
    talk.send("le premier")


def preposee_en_ligne(talk: Talk) -> None:
    reply = talk.send("Je suis préposée aux bénéficiaires et je cherche une formation en "
                      "ligne, en français")
    talk.answered_with_programs(reply)
    talk.send("/ask_wage")
    talk.send("/ask_outlook")


def soudeur_et_cuisinier(talk: Talk) -> None:
    talk.send("combien gagne un soudeur ?")
    talk.send("Je suis cuisinier")
    talk.send("/ask_cheaper")
    talk.send("/ask_cheaper")
    talk.send("/ask_outlook")


def caissier_vers_boulanger(talk: Talk) -> None:
    talk.send("Je suis caissier et je veux devenir boulanger")
    talk.send("Combien je gagnerais ?")
    talk.send("Quelles sont les perspectives d'emploi ?")


def rien_ne_convient(talk: Talk) -> None:
    talk.send("Je suis caissière")
    talk.send("Il faut que ce soit gratuit et moins d'une heure")


def english_then_french(talk: Talk) -> None:
    talk.send("I'm a cook")
    talk.send("in French please")
    talk.chat.lang = "fr"
    talk.send("Quel est le salaire pour ce métier ?")
    talk.send("Je voudrais des formations moins chères")


Script = Callable[[Talk], None]
SCRIPTS: dict[str, tuple[str, Script]] = {
    script.__name__: (lang, script) for lang, script in [
        ("en", psw_to_health_admin), ("en", cashier_asks_everything),
        ("en", driver_asked_back), ("en", cashier_to_baker), ("en", nothing_fits),
        ("en", named_jobs_and_regions),
        ("fr", caissiere), ("fr", chauffeur), ("fr", preposee_en_ligne),
        ("fr", soudeur_et_cuisinier), ("fr", caissier_vers_boulanger),
        ("fr", rien_ne_convient), ("en", english_then_french),
    ]
}


# --- measuring ---------------------------------------------------------------------------

def data_names(db: Session) -> list[str]:
    """Program titles, institution names and occupation titles, in both languages."""
    names: set[str] = set()
    for program in db.scalars(select(models.Program)):
        names |= {program.title_en, program.title_fr}
    for institution in db.scalars(select(models.Institution)):
        names |= {institution.name_en, institution.name_fr}
    for occupation in db.scalars(select(models.Occupation)):
        names |= {occupation.title_en, occupation.title_fr}
    return sorted(n for n in names if n)


@dataclass(frozen=True)
class Scored:
    said: Said
    measured: str
    score: float  # of the measured text
    raw: float    # of the text as sent

    @property
    def ok(self) -> bool:
        return within(self.score, self.said.lang)


def within(score: float, lang: str) -> bool:
    return score <= MAX_EN_GRADE if lang == "en" else score >= MIN_FR_EASE


@pytest.fixture(scope="module")
def turns(rasa_url: str, kb_engine: Engine, titles: dict[str, str]) -> Iterator[list[Turn]]:
    """Every conversation, as a text client and as a client that shows cards."""
    with Session(kb_engine) as db:
        found: list[Turn] = []
        for name, (lang, script) in SCRIPTS.items():
            for cards in (False, True):
                talk = Talk(Chat(rasa_url, db, titles, lang=lang), cards, name)
                script(talk)
                found += talk.turns
        yield found


@pytest.fixture(scope="module")
def names(kb_engine: Engine) -> list[str]:
    with Session(kb_engine) as db:
        return data_names(db)


@pytest.fixture(scope="module")
def scored(turns: list[Turn], names: list[str]) -> list[Scored]:
    found = []
    for turn in turns:
        for text in turn.reply.texts:
            said = Said(turn.script, turn.cards, turn.lang, turn.message, text)
            measured = measured_text(text, said.lang, names)
            if measured.strip():
                found.append(Scored(said, measured, readability(measured, said.lang),
                                    readability(text, said.lang)))
    return found


def summary(found: list[Scored], lang: str, *, raw: bool = False) -> str:
    scores = [s.raw if raw else s.score for s in found if s.said.lang == lang]
    worst = max(scores) if lang == "en" else min(scores)
    failing = sum(not within(score, lang) for score in scores)
    what = "grade" if lang == "en" else "reading ease"
    return (f"{lang} {what}{' (as sent)' if raw else ''}: {len(scores)} replies, median "
            f"{statistics.median(scores):.1f}, worst {worst:.1f}, {failing} over the limit")


def list_turns(turns: list[Turn]) -> list[Turn]:
    return [t for t in turns if any(p.get("programs") for p in t.reply.payloads)]


def words(reply: Reply, names: list[str] | None = None) -> int:
    """The words of a reply's texts, links left out; with ``names``, each name one word. A
    word has a letter or a digit: French typography's spaced ":", "«" and "$" are not words."""
    return sum(len(WORD.findall(measured_text(text, "en", names or ())))
               for text in reply.texts)


def report(found: list[Scored], turns: list[Turn], names: list[str]) -> None:
    if READABILITY_REPORT.read() != "1":
        return
    for s in found:
        mark = "  " if s.ok else "!!"
        kind = "cards" if s.said.cards else "text"
        print(f"{mark} {s.said.lang} {s.score:6.1f} (as sent {s.raw:6.1f}) "
              f"[{s.said.script}/{kind}] {s.said.message[:40]!r}\n     {s.measured!r}")
    for lang in ("en", "fr"):
        print(summary(found, lang))
        print(summary(found, lang, raw=True))
    for turn in list_turns(turns):
        print(f"{'cards' if turn.cards else 'text'} [{turn.script}] {turn.message[:40]!r}: "
              f"{len(turn.reply.messages)} messages, {words(turn.reply)} words, "
              f"{words(turn.reply, names)} with names as one word")
    for cards in (False, True):
        listed = [t for t in list_turns(turns) if t.cards == cards]
        counts = [len(t.reply.messages) for t in listed]
        read = [words(t.reply) for t in listed]
        short = [words(t.reply, names) for t in listed]
        print(f"{'cards' if cards else 'text'} clients, {len(listed)} turns that list programs: "
              f"messages median {statistics.median(counts)}, most {max(counts)}; words "
              f"median {statistics.median(read)}, most {max(read)} (names as one word: "
              f"median {statistics.median(short)}, most {max(short)})")


# --- the tests ---------------------------------------------------------------------------

def test_the_conversations_cover_both_languages_and_both_kinds_of_client(
        scored: list[Scored], turns: list[Turn], names: list[str]) -> None:
    report(scored, turns, names)
    kinds = {(s.said.lang, s.said.cards) for s in scored}
    assert kinds == {("en", False), ("en", True), ("fr", False), ("fr", True)}
    assert len(scored) >= 150
    listed = {(t.lang, t.cards) for t in list_turns(turns)}
    assert listed == kinds


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_reply_is_easy_to_read(scored: list[Scored], lang: str) -> None:
    hard = [(s.score, s.said.script, s.said.message, s.measured)
            for s in scored if s.said.lang == lang and not s.ok]
    assert not hard, summary(scored, lang) + "".join(f"\n{h}" for h in hard)


def test_a_list_is_a_few_messages_read_in_under_a_minute(turns: list[Turn],
                                                         names: list[str]) -> None:
    for turn in list_turns(turns):
        texts = turn.reply.texts
        extra = sum(text.startswith(("Okay: ", "D'accord, je note", "To compare", "Pour comparer"))
                    for text in texts)
        assert len(turn.reply.messages) - extra <= MAX_LIST_MESSAGES[turn.cards], \
            (turn.script, turn.message, texts)
        assert words(turn.reply, names) <= MAX_LIST_WORDS, (turn.script, turn.message, texts)


def test_clients_that_show_cards_get_the_wage_and_outlook_once(turns: list[Turn]) -> None:
    """The payload has them (the widget draws them, Telegram says them): no text repeats
    them. A text client gets them in the text."""
    checked = 0
    for turn in list_turns(turns):
        payload = next(p for p in turn.reply.payloads if p.get("programs"))
        wage, outlook = payload["wage"], payload["outlook"]
        if wage is None or outlook is None or wage["median"] is None:
            continue
        median = format_money(wage["median"], turn.lang, keep_cents=True)
        said = "\n".join(text for text in turn.reply.texts  # not another job's figures
                         if not text.startswith(("To compare", "Pour comparer")))
        shown = (median in said, outlook["label"] in said)
        assert shown == ((False, False) if turn.cards else (True, True)), \
            (turn.script, turn.cards, turn.message, turn.reply.texts)
        checked += 1
    assert checked >= 10


def test_french_replies_name_their_sources_in_french(turns: list[Turn]) -> None:
    sources = []
    for turn in turns:
        if turn.lang != "fr":
            continue
        for text in turn.reply.texts:
            assert not any(name in text for name in ENGLISH_SOURCE_NAMES), text
            sources += re.findall(r"Source : ([^.]+)", text)
        for payload in turn.reply.payloads:
            for part in (payload.get("wage"), payload.get("outlook")):
                if part:
                    assert not any(name in part["source"] for name in ENGLISH_SOURCE_NAMES)
                    sources.append(part["source"])
    assert any("Guichet-Emplois" in s for s in sources)
    assert any("Système de projection des professions au Canada" in s for s in sources)
