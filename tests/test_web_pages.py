"""The consultation page of `offercoach serve`, without a browser: the terminal's questions, WHY, HOW and WHY-NOT."""

import html
import json
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[test,web]'")

from starlette.testclient import TestClient

from offercoach.cli import main
from offercoach.web.app import create_app

AGENCY = [("situation", "accepted_offer_want_out"), ("reason", "dream_company_offer"), ("via_agency", "yes")]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(["default"]), raise_server_exceptions=False) as test_client:
        yield test_client


def query(answers, **extra):
    from urllib.parse import urlencode

    return urlencode([*((f"a-{q}", v) for q, v in answers), *extra.items()])


def text_of(fragment):
    """The words a person reads in an HTML fragment, whitespace collapsed."""
    inline = re.sub(r"</?(span|cite|code|a|strong|em)\b[^>]*>", "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def words(terminal_text):
    """Terminal output as words: list bullets dropped, whitespace collapsed."""
    return " ".join(re.sub(r"(?m)^\s*- ", " ", terminal_text).split())


def section(page, tag_open, closing):
    start = page.index(tag_open)
    return page[start:page.index(closing, start)]


class Controls(HTMLParser):
    """Collects form controls, labels and external references of a page."""

    def __init__(self):
        super().__init__()
        self.controls, self.labels, self.external, self.radios = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append(attrs)
        if tag == "input" and attrs.get("type") == "radio":
            self.radios.append(attrs)
        if tag == "label" and "for" in attrs:
            self.labels.add(attrs["for"])
        for key in ("src", "href", "action"):
            if re.match(r"^(https?:)?//", attrs.get(key) or ""):
                self.external.append(attrs[key])


def check_accessible(page):
    """Every control has a label; nothing is fetched from elsewhere; returns the parsed controls."""
    parsed = Controls()
    parsed.feed(page)
    for control in parsed.controls:
        assert control.get("id") in parsed.labels or control.get("aria-label"), control
    assert parsed.external == []
    return parsed


def hidden_answers(page):
    return re.findall(r'<input type="hidden" name="a-([^"]+)" value="([^"]*)">', page)


def finish(client, wanted):
    """The answers a person gives on the page, `wanted` where asked and 'unknown' elsewhere, to the result."""
    answers = []
    while not (reply := client.post("/api/next", json={"answers": dict(answers)}).json())["done"]:
        question = reply["question"]["id"]
        answers.append((question, wanted.get(question, "unknown")))
    return answers


def test_the_first_question_is_a_form_of_labelled_radio_buttons(client):
    reply = client.get("/")
    assert reply.status_code == 200
    page = reply.text
    assert "Question 1" in page and "Which of these best describes where you stand?" in page
    assert '<form class="question" method="get" action="/">' in page
    parsed = check_accessible(page)
    assert [r["value"] for r in parsed.radios] == [
        "declined_offer_want_back", "accepted_offer_want_out", "weighing_offer", "unknown"]
    assert all(r["name"] == "a-situation" and "required" in r for r in parsed.radios)
    assert "I turned an offer down and now want that offer back" in page
    assert 'rel="prev"' not in page  # nothing to go back to
    assert '<details class="why" id="why">' in page and "<summary>Why am I asked this?</summary>" in page


def test_the_page_asks_the_terminals_questions_in_its_order_and_words(client, runner):
    typed = [("situation", "declined_offer_want_back"), ("reason", "better_offer"), ("accepted_other_offer", "yes"),
             ("genuine_situation", "no")]
    terminal = runner.invoke(main, ["consult"], input="".join(f"{v}\n" for _, v in typed) + "quit\n")
    asked = re.findall(r"^Question (\d+): (.*)$", terminal.stderr, re.MULTILINE)
    shown = []
    answers = []
    while True:
        page = client.get("/?" + query(answers)).text
        match = re.search(r'<span class="number">Question (\d+)</span>\s*<span class="prompt" id="prompt">(.*?)</span>',
                          page)
        if not match:
            break
        shown.append((match[1], html.unescape(match[2])))
        assert hidden_answers(page) == answers
        question = Controls()
        question.feed(page)
        question_id = question.radios[0]["name"][2:]
        answers.append((question_id, dict(typed).get(question_id, "unknown")))
    assert shown[:len(asked)] == asked
    assert len(shown) >= len(typed)


def test_why_shows_what_the_terminal_says_at_that_question(client, runner):
    terminal = runner.invoke(main, ["consult"], input="accepted_offer_want_out\ndream_company_offer\nwhy\nquit\n")
    why = terminal.stderr[terminal.stderr.index("I ask about 'via_agency'"):terminal.stderr.index("\nvia_agency> quit")]
    page = client.get("/?" + query(AGENCY[:2])).text
    panel = section(page, '<details class="why"', "</details>")
    assert text_of(panel) == "Why am I asked this? " + words(why)


def test_back_undoes_the_last_answer(client):
    page = client.get("/?" + query(AGENCY[:2])).text
    back = re.search(r'<a class="button" href="([^"]+)" rel="prev">', page)[1]
    assert parse_qsl(urlsplit(html.unescape(back)).query) == [("a-situation", "accepted_offer_want_out")]
    previous = client.get(html.unescape(back)).text
    assert "Question 2" in previous and 'name="a-reason"' in previous


def test_the_result_shows_the_verdict_and_recommendations_as_the_terminal_does(client, runner):
    terminal = runner.invoke(main, ["consult", *[a for q, v in AGENCY for a in ("--answer", f"{q}={v}")],
                                    "--no-input", "--format", "json"])
    document = json.loads(terminal.stdout)
    reply = client.get("/?" + query(AGENCY))
    assert reply.status_code == 200
    page = reply.text
    check_accessible(page)
    verdict = section(page, '<section class="verdict"', "</section>")
    assert document["verdict"]["title"] in verdict and html.escape(document["verdict"]["summary"]) in verdict
    titles = re.findall(r'<li class="rec" id="rec-([^"]+)">', page)
    assert titles == [r["id"] for r in document["recommendations"]]
    assert "Integrity speaks volumes" in page  # sources by their section titles
    assert page.count("<summary>How was this reached?") == len(titles)
    assert "Download the transcript" in page and 'action="/why-not"' in page


def test_how_on_the_page_is_explain_recommendation(client, runner, tmp_path):
    advice = tmp_path / "advice.json"
    advice.write_text(client.get("/transcript.json?" + query(AGENCY)).text)
    page = client.get("/?" + query(AGENCY)).text
    for rec in re.findall(r'<li class="rec" id="rec-([^"]+)">', page):
        shown = section(page, f'<li class="rec" id="rec-{rec}">', "</details>")
        how = shown[shown.index('<div class="how">'):]
        explained = runner.invoke(main, ["explain", str(advice), "--recommendation", rec])
        assert explained.exit_code == 0, explained.output
        assert text_of(how) == words(explained.stdout)
    verdict = section(page, '<section class="verdict"', "</section>")
    explained = runner.invoke(main, ["explain", str(advice)])
    assert text_of(verdict[verdict.index('<div class="how">'):]) == words(explained.stdout)


def test_the_transcript_is_what_a_typed_terminal_consultation_prints(client, runner):
    terminal = runner.invoke(main, ["consult", "--format", "json"], input="".join(f"{v}\n" for _, v in AGENCY))
    reply = client.get("/transcript.json?" + query(AGENCY))
    assert reply.status_code == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="offercoach-advice.json"'
    assert reply.text == terminal.stdout


def test_why_not_on_the_page_is_explain_why_not(client, runner, tmp_path):
    advice = tmp_path / "advice.json"
    answers = finish(client, {"situation": "accepted_offer_want_out", "reason": "culture_clash",
                              "genuine_situation": "no"})
    advice.write_text(client.get("/transcript.json?" + query(answers)).text)
    result = client.get("/?" + query(answers)).text
    assert '<option value="they-must-replace-you">' in result
    for rule in ("they-must-replace-you", "agency-word-spreads", "accepting-is-a-promise"):
        reply = client.get("/why-not?" + query(answers, rule=rule))
        assert reply.status_code == 200
        page = reply.text
        check_accessible(page)
        explained = runner.invoke(main, ["explain", str(advice), "--why-not", rule])
        shown = text_of(section(page, '<section class="why-not">', '<p class="matters">'))
        assert shown == words(explained.stdout)
        assert hidden_answers(page) == [] and f'href="/?{html.escape(query(answers))}"' in page


def test_a_bad_answer_in_the_address_is_400_with_the_command_lines_words(client, runner):
    reply = client.get("/?a-situation=maybe")
    assert reply.status_code == 400
    terminal = runner.invoke(main, ["consult", "--answer", "situation=maybe", "--no-input"])
    message = terminal.stderr.removeprefix("offercoach: ").strip()
    assert message in text_of(reply.text)
    assert client.get("/?a-situaton=weighing_offer").status_code == 400


def test_why_not_and_transcript_errors(client):
    unknown = client.get("/why-not?" + query(AGENCY, rule="no-such-rule"))
    assert unknown.status_code == 404 and "no rule &#39;no-such-rule&#39; in the knowledge" in unknown.text
    assert client.get("/why-not?" + query(AGENCY)).status_code == 400  # no rule named
    assert client.get("/why-not?" + query(AGENCY[:1], rule="agency-word-spreads")).status_code == 400
    assert client.get("/transcript.json?" + query(AGENCY[:1])).status_code == 400
    assert client.get("/why-not?a-situation=maybe&rule=x").status_code == 400


def test_unknown_pages_and_methods(client):
    assert client.get("/nowhere").status_code == 404
    assert "<h1>Not found</h1>" in client.get("/nowhere").text
    assert client.post("/", data={}).status_code == 405


def test_the_stylesheet_and_script_ship_in_the_package(client):
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "@media print" in css.text
    assert not re.search(r"url\((?!data:)", css.text)  # no fonts or images from anywhere
    assert client.get("/static/page.js").status_code == 200
    assert client.get("/static/favicon.svg").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_answers_in_the_address_are_bounded(client):
    reply = client.get("/?" + "&".join(f"a-q{i}=x" for i in range(300)))
    assert reply.status_code == 400
