"""Rasa's REST replies -> Telegram messages: HTML text (everything escaped), inline keyboards,
program messages for the recommendations payload (its programs, then its wage and outlook in
the explainer's words), and splitting within Telegram's limit.

Pure functions and one small bounded store (``ButtonKeys``); nothing here talks to the
network, so all of it is testable without Telegram or Rasa.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from connectors.telegram.texts import text
from knowledge.explainer import explain_outlook_data, explain_wage_data, program_facts
from knowledge.language import Lang, as_lang
from knowledge.referrals import conversation_ref

# Telegram's limit for a message's text, counted in UTF-16 code units after entity parsing;
# counting the HTML source is stricter (tags and entities shrink when parsed).
MAX_MESSAGE_UNITS = 4096
# Telegram's limit for an inline button's callback_data, in bytes.
MAX_CALLBACK_BYTES = 64
PAYLOAD_PREFIX = "p:"   # the Rasa payload itself, when it fits
KEY_PREFIX = "k:"       # a key into ButtonKeys, for longer payloads


@dataclass(frozen=True)
class Button:
    title: str
    callback_data: str


@dataclass(frozen=True)
class OutgoingMessage:
    """One Telegram message: HTML text and, optionally, one inline button per row."""

    html: str
    buttons: tuple[Button, ...] = ()


def units(value: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji can count 2)."""
    return len(value.encode("utf-16-le")) // 2


# --- links ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Links:
    """What program links are made with, from the connector's settings: the web app's public
    base URL (``PATHFINDER_PUBLIC_URL``) and the key of the conversations' pseudonyms
    (``PATHFINDER_SECRET_KEY``); None where unset."""

    public_url: str | None = None
    secret_key: bytes | None = field(default=None, repr=False)


def program_link(program: Mapping[str, Any], conversation: str, links: Links,
                 channel: str = "telegram") -> str | None:
    """Where a program's link points: the web app's click redirect (which records the referral)
    when its public URL is known (``links.public_url``), else the program's own page.
    None when there is no usable http(s) link. The redirect gets the conversation's pseudonym
    (``ref``, with ``links.secret_key``; none without a key), never the conversation id
    (``telegram-<chat id>``) itself: a link can be forwarded, and the id is the key to the
    transcript."""
    base = (links.public_url or "").strip()
    program_id = str(program.get("id") or "")
    if base and program_id:
        key = links.secret_key
        ref = conversation_ref(conversation, key) if key else None
        query = urlencode({"channel": channel, **({"ref": ref} if ref else {})})
        return f"{base.rstrip('/')}/go/{quote(program_id, safe='')}?{query}"
    url = str(program.get("url") or "")
    return url if urlsplit(url).scheme in ("http", "https") else None


# --- programs ------------------------------------------------------------------------------

def _figure(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def format_program(program: Mapping[str, Any], number: int, lang: Lang,
                   conversation: str, links: Links) -> str:
    """One program as an HTML block: title, institution, cost · length · delivery · language,
    why it fits, and a link. Every value from the payload is escaped."""
    def esc(value: str) -> str:
        return html.escape(value, quote=False)

    lines = [f"<b>{number}. {esc(str(program.get('title') or ''))}</b>"]
    if program.get("institution"):
        lines.append(esc(str(program["institution"])))
    # The same facts, in the same words, as the bot's own program lines.
    facts = program_facts(lang, cost=_figure(program.get("cost")),
                          hours=_figure(program.get("hours")),
                          weeks=_figure(program.get("weeks")),
                          delivery=str(program.get("delivery") or "") or None,
                          language=str(program.get("language") or "") or None)
    shown = [esc(fact) for fact in facts]
    if shown:
        lines.append(" · ".join(shown))
    if program.get("why"):
        lines.append(f"<i>{esc(str(program['why']))}</i>")
    link = program_link(program, conversation, links)
    if link:
        href = html.escape(link, quote=True)
        lines.append(f'<a href="{href}">{esc(text("view_program", lang))}</a>')
    return "\n".join(lines)


def format_labour_market(payload: Mapping[str, Any]) -> list[str]:
    """A recommendations payload's wage and outlook in the explainer's words (the same as the
    bot's own text channels get), each an escaped HTML paragraph; [] when it has neither."""
    lang = as_lang(payload.get("lang"))
    occupation = payload.get("target_occupation") or payload.get("occupation")
    title = str(occupation.get("title") or "") if isinstance(occupation, Mapping) else ""
    if not title:
        return []  # the figures of no named job (the payload of an employer's search)
    said = []
    wage, outlook = payload.get("wage"), payload.get("outlook")
    if isinstance(wage, Mapping):
        said.append(explain_wage_data(wage, title, lang))
    if isinstance(outlook, Mapping):  # named by the wage's sentences, if any
        said.append(explain_outlook_data(outlook, None if said else title, lang))
    return [html.escape(text, quote=False) for text in said]


def format_recommendations(payload: Mapping[str, Any], conversation: str, links: Links,
                           heading: str | None = None) -> str | None:
    """The programs of a recommendations payload (else its alternatives, the closest ones),
    then its wage and outlook, as one HTML text (None if it has none of them). The bot
    sends a client that shows cards no wage or outlook text: they are said here."""
    programs = [p for p in payload.get("programs") or payload.get("alternatives") or []
                if isinstance(p, Mapping)]
    lang = as_lang(payload.get("lang"))
    blocks = []
    if programs:
        title = heading if heading is not None else text("programs_heading", lang)
        blocks += [f"<b>{html.escape(title, quote=False)}</b>"] if title else []
        blocks += [format_program(p, i, lang, conversation, links)
                   for i, p in enumerate(programs, 1)]
    blocks += format_labour_market(payload)
    return "\n\n".join(blocks) if blocks else None


# --- buttons -------------------------------------------------------------------------------

class ButtonKeys:
    """Short callback_data keys for button payloads too long for Telegram's 64 bytes.

    Bounded: each chat keeps its ``per_chat`` newest keys and only the ``max_chats`` most
    recently active chats are kept, so memory stays flat however many people talk to the bot.
    A key that fell out (or predates a restart) is simply unknown: the bot then asks the
    person to type their answer.
    """

    def __init__(self, per_chat: int = 200, max_chats: int = 10_000) -> None:
        self.per_chat = per_chat
        self.max_chats = max_chats
        self._chats: OrderedDict[int, OrderedDict[str, str]] = OrderedDict()
        self._counter = 0

    def callback_data(self, chat_id: int, payload: str) -> str:
        direct = PAYLOAD_PREFIX + payload
        if len(direct.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            return direct
        self._counter += 1
        key = format(self._counter, "x")
        keys = self._chats.pop(chat_id, OrderedDict())
        keys[key] = payload
        while len(keys) > self.per_chat:
            keys.popitem(last=False)
        self._chats[chat_id] = keys
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        return KEY_PREFIX + key

    def payload(self, chat_id: int, callback_data: str) -> str | None:
        """The Rasa payload a pressed button stands for; None if unknown or expired."""
        if callback_data.startswith(PAYLOAD_PREFIX):
            return callback_data[len(PAYLOAD_PREFIX):] or None
        if callback_data.startswith(KEY_PREFIX):
            keys = self._chats.get(chat_id)
            return keys.get(callback_data[len(KEY_PREFIX):]) if keys is not None else None
        return None


# --- whole replies -------------------------------------------------------------------------

def _programs_of(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The recommendations payload a message carries, if it lists programs (or, when none
    fits, the closest ones)."""
    custom = _recommendations_of(message)
    if custom is not None and (custom.get("programs") or custom.get("alternatives")):
        return custom
    return None


def _recommendations_of(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The recommendations payload a message carries, if it has anything to show: programs,
    the closest ones, or a named job's wage or outlook."""
    custom = message.get("custom")
    if isinstance(custom, Mapping) and custom.get("type") == "recommendations" \
            and (custom.get("programs") or custom.get("alternatives")
                 or format_labour_market(custom)):
        return custom
    return None


# An introduction is a sentence or two ("Here are 5 short programs ... What you asked
# for: online."); anything longer stays a message of its own.
MAX_HEADING_CHARS = 400


def _introduces(message: Mapping[str, Any], following: Mapping[str, Any] | None) -> bool:
    """A short one-line text without buttons right before a program list is that list's
    introduction (actions/context.Turn.list_programs sends them so)."""
    raw = message.get("text")
    intro = raw.strip() if isinstance(raw, str) else ""
    return bool(intro) and len(intro) <= MAX_HEADING_CHARS and "\n" not in intro \
        and not message.get("buttons") and message.get("custom") is None \
        and following is not None and _programs_of(following) is not None


@dataclass
class _Draft:
    html: str
    buttons: list[tuple[str, str]] = field(default_factory=list)   # (title, payload)


def render_reply(messages: Sequence[Mapping[str, Any]], chat_id: int, conversation: str,
                 keys: ButtonKeys, links: Links) -> list[OutgoingMessage]:
    """Rasa's messages for one turn -> Telegram messages, in order, each within the limit.

    The connector asks for cards (connectors.rasa_client.CARDS), so a program list comes as
    an introduction in the text and the recommendations payload right after it: both become
    one message, the introduction in bold over the formatted programs, whose links go
    through ``program_link`` (with ``links``), then the wage and the outlook of the job,
    which the bot leaves to the payload for such clients.
    """
    drafts: list[_Draft] = []
    for index, message in enumerate(messages):
        following = messages[index + 1] if index + 1 < len(messages) else None
        previous = messages[index - 1] if index else None
        if _introduces(message, following):
            continue  # the heading of the next message's programs
        payload = _recommendations_of(message)
        raw = message.get("text")
        if payload is not None:
            heading = None
            if previous is not None and _introduces(previous, message):
                heading = str(previous["text"]).strip()
            drafts.append(_Draft(format_recommendations(payload, conversation, links, heading)
                                 or ""))
        elif isinstance(raw, str) and raw.strip():
            drafts.append(_Draft(html.escape(raw.strip(), quote=False)))
        for button in message.get("buttons") or []:
            if not isinstance(button, Mapping) or not button.get("payload"):
                continue
            if not drafts:
                drafts.append(_Draft(""))
            drafts[-1].buttons.append((str(button.get("title") or button["payload"]),
                                       str(button["payload"])))
    out: list[OutgoingMessage] = []
    for draft in drafts:
        chunks = split_html(draft.html) if draft.html.strip() else []
        if draft.buttons and not chunks:
            chunks = ["…"]  # Telegram needs text to hang a keyboard on
        buttons = tuple(Button(title[:64], keys.callback_data(chat_id, payload))
                        for title, payload in draft.buttons)
        for i, chunk in enumerate(chunks):
            out.append(OutgoingMessage(chunk, buttons if i == len(chunks) - 1 else ()))
    return out


# --- splitting -----------------------------------------------------------------------------

_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|\s+|[^<&\s]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z0-9-]+)")


def split_html(source: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Cut HTML text into messages of at most ``limit`` units: at line breaks where possible,
    else at spaces, never inside a tag or an entity; a tag left open at a cut is closed at the
    end of one piece and reopened at the start of the next."""
    pieces: list[str] = []
    current = ""
    for line in source.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if units(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
            current = ""
        if units(line) <= limit:
            current = line
        else:
            *full, current = _split_line(line, limit)
            pieces.extend(full)
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def _split_line(line: str, limit: int) -> list[str]:
    tokens: list[str] = []
    for token in _TOKEN.findall(line):
        if token.startswith("<") and len(token) > 1 or token.startswith("&") and len(token) > 1:
            tokens.append(token)
        else:
            # A word longer than a message: cut it into characters.
            tokens.extend([token] if units(token) < limit // 2 else list(token))
    pieces: list[str] = []
    open_tags: list[tuple[str, str]] = []   # (name, opening tag as written)
    current = ""

    def closers() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(open_tags))

    for token in tokens:
        if current and units(current + token + closers()) > limit:
            pieces.append((current + closers()).rstrip())
            current = "".join(tag for _, tag in open_tags)
            if token.isspace():
                continue
        current += token
        match = _TAG_NAME.match(token) if token.startswith("<") and len(token) > 1 else None
        if match:
            name = match.group(1).lower()
            if token.startswith("</"):
                for i in range(len(open_tags) - 1, -1, -1):
                    if open_tags[i][0] == name:
                        del open_tags[i]
                        break
            elif not token.endswith("/>"):
                open_tags.append((name, token))
    pieces.append(current)
    return pieces
