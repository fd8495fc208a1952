"""Question wording that fits the answers already given: shown at the prompt, checked by 'rules validate'."""

import textwrap

import pytest
from knowledge_bases import QUESTION_1

from offercoach.cli import main

WORDED_KB = textwrap.dedent("""\
    sections:
      - {id: s1, title: Section one, summary: Something.}
    questions:
      - id: situation
        prompt: Where are you?
        help: Pick one.
        values: {a: A case, b: B case}
      - id: genuine
        prompt: Is your reason genuine?
        help: Real trouble only.
        values: {yes: 'Yes', no: 'No'}
        wording:
          - when: [{not: {answer: agency, is: yes}}]
            prompt: Genuine, and no agency involved?
          - when: [{answer: situation, is: b}]
            prompt: Was the reason you declined genuine?
            help: Say yes only if it truly could not be worked around.
            values: {yes: 'Yes, it could not be worked around'}
          - when: [{any: [{answer: situation, is: a}]}]
            values: {no: 'No, I am trying my luck'}
      - id: agency
        prompt: Agency?
        help: Via an agency.
        values: {yes: 'Yes', no: 'No'}
    rules:
      - id: out
        title: Out
        when: [{answer: situation, one_of: [a, b, unknown]}, {answer: genuine, is: yes}]
        then: {verdict: out}
        sources: [s1]
        rationale: Real.
      - id: stay
        title: Stay
        when: [{answer: genuine, one_of: [no, unknown]}, {answer: agency, one_of: [yes, no, unknown]}]
        then: {verdict: honour}
        sources: [s1]
        rationale: Not real.
    verdicts:
      - {id: out, title: Out, summary: Go., priority: 2}
      - {id: honour, title: Honour, summary: Stay., priority: 1}
    """)


COMMANDS = "Type a number or a value; 'why', 'help', 'back' and 'quit' also work.\ngenuine> "


@pytest.fixture
def worded_kb(tmp_path):
    directory = tmp_path / "kb"
    directory.mkdir()
    (directory / "kb.yaml").write_text(WORDED_KB)
    return directory


def consult(runner, kb, text):
    return runner.invoke(main, ["consult", "--knowledge", str(kb)], input=text)


def test_the_wording_for_the_situation_given_is_shown_with_its_help_and_meanings(runner, worded_kb):
    result = consult(runner, worded_kb, "b\nhelp\nyes\n")
    assert result.exit_code == 0
    assert result.stderr == QUESTION_1 + "b\n" + (
        "\nQuestion 2: Was the reason you declined genuine?\n"
        "  Say yes only if it truly could not be worked around.\n"
        "  1. yes      Yes, it could not be worked around\n"
        "  2. no       No\n"
        "  3. unknown  I don't know, or I'd rather not say\n" + COMMANDS
        + "help\nSay yes only if it truly could not be worked around.\nAllowed answers:\n"
          "  yes: Yes, it could not be worked around\n  no: No\n  unknown: I don't know, or I'd rather not say\n"
          "genuine> yes\n\n")
    assert result.stdout == ("Verdict: Out (out)\n  Go.\n  Because: out, from your answers situation=b, genuine=yes\n"
                             "\nRecommendations, most important first:\n")


def test_a_wording_may_change_only_some_meanings(runner, worded_kb):
    result = consult(runner, worded_kb, "a\nhelp\nyes\n")
    assert result.exit_code == 0
    assert result.stderr == QUESTION_1 + "a\n" + (
        "\nQuestion 2: Is your reason genuine?\n"
        "  Real trouble only.\n"
        "  1. yes      Yes\n"
        "  2. no       No, I am trying my luck\n"
        "  3. unknown  I don't know, or I'd rather not say\n" + COMMANDS
        + "help\nReal trouble only.\nAllowed answers:\n"
          "  yes: Yes\n  no: No, I am trying my luck\n  unknown: I don't know, or I'd rather not say\n"
          "genuine> yes\n\n")


def test_without_a_fitting_wording_the_question_is_asked_as_written(runner, worded_kb):
    # The first wording reads 'agency', not answered yet: its 'not' is open, so it does not fit.
    result = consult(runner, worded_kb, "unknown\nhelp\nyes\n")
    assert result.exit_code == 0
    assert result.stderr == QUESTION_1 + "unknown\n" + (
        "\nQuestion 2: Is your reason genuine?\n"
        "  Real trouble only.\n"
        "  1. yes      Yes\n"
        "  2. no       No\n"
        "  3. unknown  I don't know, or I'd rather not say\n" + COMMANDS
        + "help\nReal trouble only.\nAllowed answers:\n"
          "  yes: Yes\n  no: No\n  unknown: I don't know, or I'd rather not say\n"
          "genuine> yes\n\n")


def test_results_and_transcripts_keep_the_question_as_written(runner, worded_kb):
    result = runner.invoke(main, ["consult", "--knowledge", str(worded_kb), "--answer", "situation=b",
                                  "--answer", "genuine=yes", "--no-input", "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout.endswith("| question | answer |\n| --- | --- |\n| situation | b |\n| genuine | yes |\n")


def test_rules_show_lists_the_wordings_in_plain_words(runner, worded_kb):
    result = runner.invoke(main, ["rules", "show", "genuine", "-k", str(worded_kb)])
    assert result.exit_code == 0
    assert result.stdout.endswith("""\
  Allowed answers: yes, no, unknown
  Read by: out, stay
  Worded otherwise when the answers so far fit (the first that fits is used):
    1. when not (agency is yes):
       prompt: Genuine, and no agency involved?
    2. when situation is b:
       prompt: Was the reason you declined genuine?
       help: Say yes only if it truly could not be worked around.
       meaning of yes: Yes, it could not be worked around
    3. when any of (situation is a):
       meaning of no: No, I am trying my luck
""")


def at(text, needle):
    """'line:col' where `needle` first stands in `text`."""
    index = text.index(needle)
    return f"{text.count(chr(10), 0, index) + 1}:{index - text.rfind(chr(10), 0, index)}"


WORDING_2 = """\
      - when: [{answer: situation, is: b}]
        prompt: Was the reason you declined genuine?
        help: Say yes only if it truly could not be worked around.
        values: {yes: 'Yes, it could not be worked around'}"""
WHEN_B = "      - when: [{answer: situation, is: b}]\n"


@pytest.mark.parametrize("new, needle, message", [
    (WHEN_B + "        promt: Was the reason you declined genuine?",
     "promt", "question 'genuine', wording 2: unknown key 'promt'; did you mean 'prompt'?"),
    ("      - prompt: Was the reason you declined genuine?",
     "prompt: Was", "question 'genuine', wording 2: 'when' is missing"),
    (WHEN_B.rstrip(), "when: [{answer: situation, is: b}]",
     "question 'genuine', wording 2: give at least one of 'prompt', 'help' or 'values'"),
    (WHEN_B + "        values: {yse: Oh yes}",
     "yse", ("question 'genuine', wording 2: 'yse' is not a value of this question; did you mean 'yes'? "
            "(its values: yes, no)")),
    (WHEN_B + "        values: {unknown: No idea}",
     "unknown: No idea", "question 'genuine', wording 2: 'unknown' is always allowed; do not list it"),
    (WHEN_B + "        values: [yes]",
     "[yes]", ("question 'genuine', wording 2: 'values' must map some of the question's values to the meaning "
              "to show instead")),
    (WHEN_B + "        help: ''",
     "''", "question 'genuine', wording 2: 'help' must be text"),
    ("      - when: [{not: {fact: committed}}]\n        prompt: Was the reason you declined genuine?",
     "fact", "question 'genuine', wording 2: a wording reads answers only; 'fact' conditions are for rules"),
    ("      - when: [{all: [{verdict: out}]}]\n        prompt: Was the reason you declined genuine?",
     "verdict: out", ("question 'genuine', wording 2: a wording reads answers only; 'verdict' conditions are for "
                     "rules")),
    ("      - when: [{answer: genuine, is: b}]\n        prompt: Was the reason you declined genuine?",
     "b}]\n        prompt: Was", ("question 'genuine', wording 2: a wording cannot read its own question "
                                 "'genuine'; it has no answer yet when it is asked")),
    ("      - when: {answer: situation, is: b}\n        prompt: Was the reason you declined genuine?",
     "{answer: situation, is: b}\n        prompt: Was",
     "question 'genuine', wording 2: expected a list of conditions"),
    ("      - Was the reason you declined genuine?",
     "Was the reason", ("question 'genuine', wording 2: a variant must be a mapping such as "
                       "{when: [...], prompt: ...}")),
], ids=["misspelt-key", "no-when", "nothing-to-show", "not-a-value", "unknown-value", "values-as-list",
        "empty-help", "fact", "verdict", "own-question", "when-not-a-list", "not-a-mapping"])
def test_each_shape_problem_of_a_wording_is_located(runner, worded_kb, new, needle, message):
    text = WORDED_KB.replace(WORDING_2, new, 1)
    assert text != WORDED_KB
    (worded_kb / "kb.yaml").write_text(text)
    result = runner.invoke(main, ["rules", "validate", "--knowledge", str(worded_kb)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{worded_kb / 'kb.yaml'}:{at(text, needle)}: error: {message}\n"


def test_wording_that_is_not_a_list_is_located(runner, worded_kb):
    start, end = WORDED_KB.index("    wording:\n"), WORDED_KB.index("  - id: agency")
    text = WORDED_KB[:start] + "    wording: {prompt: Again?}\n" + WORDED_KB[end:]
    (worded_kb / "kb.yaml").write_text(text)
    result = runner.invoke(main, ["rules", "validate", "--knowledge", str(worded_kb)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{worded_kb / 'kb.yaml'}:{at(text, '{prompt: Again?}')}: error: question 'genuine': "
                             "'wording' must be a list of variants, each with 'when' and a 'prompt', 'help' or "
                             "'values'\n")


@pytest.mark.parametrize("old, new, needle, message", [
    ("{answer: situation, is: b}]\n        prompt: Was", "{answer: situaton, is: b}]\n        prompt: Was",
     "b}]\n        prompt: Was",
     "question 'genuine', wording 2: unknown question 'situaton'; did you mean 'situation'?"),
    ("{answer: situation, is: b}]\n        prompt: Was", "{answer: situation, is: c}]\n        prompt: Was",
     "c}]\n        prompt: Was",
     "question 'genuine', wording 2: 'c' is not an allowed value of question 'situation' (allowed: a, b, unknown)"),
    ("{not: {answer: agency, is: yes}}", "{not: {answer: agency, one_of: [yes, maybe]}}", "[yes, maybe]",
     ("question 'genuine', wording 1: 'maybe' is not an allowed value of question 'agency' (allowed: yes, no, "
     "unknown)")),
], ids=["unknown-question", "value-not-allowed", "nested-value-not-allowed"])
def test_the_conditions_of_a_wording_are_checked_as_a_rules_are(runner, worded_kb, old, new, needle, message):
    text = WORDED_KB.replace(old, new, 1)
    assert text != WORDED_KB
    (worded_kb / "kb.yaml").write_text(text)
    result = runner.invoke(main, ["rules", "validate", "--knowledge", str(worded_kb)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{worded_kb / 'kb.yaml'}:{at(text, needle)}: error: {message}\n"
