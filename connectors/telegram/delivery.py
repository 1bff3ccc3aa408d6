"""Sending to Telegram reliably: retry with backoff, at most once per message, in order.

A turn's reply is rendered once and queued per chat (``Outbox``); each message leaves the
queue only when Telegram confirmed it. So when Telegram fails (5xx, 429 with ``retry_after``,
a timeout), the retry re-sends the kept reply, never the learner's message to Rasa (which
would run the turn twice), and messages already delivered are not sent again. What still
fails after every attempt stays queued and goes out first at the chat's next update.

One case no client can rule out: a request that times out after Telegram accepted it. The
Bot API has no idempotency key, so that one message may then arrive twice; a timeout before
Telegram processed the request (the usual case: connection or overload) is retried cleanly.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import warnings
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from connectors.telegram.render import OutgoingMessage

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_PENDING_PER_CHAT = 50
MAX_RETRY_AFTER_S = 60.0


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the type becomes timedelta
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_retryable(exc: TelegramError) -> bool:
    """Flood control, timeouts, network errors and 5xx; not a request Telegram refused."""
    return isinstance(exc, RetryAfter) or (
        isinstance(exc, NetworkError) and not isinstance(exc, BadRequest))


async def with_retry(call: Callable[[], Awaitable[T]], attempts: int = 5,
                     base_delay: float = 0.5, max_delay: float = 30.0) -> T:
    """``call()`` until it succeeds; waits what a 429 asks, else backs off exponentially
    (with jitter). Re-raises the last error after ``attempts`` tries or at once when the
    error is not worth retrying."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except TelegramError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            if isinstance(exc, RetryAfter):
                delay = min(retry_after_seconds(exc), MAX_RETRY_AFTER_S)
            else:
                delay = min(base_delay * 2 ** (attempt - 1), max_delay)
                delay *= random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)
            logger.warning("Telegram call failed (%s), attempt %d/%d; retrying in %.1f s",
                           exc, attempt, attempts, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.title, callback_data=b.callback_data)]
                                 for b in message.buttons])


class Outbox:
    """Per-chat queues of rendered messages not yet confirmed by Telegram."""

    def __init__(self, send: Callable[[int, OutgoingMessage], Awaitable[object]],
                 attempts: int = 5, base_delay: float = 0.5, max_chats: int = 10_000) -> None:
        self._send = send
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_chats = max_chats
        self._pending: OrderedDict[int, deque[OutgoingMessage]] = OrderedDict()

    def pending(self, chat_id: int) -> int:
        return len(self._pending.get(chat_id, ()))

    async def send(self, chat_id: int, messages: Sequence[OutgoingMessage]) -> bool:
        """Queue ``messages`` after any left over for this chat and send all, in order.
        True when the queue is empty afterwards. Callers serialise per chat."""
        queue = self._pending.pop(chat_id, None) or deque()
        queue.extend(messages)
        while len(queue) > MAX_PENDING_PER_CHAT:
            dropped = queue.popleft()
            logger.error("Dropping an undeliverable message to chat %s: %.60r", chat_id,
                         dropped.html)
        self._pending[chat_id] = queue
        while len(self._pending) > self.max_chats:
            self._pending.popitem(last=False)
        while queue:
            message = queue[0]
            try:
                await with_retry(functools.partial(self._send, chat_id, message),
                                 self.attempts, self.base_delay)
            except BadRequest as exc:
                # Telegram refuses this message as it is: retrying cannot help.
                logger.error("Telegram refused a message to chat %s: %s", chat_id, exc)
                queue.popleft()
            except TelegramError as exc:
                logger.error("Could not reach Telegram for chat %s (%s); %d message(s) kept "
                             "for the next update", chat_id, exc, len(queue))
                return False
            else:
                queue.popleft()
        self._pending.pop(chat_id, None)
        return True

