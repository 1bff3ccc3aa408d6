"""The soak of bench/load.py (an engine killed under load) counts what became of each message
a learner sent, from the learners' records and the tracker store's ``events`` table: a turn
the engine apologised for and did not store is not "lost" (the learner was told to send it
again), and the verdict says so. The soak itself takes 10+ minutes: its counting is checked
here on records written for the test and a SQLite table laid out as Rasa's SQL tracker
store's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from bench.load import Stored, stored_lines, stored_turns, verdict_line

APOLOGY = "apology (utter_action_failed)"  # how bench/locustfile.py records one


def _tracker_store(path: Path, events: list[tuple[str, str, str]]) -> str:
    """A SQLite tracker store holding ``events``: (sender, message id, text) user messages,
    in order."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                     "type_name TEXT, timestamp REAL, intent_name TEXT, action_name TEXT, "
                     "data TEXT)")
        for number, (sender, message_id, text) in enumerate(events):
            conn.execute("INSERT INTO events (sender_id, type_name, timestamp, data) "
                         "VALUES (?, 'user', ?, ?)", (sender, 1000.0 + number, json.dumps(
                             {"event": "user", "message_id": message_id, "text": text})))
            conn.execute("INSERT INTO events (sender_id, type_name, timestamp, data) "
                         "VALUES (?, 'bot', ?, '{}')", (sender, 1000.5 + number))
    return f"sqlite:///{path}"


def _sent(sender: str, *message_ids: str) -> list[dict[str, Any]]:
    return [{"k": "send", "sender": sender, "seq": seq, "id": message_id,
             "text": f"text of {message_id}", "door": "rest", "t": 100.0 + seq}
            for seq, message_id in enumerate(message_ids)]


def _done(message_id: str, error: str | None = None) -> dict[str, Any]:
    return {"k": "done", "id": message_id, "t": 200.0, "ms": 120.0, "attempts": 1,
            "error": error}


def test_a_turn_apologised_for_and_not_stored_is_not_counted_lost(tmp_path: Path) -> None:
    sends = _sent("ana", "stored", "apologised", "answered", "failed", "unended",
                  "apologised-stored") + _sent("eve", "twice")
    dones = {d["id"]: d for d in [
        _done("stored"), _done("apologised", APOLOGY), _done("answered"),
        _done("failed", "HTTP 502"), _done("apologised-stored", APOLOGY), _done("twice")]}
    url = _tracker_store(tmp_path / "tracker.db", [
        ("ana", "stored", "text of stored"), ("someone-else", "x", "not ours"),
        ("ana", "apologised-stored", "text of apologised-stored"),
        ("eve", "twice", "text of twice"), ("eve", "twice", "text of twice")])

    found = stored_turns(url, sends, dones)

    assert (found.sent, found.conversations, found.stored) == (7, 2, 3)
    # The learner was told ("please try again in a moment"): not lost.
    assert found.apologised == 1
    # Not stored and the learner not told: answered as if stored, an error, never ended.
    assert (found.lost, found.lost_answered, found.lost_failed, found.lost_unended) == \
        (3, 1, 1, 1)
    assert (found.duplicated, found.out_of_order, found.altered, found.unrecorded) == \
        (1, 0, 0, 0)
    assert not found.whole


def test_the_soak_says_what_each_count_means_and_passes_with_only_apologies() -> None:
    only_apologised = Stored(sent=10, stored=8, apologised=2, conversations=3)
    assert only_apologised.whole
    lines = stored_lines(only_apologised)
    [apologised] = [line for line in lines if "apologised, not stored" in line]
    assert "apologised, not stored: 2" in apologised and "try again" in apologised
    [lost_line] = [line for line in lines if line.strip().startswith("lost:")]
    assert "lost:                 0 (not stored, and the learner was not told so" in lost_line
    verdict = verdict_line(only_apologised, errors=2, window_errors=2)
    assert "unless the learner was told to send it again" in verdict
    assert "(0 lost, duplicated or out of order): PASS" in verdict

    one_lost = Stored(sent=10, stored=7, apologised=2, lost=1, lost_answered=1)
    assert "lost:                 1 (" in "\n".join(stored_lines(one_lost))
    assert "answered as if stored 1" in "\n".join(stored_lines(one_lost))
    assert "out of order): FAIL" in verdict_line(one_lost, errors=2, window_errors=2)
