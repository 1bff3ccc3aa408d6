"""The web widget without a browser: the demo page and the widget's files as the web app
serves them, its conversation API's answers to bad input, and the widget's rendering run in
Node against a stand-in DOM whose HTML entry points (innerHTML & co.) throw, so rendering
bot text as HTML fails the test. The same flows in a real Chromium: test_widget_browser.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.api.app import create_app
from bot.api.routers.conversations import transcript
from bot.stack import free_port
from knowledge.referrals import conversation_ref
from knowledge.settings import SECRET_KEY_ENV
from tests.conftest import TEST_SECRET_KEY
from tests.http_stand_in import LocalHTTPServer, QuietHandler, read_json, send_json
from tests.test_idempotency import EngineStandIn

WIDGET = Path(__file__).resolve().parent.parent / "connectors" / "widget"
HOSTILE = '<img src=x onerror="alert(1)">'
SENDER = "web-" + "0123456789abcdef" * 2
# The conversation's pseudonym in program links, as the server derives it (tests' key).
REF = conversation_ref(SENDER, TEST_SECRET_KEY.encode())


def test_the_demo_page_is_a_mock_portal_with_the_widget_embedded(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "mock" in text.lower() and "micro-credentials portal" in text.lower()
    assert '<script src="/widget/pathfinder-widget.js" defer></script>' in text
    # The snippet is shown as text, with this server's absolute URLs, for portals to copy.
    assert ("&lt;script src=&quot;http://testserver/widget/pathfinder-widget.js&quot; defer"
            "&gt;&lt;/script&gt;") in text
    assert "&quot;serverUrl&quot;: &quot;http://testserver&quot;" in text


def test_the_only_inline_script_is_the_config_allowed_by_its_hash(client: TestClient) -> None:
    page = client.get("/")
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert len(inline) == 1 and "window.PathfinderWidget = {" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    csp = page.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in csp and "unsafe-inline" not in csp


def test_a_forged_host_header_is_not_echoed_into_the_page(client: TestClient) -> None:
    page = client.get("/", headers={"Host": 'evil"></script><script>alert(1)//'})
    assert "<script>alert(1)" not in page.text and "evil" not in page.text


def test_the_widget_files_are_served(client: TestClient) -> None:
    script = client.get("/widget/pathfinder-widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/widget/pathfinder-widget.css").status_code == 200
    assert client.get("/widget/../knowledge/db.py").status_code == 404
    assert client.get("/health").json() == {"status": "ok"}


def test_the_widget_never_writes_html() -> None:
    code = "\n".join(line for line in (WIDGET / "pathfinder-widget.js").read_text().splitlines()
                     if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", ".url"):  # .url: program links never use the payload's URL
        assert sink not in code


@pytest.mark.parametrize("sender", ["ana", "web-123", "web-" + "G" * 32, "tg-12345",
                                    "web-" + "0" * 32 + "/../x", SENDER.upper()])
def test_only_random_web_conversation_ids_are_accepted(client: TestClient, sender: str) -> None:
    assert client.get(f"/api/conversations/{sender}/messages").status_code in (404, 422)
    reply = client.post(f"/api/conversations/{sender}/messages", json={"message": "hi"})
    assert reply.status_code in (404, 422)


@pytest.mark.parametrize("body", [b"{", b'{"message": 3}', b"[]", b'{"text": "hi"}',
                                  json.dumps({"message": "x" * 20_001}).encode()])
def test_malformed_messages_get_a_422_with_a_reason(client: TestClient, body: bytes) -> None:
    reply = client.post(f"/api/conversations/{SENDER}/messages", content=body,
                        headers={"Content-Type": "application/json"})
    assert reply.status_code == 422 and reply.json()["detail"]


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"message": "\\ud800"}', "surrogate"),
    (b'{"message": "hi \\udc00 there"}', "surrogate"),
    (b"[" * 1000 + b"]" * 1000, "nested"),
    (b'{"message": ' + b"[" * 1000 + b"]" * 1000 + b"}", "nested"),
    (b'{"message": "hi", "extra": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}", "nested"),
])
def test_json_no_route_could_use_gets_a_400_with_a_reason(
        client: TestClient, body: bytes, reason: str) -> None:
    """A lone surrogate is valid JSON but no text; nothing nests a message 1,000 deep. The
    widget's channel refuses both, saying why, before Rasa is asked."""
    reply = client.post(f"/api/conversations/{SENDER}/messages", content=body,
                        headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reason in reply.json()["detail"]


class RasaStandIn(LocalHTTPServer):
    """A stand-in for the Rasa engine on a free port: its REST channel answers ``messages``,
    with the conversation's ``language`` in the Content-Language header as
    bot/engine/channels.py sends it (none when None); its tracker API fails (a fault
    injected). It records every request: (method, path, JSON body or None)."""

    def __init__(self, messages: list[dict[str, Any]], language: str | None = None) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802
                stand_in.requests.append(("POST", self.path, read_json(self)))
                send_json(self, messages,
                          {"Content-Language": language} if language else None)

            def do_GET(self) -> None:  # noqa: N802
                stand_in.requests.append(("GET", self.path.split("?")[0], None))
                self.send_error(500)

        super().__init__(Handler)


def test_a_turn_that_ran_is_answered_even_if_its_language_cannot_be_read(
        sqlite_url: str) -> None:
    # A 503 here would make the learner send, and Rasa run, the same turn again.
    with RasaStandIn([{"recipient_id": "x", "text": "Hello!"}], language=None) as rasa, \
            TestClient(create_app(sqlite_url, rasa_url=rasa.url)) as c:
        reply = c.post(f"/api/conversations/{SENDER}/messages", json={"message": "hi"})
    assert reply.status_code == 200
    assert reply.json() == {"ref": REF, "messages": [{"text": "Hello!"}]}  # lang: left out


def test_a_turn_is_one_request_to_rasa_and_its_language_comes_with_the_answer(
        sqlite_url: str) -> None:
    # The relay used to ask Rasa's tracker API for the language after every turn.
    with RasaStandIn([{"recipient_id": SENDER, "text": "Bonjour !"}], language="fr") as rasa, \
            TestClient(create_app(sqlite_url, rasa_url=rasa.url)) as c:
        replies = [c.post(f"/api/conversations/{SENDER}/messages", json={"message": text})
                   for text in ("bonjour", "je suis soudeur")]
    assert [r.json() for r in replies] == [
        {"lang": "fr", "ref": REF, "messages": [{"text": "Bonjour !"}]}] * 2
    # The widget shows programs as cards and tells the engine so (the text then only
    # introduces a list; test_clients_that_show_cards_get_each_program_once). A message the
    # widget gave no id gets one here: each turn its own.
    assert [(method, path, body["sender"], body["message"])
            for method, path, body in rasa.requests] == [
        ("POST", "/webhooks/rest/webhook", SENDER, "bonjour"),
        ("POST", "/webhooks/rest/webhook", SENDER, "je suis soudeur")]
    metadata = [body["metadata"] for _, _, body in rasa.requests]
    assert all(m["cards"] is True and set(m) == {"cards", "message_id"} for m in metadata)
    assert all(re.fullmatch(r"[0-9a-f]{32}", m["message_id"]) for m in metadata)
    assert metadata[0]["message_id"] != metadata[1]["message_id"]


def test_the_widgets_message_id_names_the_turn_and_a_lost_one_is_sent_again(
        sqlite_url: str) -> None:
    """The widget's id goes to the engine as the turn's (its resend is then stored once); a
    replica that died mid-turn (the balancer's 502) gets the turn once more, with that id,
    and the learner gets the answer, not an error."""
    with EngineStandIn(502) as rasa, \
            TestClient(create_app(sqlite_url, rasa_url=rasa.url)) as c:
        reply = c.post(f"/api/conversations/{SENDER}/messages",
                       json={"message": "hi", "message_id": "5f0c2a9e-resend.1"})
        refused = [c.post(f"/api/conversations/{SENDER}/messages",
                          json={"message": "hi", "message_id": bad})
                   for bad in ("", "a b", "x" * 129, 42, "<b>")]
    assert reply.status_code == 200 and reply.json()["messages"] == [{"text": "Hello!"}]
    assert rasa.message_ids == ["5f0c2a9e-resend.1"] * 2
    assert [r.status_code for r in refused] == [422] * 5  # and nothing sent for them


def test_each_reply_gives_the_widget_a_ref_for_links_that_is_not_the_conversation_id(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The conversation id is the key to its transcript: program links carry a pseudonym the
    server derives from it with its secret key (HMAC), one per conversation."""
    other = "web-" + "fedcba9876543210" * 2
    with RasaStandIn([{"recipient_id": "x", "text": "Hi"}], language="en") as rasa, \
            TestClient(create_app(sqlite_url, rasa_url=rasa.url)) as c:
        def ref_of(sender: str) -> str | None:
            reply = c.post(f"/api/conversations/{sender}/messages", json={"message": "hi"})
            assert reply.status_code == 200
            ref: str | None = reply.json().get("ref")
            return ref
        refs = {sender: ref_of(sender) for sender in (SENDER, other)}
        assert refs[SENDER] == ref_of(SENDER)  # stable: every link of a conversation matches
        for sender, ref in refs.items():
            assert ref is not None and re.fullmatch(r"[0-9a-f]{32}", ref)
            assert ref != sender and ref not in sender and sender.removeprefix("web-") != ref
        assert refs[SENDER] != refs[other]
        # Another key, other refs: whoever has a ref cannot tell the id without the key.
        monkeypatch.setenv(SECRET_KEY_ENV, "another key for another installation")
        assert ref_of(SENDER) not in (None, refs[SENDER])
        # No key: the turn is still answered, its links just carry no ref.
        monkeypatch.delenv(SECRET_KEY_ENV)
        assert ref_of(SENDER) is None


def test_rasa_down_is_a_503_with_a_reason(client: TestClient) -> None:
    for reply in (client.post(f"/api/conversations/{SENDER}/messages", json={"message": "hi"}),
                  client.get(f"/api/conversations/{SENDER}/messages")):
        assert reply.status_code == 503 and "cannot be reached" in reply.json()["detail"]


def test_the_openapi_document_describes_the_widget_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    messages = paths["/api/conversations/{sender}/messages"]
    assert set(messages) == {"get", "post"}
    assert "302" in paths["/go/{program_id}"]["get"]["responses"]


def test_the_transcript_shows_what_the_learner_saw() -> None:
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "user", "text": "hello", "timestamp": 2.0},
        {"event": "bot", "text": "Hi!", "timestamp": 3.0, "data": {"buttons": [
            {"title": "I want to learn", "payload": "/ask_recommendations"}]}},
        {"event": "user", "text": "/ask_recommendations", "timestamp": 4.0},
        {"event": "user", "text": '/change_language{"language":"fr"}', "timestamp": 5.0},
        {"event": "bot", "text": None, "data": {"custom": {"type": "recommendations"}}},
        {"event": "bot", "text": None, "data": {}},
        {"event": "user", "text": "/restart", "timestamp": 6.0},
    ]
    shown = [(m.sender, m.text) for m in transcript(events)]
    assert shown == [("user", "hello"), ("bot", "Hi!"), ("user", "I want to learn"),
                     ("user", "Français"), ("bot", None)]


# --- rendering, in Node with a DOM that refuses HTML --------------------------------------

NODE_HARNESS = r"""
const [scriptPath] = process.argv.slice(2);
const input = JSON.parse(require("fs").readFileSync(0, "utf-8"));
class El {
  constructor(tag) {
    this.tagName = tag.toUpperCase(); this.children = []; this.attributes = {};
    this.own = ""; this.listeners = {}; this.className = ""; this.hidden = false;
    const style = {}; style.setProperty = (k, v) => { style[k] = v; }; this.style = style;
  }
  set textContent(v) { this.own = String(v); this.children = []; }
  get textContent() { return this.own + this.children.map((c) => c.textContent).join(""); }
  set innerHTML(v) { throw new Error("innerHTML was used"); }
  get innerHTML() { throw new Error("innerHTML was read"); }
  set outerHTML(v) { throw new Error("outerHTML was used"); }
  insertAdjacentHTML() { throw new Error("insertAdjacentHTML was used"); }
  appendChild(c) { this.children.push(c); return c; }
  append(...cs) { for (const c of cs) this.appendChild(c); }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  removeAttribute(k) { delete this.attributes[k]; }
  addEventListener(type, f) { (this.listeners[type] = this.listeners[type] || []).push(f); }
  fire(type, event) {
    for (const f of this.listeners[type] || []) f(event || { preventDefault() {} });
  }
  focus() { globalThis.focused = this; }
  requestSubmit() { this.fire("submit"); }
}
const fetches = [];
const store = { ...input.storage };
globalThis.window = globalThis;
Object.assign(globalThis, {
  PathfinderWidget: input.config,
  location: { href: "http://portal.example/page" },
  localStorage: {
    getItem: (k) => (k in store ? store[k] : null), setItem: (k, v) => { store[k] = String(v); },
  },
  fetch: async (url, init) => {
    const method = (init && init.method) || "GET";
    fetches.push({ url, method, body: init && init.body ? JSON.parse(init.body) : null });
    // What goes wrong with the next POSTs, in turn: "network" (no answer at all) or a status.
    const failure = method === "POST" && input.failures ? input.failures.shift() : undefined;
    if (failure === "network") throw new TypeError("Failed to fetch");
    if (failure) return { ok: false, status: failure, json: async () => ({ detail: "x" }) };
    if (input.down) return { ok: false, status: 503, json: async () => ({ detail: "down" }) };
    const answer = (init && init.method === "POST") ? input.reply : input.history;
    return { ok: true, json: async () => answer };
  },
  document: {
    currentScript: { src: "http://localhost:8000/widget/pathfinder-widget.js" },
    createElement: (tag) => new El(tag),
    head: new El("head"), body: new El("body"), documentElement: { lang: "en" },
  },
});
require(scriptPath);
const find = (el, pred, out = []) => {
  if (pred(el)) out.push(el);
  el.children.forEach((c) => find(c, pred, out));
  return out;
};
const byClass = (name) => find(document.body, (e) => e.className.split(" ").includes(name));
const tree = (el) => ({ tag: el.tagName, cls: el.className, text: el.own, attrs: el.attributes,
  href: el.href, hidden: el.hidden,
  style: Object.fromEntries(Object.entries(el.style).filter(([k]) => k !== "setProperty")),
  children: el.children.map(tree) });
const settle = () => new Promise((r) => setTimeout(r, 30));
(async () => {
  await settle();                                   // history restored
  const afterHistory = { label: byClass("pfw-label")[0].textContent,
                         send: byClass("pfw-send")[0].textContent };
  if (byClass("pfw-choice").length) byClass("pfw-choice")[0].fire("click");  // a button
  await settle();
  const input2 = byClass("pfw-input")[0];
  input2.value = "  " + input.typed + "  ";
  byClass("pfw-composer")[0].fire("submit");        // type and send
  await new Promise((r) => setTimeout(r, input.settleMs || 30));  // a resend waits 1 s
  console.log(JSON.stringify({ root: tree(document.body.children[0]), fetches, store, afterHistory,
    css: document.head.children.map((c) => c.href), lang: document.body.children[0].lang,
    status: byClass("pfw-status")[0].textContent }));
})().catch((e) => { console.error(e.stack); process.exit(1); });
"""

RECOMMENDATIONS = {
    "type": "recommendations", "lang": "fr",
    "occupation": {"noc": "65100", "title": "<script>alert(2)</script>"},
    "target_occupation": None,
    "programs": [
        {"id": "p1", "title": "<i>Soudure</i>", "institution": "Collège <u>X</u>",
         "url": "javascript:alert(3)", "cost": 450.0, "currency": "CAD", "hours": 30.0,
         "weeks": 6.0, "delivery": "online", "language": "fr",
         "delivery_label": "En ligne", "language_label": "Français",
         "why": "Elle enseigne <em>la soudure</em>."},
        # as an older server sent it: codes, no labels
        {"id": "a b/c?d", "title": "Plain", "institution": "College Y",
         "url": "https://example.org/p2", "cost": 99.5, "currency": "CAD", "hours": 12.0,
         "weeks": None, "delivery": "in_person", "language": "en", "why": "Why."}],
    "wage": {"low": 18.5, "median": 24.0, "high": 31.25, "unit": "hour", "region": "Ontario",
             "year": 2024, "source": "Job Bank <a>"},
    "outlook": {"rating": "shortage_strong", "label": "Risque important de pénurie",
                "period": "2024-2033", "region": "Canada", "source": "COPS"}}


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node["children"]:
        yield from _walk(child)


def _classes(node: dict[str, Any]) -> set[str]:
    return set(node["cls"].split())


def run_widget(tmp_path: Path, scenario: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed: the rendering check needs a JavaScript engine")
    harness = tmp_path / "harness.js"
    harness.write_text(NODE_HARNESS, encoding="utf-8")
    result = subprocess.run([node, str(harness), str(WIDGET / "pathfinder-widget.js")],
                            input=json.dumps(scenario), capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A returning visitor: history restored, a button pressed, a message typed."""
    return run_widget(tmp_path_factory.mktemp("js"), {
        "config": {"title": "Portal help <b>", "colours": {"accent": "#ffd400"}},
        "storage": {"pathfinder.sender": SENDER, "pathfinder.open": "1"},
        "history": {"lang": "fr", "ref": REF, "messages": [
            {"sender": "user", "text": HOSTILE},
            {"sender": "bot", "text": "Bonjour", "buttons": [
                {"title": "<b>Oui</b>", "payload": "/affirm"}]},
            {"sender": "bot", "custom": RECOMMENDATIONS}]},
        "reply": {"lang": "en", "ref": REF, "messages": [{"text": "Reply <b>bold</b>"}]},
        "typed": "I am a welder",
    })


def test_a_new_visitor_gets_a_random_id_and_a_message_when_the_server_is_down(
        tmp_path: Path) -> None:
    result = run_widget(tmp_path, {"config": {"language": "fr"}, "storage": {},
                                   "down": True, "typed": "bonjour", "settleMs": 1500})
    # No conversation yet: nothing fetched (and none created) before the first message; the
    # message is sent once more (a 503 may be a replica restarting), with the same id.
    assert [f["method"] for f in result["fetches"]] == ["POST", "POST"]
    assert result["fetches"][0]["body"] == result["fetches"][1]["body"]
    sender = result["store"]["pathfinder.sender"]
    assert re.fullmatch(r"web-[0-9a-f]{32}", sender) and sender != SENDER
    assert result["fetches"][0]["url"].endswith(f"/api/conversations/{sender}/messages")
    assert result["status"] == ("Je ne peux pas joindre l'assistant pour le moment. "
                                "Veuillez réessayer dans un moment.")
    texts = [n["text"] for n in _walk(result["root"])]
    assert "bonjour" in texts  # what the learner typed stays on screen


@pytest.mark.parametrize("failure", ["network", 502, 503, 504])
def test_a_message_without_an_answer_is_sent_once_more_with_its_id(
        tmp_path: Path, failure: str | int) -> None:
    result = run_widget(tmp_path, {
        "config": {}, "storage": {}, "failures": [failure], "settleMs": 1500,
        "reply": {"lang": "en", "messages": [{"text": "Hi there"}]}, "typed": "hello"})
    posts = [f["body"] for f in result["fetches"] if f["method"] == "POST"]
    assert len(posts) == 2 and posts[0] == posts[1] and posts[0]["message"] == "hello"
    texts = [n["text"] for n in _walk(result["root"])]
    assert texts.count("Hi there") == 1 and texts.count("hello") == 1
    assert result["status"] == ""  # answered: no "cannot reach the assistant"


@pytest.mark.parametrize("failure", [500, 422, 429])
def test_a_message_the_server_answered_with_an_error_is_not_sent_again(
        tmp_path: Path, failure: int) -> None:
    result = run_widget(tmp_path, {"config": {}, "storage": {}, "failures": [failure],
                                   "settleMs": 1500, "reply": {"messages": []}, "typed": "hi"})
    assert [f["method"] for f in result["fetches"]] == ["POST"]
    assert result["status"] == ("I cannot reach the assistant right now. "
                                "Please try again in a moment.")


def test_text_is_rendered_as_text_not_html(rendered: dict[str, Any]) -> None:
    nodes = list(_walk(rendered["root"]))
    assert not {n["tag"] for n in nodes} & {"IMG", "SCRIPT", "B", "I", "U", "EM"}
    texts = [n["text"] for n in nodes]
    for literal in (HOSTILE, "<b>Oui</b>", "<i>Soudure</i>", "Reply <b>bold</b>",
                    "Portal help <b>"):
        assert literal in texts
    assert any("<script>alert(2)</script>" in t for t in texts)


def test_program_links_go_through_the_redirect(rendered: dict[str, Any]) -> None:
    links = [n for n in _walk(rendered["root"]) if n["tag"] == "A"]
    # The server's ref for the conversation, never its id (the key to the transcript).
    query = f"channel=web&ref={REF}"
    assert [link["href"] for link in links] == [
        f"http://localhost:8000/go/p1?{query}",
        f"http://localhost:8000/go/a%20b%2Fc%3Fd?{query}"]
    assert not [link for link in links if SENDER.removeprefix("web-") in link["href"]]
    assert all(link["attrs"].get("aria-hidden") is None for link in links)


def test_links_carry_no_conversation_when_the_server_gives_no_ref(tmp_path: Path) -> None:
    result = run_widget(tmp_path, {
        "config": {}, "storage": {"pathfinder.sender": SENDER},
        "history": {"lang": "en", "messages": [{"sender": "bot", "custom": RECOMMENDATIONS}]},
        "reply": {"lang": "en", "messages": []}, "typed": "hi"})
    links = [n["href"] for n in _walk(result["root"]) if n["tag"] == "A"]
    assert links and all(link.endswith("?channel=web") for link in links)


def test_the_history_is_restored_in_the_conversation_language(rendered: dict[str, Any]) -> None:
    [history] = [f for f in rendered["fetches"] if f["method"] == "GET"]
    assert history["url"] == f"http://localhost:8000/api/conversations/{SENDER}/messages"
    # Interface strings followed the restored conversation (fr), then the reply's (en).
    assert rendered["afterHistory"] == {"label": "Votre message", "send": "Envoyer"}
    assert rendered["lang"] == "en" and rendered["store"]["pathfinder.lang"] == "en"
    [log] = [n for n in _walk(rendered["root"]) if "pfw-log" in _classes(n)]
    assert log["attrs"]["role"] == "log" and log["attrs"]["aria-live"] == "polite"
    assert "aria-busy" not in log["attrs"]  # restored, so new messages are announced again
    text = " ".join(n["text"] for n in _walk(rendered["root"]))
    assert "Formations pour <script>alert(2)</script>" in text
    assert "Source : Job Bank <a>, 2024" in text


def test_cards_show_the_labels_the_payload_gives(rendered: dict[str, Any]) -> None:
    cards = [n for n in _walk(rendered["root"]) if "pfw-card" in _classes(n)]
    facts = [[n["text"] for n in _walk(card) if n["tag"] == "DD"] for card in cards]
    assert len(facts) == 2
    # The conversation is French: the payload's French labels, shown as they are.
    assert "En ligne" in facts[0] and "Français" in facts[0], facts[0]
    # No labels (a payload from an older server): the codes, as for any unknown value.
    assert "in_person" in facts[1] and "en" in facts[1], facts[1]


def test_the_wage_bar_is_a_picture_with_its_figures_as_text(rendered: dict[str, Any]) -> None:
    nodes = list(_walk(rendered["root"]))
    [bar] = [n for n in nodes if "pfw-bar" in _classes(n)]
    assert bar["attrs"]["aria-hidden"] == "true"
    median = next(c for c in bar["children"] if "pfw-bar-median" in _classes(c))
    assert median["style"]["left"] == f"{24.0 / (31.25 * 1.1) * 100:.1f}%"
    [wage] = [n for n in nodes if "pfw-wage" in _classes(n)]
    spoken = [n["text"] for n in _walk(wage) if "pfw-sr-only" in _classes(n)]
    assert len(spoken) == 1
    for figure in ("18,50", "24,00", "31,25", "Ontario", "2024", "de l'heure"):
        assert figure in spoken[0]
    [badge] = [n for n in nodes if "pfw-badge-shortage" in _classes(n)]
    assert "Risque important de pénurie" in [c["text"] for c in badge["children"]]


def test_the_wage_figure_shows_its_region_and_unit(rendered: dict[str, Any]) -> None:
    """A client that shows cards gets the wage only here (the bot sends it no wage text):
    the job, the region and the unit are on screen, not only for screen readers."""
    [wage] = [n for n in _walk(rendered["root"]) if "pfw-wage" in _classes(n)]
    [caption] = [n["text"] for n in _walk(wage) if "pfw-figure-title" in _classes(n)]
    assert caption == "Salaires pour <script>alert(2)</script>, Ontario"
    [unit] = [n for n in _walk(wage) if "pfw-hint" in _classes(n)]
    assert unit["text"] == "Dollars de l'heure." and unit["attrs"]["aria-hidden"] == "true"
    [source] = [n["text"] for n in _walk(wage) if "pfw-source" in _classes(n)]
    assert source == "Source : Job Bank <a>, 2024"


def test_buttons_and_typed_text_go_to_the_conversation_api(rendered: dict[str, Any]) -> None:
    posts = [f for f in rendered["fetches"] if f["method"] == "POST"]
    assert [p["body"]["message"] for p in posts] == ["/affirm", "I am a welder"]
    # Each message has an id of its own (the server stores a message once per id).
    ids = [p["body"]["message_id"] for p in posts]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 2
    assert {p["url"] for p in posts} == {
        f"http://localhost:8000/api/conversations/{SENDER}/messages"}
    texts = [n["text"] for n in _walk(rendered["root"])]
    assert texts.count("<b>Oui</b>") == 2  # the button, and the learner's bubble


def test_config_colours_get_a_readable_text_colour(rendered: dict[str, Any]) -> None:
    style = rendered["root"]["style"]
    assert style["--pfw-accent"] == "#ffd400"
    assert style["--pfw-on-accent"] == "#111111"  # dark text on yellow
    assert rendered["css"] == ["http://localhost:8000/widget/pathfinder-widget.css"]


def test_rasa_down_is_logged_without_the_conversation_id(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # The id is the key to the transcript: it must not end up in the web app's log.
    monkeypatch.setenv("PATHFINDER_RASA_TOKEN", "a-token-for-this-test-only")
    with TestClient(create_app(sqlite_url, rasa_url=f"http://127.0.0.1:{free_port()}")) as c:
        assert c.get(f"/api/conversations/{SENDER}/messages").status_code == 503
    assert "did not answer GET /conversations/<conversation>" in caplog.text
    assert SENDER not in caplog.text and "a-token-for-this-test-only" not in caplog.text


def test_the_web_app_does_not_start_without_the_engines_token(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without it the engine refuses every web- conversation: better no start than a widget
    that only ever says "try again"."""
    monkeypatch.delenv("PATHFINDER_RASA_TOKEN")
    with pytest.raises(ValueError, match="PATHFINDER_RASA_TOKEN is not set"), \
            TestClient(create_app(sqlite_url)):
        pass
