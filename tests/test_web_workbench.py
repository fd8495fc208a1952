"""The coach's workbench of `offercoach serve --edit DIR`: the token, the CSRF field, confinement to DIR, 409."""

import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[test,web]'")

from starlette.testclient import TestClient

from offercoach.web.app import create_app

TOKEN = "test-token-1234"
DEFAULT = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture
def kb_dir(tmp_path):
    """A copy of the built-in knowledge, with its scenarios, to edit."""
    directory = tmp_path / "kb"
    shutil.copytree(DEFAULT, directory)
    (tmp_path / "secret.yaml").write_text("outside: the edit directory\n")
    return directory


@pytest.fixture
def app(kb_dir):
    return create_app([str(kb_dir)], edit_dir=kb_dir, token=TOKEN)


@pytest.fixture
def coach(app):
    """A browser that opened the address printed at start-up."""
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(f"/edit?token={TOKEN}").status_code == 200
        yield client


@pytest.fixture
def stranger(app):
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def fields(page):
    return dict(re.findall(r'<input type="hidden" name="(csrf|version)" value="([^"]*)">', page))


def editor(client, name):
    reply = client.get(f"/edit/file/{name}")
    assert reply.status_code == 200, reply.text
    return fields(reply.text)


def post(client, name, text, action="save", **more):
    form = {**editor(client, name), "text": text, "action": action, **more}
    return client.post(f"/edit/file/{name}", data=form)


EDIT_ROUTES = ["/edit", "/edit/file/rules.yaml", "/edit/scenarios", "/edit/graph", "/edit/try/",
               "/edit/try/why-not?rule=x", "/edit/try/transcript.json"]


def test_without_edit_every_editing_route_is_404():
    with TestClient(create_app(["default"])) as client:
        for route in EDIT_ROUTES:
            assert client.get(route).status_code == 404, route
        assert client.post("/edit/file/rules.yaml", data={}).status_code == 404
        assert client.post("/edit/new", data={}).status_code == 404


def test_without_the_token_every_editing_route_is_403(app, stranger):
    for route in EDIT_ROUTES:
        assert stranger.get(route).status_code == 403, route
    assert stranger.post("/edit/file/rules.yaml", data={"text": "x", "action": "save"}).status_code == 403
    assert stranger.post("/edit/new", data={"name": "x.yaml"}).status_code == 403
    assert stranger.get("/edit?token=wrong").status_code == 403
    with TestClient(app, cookies={"offercoach_edit": TOKEN}) as wrong_cookie:  # another server's cookie name
        assert wrong_cookie.get("/edit/graph").status_code == 403
    assert stranger.get("/edit/graph", headers={"authorization": "token wrong"}).status_code == 403


def test_the_token_sets_a_strict_http_only_cookie_and_leaves_the_address(stranger):
    reply = stranger.get(f"/edit?token={TOKEN}", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/edit"
    cookie = reply.headers["set-cookie"]
    assert TOKEN in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert stranger.get("/edit/graph").status_code == 200


def test_scripts_may_present_the_token_in_a_header(app):
    with TestClient(app) as client:
        assert client.get("/edit/scenarios", headers={"authorization": f"token {TOKEN}"}).status_code == 200


def test_only_the_knowledge_files_of_the_directory_are_listed_and_served(coach, kb_dir):
    home = coach.get("/edit").text
    listed = re.findall(r'<li><a href="/edit/file/([^"]+)">', home)
    assert listed == sorted(p.name for p in kb_dir.glob("*.yaml")) + ["scenarios/default.yaml"]
    (kb_dir / "notes.txt").write_text("not knowledge")
    (kb_dir / "link.yaml").symlink_to(kb_dir.parent / "secret.yaml")
    for name in ("notes.txt", "link.yaml", "../secret.yaml", "%2e%2e/secret.yaml", "..%2fsecret.yaml",
                 "/etc/passwd", "scenarios/../../secret.yaml", "nothing.yaml", "scenarios"):
        assert coach.get(f"/edit/file/{name}").status_code == 404, name
    csrf = editor(coach, "rules.yaml")["csrf"]
    for name in ("../secret.yaml", "link.yaml", "notes.txt"):
        reply = coach.post(f"/edit/file/{name}", data={"csrf": csrf, "version": "", "text": "x", "action": "save"})
        assert reply.status_code == 404, name
    assert (kb_dir.parent / "secret.yaml").read_text() == "outside: the edit directory\n"


def test_new_files_only_inside_the_directory(coach, kb_dir):
    csrf = editor(coach, "rules.yaml")["csrf"]
    for name in ("../evil.yaml", "a/b.yaml", "x.txt", ".hidden.yaml", "scenarios/../../evil.yaml", ""):
        assert coach.post("/edit/new", data={"csrf": csrf, "name": name}).status_code == 400, name
    assert not (kb_dir.parent / "evil.yaml").exists()
    made = coach.post("/edit/new", data={"csrf": csrf, "name": "rules-mine.yaml"}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/edit/file/rules-mine.yaml"
    assert (kb_dir / "rules-mine.yaml").read_text().startswith("#")


def test_posts_need_the_csrf_field_and_a_same_origin(coach, kb_dir):
    before = (kb_dir / "rules.yaml").read_text()
    form = {**editor(coach, "rules.yaml"), "text": before + "\n", "action": "save"}
    assert coach.post("/edit/file/rules.yaml", data={**form, "csrf": "forged"}).status_code == 403
    assert coach.post("/edit/file/rules.yaml", data={k: v for k, v in form.items() if k != "csrf"}).status_code == 403
    assert coach.post("/edit/file/rules.yaml", data=form, headers={"origin": "http://evil.example"}).status_code == 403
    assert (kb_dir / "rules.yaml").read_text() == before
    assert coach.post("/edit/file/rules.yaml", data=form, headers={"origin": "http://testserver"}).status_code == 200
    assert (kb_dir / "rules.yaml").read_text() == before + "\n"


def test_check_shows_problems_beside_their_lines_and_writes_nothing(coach, kb_dir):
    before = (kb_dir / "rules.yaml").read_text()
    lines = before.split("\n")
    n = next(i for i, line in enumerate(lines, 1) if "is: accepted_offer_want_out" in line)
    lines[n - 1] = lines[n - 1].replace("accepted_offer_want_out", "acepted_offer_want_out")
    reply = post(coach, "rules.yaml", "\n".join(lines), action="check")
    assert reply.status_code == 200
    row = re.search(rf'<tr class="has-problem" id="L{n}">(.*?)</tr>', reply.text, re.DOTALL)
    assert row, reply.text
    assert "acepted_offer_want_out" in row[1] and "error" in row[1] and "did you mean" in row[1]
    assert (kb_dir / "rules.yaml").read_text() == before


def test_a_bad_file_does_not_replace_a_good_one_unless_confirmed(coach, kb_dir):
    before = (kb_dir / "rules.yaml").read_text()
    broken = before.replace("rationale:", "rationle:", 1)
    refused = post(coach, "rules.yaml", broken)
    assert refused.status_code == 422
    assert "Not saved" in refused.text and 'name="confirm"' in refused.text
    assert (kb_dir / "rules.yaml").read_text() == before
    saved = post(coach, "rules.yaml", broken, confirm="yes")
    assert saved.status_code == 200 and "Saved, with" in saved.text
    assert (kb_dir / "rules.yaml").read_text() == broken
    # Once the knowledge on disk is broken, fixing it step by step saves without asking.
    still_broken = broken.replace("title:", "titel:", 1)
    assert post(coach, "rules.yaml", still_broken).status_code == 200
    assert post(coach, "rules.yaml", before).status_code == 200
    assert (kb_dir / "rules.yaml").read_text() == before


def test_a_second_save_from_an_old_version_is_409_and_loses_nothing(app, kb_dir):
    with TestClient(app) as first, TestClient(app) as second:
        for client in (first, second):
            client.get(f"/edit?token={TOKEN}")
        opened_first, opened_second = editor(first, "verdicts.yaml"), editor(second, "verdicts.yaml")
        original = (kb_dir / "verdicts.yaml").read_text()
        mine, theirs = original + "# first coach\n", original + "# second coach\n"
        assert first.post("/edit/file/verdicts.yaml", data={**opened_first, "text": mine, "action": "save"}) \
            .status_code == 200
        conflict = second.post("/edit/file/verdicts.yaml", data={**opened_second, "text": theirs, "action": "save"})
        assert conflict.status_code == 409
        assert (kb_dir / "verdicts.yaml").read_text() == mine
        assert "# second coach" in conflict.text and "# first coach" in conflict.text  # both texts on the page
        # The page now carries the version on disk: saving again is deliberate and works.
        retry = fields(conflict.text)
        assert second.post("/edit/file/verdicts.yaml", data={**retry, "text": theirs, "action": "save"}) \
            .status_code == 200
        assert (kb_dir / "verdicts.yaml").read_text() == theirs


def test_the_editor_sends_the_version_as_etag(coach, kb_dir):
    import hashlib

    reply = coach.get("/edit/file/facts.yaml")
    assert reply.headers["etag"] == f'"{hashlib.sha256((kb_dir / "facts.yaml").read_bytes()).hexdigest()}"'


def test_crlf_from_the_browser_is_saved_as_newlines(coach, kb_dir):
    text = (kb_dir / "facts.yaml").read_text()
    assert post(coach, "facts.yaml", text.replace("\n", "\r\n") + "# more\r\n").status_code == 200
    assert (kb_dir / "facts.yaml").read_bytes() == (text + "# more\n").encode()


def test_scenarios_run_and_show_pass_and_fail(coach, kb_dir):
    page = coach.get("/edit/scenarios").text
    summary = re.search(r'id="summary">([^<]*)<', page)[1]
    assert re.fullmatch(r"\d+ passed, 0 failed", summary)
    scenarios = (kb_dir / "scenarios" / "default.yaml").read_text()
    (kb_dir / "scenarios" / "default.yaml").write_text(
        scenarios.replace("verdict: honour_commitment", "verdict: accept_with_confidence", 1))
    page = coach.get("/edit/scenarios").text
    assert re.search(r'id="summary">\d+ passed, 1 failed<', page)
    assert "verdict: expected accept_with_confidence" in page


def test_every_consultation_is_listed_and_a_hole_is_shown(coach, kb_dir):
    page = coach.get("/edit/paths").text
    assert re.search(r'id="summary">1581 consultations: do_due_diligence 978, [^<]*<', page)
    assert "<code>situation=unknown</code>" in page
    rules = (kb_dir / "rules.yaml").read_text()
    (kb_dir / "rules.yaml").write_text(rules.replace("- {answer: situation, is: unknown}",
                                                     "- {answer: situation, is: weighing_offer}", 1))
    page = coach.get("/edit/paths").text
    assert re.search(r'id="summary">1581 consultations: [^<]*\(no verdict\) 1<', page)


def test_the_rule_graph_is_drawn_on_the_page(coach):
    page = coach.get("/edit/graph").text
    assert "<svg" in page and "rule: agency-word-spreads" in page and "verdict: honour_commitment" in page


def test_try_a_consultation_against_the_edited_knowledge(coach, kb_dir):
    first = coach.get("/edit/try/").text
    assert 'action="/edit/try/"' in first and "Which of these best describes where you stand?" in first
    questions = (kb_dir / "questions.yaml").read_text()
    (kb_dir / "questions.yaml").write_text(questions.replace(
        "Which of these best describes where you stand?", "Where do you stand now?"))
    assert "Where do you stand now?" in coach.get("/edit/try/").text
    address = "/edit/try/?a-situation=weighing_offer"
    while 'type="radio"' in (result := coach.get(address).text):
        address += f"&a-{re.search(r'type=.radio. name=.a-([a-z_]+)', result)[1]}=unknown"
    assert "Verdict" in result and 'action="/edit/try/why-not"' in result
    (kb_dir / "questions.yaml").write_text("questions: [")
    broken = coach.get("/edit/try/")
    assert broken.status_code == 422 and "questions.yaml" in broken.text


def test_every_workbench_control_is_labelled_and_nothing_comes_from_elsewhere(coach, kb_dir):
    from test_web_pages import check_accessible

    for route in ("/edit", "/edit/file/rules.yaml", "/edit/scenarios", "/edit/graph", "/edit/try/"):
        check_accessible(coach.get(route).text)
    refused = post(coach, "rules.yaml", (kb_dir / "rules.yaml").read_text().replace("title:", "titel:", 1))
    check_accessible(refused.text)
