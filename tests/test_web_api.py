"""The JSON API of `offercoach serve`: the contract's shapes, the command line's documents and words, every error."""

import json

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[test,web]'")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from offercoach.cli import main
from offercoach.web.app import MAX_BODY, create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(["default"]), raise_server_exceptions=False) as test_client:
        yield test_client


def cli_document(runner, answers, *knowledge):
    args = ["consult", *[f"--knowledge={k}" for k in knowledge]]
    args += [a for q, v in answers.items() for a in ("--answer", f"{q}={v}")]
    result = runner.invoke(main, [*args, "--no-input", "--format", "json"])
    assert result.exit_code == 0, result.output
    return result.stdout


def walk(client, answers=None):
    """Every consultation of the knowledge, as the answers that finish it, found through /api/next."""
    todo, finished = [dict(answers or {})], []
    while todo:
        given_answers = todo.pop()
        reply = client.post("/api/next", json={"answers": given_answers}).json()
        if reply["done"]:
            finished.append(given_answers)
        else:
            todo += [{**given_answers, reply["question"]["id"]: c["value"]} for c in reply["question"]["choices"]]
    return finished


def test_healthz(client):
    reply = client.get("/healthz")
    assert (reply.status_code, reply.text) == (200, "ok")


def test_next_gives_the_first_question_in_the_contracts_shape(client):
    reply = client.post("/api/next", json={"answers": {}})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert body["done"] is False
    question = body["question"]
    assert set(question) == {"id", "prompt", "help", "choices", "why"}
    assert question["id"] == "situation"
    assert [c["value"] for c in question["choices"]] == [
        "declined_offer_want_back", "accepted_offer_want_out", "weighing_offer", "unknown"]
    assert all(set(c) == {"value", "meaning"} and c["meaning"] for c in question["choices"])
    assert question["why"] and all(isinstance(r, str) for r in question["why"])


def test_next_asks_what_the_terminal_asks_worded_for_the_earlier_answers(client):
    reply = client.post("/api/next", json={"answers": {"situation": "accepted_offer_want_out",
                                                       "reason": "dream_company_offer"}}).json()
    assert reply["question"]["id"] == "via_agency"
    assert reply["question"]["prompt"] == "Are you finding jobs through recruitment agencies?"
    assert reply["question"]["why"] == ["agency-word-spreads"]
    declined = client.post("/api/next", json={"answers": {"situation": "declined_offer_want_back"}}).json()
    assert declined["question"]["prompt"] == "What has made you want the declined offer back?"


def test_next_and_consult_give_the_command_lines_document(client, runner):
    answers = {"situation": "accepted_offer_want_out", "reason": "dream_company_offer", "via_agency": "yes"}
    expected = json.loads(cli_document(runner, answers))
    done = client.post("/api/next", json={"answers": answers}).json()
    assert done["done"] is True
    assert done["result"] == expected
    consulted = client.post("/api/consult", json={"answers": answers})
    assert consulted.json() == expected
    assert consulted.text == cli_document(runner, answers)  # even byte for byte


def test_consult_takes_missing_answers_as_unknown_like_no_input(client, runner):
    answers = {"situation": "weighing_offer", "priority": "salary"}
    reply = client.post("/api/consult", json={"answers": answers}).json()
    assert reply == json.loads(cli_document(runner, answers))
    assert reply["unanswered"]


def test_answers_not_needed_are_listed_as_the_command_line_lists_them(client, runner):
    answers = {"situation": "weighing_offer", "via_agency": "yes"}
    reply = client.post("/api/consult", json={"answers": answers}).json()
    assert reply == json.loads(cli_document(runner, answers))
    assert reply["not_needed"] == {"via_agency": "yes"}


@pytest.mark.slow
def test_every_fortieth_consultation_matches_the_command_line(client, runner):
    finished = walk(client)
    assert len(finished) > 100
    for answers in finished[::40]:
        expected = json.loads(cli_document(runner, answers))
        assert client.post("/api/consult", json={"answers": answers}).json() == expected
        assert client.post("/api/next", json={"answers": answers}).json() == {"done": True, "result": expected}


def test_other_knowledge_layers_are_served(tiny_kb, runner):
    with TestClient(create_app([str(tiny_kb)])) as tiny:
        first = tiny.post("/api/next", json={"answers": {}}).json()
        assert first["question"]["id"] == "situation"
        answers = {"situation": "a", "agency": "yes", "genuine": "no"}
        assert tiny.post("/api/consult", json={"answers": answers}).json() == \
            json.loads(cli_document(runner, answers, str(tiny_kb)))


@pytest.mark.parametrize("route", ["/api/next", "/api/consult"])
@pytest.mark.parametrize("answers,question", [
    ({"situaton": "weighing_offer"}, "situaton"),
    ({"situation": "maybe"}, "situation"),
    ({"situation": "weighing_offer", "priority": 3}, "priority"),
    ({"situation": ["weighing_offer"]}, "situation"),
    ({"situation": None}, "situation"),
])
def test_a_bad_id_or_value_is_400_with_the_command_lines_words(client, runner, route, answers, question):
    reply = client.post(route, json={"answers": answers})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert set(error) == {"message", "question", "allowed"}
    assert error["question"] == question
    if isinstance(answers[question], str):  # the command line's --answer gives text; its words must be the same
        result = runner.invoke(main, ["consult", *[a for q, v in answers.items() for a in ("--answer", f"{q}={v}")],
                                      "--no-input"])
        assert result.exit_code == 2
        assert result.stderr == f"offercoach: {error['message']}\n"
    if question == "situaton":
        assert "did you mean 'situation'?" in error["message"]
        assert "situation" in error["allowed"]
    else:
        assert error["allowed"][-1] == "unknown"
        assert "allowed: " + ", ".join(error["allowed"]) in error["message"]


def test_a_value_that_is_not_text_is_named_as_an_answers_file_names_it(client, runner, tmp_path):
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps({"situation": 3}))
    result = runner.invoke(main, ["consult", "--answers", str(answers_file), "--no-input"])
    reply = client.post("/api/consult", json={"answers": {"situation": 3}})
    assert reply.status_code == 400
    assert result.stderr == f"offercoach: {reply.json()['error']['message']}\n"


@pytest.mark.parametrize("route", ["/api/next", "/api/consult"])
@pytest.mark.parametrize("body", [
    b"", b"   ", b"{", b"not json", b"\xff\xfe", b"[]", b"null", b"42", b'"answers"', b"{}",
    b'{"answers": []}', b'{"answers": "situation=weighing_offer"}', b'{"answers": null}',
    b'{"answers": {}, "extra": 1}', b"[" * 100_00 + b"]" * 100_00, b'{"answers": {"situation": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    b'{"answers": {"situation": 1' + b"0" * 5000 + b"}}", b'{"answers": {"situation": NaN}}',
])
def test_a_body_that_is_not_the_contracts_shape_is_400_with_a_message(client, route, body):
    reply = client.post(route, content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert set(reply.json()) == {"error"}
    assert reply.json()["error"]["message"]


@pytest.mark.parametrize("route", ["/api/next", "/api/consult"])
def test_an_oversized_body_is_413(client, route):
    big = json.dumps({"answers": {"situation": "weighing_offer", "pad": "x" * MAX_BODY}})
    reply = client.post(route, content=big)
    assert reply.status_code == 413
    assert "larger than" in reply.json()["error"]["message"]
    streamed = client.post(route, content=iter([b'{"answers": {"pad": "', b"x" * MAX_BODY, b'"}}']))
    assert streamed.status_code == 413


def test_too_many_answers_are_400(client):
    reply = client.post("/api/consult", json={"answers": {f"q{i}": "x" for i in range(300)}})
    assert reply.status_code == 400


def test_wrong_methods_and_unknown_routes_answer_in_json(client):
    assert client.get("/api/next").status_code == 405
    assert client.get("/api/next").json()["error"]["message"]
    assert client.post("/api/nothing", json={}).status_code == 404
    assert client.post("/api/nothing", json={}).json()["error"]["message"]


def test_a_consultation_the_knowledge_cannot_finish_is_422_not_500(tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "kb.yaml").write_text(
        "sections: [{id: s, title: S, summary: S.}]\n"
        "questions: [{id: q, prompt: Q?, help: H., values: {a: A, b: B}}]\n"
        "rules: [{id: r, title: R, when: [{answer: q, is: a}], then: {verdict: v}, sources: [s], rationale: R.}]\n"
        "verdicts: [{id: v, title: V, summary: V., priority: 1}]\n")
    with TestClient(create_app([str(kb)])) as bare:
        for route in ("/api/next", "/api/consult"):
            reply = bare.post(route, json={"answers": {"q": "b"}})
            assert reply.status_code == 422
            assert "no rule proposes a verdict" in reply.json()["error"]["message"]


def test_pages_and_api_carry_security_headers_and_ask_for_nothing_elsewhere(client):
    reply = client.post("/api/next", json={"answers": {}})
    assert "default-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-content-type-options"] == "nosniff"


answers_values = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False),
                           st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                      st.text(max_size=5), max_size=2))
bodies = st.one_of(
    st.binary(max_size=200),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                 max_leaves=20).map(lambda d: json.dumps(d).encode()),
    st.dictionaries(st.sampled_from(["situation", "reason", "via_agency", "priority", "nope"]), answers_values,
                    max_size=4).map(lambda a: json.dumps({"answers": a}).encode()),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, route=st.sampled_from(["/api/next", "/api/consult"]))
def test_no_body_gets_a_500(client, body, route):
    reply = client.post(route, content=body)
    assert reply.status_code in (200, 400, 413), (body, reply.text)
    assert reply.json()


def test_the_order_of_the_answers_and_the_cache_change_nothing(runner):
    answers = [("situation", "accepted_offer_want_out"), ("reason", "dream_company_offer"), ("via_agency", "yes")]
    expected = cli_document(runner, dict(answers))
    with TestClient(create_app(["default"], cache_size=2)) as cached, \
            TestClient(create_app(["default"], cache_size=0)) as uncached:
        for client in (cached, uncached):
            for order in (answers, answers[::-1], answers):
                assert client.post("/api/consult", json={"answers": dict(order)}).text == expected
                assert client.post("/api/next", json={"answers": dict(order[:2])}).json()["question"]["id"] in (
                    "via_agency", "reason", "situation")


def test_an_unexpected_error_gets_a_clean_message_and_no_traceback(monkeypatch):
    from offercoach.web import engine_bridge

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(engine_bridge, "consult_document", broken)
    monkeypatch.setattr(engine_bridge, "advance", broken)
    with TestClient(create_app(["default"], cache_size=0), raise_server_exceptions=False) as client:
        reply = client.post("/api/consult", json={"answers": {}})
        assert reply.status_code == 500
        assert reply.json() == {"error": {"message": "offercoach hit an unexpected error; the server's log has "
                                                     "the details"}}
        page = client.get("/")
        assert page.status_code == 500 and "Traceback" not in page.text and "a bug" not in page.text
