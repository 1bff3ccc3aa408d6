""""Ask the institution": the form on a program's page (double-submit CSRF token, rate limit
per IP) and POST /api/inquiries store the question for the program's institution, and
count_inquiries counts it for analytics. Real SQLite copy of the test knowledge base, the
real web app via TestClient."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from bot.api.app import create_app
from bot.api.rate_limit import RateLimiter
from bot.api.routers.employers import CSRF_COOKIE
from knowledge import models
from knowledge.inquiries import (
    InvalidInquiry,
    UnknownProgram,
    count_inquiries,
    create_inquiry,
    inquiries_for_institution,
)
from knowledge.settings import DEFAULT_MAX_BODY_BYTES

QUESTION = "Is there an evening section starting in the fall?"


@pytest.fixture(autouse=True)
def no_inquiries_yet(kb_engine: Engine) -> None:
    """Each test starts with no inquiry stored in the module's knowledge base."""
    with Session(kb_engine) as session:
        session.execute(delete(models.Inquiry))
        session.commit()


@pytest.fixture(scope="module", autouse=True)
def generous_limit(client: TestClient) -> None:
    """The module's app allows many inquiries (the rate-limit test has its own app)."""
    client.app.state.inquiry_limiter = RateLimiter(1000, 600)  # type: ignore[attr-defined]


def stored(session: Session) -> list[models.Inquiry]:
    session.expire_all()
    return list(session.scalars(select(models.Inquiry).order_by(models.Inquiry.id)))


def form_token(client: TestClient, program_id: str) -> str:
    page = client.get(f"/employers/programs/{program_id}")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match and client.cookies.get(CSRF_COOKIE) == match.group(1)
    return match.group(1)


def test_form_to_stored_to_counted(client: TestClient, db: Session,
                                   program: models.Program) -> None:
    token = form_token(client, program.id)
    sent = client.post(f"/employers/programs/{program.id}/inquiry", data={
        "csrf_token": token, "name": "Ana Silva", "email": "ana@example.org",
        "question": QUESTION})
    assert sent.status_code == 303
    confirmation = client.get(sent.headers["location"])
    assert "your question was stored for the institution" in confirmation.text
    [inquiry] = stored(db)
    assert (inquiry.program_id, inquiry.institution_id, inquiry.source) == (
        program.id, program.institution_id, "form")
    assert (inquiry.name, inquiry.email, inquiry.question) == (
        "Ana Silva", "ana@example.org", QUESTION)
    assert inquiries_for_institution(db, program.institution_id)[0].id == inquiry.id
    this_week = count_inquiries(db, dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
    assert sum(n for _, n in this_week) == 1
    assert count_inquiries(db, by="institution") == [(program.institution_id, 1)]


def test_form_without_the_matching_token_is_refused(client: TestClient, db: Session,
                                                    program: models.Program) -> None:
    fields = {"name": "Eve", "email": "eve@example.org", "question": QUESTION}
    # a cross-site post: no cookie, or a token that is not the cookie's
    assert client.post(f"/employers/programs/{program.id}/inquiry",
                       data=fields).status_code == 403
    form_token(client, program.id)
    refused = client.post(f"/employers/programs/{program.id}/inquiry",
                          data=fields | {"csrf_token": "forged"})
    assert refused.status_code == 403 and "expired" in refused.text
    assert stored(db) == []


def test_a_token_that_is_not_ascii_is_refused_not_an_error(
        client: TestClient, db: Session, program: models.Program) -> None:
    form_token(client, program.id)
    refused = client.post(f"/employers/programs/{program.id}/inquiry", data={
        "csrf_token": "jeton-é", "name": "Eve", "email": "eve@example.org",
        "question": QUESTION})
    assert refused.status_code == 403 and stored(db) == []


def test_the_form_cookie_is_secure_when_the_setting_says_so(
        client: TestClient, program: models.Program, monkeypatch: pytest.MonkeyPatch) -> None:
    # Behind a TLS-terminating proxy the app sees plain HTTP: only the setting says HTTPS.
    page = client.get(f"/employers/programs/{program.id}")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(CSRF_COOKIE + "=") and "secure" not in cookie.lower()
    monkeypatch.setenv("PATHFINDER_SECURE_COOKIES", "1")
    cookie = client.get(f"/employers/programs/{program.id}").headers["set-cookie"]
    assert "; secure" in cookie.lower() and "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    client.cookies.clear()  # a Secure cookie is not sent back over the test's plain HTTP


@pytest.mark.parametrize("fields, field", [
    ({"name": "", "email": "a@example.org", "question": QUESTION}, "name"),
    ({"name": "Ana", "email": "not an address", "question": QUESTION}, "e-mail"),
    ({"name": "Ana", "email": "a@example.org", "question": "x" * 10_000}, "Question"),
    ({"name": "Ana", "email": "a@example.org", "question": "   "}, "Question"),
])
def test_form_errors_are_shown_and_nothing_is_stored(
        client: TestClient, db: Session, program: models.Program,
        fields: dict[str, str], field: str) -> None:
    token = form_token(client, program.id)
    answer = client.post(f"/employers/programs/{program.id}/inquiry",
                         data=fields | {"csrf_token": token})
    assert answer.status_code == 400
    assert field in answer.text and 'role="alert"' in answer.text
    assert stored(db) == []


def test_form_errors_are_in_the_pages_language(
        client: TestClient, db: Session, program: models.Program) -> None:
    token = form_token(client, program.id)
    answer = client.post(f"/employers/programs/{program.id}/inquiry?lang=fr", data={
        "csrf_token": token, "name": "Ana", "email": "pas une adresse", "question": QUESTION})
    assert answer.status_code == 400
    assert "Votre courriel (pour la réponse) : pas une adresse courriel" in unescape(answer.text)
    short = client.post(f"/employers/programs/{program.id}/inquiry?lang=fr", data={
        "csrf_token": token, "name": "Ana", "email": "a@example.org", "question": "Prix"})
    assert short.status_code == 400 and "au moins" in unescape(short.text)
    assert stored(db) == []


def test_what_people_type_is_kept_as_text_and_shown_escaped(
        client: TestClient, db: Session, program: models.Program) -> None:
    token = form_token(client, program.id)
    hostile = "<script>alert('x')</script>"
    answer = client.post(f"/employers/programs/{program.id}/inquiry", data={
        "csrf_token": token, "name": hostile, "email": "bad-address", "question": QUESTION})
    assert answer.status_code == 400  # the e-mail is wrong: the form comes back filled in
    assert hostile not in answer.text and "&lt;script&gt;" in answer.text
    ok = client.post("/api/inquiries", json={
        "program_id": program.id, "name": "Robert'); DROP TABLE inquiries;--",
        "email": "bob@example.org", "question": "Café? 🙂 <b>bold</b>"})
    assert ok.status_code == 201
    [inquiry] = stored(db)
    assert inquiry.name == "Robert'); DROP TABLE inquiries;--"
    assert inquiry.question == "Café? 🙂 <b>bold</b>"


def test_json_api_and_its_bad_input(client: TestClient, db: Session,
                                    program: models.Program) -> None:
    good = {"program_id": program.id, "name": "Bo", "email": "bo@example.org",
            "question": QUESTION}
    created = client.post("/api/inquiries", json=good)
    assert created.status_code == 201
    assert created.json()["institution_id"] == program.institution_id
    assert client.post("/api/inquiries", json=good | {"program_id": "no-such"}).status_code \
        == 404
    assert client.post("/api/inquiries", json=good | {"question": "x" * 10_000}).status_code \
        == 422
    bad_email = client.post("/api/inquiries", json=good | {"email": "bo at example"})
    assert bad_email.status_code == 400 and "email" in bad_email.json()["detail"]
    assert client.post("/api/inquiries", json={}).status_code == 422
    malformed = client.post("/api/inquiries", content=b'{"name": ',
                            headers={"content-type": "application/json"})
    assert malformed.status_code == 422 and "JSON" in malformed.text
    assert len(stored(db)) == 1


def test_a_422_names_each_problem_without_echoing_the_input(
        client: TestClient, db: Session, program: models.Program) -> None:
    long_name = "N" * 10_000
    refused = client.post("/api/inquiries", json={
        "program_id": program.id, "name": long_name, "email": "bo@example.org"})
    assert refused.status_code == 422
    assert len(refused.content) < 1000 and "NNNNNNNNNN" not in refused.text
    problems = {tuple(p["loc"]): p for p in refused.json()["detail"]}
    assert set(problems) == {("body", "name"), ("body", "question")}
    assert problems[("body", "name")]["type"] == "string_too_long"
    assert "10000" not in problems[("body", "name")]["msg"]  # the limit, not what was sent
    assert all(set(p) == {"loc", "msg", "type"} for p in problems.values())
    assert stored(db) == []


def test_json_no_route_could_use_is_refused_with_a_reason(
        client: TestClient, db: Session, program: models.Program) -> None:
    """A lone surrogate is valid JSON but no text (nothing can store it); JSON nested this
    deep is no inquiry. Both are refused, with the reason, not a server error."""
    fields = f'"program_id": "{program.id}", "email": "bo@example.org"'.encode()
    hostile = {
        b"{" + fields + b', "name": "Bo", "question": "\\ud800"}': "surrogate",
        b"{" + fields + b', "name": "\\udfff", "question": "Hi"}': "surrogate",
        b"[" * 1000 + b"]" * 1000: "nested",
        b"{" + fields + b', "name": "Bo", "question": ' + b"[" * 1000 + b"]" * 1000 + b"}":
            "nested",
        b"{" + fields + b', "name": "Bo", "question": "Hi", "x": '
        + b'{"a": ' * 200 + b"1" + b"}" * 200 + b"}": "nested",
    }
    headers = {"content-type": "application/json"}
    for body, reason in hostile.items():
        refused = client.post("/api/inquiries", content=body, headers=headers)
        assert refused.status_code in (400, 422), body[:80]
        assert reason in json.dumps(refused.json()["detail"]), body[:80]
    assert stored(db) == []
    # Escaped emoji are a surrogate pair: text, taken as such.
    question = "Evening section? 🙂 [[nested]] {ok}"
    escaped = json.dumps({"program_id": program.id, "name": "Bo", "email": "bo@example.org",
                          "question": question})
    assert "\\ud83d\\ude42" in escaped
    assert client.post("/api/inquiries", content=escaped.encode(),
                       headers=headers).status_code == 201
    assert [i.question for i in stored(db)] == [question]


def test_a_body_over_the_limit_is_refused_whole_or_chunked(
        client: TestClient, db: Session, program: models.Program) -> None:
    body = json.dumps({"program_id": program.id, "name": "Bo", "email": "bo@example.org",
                       "question": "x" * DEFAULT_MAX_BODY_BYTES}).encode()
    headers = {"content-type": "application/json"}
    whole = client.post("/api/inquiries", content=body, headers=headers)
    assert whole.status_code == 413 and "Too Large" in whole.text
    # Without a Content-Length (chunked): the bytes are counted as they come.
    chunked = client.post("/api/inquiries", headers=headers,
                          content=(body[i:i + 4096] for i in range(0, len(body), 4096)))
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413
    assert stored(db) == []


def test_the_body_limit_is_a_setting(kb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_MAX_BODY_BYTES", "1000")
    # No lifespan (no `with`): the body is refused before any database work.
    small = TestClient(create_app(kb_url))
    refused = small.post("/api/inquiries", json={"question": "x" * 1000})
    assert refused.status_code == 413


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(
        client: TestClient, db: Session, program: models.Program,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is per client address. X-Forwarded-For says who that is only when the
    request comes from a proxy in PATHFINDER_TRUSTED_PROXIES; anyone else could write any
    address in it to get a fresh limit."""
    good = {"program_id": program.id, "name": "Bo", "email": "bo@example.org",
            "question": QUESTION}
    app = client.app
    assert isinstance(app, FastAPI)
    monkeypatch.setattr(app.state, "inquiry_limiter", RateLimiter(1, 600))
    # Shares the module client's lifespan: no `with`.
    proxy = TestClient(app, client=("127.0.0.1", 50000))

    def send(forwarded_for: str) -> int:
        return proxy.post("/api/inquiries", json=good,
                          headers={"X-Forwarded-For": forwarded_for}).status_code

    monkeypatch.delenv("PATHFINDER_TRUSTED_PROXIES", raising=False)
    assert [send("198.51.100.1"), send("198.51.100.2")] == [201, 429]  # both are 127.0.0.1
    monkeypatch.setenv("PATHFINDER_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    assert [send("198.51.100.3"), send("198.51.100.4")] == [201, 201]
    # What a client wrote left of the hops our proxies added is not read: the address the
    # trusted proxies saw (198.51.100.3, through 10.1.2.3) has had its inquiry.
    assert send("203.0.113.9, 198.51.100.3, 10.1.2.3") == 429
    assert len(stored(db)) == 3


def test_too_many_inquiries_from_one_address_are_refused(
        kb_url: str, db: Session, program: models.Program,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_INQUIRY_RATE", "3/600")
    with TestClient(create_app(kb_url), follow_redirects=False) as client:
        _flood(client, db, program)


def _flood(client: TestClient, db: Session, program: models.Program) -> None:
    good = {"program_id": program.id, "name": "Bo", "email": "bo@example.org",
            "question": QUESTION}
    codes = [client.post("/api/inquiries", json=good).status_code for _ in range(3)]
    assert codes == [201, 201, 201]
    limited = client.post("/api/inquiries", json=good)
    assert limited.status_code == 429 and "wait" in limited.json()["detail"]
    token = form_token(client, program.id)
    form = client.post(f"/employers/programs/{program.id}/inquiry",
                       data=good | {"csrf_token": token})
    assert form.status_code == 429
    assert len(stored(db)) == 3


def test_counts_by_week_day_and_program(db: Session, program: models.Program) -> None:
    monday = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    for days in (0, 2, 7, 8, 8):
        create_inquiry(db, program.id, "Ana", "ana@example.org", QUESTION,
                       at=monday + dt.timedelta(days=days))
    assert count_inquiries(db, monday, monday + dt.timedelta(days=14)) == [
        ("2027-03-01", 2), ("2027-03-08", 3)]
    assert count_inquiries(db, monday + dt.timedelta(days=8), by="day") == [("2027-03-09", 2)]
    assert count_inquiries(db, by="program") == [(program.id, 5)]
    assert count_inquiries(db, until=monday) == []
    with pytest.raises(ValueError):
        count_inquiries(db, by="month")  # type: ignore[arg-type]


def test_domain_checks(db: Session, program: models.Program) -> None:
    with pytest.raises(UnknownProgram):
        create_inquiry(db, "no-such-program", "Ana", "ana@example.org", QUESTION)
    with pytest.raises(InvalidInquiry, match="control"):
        create_inquiry(db, program.id, "Ana\x00", "ana@example.org", QUESTION)
    assert db.scalar(select(func.count()).select_from(models.Inquiry)) == 0
