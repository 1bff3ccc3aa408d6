"""The web widget in a real headless Chromium (Debian's, driven by Playwright) against the
real stack (the suite's shared Rasa engine and actions server, and this module's web app,
from bot.stack, on free ports): a learner opens the demo page, types a job title, presses
buttons, sees program cards, follows a link (the click is recorded), reloads and gets the
conversation back, switches to French, and does it all by keyboard; axe-core finds no WCAG
2.1 A/AA violation.

Screenshots of the widget in English and French are taken on the way; set
PATHFINDER_SCREENSHOTS=1 to write them to docs/widget-en.png and docs/widget-fr.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.stack import Stack
from knowledge import models
from knowledge.db import make_engine, session_factory
from knowledge.referrals import conversation_ref
from knowledge.vocabulary import DELIVERY_MODES, PROGRAM_LANGUAGES, label
from tests.conftest import TEST_SECRET_KEY, Stacks, screenshots_dir, unavailable

TURN_MS = 40_000
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PSW_MESSAGE = "I'm a PSW and I want to move into health care admin, online, under $800"


@pytest.fixture(scope="module")
def stack(kb_url: str, stacks: Stacks) -> Iterator[Stack]:
    """The web app on this module's knowledge base (clicks are counted there), beside the
    suite's shared engine."""
    with stacks.beside_engine("web", database_url=kb_url) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: Path, stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(chromium),
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"])
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A fresh visitor (own localStorage)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-CA")
    yield context.new_page()
    context.close()


# --- helpers ---------------------------------------------------------------------------------

def replies(page: Any) -> int:
    return int(page.locator(".pfw-bot, .pfw-recs").count())


def wait_for_answer(page: Any, before: int) -> None:
    """Until the bot has answered (more bot messages than `before`, typing indicator gone)."""
    page.wait_for_function(
        """(before) => document.querySelectorAll('.pfw-bot, .pfw-recs').length > before
             && !document.querySelector('.pfw-status.pfw-typing')""",
        arg=before, timeout=TURN_MS)


def say(page: Any, text: str) -> None:
    before = replies(page)
    page.fill("#pfw-message", text)
    page.keyboard.press("Enter")
    wait_for_answer(page, before)


def press(page: Any, title_part: str) -> None:
    before = replies(page)
    page.locator(".pfw-choice", has_text=title_part).last.click()
    wait_for_answer(page, before)


def get_recommendations(page: Any) -> None:
    """The PSW conversation of the e2e tests, by the buttons a learner would press."""
    say(page, PSW_MESSAGE)
    press(page, "Nurse aides")
    if not page.locator(".pfw-card").count():
        press(page, "administrative")  # "health care admin" can mean several jobs
    assert page.locator(".pfw-card").count() >= 1


def run_axe(page: Any) -> list[dict[str, Any]]:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        unavailable("axe-playwright-python is not installed in .venv (make setup installs it)")
    results = Axe().run(page, options={"runOnly": {"type": "tag",
                                                              "values": WCAG_21_AA}})
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


def screenshot(page: Any, name: str, tmp_path: Path, top: str = ".pfw-recs") -> None:
    """The page, with the newest `top` element (program cards) at the top of the widget's log."""
    page.evaluate("""(selector) => {
        const log = document.querySelector('.pfw-log');
        const shown = [...log.querySelectorAll(selector)].pop();
        log.scrollTop = shown.getBoundingClientRect().top - log.getBoundingClientRect().top
                        + log.scrollTop - 8;
    }""", top)
    path = screenshots_dir(tmp_path) / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def sender_of(page: Any) -> str:
    sender = page.evaluate("localStorage.getItem('pathfinder.sender')")
    assert isinstance(sender, str)
    return sender


# --- tests -----------------------------------------------------------------------------------

def test_a_learner_gets_cards_follows_a_link_and_finds_the_conversation_after_reload(
        page: Any, stack: Stack, kb_url: str, tmp_path: Path) -> None:
    page.goto(stack.web_url)
    page.get_by_role("button", name="Ask Pathfinder").click()
    get_recommendations(page)

    cards = page.locator(".pfw-card")
    first = cards.first
    for part in (".pfw-card-title", "dd"):
        assert first.locator(part).first.inner_text().strip()
    facts = first.locator(".pfw-facts").inner_text()
    assert all(term in facts for term in ("Institution", "Cost", "Length", "Delivery"))
    assert any(label("delivery", code, "en") in facts for code in DELIVERY_MODES), facts
    assert page.locator(".pfw-bar-median").count() >= 1 and page.locator(".pfw-badge").count()
    # Each program once: as a card, not also as a text list with raw addresses.
    bubbles = page.locator(".pfw-bot").all_inner_texts()
    assert not any("http" in text for text in bubbles)
    # The wage and the outlook once too: as the figure and the badge, not again as text.
    median = page.locator(".pfw-bar-median-label strong").last.inner_text()
    rating = page.locator(".pfw-badge").last.inner_text().strip("▲▼● \n")
    assert median.startswith("$") and rating
    assert not any(median in text or rating in text for text in bubbles), bubbles
    screenshot(page, "widget-en.png", tmp_path)

    # Following a program link: through /go/, recorded, then at the catalog's URL.
    link = first.locator("a.pfw-link")
    href = link.get_attribute("href")
    assert href and href.startswith(f"{stack.web_url}/go/")
    program_id = href.removeprefix(f"{stack.web_url}/go/").split("?")[0]
    # (Institution sites are not reachable from here: the redirected request is what counts.)
    with page.context.expect_event("request", lambda r: r.redirected_from is not None,
                                   timeout=TURN_MS) as redirected:
        link.click()
    assert redirected.value.redirected_from.url == href
    engine = make_engine(kb_url)
    with session_factory(engine)() as session:
        program = session.get(models.Program, program_id)
        assert program is not None
        # The browser drops the #fragment from the request; the redirect carries it.
        redirect = redirected.value.redirected_from.response()
        assert redirect.status == 302 and redirect.header_value("location") == program.url
        clicks = session.scalars(select(models.Referral)).all()
    engine.dispose()
    # The click knows its conversation by pseudonym: the id itself is in no link.
    sender = sender_of(page)
    assert sender.removeprefix("web-") not in href
    assert [(c.program_id, c.conversation, c.channel) for c in clicks] == [
        (program_id, conversation_ref(sender, TEST_SECRET_KEY.encode()), "web")]

    # A reload brings the same conversation back, panel open, cards included.
    shown_before = page.locator(".pfw-log").inner_text()
    page.reload()
    page.wait_for_selector(".pfw-card")
    assert page.locator("#pfw-panel").is_visible()
    assert page.locator(".pfw-log").inner_text() == shown_before
    assert PSW_MESSAGE in shown_before


def test_when_nothing_fits_the_closest_programs_are_cards(page: Any, stack: Stack) -> None:
    page.goto(stack.web_url)
    page.get_by_role("button", name="Ask Pathfinder").click()
    say(page, "I'm a cashier")
    say(page, "it has to be free and less than 1 hour long")
    assert any("No program fits" in t for t in page.locator(".pfw-bot").all_inner_texts())
    section = page.locator(".pfw-recs").last
    assert section.locator(".pfw-recs-title").inner_text() == "The closest programs"
    links = section.locator("a.pfw-link")
    assert links.count() >= 1
    assert all(str(links.nth(i).get_attribute("href")).startswith(f"{stack.web_url}/go/")
               for i in range(links.count()))


def test_switching_to_french_changes_the_interface_and_the_answers(
        page: Any, stack: Stack, tmp_path: Path) -> None:
    page.goto(stack.web_url)
    page.get_by_role("button", name="Ask Pathfinder").click()
    get_recommendations(page)
    assert page.locator(".pfw-send").inner_text() == "Send"
    before = replies(page)
    page.get_by_role("button", name="Passer au français").click()
    wait_for_answer(page, before)
    assert page.locator(".pfw-send").inner_text() == "Envoyer"
    assert page.locator("label[for=pfw-message]").inner_text() == "Votre message"
    assert page.locator("#pathfinder-widget").get_attribute("lang") == "fr"
    shown = page.locator(".pfw-bot").count()
    say(page, "je suis soudeur")
    answer = " ".join(page.locator(".pfw-bot").all_inner_texts()[shown:]).lower()
    assert "soudeu" in answer and " de " in answer and "vous" in answer, answer
    assert page.locator(".pfw-recs-title").last.inner_text().startswith("Formations pour")
    # The cards' labels are the French ones the payload gives ("En ligne", "Anglais").
    facts = page.locator(".pfw-recs").last.locator(".pfw-facts").first.inner_text()
    assert "Mode" in facts and "Langue" in facts, facts
    assert any(label("delivery", code, "fr") in facts for code in DELIVERY_MODES), facts
    assert any(label("language", code, "fr") in facts for code in PROGRAM_LANGUAGES), facts
    assert page.get_by_role("button", name="Switch to English").is_visible()
    screenshot(page, "widget-fr.png", tmp_path, top=".pfw-wage")  # the wage bar, the badge
    assert run_axe(page) == []


def test_a_message_whose_answer_was_lost_is_sent_again_and_stored_once(
        page: Any, stack: Stack) -> None:
    """The connection drops after the server ran the turn, so its answer never reaches the
    browser: the widget sends the message once more with the same id, the server answers
    what it stored, and the learner sees that answer once; the conversation holds the
    message once."""
    posted: list[Any] = []
    lost: list[Any] = []

    def lose_the_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posted.append(route.request.post_data_json)
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().json())  # the server ran the turn...
        route.abort("connectionreset")     # ...and its answer is lost on the way

    page.route("**/api/conversations/*/messages", lose_the_first_answer)
    page.goto(stack.web_url)
    page.get_by_role("button", name="Ask Pathfinder").click()
    say(page, "I work as a cashier")
    assert len(posted) == 2 and posted[0] == posted[1], posted
    shown = page.locator(".pfw-bot > span:not(.pfw-sr-only)").all_inner_texts()
    history = httpx.get(f"{stack.web_url}/api/conversations/{sender_of(page)}/messages",
                        timeout=30).json()["messages"]
    assert [m["text"] for m in history if m["sender"] == "user"] == ["I work as a cashier"]
    assert shown == [m["text"] for m in history if m["sender"] == "bot" and m.get("text")]
    assert shown == [m["text"] for m in lost[0]["messages"] if m.get("text")]


def test_keyboard_only(page: Any, stack: Stack) -> None:
    page.goto(stack.web_url)
    for _ in range(30):  # through the portal's links to the launcher, the last stop
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "pfw-launcher":
            break
    else:
        raise AssertionError("the launcher cannot be reached with Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "pfw-message"
    page.keyboard.type("I work as a cashier")
    before = replies(page)
    page.keyboard.press("Enter")
    wait_for_answer(page, before)
    # Shift+Tab from the message box reaches the answer's last control (a button or link).
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('.pfw-log') !== null")
    assert page.evaluate("['BUTTON', 'A'].includes(document.activeElement.tagName)")
    # Escape closes the panel and gives the focus back to the launcher.
    page.keyboard.press("Escape")
    assert page.locator("#pfw-panel").is_hidden()
    assert page.evaluate("document.activeElement.className") == "pfw-launcher"


def test_axe_finds_no_wcag_violation_on_the_demo_and_the_open_widget(
        page: Any, stack: Stack) -> None:
    page.goto(stack.web_url)
    assert run_axe(page) == []
    page.get_by_role("button", name="Ask Pathfinder").click()
    get_recommendations(page)
    violations = run_axe(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
