"""`offercoach consult` on a small knowledge base: prompts, answers, formats, exit codes, whole messages."""

import hashlib
import json
import re

from knowledge_bases import QUESTION_1, TINY_KB

from offercoach.cli import main

QUESTION_2 = """
Question 2: Agency?
  Via an agency.
  1. yes      Yes
  2. no       No
  3. unknown  I don't know, or I'd rather not say
Type a number or a value; 'why', 'help', 'back' and 'quit' also work.
agency> """

QUESTION_3 = """
Question 3: Genuine?
  Real trouble.
  1. yes      Yes
  2. no       No
  3. unknown  I don't know, or I'd rather not say
Type a number or a value; 'why', 'help', 'back' and 'quit' also work.
genuine> """

HONOUR_AFTER_AGENCY = """\
Verdict: Honour (honour)
  Stay.
  Because: keep-word, promise, from your answers situation=a, genuine=no

Recommendations, most important first:
 1. Careful
    Be careful.
    Sources: Section one (s1)
    Because: agency-word-spreads, promise, from your answers situation=a, agency=yes
"""


def consult(runner, kb, *args, input=None):
    return runner.invoke(main, ["consult", "--knowledge", str(kb), *args], input=input)


def test_an_interactive_consultation_asks_what_the_rules_wait_on(runner, tiny_kb):
    result = consult(runner, tiny_kb, input="a\nyes\nno\n")
    assert result.exit_code == 0
    assert result.stderr == QUESTION_1 + "a\n" + QUESTION_2 + "yes\n" + QUESTION_3 + "no\n\n"
    assert result.stdout == HONOUR_AFTER_AGENCY


def test_a_question_no_rule_waits_on_is_never_asked(runner, tiny_kb):
    result = consult(runner, tiny_kb, input="b\n")
    assert result.exit_code == 0
    assert result.stderr == QUESTION_1 + "b\n\n"
    assert result.stdout == ("Verdict: Honour (honour)\n  Stay.\n  Because: b-case, from your answers situation=b\n"
                             "\nRecommendations, most important first:\n")


def test_a_wrong_answer_is_asked_again_with_the_allowed_values(runner, tiny_kb):
    result = consult(runner, tiny_kb, input="c\n2\n")
    assert result.exit_code == 0
    assert result.stderr == (QUESTION_1 + "c\n'c' is not an answer to 'situation'. Allowed: a, b, unknown "
                             "(or their numbers 1-3).\nsituation> 2\n\n")


def test_why_help_and_back_at_a_question(runner, tiny_kb):
    result = consult(runner, tiny_kb, input="a\nwhy\nhelp\nback\nb\n")
    assert result.exit_code == 0
    assert result.stderr == (
        QUESTION_1 + "a\n" + QUESTION_2
        + "why\nI ask about 'agency' because 1 rule is waiting on the answer:\n"
          "  agency-word-spreads: Word spreads\n"
          "    Already known:\n"
          "    - holds: committed (You made a promise) [concluded by promise at step 1]\n"
          "    Still open:\n"
          "    - open: agency is yes [this question]\n"
          "    Why it matters: Agencies talk.\n"
          "    Sources: Section one (s1)\n"
        + "agency> help\nVia an agency.\nAllowed answers:\n  yes: Yes\n  no: No\n"
          "  unknown: I don't know, or I'd rather not say\n"
        + "agency> back\n" + QUESTION_1 + "b\n\n")
    after_back = json.loads(consult(runner, tiny_kb, "--format", "json", input="a\nback\nb\n").stdout)
    only_b = json.loads(consult(runner, tiny_kb, "--format", "json", input="b\n").stdout)
    assert after_back == only_b


def test_quit_and_end_of_input_stop_without_a_traceback(runner, tiny_kb):
    quit_result = consult(runner, tiny_kb, input="quit\n")
    assert (quit_result.exit_code, quit_result.stdout) == (3, "")  # quit has its own exit code
    assert quit_result.stderr == QUESTION_1 + "quit\noffercoach: stopped at your request; nothing was decided.\n"
    eof_result = consult(runner, tiny_kb, input="a\n")
    assert (eof_result.exit_code, eof_result.stdout) == (2, "")
    assert eof_result.stderr.endswith(
        "agency> \noffercoach: input ended before the consultation finished; nothing was decided. "
        "Use --no-input to take unanswered questions as unknown.\n")


def test_no_input_takes_missing_answers_as_unknown_and_lists_them(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "situation=a", "--no-input", "--format", "json")
    assert result.exit_code == 0
    assert result.stderr == ""
    document = json.loads(result.stdout)
    knowledge = document.pop("knowledge")
    assert knowledge["layers"] == [str(tiny_kb)]
    assert knowledge["files"] == {f"{tiny_kb}/kb.yaml": hashlib.sha256(TINY_KB.encode()).hexdigest()}
    assert re.fullmatch("[0-9a-f]{64}", knowledge["digest"])
    assert document == {
        "verdict": {"id": "honour", "title": "Honour", "summary": "Stay.", "because": ["keep-word"]},
        "recommendations": [],
        "answers": {"situation": "a", "agency": "unknown", "genuine": "unknown"},
        "unanswered": ["agency", "genuine"],
        "not_needed": {},
        "trace": [
            {"step": 1, "rule": "promise", "matched": [{"answer": "situation", "value": "a"}],
             "declared": [{"fact": "committed"}]},
            {"step": 2, "rule": "keep-word",
             "matched": [{"fact": "committed"}, {"answer": "genuine", "value": "unknown"}],
             "declared": [{"verdict": "honour"}]}],
        "questions": [
            {"question": "situation", "after_step": 0, "waiting": ["promise", "b-case"], "value": "a",
             "given": "from answers"},
            {"question": "agency", "after_step": 1, "waiting": ["agency-word-spreads"], "value": "unknown",
             "given": "unanswered"},
            {"question": "genuine", "after_step": 1, "waiting": ["keep-word", "back-out"], "value": "unknown",
             "given": "unanswered"}],
        "format_version": 1}


def test_an_answers_file_keeps_bare_yes_and_no_as_words(runner, tiny_kb, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("situation: a\nagency: yes\ngenuine: no\n")
    result = consult(runner, tiny_kb, "--answers", str(answers), "--no-input")
    assert result.exit_code == 0
    assert result.stdout == HONOUR_AFTER_AGENCY


def test_answer_options_override_the_answers_file(runner, tiny_kb, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"situation": "a", "agency": "yes", "genuine": "no"}')
    result = consult(runner, tiny_kb, "--answers", str(answers), "--answer", "genuine=yes", "--no-input",
                     "--format", "json")
    assert json.loads(result.stdout)["verdict"] == {"id": "out", "title": "Out", "summary": "Go.", "because": ["back-out"]}


def test_a_value_outside_the_allowed_set_exits_2_naming_the_values(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "agency=maybe", "--no-input")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "offercoach: 'maybe' is not an allowed answer to 'agency'; allowed: yes, no, unknown\n"


def test_an_unknown_question_exits_2_naming_the_nearest(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "agnecy=yes", "--no-input")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("offercoach: unknown question 'agnecy'; did you mean 'agency'? "
                             "(known questions: situation, agency, genuine)\n")


def test_an_answer_option_without_equals_exits_2(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "agency", "--no-input")
    assert result.exit_code == 2
    assert result.stderr == ("offercoach: --answer takes ID=VALUE, e.g. --answer situation=weighing_offer; "
                             "got 'agency'\n")


def test_a_missing_or_malformed_answers_file_exits_2(runner, tiny_kb, tmp_path):
    missing = consult(runner, tiny_kb, "--answers", str(tmp_path / "none.yaml"), "--no-input")
    assert (missing.exit_code, missing.stderr) == (2, f"offercoach: {tmp_path / 'none.yaml'}: no such answers file\n")
    listed = tmp_path / "list.yaml"
    listed.write_text("- situation\n")
    wrong = consult(runner, tiny_kb, "--answers", str(listed), "--no-input")
    assert (wrong.exit_code, wrong.stderr) == (2, (f"offercoach: {listed}: the answers file must be a mapping of "
                                                  "question id to value, e.g. 'situation: weighing_offer'\n"))


def test_markdown_output(runner, tiny_kb):
    result = consult(runner, tiny_kb, "--answer", "situation=b", "--no-input", "--format", "markdown")
    assert result.stdout == ("# Verdict: Honour\n\n`honour`: Stay.\n\n*Because: b-case, from your answers "
                             "situation=b*\n\n## Recommendations\n\n\n## Your answers\n\n| question | answer |\n"
                             "| --- | --- |\n| situation | b |\n")


def test_save_into_a_missing_folder_is_refused_before_any_question(runner, tiny_kb, tmp_path):
    target = tmp_path / "nowhere" / "advice.json"
    result = consult(runner, tiny_kb, "--save", str(target), input="a\n")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: cannot save the transcript to {target}: its folder does not exist\n"
