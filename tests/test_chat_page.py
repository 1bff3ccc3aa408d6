"""The chat page at / : served by the web app, configured for the right Rasa webhook, and
its script renders bot text, buttons and program cards as text, never as HTML.

No headless Chromium on this machine, so the rendering test runs bot/api/static/chat.js in
Node with a minimal stand-in for the DOM whose innerHTML/outerHTML/insertAdjacentHTML throw;
it is skipped when `node` is missing too."""

from __future__ import annotations

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

STATIC = Path(__file__).resolve().parent.parent / "bot" / "api" / "static"
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture(scope="module")
def client(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_url)) as client:
        yield client


def test_the_chat_page_is_served_with_its_script(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<label for="message"' in html and 'id="message"' in html
    assert 'aria-live="polite"' in html and 'role="log"' in html
    assert 'src="/static/chat.js"' in html
    # No inline script: the Content-Security-Policy forbids it.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    script = client.get("/static/chat.js")
    assert script.status_code == 200 and "webhooks/rest/webhook" in script.text
    assert client.get("/static/chat.css").status_code == 200


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_the_webhook_comes_from_the_environment_escaped(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHFINDER_RASA_URL", "http://127.0.0.1:5123")
    assert 'name="pathfinder-rasa-port" content="5123"' in client.get("/").text
    monkeypatch.setenv("PATHFINDER_CHAT_WEBHOOK_URL", 'https://bot.example/hook"><script>x')
    html = client.get("/").text
    assert "https://bot.example/hook&quot;&gt;&lt;script&gt;x" in html
    assert '"><script>x' not in html


def test_the_script_never_writes_html() -> None:
    script = (STATIC / "chat.js").read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines()
                     if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function"):
        assert sink not in code


# A stand-in DOM: enough for chat.js, with every HTML-parsing entry point throwing.
NODE_HARNESS = r"""
const path = process.argv[2];
class El {
  constructor(tag, attrs) {
    this.tagName = tag.toUpperCase(); this.children = []; this.attributes = attrs || {};
    this.own = ""; this.listeners = {}; this.className = ""; this.value = "";
  }
  set textContent(v) { this.own = String(v); this.children = []; }
  get textContent() { return this.own + this.children.map((c) => c.textContent).join(""); }
  set innerHTML(v) { throw new Error("innerHTML was used"); }
  get innerHTML() { throw new Error("innerHTML was read"); }
  set outerHTML(v) { throw new Error("outerHTML was used"); }
  insertAdjacentHTML() { throw new Error("insertAdjacentHTML was used"); }
  appendChild(c) { this.children.push(c); return c; }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  addEventListener(type, f) { (this.listeners[type] = this.listeners[type] || []).push(f); }
  fire(type, event) { for (const f of this.listeners[type] || []) f(event); }
  set href(v) { this.attributes.href = String(v); }
  get href() { return this.attributes.href; }
  requestSubmit() { this.fire("submit", { preventDefault() {} }); }
}
const ids = {};
for (const id of ["log", "composer", "message", "status", "message-label", "send", "intro"]) {
  ids[id] = new El(id === "log" ? "div" : "x");
}
const metas = {
  "pathfinder-webhook": new El("meta", { content: "" }),
  "pathfinder-rasa-port": new El("meta", { content: "5999" }),
};
const sent = [];
globalThis.document = {
  getElementById: (id) => ids[id],
  createElement: (tag) => new El(tag),
  querySelector: (sel) => metas[/name="([^"]+)"/.exec(sel)[1]] || null,
  documentElement: new El("html"),
  body: { scrollHeight: 0 },
};
globalThis.window = globalThis;
globalThis.scrollTo = () => {};
globalThis.location = { href: "http://localhost:8000/", hostname: "localhost", protocol: "http:" };
const store = {};
globalThis.localStorage = {
  getItem: (k) => store[k] || null, setItem: (k, v) => { store[k] = v; },
};
globalThis.fetch = async (url, init) => {
  sent.push({ url, body: JSON.parse(init.body) });
  return { ok: true, json: async () => [{ text: "Reply <b>bold</b>" }] };
};
require(path);
const chat = globalThis.pathfinderChat;
const input = JSON.parse(require("fs").readFileSync(0, "utf-8"));
for (const message of input) chat.render(message);
const tree = (el) => ({ tag: el.tagName, text: el.own, attrs: el.attributes,
                        children: el.children.map(tree) });
const buttons = [];
(function find(el) {
  if (el.tagName === "BUTTON") buttons.push(el);
  el.children.forEach(find);
})(ids.log);
buttons[0].fire("click");
setTimeout(() => {
  console.log(JSON.stringify({
    log: tree(ids.log), sent, lang: document.documentElement.lang,
    send: ids.send.textContent, label: ids["message-label"].textContent,
    webhook: chat.webhookUrl(), sender: store["pathfinder.sender"] || null,
  }));
}, 50);
"""


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node["children"]:
        yield from _walk(child)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("neither headless Chromium nor Node is installed: the rendering check "
                    "needs a JavaScript engine")
    harness = tmp_path_factory.mktemp("js") / "harness.js"
    harness.write_text(NODE_HARNESS, encoding="utf-8")
    messages = [
        {"recipient_id": "u", "text": HOSTILE,
         "buttons": [{"title": "<b>Yes</b>", "payload": "/affirm"}]},
        {"recipient_id": "u", "custom": {
            "type": "recommendations", "lang": "fr",
            "occupation": {"noc": "65100", "title": "<script>alert(2)</script>"},
            "target_occupation": None,
            "programs": [
                {"id": "p1", "title": "<i>Soudure</i>", "institution": "Collège <u>X</u>",
                 "url": "javascript:alert(3)", "cost": 450.0, "currency": "CAD",
                 "hours": 30.0, "weeks": 6.0, "delivery": "online", "language": "fr",
                 "why": "Elle enseigne <em>la soudure</em>."},
                {"id": "p2", "title": "Plain", "institution": "College Y",
                 "url": "https://example.org/p2", "cost": 99.5, "currency": "CAD",
                 "hours": 12.0, "weeks": None, "delivery": "in_person", "language": "en",
                 "why": "Why."}],
            "wage": {"low": 18.5, "median": 24.0, "high": 31.25, "unit": "hour",
                     "region": "Ontario", "year": 2024, "source": "Job Bank <a>"},
            "outlook": {"rating": 2, "label": "Modérées", "period": "2025-2027",
                        "region": "Ontario", "source": "COPS"}}},
    ]
    result = subprocess.run([node, str(harness), str(STATIC / "chat.js")],
                            input=json.dumps(messages), capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_text_is_rendered_as_text_not_html(rendered: dict[str, Any]) -> None:
    nodes = list(_walk(rendered["log"]))
    tags = {n["tag"] for n in nodes}
    assert not tags & {"IMG", "SCRIPT", "B", "I", "U", "EM"}
    texts = [n["text"] for n in nodes]
    assert HOSTILE in texts                      # shown literally
    assert "<b>Yes</b>" in texts                 # button title, literally
    assert "<i>Soudure</i>" in texts
    assert any("<script>alert(2)</script>" in t for t in texts)


def test_links_only_get_web_urls(rendered: dict[str, Any]) -> None:
    links = [n for n in _walk(rendered["log"]) if n["tag"] == "A"]
    assert [link["attrs"]["href"] for link in links] == ["https://example.org/p2"]


def test_cards_show_wage_and_outlook_in_the_payload_language(rendered: dict[str, Any]) -> None:
    text = " ".join(n["text"] for n in _walk(rendered["log"]))
    assert rendered["lang"] == "fr"
    assert rendered["send"] == "Envoyer" and rendered["label"] == "Votre message"
    assert "Salaires (Ontario, 2024)" in text and "Source: Job Bank <a>" in text
    assert "Perspectives d'emploi 2025-2027 (Ontario): Modérées" in text
    assert "24" in text and "31,25" in text  # French number format


def test_a_button_sends_its_payload_to_the_webhook(rendered: dict[str, Any]) -> None:
    assert rendered["webhook"] == "http://localhost:5999/webhooks/rest/webhook"
    [request] = rendered["sent"]
    assert request["url"] == rendered["webhook"]
    assert request["body"]["message"] == "/affirm"
    # The sender id is kept for the next visit.
    assert request["body"]["sender"] == rendered["sender"] and rendered["sender"]
    texts = [n["text"] for n in _walk(rendered["log"])]
    assert texts.count("<b>Yes</b>") == 2        # the button, and the learner's bubble
    assert "Reply <b>bold</b>" in texts          # the answer, as text
