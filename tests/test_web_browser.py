"""offercoach serve in a real browser: Debian's chromium, driven by Playwright, on a server bound to 127.0.0.1.

The screenshots these tests take are the ones in docs/screenshots/ (set OFFERCOACH_SCREENSHOTS to a directory to
write them elsewhere). Without chromium or Playwright the tests skip, saying which is missing.
"""

import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[test,web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install -e '.[test,web]'")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="Playwright is not installed: pip install -e '.[test,web]'")

import uvicorn

from offercoach.cli import main
from offercoach.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("OFFERCOACH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("OFFERCOACH_SCREENSHOTS", ROOT / "docs" / "screenshots"))
TOKEN = "browser-test-token"
WIDTHS = {"wide": 1280, "narrow": 375}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"no chromium at {CHROMIUM}: apt-get install -y chromium "
                                        "(or set OFFERCOACH_CHROMIUM to a Chromium binary)")]


class LiveServer:
    """uvicorn serving `app` on 127.0.0.1 and a free port, in a thread, until stop()."""

    def __init__(self, app):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "the test server did not start"
            time.sleep(0.02)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def kb_dir():
    """A copy of the built-in knowledge at a fixed place, so the workbench's screenshots show the same path."""
    home = Path(tempfile.gettempdir()) / "offercoach-browser-test"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(ROOT / "knowledge", home / "kb")
    yield home / "kb"
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def server(kb_dir):
    live = LiveServer(create_app([str(kb_dir)], edit_dir=kb_dir, token=TOKEN))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(params=list(WIDTHS))
def page(request, browser, server):
    context = browser.new_context(viewport={"width": WIDTHS[request.param], "height": 900}, accept_downloads=True)
    opened = context.new_page()
    opened.width = WIDTHS[request.param]
    opened.elsewhere = []
    opened.on("request", lambda r: None if r.url.startswith((server.url, "data:")) else opened.elsewhere.append(r.url))
    opened.set_default_timeout(15_000)
    yield opened
    assert opened.elsewhere == [], "the page asked for something from elsewhere"
    context.close()


def shoot(page, name, **options):
    """Save a screenshot as docs/screenshots/NAME-WIDTH.png (rewritten only if it changed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    target = SHOTS / f"{name}-{page.width}.png"
    data = page.screenshot(**options)
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)


def choose(page, value):
    page.locator(f"input[type=radio][value='{value}']").check()
    page.get_by_role("button", name="Next").click()


def question_id(page):
    return page.locator("input[type=radio]").first.get_attribute("name")[2:]


def test_a_full_consultation_by_clicking_with_why_back_and_the_result(page, server, runner):
    page.goto(server.url + "/")
    assert page.locator(".number").inner_text().lower() == "question 1"
    shoot(page, "question", full_page=True)
    page.get_by_label("I accepted an offer and now want to back out of it").check()
    page.get_by_role("button", name="Next").click()
    assert question_id(page) == "reason"
    choose(page, "dream_company_offer")
    assert question_id(page) == "via_agency"

    why = page.locator("details.why")
    assert not why.evaluate("d => d.open")  # collapsed until asked
    page.get_by_text("Why am I asked this?").click()
    assert why.evaluate("d => d.open")
    assert "agency-word-spreads" in why.inner_text() and "Still open:" in why.inner_text()
    shoot(page, "why", full_page=True)

    page.get_by_role("link", name=re.compile("^Back")).click()
    assert question_id(page) == "reason"
    choose(page, "dream_company_offer")
    choose(page, "yes")

    verdict = page.locator("section.verdict h1")
    terminal = runner.invoke(main, ["consult", "--answer", "situation=accepted_offer_want_out", "--answer",
                                    "reason=dream_company_offer", "--answer", "via_agency=yes", "--no-input",
                                    "--format", "json"])
    expected = json.loads(terminal.stdout)
    assert verdict.inner_text().startswith(expected["verdict"]["title"])
    assert f"({expected['verdict']['id']})" in verdict.inner_text()
    ranks = page.locator("li.rec h3").all_inner_texts()
    assert [r.split(". ", 1)[1] for r in ranks] == [r["title"] for r in expected["recommendations"]]

    first_how = page.locator("li.rec details").first
    first_how.locator("summary").click()
    assert "because rule" in first_how.inner_text()
    shoot(page, "result-how", full_page=True)

    page.emulate_media(media="print")  # print-friendly: every HOW open, no forms or buttons
    assert page.locator("li.rec .how").nth(1).is_visible()
    assert not page.locator("section.explore").is_visible()
    page.emulate_media(media="screen")
    assert not page.locator("li.rec .how").nth(1).is_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the transcript (JSON)").click()
    saved = json.loads(Path(download.value.path()).read_text())
    assert saved["verdict"] == expected["verdict"] and saved["recommendations"] == expected["recommendations"]

    page.get_by_label("Why did a rule not fire?").select_option("they-must-replace-you")
    page.get_by_role("button", name="Why not?").click()
    assert page.locator("h1").inner_text().startswith("Why not rule they-must-replace-you")
    assert "It did not fire" in page.locator("main").inner_text()
    if page.width == 375:  # nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="Back to the result").click()
    assert page.locator("section.verdict").is_visible()


def test_keyboard_only(page, server):
    page.goto(server.url + "/")
    for _ in range(6):  # the skip link and the header's link come first
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "radio":
            break
    assert page.evaluate("document.activeElement.name") == "a-situation"
    page.keyboard.press("ArrowDown")  # moves to, and selects, the second choice
    assert page.evaluate("document.activeElement.value") == "accepted_offer_want_out"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Next"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"a-situation=accepted_offer_want_out"))
    assert question_id(page) == "reason"
    summary = page.locator("details.why summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.why").evaluate("d => d.open")
    if page.width == 375:
        assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_coach_introduces_an_error_and_sees_it_beside_its_line(page, server, kb_dir):
    page.goto(f"{server.url}/edit?token={TOKEN}")
    assert page.url == f"{server.url}/edit"
    page.get_by_role("link", name="rules.yaml").click()
    editor = page.get_by_label("Edit rules.yaml")
    text = editor.input_value()
    lines = text.split("\n")
    n = next(i for i, line in enumerate(lines, 1) if "answer: via_agency" in line)
    lines[n - 1] = lines[n - 1].replace("via_agency", "via_agencey")
    editor.fill("\n".join(lines))
    page.get_by_role("button", name="Check").click()
    row = page.locator(f"tr#L{n}")
    assert "has-problem" in row.get_attribute("class")
    assert "via_agencey" in row.inner_text() and "did you mean 'via_agency'" in row.inner_text()
    shoot(page, "workbench-error", full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()
    assert "Not saved" in page.locator("#banner").inner_text()
    assert "via_agencey" not in (kb_dir / "rules.yaml").read_text()


def test_the_workbench_runs_scenarios_and_draws_the_graph(page, server):
    page.goto(f"{server.url}/edit?token={TOKEN}")
    page.get_by_role("link", name="Run the scenarios").click()
    assert re.fullmatch(r"\d+ passed, 0 failed", page.locator("#summary").inner_text())
    page.get_by_role("navigation").get_by_role("link", name="Rule graph").click()
    assert page.locator(".graph svg").is_visible()
    if page.width == 1280:
        shoot(page, "workbench-graph", clip={"x": 0, "y": 0, "width": 1280, "height": 900})
