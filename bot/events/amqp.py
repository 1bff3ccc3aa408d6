"""The RabbitMQ feed: the queue that Rasa 3.6's Pika event broker publishes to.

Rasa (rasa/core/brokers/pika.py) declares a fanout exchange ``rasa-exchange`` and, for each
queue of its ``event_broker.queues`` (default ``rasa_core_events``), a durable queue bound
to it; each message's body is one event's ``as_dict()`` with the conversation's
``sender_id`` (``TrackerStore._stream_new_events``), JSON in UTF-8, published persistent.
This feed declares the same exchange and queue (whichever side starts first creates them),
takes messages in batches, writes each batch with ``consumer.write_batch`` in one
transaction and only then acknowledges it: a batch that could not be written is delivered
again, and its events already applied are recognised (``consumer.fingerprint``).

While the database is unreachable or refuses the statements themselves (OperationalError;
ProgrammingError: a permission taken away, a table missing; nothing a message did), the
batch is tried again every ERROR_WAIT_S, waiting with the connection's own ``sleep`` so that
pika goes on answering the broker's heartbeats. Any other failure is the messages' own (a
value the database refuses, an event the summariser cannot read): the batch is then written
one message at a time, and a message that still fails is logged and skipped (acknowledged),
so that it does not hold up the queue for good.

A connection lost (RabbitMQ restarted, the network cut) is made again every
RECONNECT_WAIT_S by ``run``, in the same process: the messages taken and not acknowledged
come back from the queue, and the engines publish the events they kept meanwhile (Rasa's
Pika broker keeps them in memory until its own connection is back).

The engine publishes each event redacted, as it stores it (bot/engine/tracker_store.py), and
the summariser redacts every text it keeps all the same. Use one feed per app database (this
one, or the tracker store's), not both.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from types import FrameType
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.events.consumer import (
    BATCH_EVENTS,
    ERROR_WAIT_S,
    QUEUE_FEED,
    Event,
    lock_feed,
    write_batch,
)

logger = logging.getLogger(__name__)
RASA_EXCHANGE = "rasa-exchange"  # rasa.core.brokers.pika.RABBITMQ_EXCHANGE
DEFAULT_QUEUE = "rasa_core_events"
WAIT_S = 0.5  # a batch is written when no message came for this long
RECONNECT_WAIT_S = 5.0  # between attempts to reach the broker again (aio-pika's, the engine's)
STOP_POLL_S = 0.2  # how often a wait for the broker looks whether the consumer was stopped


def declare(channel: Any, queue: str, exchange: str = RASA_EXCHANGE) -> None:
    """Rasa's exchange and the queue, bound, as its PikaEventBroker declares them."""
    channel.exchange_declare(exchange, exchange_type="fanout")
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, exchange, routing_key="")


def _event(body: bytes) -> Event | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("sender_id"), str):
        return None
    return Event(data["sender_id"], data)


class Unwritable(Exception):
    """Writing these events failed otherwise than by the database being unreachable."""


def _write(engine: Engine, events: list[Event], key: bytes | None) -> None:
    try:
        with engine.begin() as connection:
            lock_feed(connection, QUEUE_FEED)  # a purge in progress ends first
            write_batch(connection, events, key)
    except (OperationalError, ProgrammingError):
        raise
    except Exception as exc:  # noqa: BLE001 (told apart from an unreachable database)
        raise Unwritable(type(exc).__name__) from exc


def consume(channel: Any, queue: str, engine: Engine, key: bytes | None, once: bool = False,
            batch: int = BATCH_EVENTS, stop: list[bool] | None = None) -> int:
    """Apply the queue's messages until ``stop[0]`` is set (or, ``once``, until the queue is
    empty); returns how many messages were taken."""
    stop = stop if stop is not None else [False]
    channel.basic_qos(prefetch_count=batch)
    taken = 0
    pending: list[tuple[int, Event | None]] = []

    def written(events: list[Event]) -> bool:
        """Whether the events are written (False: stopped while the database was down);
        raises Unwritable."""
        while True:
            try:
                _write(engine, events, key)
                return True
            except (OperationalError, ProgrammingError) as exc:
                if stop[0]:
                    return False
                logger.warning("Events consumer: the database failed (%s); trying again in "
                               "%.0f s.", type(exc).__name__, ERROR_WAIT_S)
            channel.connection.sleep(ERROR_WAIT_S)  # pika answers heartbeats meanwhile

    def one_by_one(events: list[Event]) -> bool:
        for event in events:
            try:
                if not written([event]):
                    return False
            except Unwritable as exc:
                logger.error("Events consumer: skipped a message of the queue %r that cannot "
                             "be written (%s).", queue, exc)
        return True

    def flush() -> None:
        nonlocal taken
        if not pending:
            return
        events = [event for _, event in pending if event is not None]
        try:
            done = written(events)
        except Unwritable as exc:
            logger.warning("Events consumer: a batch of the queue %r cannot be written (%s); "
                           "writing its messages one at a time.", queue, exc)
            done = one_by_one(events)
        if not done:
            channel.basic_nack(pending[-1][0], multiple=True, requeue=True)
            pending.clear()
            return
        channel.basic_ack(pending[-1][0], multiple=True)
        taken += len(pending)
        pending.clear()

    for method, _properties, body in channel.consume(queue, inactivity_timeout=WAIT_S):
        if method is None:  # nothing for WAIT_S
            flush()
            if once or stop[0]:
                break
            continue
        pending.append((method.delivery_tag, _event(body)))
        if len(pending) >= batch:
            flush()
        if stop[0]:
            flush()
            break
    channel.cancel()
    return taken


def run(url: str, queue: str, engine: Engine, key: bytes | None, once: bool = False,
        exchange: str = RASA_EXCHANGE, batch: int = BATCH_EVENTS) -> int:
    """``pathfinder events consume --broker``: 0 once stopped (Ctrl-C, SIGTERM) or, with
    ``once``, when the queue is empty; 1 when the broker cannot be reached at the start. A
    connection lost later (RabbitMQ restarted, the network cut) is made again, every
    RECONNECT_WAIT_S, until the broker answers or the consumer is stopped."""
    import pika

    stop = [False]

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop[0] = True

    previous = signal.signal(signal.SIGTERM, _stop)
    parameters = pika.URLParameters(url)
    try:
        connection = pika.BlockingConnection(parameters)
    except pika.exceptions.AMQPError as exc:
        signal.signal(signal.SIGTERM, previous)
        print(f"error: cannot reach the event broker ({type(exc).__name__})",
              file=sys.stderr)
        return 1
    # The connection is gone (RabbitMQ restarted, the network cut), or the channel with it.
    lost = (pika.exceptions.AMQPConnectionError, pika.exceptions.ChannelWrongStateError)
    started = time.perf_counter()
    taken = 0
    try:
        while True:
            try:
                channel = connection.channel()
                declare(channel, queue, exchange)
                taken += consume(channel, queue, engine, key, once=once, batch=batch,
                                 stop=stop)
                break
            except lost as exc:
                # The messages taken and not acknowledged go back to the queue with the
                # connection; written already, they are recognised (fingerprints).
                logger.warning("Events consumer: lost the event broker (%s); connecting "
                               "again every %.0f s.", type(exc).__name__, RECONNECT_WAIT_S)
            connection = _reconnect(parameters, stop)
            if connection is None:
                return 0
            logger.warning("Events consumer: connected to the event broker again.")
        print(f"Read {taken} events from the queue {queue!r} in "
              f"{time.perf_counter() - started:.1f} s.")
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if connection is not None and connection.is_open:
            connection.close()


def _reconnect(parameters: Any, stop: list[bool]) -> Any | None:
    """A new connection to the broker once it answers; None when stopped first."""
    import pika

    while not stop[0]:
        deadline = time.monotonic() + RECONNECT_WAIT_S
        while not stop[0] and time.monotonic() < deadline:
            time.sleep(STOP_POLL_S)
        if stop[0]:
            break
        try:
            return pika.BlockingConnection(parameters)
        except pika.exceptions.AMQPError:
            continue
    return None
