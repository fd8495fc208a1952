"""Answers given beforehand that no question asked for are kept and said, in every format and in transcripts."""

import json

from knowledge_bases import TINY_KB

from offercoach.cli import main
from offercoach.engine.consult import consult as run_consultation
from offercoach.engine.load import load_knowledge

# situation=b settles the advice at once; agency and genuine, given beforehand, are never asked.
GIVEN = ["--answer", "genuine=no", "--answer", "situation=b", "--answer", "agency=yes"]

B_TEXT = """\
Verdict: Honour (honour)
  Stay.
  Because: b-case, from your answers situation=b
  Not needed for this advice: agency=yes, genuine=no (given beforehand; the questions
  asked settled the advice without them).

Recommendations, most important first:
"""


def consult(runner, kb, *args, input=None):
    return runner.invoke(main, ["consult", "--knowledge", str(kb), *args], input=input)


def test_the_outcome_keeps_them_in_question_order(tiny_kb):
    kb = load_knowledge([str(tiny_kb)])
    outcome = run_consultation(kb, {"genuine": "no", "situation": "b", "agency": "yes"}, None, lambda _: None)
    assert (outcome.answers, outcome.not_needed) == ({"situation": "b"}, {"agency": "yes", "genuine": "no"})


def test_json_lists_them_after_unanswered_and_answers_keeps_only_the_questions_asked(runner, tiny_kb):
    result = consult(runner, tiny_kb, *GIVEN, "--no-input", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert list(document) == ["verdict", "recommendations", "answers", "unanswered", "not_needed", "trace",
                              "questions", "knowledge", "format_version"]
    assert document["answers"] == {"situation": "b"}
    assert list(document["not_needed"].items()) == [("agency", "yes"), ("genuine", "no")]


def test_text_says_so_after_the_verdict(runner, tiny_kb):
    result = consult(runner, tiny_kb, *GIVEN, "--no-input")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == B_TEXT


def test_one_answer_not_needed_is_said_in_the_singular(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "situation=b", "--answer", "agency=no", "--no-input")
    assert result.exit_code == 0
    assert result.stdout == """\
Verdict: Honour (honour)
  Stay.
  Because: b-case, from your answers situation=b
  Not needed for this advice: agency=no (given beforehand; the questions asked settled
  the advice without it).

Recommendations, most important first:
"""


def test_markdown_says_so_after_the_answers(runner, tiny_kb):
    result = consult(runner, tiny_kb, *GIVEN, "--no-input", "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout == """\
# Verdict: Honour

`honour`: Stay.

*Because: b-case, from your answers situation=b*

## Recommendations


## Your answers

| question | answer |
| --- | --- |
| situation | b |

Not needed for this advice: agency=yes, genuine=no (given beforehand; the questions asked settled the advice \
without them).
"""


def test_when_every_answer_given_was_needed_nothing_is_said(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "situation=b", "--no-input", "--format", "json")
    assert json.loads(result.stdout)["not_needed"] == {}
    text = consult(runner, tiny_kb, "--answer", "situation=b", "--no-input")
    assert text.stdout == ("Verdict: Honour (honour)\n  Stay.\n  Because: b-case, from your answers situation=b\n"
                           "\nRecommendations, most important first:\n")


def test_a_typed_answer_undone_with_back_is_not_listed(runner, tiny_kb):
    # agency=yes is typed, then undone together with situation=a; with situation=b it is not needed.
    result = consult(runner, tiny_kb, "--format", "json", input="a\nyes\nback\nback\nb\n")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert (document["answers"], document["not_needed"]) == ({"situation": "b"}, {})


def test_a_given_answer_still_counts_after_back(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "agency=yes", "--format", "json", input="a\nback\nb\n")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert (document["answers"], document["not_needed"]) == ({"situation": "b"}, {"agency": "yes"})


def test_a_saved_transcript_keeps_them_and_explain_says_so(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    assert consult(runner, tiny_kb, *GIVEN, "--no-input", "--save", str(saved)).stdout == B_TEXT
    assert json.loads(saved.read_text())["not_needed"] == {"agency": "yes", "genuine": "no"}
    result = runner.invoke(main, ["explain", str(saved), "-k", str(tiny_kb), "--why-not", "back-out"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == """\
Why not rule back-out: Back out
It did not fire. It needs every condition to hold:
  - fails: committed (You made a promise) [not concluded; it comes from promise]
  - open: genuine is yes [genuine was never asked]
  'genuine' was never asked (you gave genuine=no beforehand; it was not needed): this
  rule needs it only once the conditions before it hold, and this did not: committed
  (You made a promise).
"""
    as_json = runner.invoke(main, ["explain", str(saved), "-k", str(tiny_kb), "--why-not", "back-out",
                                   "--format", "json"])
    assert json.loads(as_json.stdout)["not_needed"] == [
        {"question": "genuine", "because": "earlier", "blocked_by": ["committed (You made a promise)"],
         "given_beforehand": "no"}]


def test_explain_on_changed_knowledge_runs_them_again_as_given(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    consult(runner, tiny_kb, *GIVEN, "--no-input", "--save", str(saved))
    (tiny_kb / "kb.yaml").write_text(TINY_KB + "# edited\n")
    result = runner.invoke(main, ["explain", str(saved), "-k", str(tiny_kb), "--rule", "back-out"])
    assert result.exit_code == 0
    assert result.stderr == (f"Note: the knowledge has changed since {saved} was saved ({tiny_kb}/kb.yaml); "
                             "its answers are run again on the current knowledge.\n")
    assert result.stdout.endswith("  'genuine' was never asked (you gave genuine=no beforehand; it was not needed): "
                                  "this\n  rule needs it only once the conditions before it hold, and this did not: "
                                  "committed\n  (You made a promise).\n")


def test_resume_keeps_them_as_given_answers(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    stopped = consult(runner, tiny_kb, "--answer", "genuine=yes", "--save", str(saved), input="a\n")
    assert stopped.exit_code == 2  # input ended at the second question
    unfinished = json.loads(saved.read_text())
    assert (unfinished["verdict"], unfinished["not_needed"]) == (None, {"genuine": "yes"})
    result = consult(runner, tiny_kb, "--resume", str(saved), "--format", "json", input="no\n")
    assert result.exit_code == 0
    assert result.stderr == (
        f"Resuming {saved}: situation=a. Type 'back' at a question to change the previous answer.\n"
        "\nQuestion 2: Agency?\n  Via an agency.\n  1. yes      Yes\n  2. no       No\n"
        "  3. unknown  I don't know, or I'd rather not say\n"
        "Type a number or a value; 'why', 'help', 'back' and 'quit' also work.\nagency> no\n\n")
    document = json.loads(result.stdout)
    assert document["verdict"]["id"] == "out"
    assert [(q["question"], q["value"], q["given"]) for q in document["questions"]] == [
        ("situation", "a", "answered"), ("agency", "no", "answered"), ("genuine", "yes", "from answers")]
    assert document["not_needed"] == {}


def test_resume_of_a_finished_transcript_lists_them_again(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    consult(runner, tiny_kb, *GIVEN, "--no-input", "--save", str(saved))
    result = consult(runner, tiny_kb, "--resume", str(saved), "--no-input")
    assert (result.exit_code, result.stdout) == (0, B_TEXT)
    assert json.loads(saved.read_text())["not_needed"] == {"agency": "yes", "genuine": "no"}


def test_an_older_transcript_without_the_key_is_read(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    consult(runner, tiny_kb, "--answer", "situation=b", "--no-input", "--save", str(saved))
    document = json.loads(saved.read_text())
    del document["not_needed"]
    saved.write_text(json.dumps(document))
    result = runner.invoke(main, ["explain", str(saved), "-k", str(tiny_kb), "--why-not", "promise"])
    assert (result.exit_code, result.stderr) == (0, "")
    resumed = consult(runner, tiny_kb, "--resume", str(saved), "--no-input", "--format", "json")
    assert resumed.exit_code == 0
    assert json.loads(resumed.stdout)["not_needed"] == {}


def test_a_malformed_not_needed_is_refused(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    consult(runner, tiny_kb, "--answer", "situation=b", "--no-input", "--save", str(saved))
    document = json.loads(saved.read_text())
    document["not_needed"] = {"agency": True}
    saved.write_text(json.dumps(document))
    result = runner.invoke(main, ["explain", str(saved), "-k", str(tiny_kb)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"offercoach: {saved}: not a usable offercoach transcript: 'not_needed' is missing "
                             "or malformed\n")
