"""The transcript document is defined once (results.DOCUMENT): written, checked and read back from that definition."""

import json
from dataclasses import dataclass

import pytest
from knowledge_bases import built_in

from offercoach.engine.consult import consult
from offercoach.engine.errors import UsageError
from offercoach.engine.results import ASKED, DOCUMENT, STEP, Record, outcome_document, text
from offercoach.engine.transcript import read_transcript, recorded_outcome, recorded_trace

ANSWERS = {"situation": "accepted_offer_want_out", "reason": "culture_clash", "genuine_situation": "yes",
           "via_agency": "yes", "started_job": "no"}


@pytest.fixture(scope="module")
def finished():
    outcome = consult(built_in(), ANSWERS, None, lambda _: None)
    return outcome, outcome_document(built_in(), outcome)


def saved(tmp_path, document) -> str:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_the_document_is_written_in_the_order_of_its_definition(finished):
    _, document = finished
    assert list(document) == list(DOCUMENT.keys)
    assert list(document["trace"][0]) == list(STEP.keys)


def test_the_trace_s_own_json_agrees_with_the_definition(finished):
    # trace.py keeps `as_json` for its own tests; the transcript is written through STEP and ASKED.
    trace = finished[0].trace
    assert [STEP.of(s) for s in trace.steps] == [s.as_json() for s in trace.steps]
    assert [ASKED.of(a) for a in trace.asked] == [a.as_json() for a in trace.asked]
    assert [list(STEP.of(s)) for s in trace.steps[:1]] == [list(s.as_json()) for s in trace.steps[:1]]


def test_a_transcript_reads_back_into_the_trace_and_outcome_it_records(finished, tmp_path):
    outcome, document = finished
    doc = read_transcript(saved(tmp_path, document))
    assert recorded_trace(doc) == outcome.trace
    rebuilt = recorded_outcome(doc)
    assert (rebuilt.verdict, rebuilt.recommendations, rebuilt.answers) == (
        outcome.verdict, outcome.recommendations, outcome.answers)


@pytest.mark.parametrize("key", [k for k in DOCUMENT.checked if k not in ("verdict", "not_needed")])
def test_each_key_a_transcript_lacks_is_named(finished, tmp_path, key):
    path = saved(tmp_path, {k: v for k, v in finished[1].items() if k != key})
    with pytest.raises(UsageError) as caught:
        read_transcript(path)
    assert str(caught.value) == f"{path}: not a usable offercoach transcript: '{key}' is missing or malformed"


def test_a_transcript_may_lack_the_verdict_and_not_needed(finished, tmp_path):
    # An unfinished consultation has no verdict yet; transcripts written before not_needed was kept lack it.
    doc = read_transcript(saved(tmp_path, {k: v for k, v in finished[1].items()
                                           if k not in ("verdict", "not_needed")}))
    assert "verdict" not in doc
    assert doc["not_needed"] == {}


def test_when_several_keys_are_malformed_the_first_checked_is_named(finished, tmp_path):
    document = dict(finished[1], verdict=3, answers=[], trace={})
    with pytest.raises(UsageError, match="'answers' is missing or malformed"):
        read_transcript(saved(tmp_path, document))


def test_a_record_of_a_dataclass_checks_each_of_its_fields():
    @dataclass
    class Pair:
        left: str
        right: str

    assert Record({"left": text, "right": text}, cls=Pair).read({"left": "a", "right": "b"}) == Pair("a", "b")
    with pytest.raises(TypeError, match="a check for each of its fields"):
        Record({"left": text}, cls=Pair)
    with pytest.raises(TypeError, match="written with left, right, not left"):
        Record({"left": text, "right": text}).write(left="a")
