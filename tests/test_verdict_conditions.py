"""Advice that depends on the chosen verdict, and the verdict's words for the case."""

import json
import textwrap
from pathlib import Path

import pytest

from offercoach.cli import main
from offercoach.engine import explain, explanations
from offercoach.engine.consult import consult
from offercoach.engine.load import load_knowledge
from offercoach.engine.transcript import read_transcript, recorded_outcome

VERDICT_KB = textwrap.dedent("""\
    sections:
      - {id: s1, title: Section one, summary: Something.}
    questions:
      - id: recruiter
        prompt: Did the other company's recruiter call you?
        help: Only matters if you stay.
        values: {yes: Yes, no: No}
      - id: situation
        prompt: Where are you?
        help: Pick one.
        values: {a: A case, b: B case}
      - id: genuine
        prompt: Genuine?
        help: Real trouble.
        values: {yes: Yes, no: No}
    rules:
      - id: stay
        title: Stay put
        when: [{answer: situation, is: a}, {not: {answer: genuine, is: yes}}]
        then: {verdict: honour, summary: Stay; you promised.}
        sources: [s1]
        rationale: A promise was made.
      - id: nothing-forces-you
        title: Nothing forces you out
        when: [{answer: situation, is: a}, {answer: genuine, is: no}]
        then: {verdict: honour, summary: Nothing forces you out; stay.}
        sources: [s1]
        rationale: No real reason to leave.
        salience: 10
      - id: leave
        title: Leave
        when: [{answer: situation, is: a}, {answer: genuine, is: yes}]
        then: {verdict: out}
        sources: [s1]
        rationale: A real reason justifies leaving.
      - id: b-case
        title: B
        when: [{answer: situation, one_of: [b, unknown]}]
        then: {verdict: honour}
        sources: [s1]
        rationale: Nothing to undo.
      - id: tell-the-recruiter
        title: Tell the recruiter
        when: [{answer: recruiter, is: yes}, {verdict: honour}]
        then: {recommend: [tell-them]}
        sources: [s1]
        rationale: They called; answer them.
      - id: keep-it-up
        title: Keep it up
        when: [{verdict: [honour]}]
        then: {recommend: keep-it}
        sources: [s1]
        rationale: Staying means staying.
    recommendations:
      - {id: tell-them, title: Tell them, advice: Tell the recruiter you stay., sources: [s1]}
      - {id: keep-it, title: Keep it, advice: Keep your word., sources: [s1]}
    verdicts:
      - {id: out, title: Out, summary: Go., priority: 2}
      - {id: honour, title: Honour, summary: Stay., priority: 1}
    """)


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "kb"
    directory.mkdir()
    (directory / "kb.yaml").write_text(VERDICT_KB)
    return directory


def run(directory, **answers):
    return consult(load_knowledge([str(directory)]), answers, None, lambda _: None)


def asked(outcome):
    return [a.question for a in outcome.trace.asked]


def transcript(runner, directory, tmp_path, *answers):
    result = runner.invoke(main, ["consult", "-k", str(directory), *answers, "--no-input", "--format", "json"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "t.json"
    path.write_text(result.stdout)
    return path


def test_a_recommendation_is_given_only_under_its_verdict(kb_dir):
    honour = run(kb_dir, situation="a", genuine="no", recruiter="no")
    out = run(kb_dir, situation="a", genuine="yes")
    assert (honour.verdict, honour.recommendations) == ("honour", [("keep-it", ["keep-it-up"])])
    assert (out.verdict, out.recommendations) == ("out", [])


def test_a_question_only_verdict_rules_need_comes_after_the_verdict_and_only_for_that_verdict(kb_dir):
    honour = run(kb_dir, situation="a", genuine="no", recruiter="yes")
    out = run(kb_dir, situation="a", genuine="yes", recruiter="yes")
    # 'recruiter' is listed first, but only a rule that reads the verdict needs it.
    assert asked(honour) == ["situation", "genuine", "recruiter"]
    assert [(a.question, a.after_step, a.waiting) for a in honour.trace.asked][-1] == (
        "recruiter", 3, ["tell-the-recruiter"])
    assert honour.recommendations == [("tell-them", ["tell-the-recruiter"]), ("keep-it", ["keep-it-up"])]
    assert asked(out) == ["situation", "genuine"]
    assert out.verdict == "out"


def test_the_json_trace_lists_the_chosen_verdict_among_matched(runner, kb_dir, tmp_path):
    document = json.loads(transcript(runner, kb_dir, tmp_path, "--answer", "situation=a", "--answer", "genuine=no",
                                     "--answer", "recruiter=yes").read_text())
    assert document["verdict"] == {"id": "honour", "title": "Honour", "summary": "Stay; you promised.",
                                   "because": ["nothing-forces-you", "stay"]}
    assert document["trace"] == [
        {"step": 1, "rule": "nothing-forces-you",
         "matched": [{"answer": "situation", "value": "a"}, {"answer": "genuine", "value": "no"}],
         "declared": [{"verdict": "honour"}]},
        {"step": 2, "rule": "stay",
         "matched": [{"answer": "situation", "value": "a"}, {"answer": "genuine", "value": "no"}],
         "declared": [{"verdict": "honour"}]},
        {"step": 3, "rule": "keep-it-up", "matched": [{"verdict": "honour"}], "declared": [{"recommendation": "keep-it"}]},
        {"step": 4, "rule": "tell-the-recruiter",
         "matched": [{"verdict": "honour"}, {"answer": "recruiter", "value": "yes"}],
         "declared": [{"recommendation": "tell-them"}]}]


def test_how_shows_the_verdict_and_the_rules_that_proposed_it(runner, kb_dir, tmp_path):
    path = transcript(runner, kb_dir, tmp_path, "--answer", "situation=a", "--answer", "genuine=no",
                      "--answer", "recruiter=yes")
    result = runner.invoke(main, ["explain", str(path), "-k", str(kb_dir), "--recommendation", "tell-them"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == """\
How offercoach reached the recommendation 'tell-them': Tell them
  because rule tell-the-recruiter (step 4): Tell the recruiter
      They called; answer them.
      Sources: Section one (s1)
    using the verdict honour (Honour)
      because rule nothing-forces-you (step 1): Nothing forces you out
          No real reason to leave.
          Sources: Section one (s1)
          In this case: Nothing forces you out; stay.
        using your answer situation=a
        using your answer genuine=no
      because rule stay (step 2): Stay put
          A promise was made.
          Sources: Section one (s1)
          In this case: Stay; you promised.
        using your answer situation=a
        using your answer genuine=no
    using your answer recruiter=yes
"""
    rule = runner.invoke(main, ["explain", str(path), "-k", str(kb_dir), "--rule", "tell-the-recruiter"])
    assert rule.stdout.splitlines()[-2:] == ["It fired at step 4, on the verdict honour, recruiter=yes.",
                                             "It concluded: recommendation tell-them."]


def test_the_because_of_advice_given_under_a_verdict_reaches_the_rules_behind_the_verdict(kb_dir):
    outcome = run(kb_dir, situation="a", genuine="no", recruiter="yes")
    assert explanations.because_line(outcome, ["tell-the-recruiter"]) == (
        "Because: tell-the-recruiter, nothing-forces-you, stay, from your answers situation=a, genuine=no, "
        "recruiter=yes")


def test_why_not_says_which_verdict_was_chosen(runner, kb_dir, tmp_path):
    path = transcript(runner, kb_dir, tmp_path, "--answer", "situation=a", "--answer", "genuine=yes")
    result = runner.invoke(main, ["explain", str(path), "-k", str(kb_dir), "--why-not", "tell-the-recruiter"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == """\
Why not rule tell-the-recruiter: Tell the recruiter
It did not fire. It needs every condition to hold:
  - open: recruiter is yes [recruiter was never asked]
  - fails: the verdict is honour [chosen verdict: out]
  'recruiter' was never asked: this rule needs it only once the verdict is honour, and
  the verdict chosen was out.
"""
    as_json = runner.invoke(main, ["explain", str(path), "-k", str(kb_dir), "--why-not", "keep-it-up",
                                   "--format", "json"])
    assert json.loads(as_json.stdout) == {
        "rule": "keep-it-up", "title": "Keep it up", "fired_at": None,
        "conditions": [{"condition": "the verdict is honour", "holds": False, "answers": {}, "facts": {},
                        "verdict": "out"}],
        "not_needed": []}


def test_why_at_a_question_asked_for_the_verdict(runner, kb_dir):
    result = runner.invoke(main, ["consult", "-k", str(kb_dir), "--answer", "situation=a", "--answer", "genuine=no"],
                           input="why\nno\n")
    assert result.exit_code == 0
    assert result.stderr.split("recruiter> ")[1] == """\
why
I ask about 'recruiter' because 1 rule is waiting on the answer:
  tell-the-recruiter: Tell the recruiter
    Already known:
    - holds: the verdict is honour [chosen verdict: honour]
    Still open:
    - open: recruiter is yes [this question]
    Why it matters: They called; answer them.
    Sources: Section one (s1)
"""


def test_before_the_verdict_is_chosen_a_verdict_condition_is_open(kb_dir):
    kb = load_knowledge([str(kb_dir)])
    reports = explain.waiting_reports(kb, ["tell-the-recruiter"], {}, run(kb_dir, situation="b").trace)
    assert explanations.why_asked(kb, kb.questions["recruiter"], reports) == """\
I ask about 'recruiter' because 1 rule is waiting on the answer:
  tell-the-recruiter: Tell the recruiter
    Still open:
    - open: recruiter is yes [this question]
    - open: the verdict is honour [no verdict chosen yet]
    Why it matters: They called; answer them.
    Sources: Section one (s1)"""


def test_the_case_summary_is_the_first_proposer_in_knowledge_order_else_the_verdicts_own(runner, kb_dir):
    # 'nothing-forces-you' fires first (higher salience), but 'stay' is written first, so its words win.
    assert run(kb_dir, situation="a", genuine="no").summary == "Stay; you promised."
    assert run(kb_dir, situation="a", genuine="unknown").summary == "Stay; you promised."
    assert run(kb_dir, situation="b").summary is None
    text = runner.invoke(main, ["consult", "-k", str(kb_dir), "--answer", "situation=a", "--answer", "genuine=no",
                                "--no-input"])
    assert text.stdout.splitlines()[:2] == ["Verdict: Honour (honour)", "  Stay; you promised."]
    markdown = runner.invoke(main, ["consult", "-k", str(kb_dir), "--answer", "situation=b", "--no-input",
                                    "--format", "markdown"])
    assert markdown.stdout.splitlines()[:3] == ["# Verdict: Honour", "", "`honour`: Stay."]


def test_a_transcript_keeps_the_case_summary_and_one_without_it_still_reads(runner, kb_dir, tmp_path):
    path = transcript(runner, kb_dir, tmp_path, "--answer", "situation=a", "--answer", "genuine=no")
    assert recorded_outcome(read_transcript(str(path))).summary == "Stay; you promised."
    document = json.loads(path.read_text())
    del document["verdict"]["summary"]
    path.write_text(json.dumps(document))
    assert recorded_outcome(read_transcript(str(path))).summary is None
    document["verdict"]["summary"] = 3
    path.write_text(json.dumps(document))
    result = runner.invoke(main, ["explain", str(path), "-k", str(kb_dir)])
    assert (result.exit_code, result.stderr) == (
        2, f"offercoach: {path}: not a usable offercoach transcript: 'verdict' is missing or malformed\n")


def test_rules_show_and_graph_read_the_verdict_condition(runner, kb_dir):
    rule = runner.invoke(main, ["rules", "show", "tell-the-recruiter", "-k", str(kb_dir)])
    assert rule.stdout.split("\n\n")[-1] == """\
  When all of these hold:
    - recruiter is yes
    - the verdict is honour
  it concludes:
    - recommendation tell-them: Tell them
  Why it matters: They called; answer them.
  Sources: Section one (s1)
"""
    proposer = runner.invoke(main, ["rules", "show", "stay", "-k", str(kb_dir)])
    assert "    - verdict honour: Honour (a candidate)\n    - in this case the verdict says: Stay; you promised.\n" \
        in proposer.stdout
    verdict = runner.invoke(main, ["rules", "show", "honour", "-k", str(kb_dir)])
    assert verdict.stdout.endswith("  Priority: 1\n  Proposed by: stay, nothing-forces-you, b-case\n"
                                   "  Read by: tell-the-recruiter, keep-it-up\n")
    graph = runner.invoke(main, ["rules", "graph", "-k", str(kb_dir)]).stdout.splitlines()
    assert [line for line in graph if line.startswith("  v_honour -->")] == [
        "  v_honour --> r_tell_the_recruiter", "  v_honour --> r_keep_it_up"]
    listed = runner.invoke(main, ["rules", "list", "-k", str(kb_dir)])
    assert listed.exit_code == 0


def at(text: str, needle: str, after: str = "") -> str:
    """'line:col' where `needle` first stands in `text` after the first `after`."""
    index = text.index(needle, text.index(after))
    return f"{text.count(chr(10), 0, index) + 1}:{index - text.rfind(chr(10), 0, index)}"


def validate(runner, directory, old, new):
    text = VERDICT_KB.replace(old, new, 1)
    assert text != VERDICT_KB
    (directory / "kb.yaml").write_text(text)
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory)])
    return result, directory / "kb.yaml", text


def test_an_unknown_verdict_is_named_with_the_nearest_known_one(runner, kb_dir):
    result, path, text = validate(runner, kb_dir, "{verdict: [honour]}", "{verdict: [out, honuor]}")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}:{at(text, 'honuor')}: error: rule 'keep-it-up': unknown verdict 'honuor'; "
                             "did you mean 'honour'?\n")


@pytest.mark.parametrize("form, inside", [
    ("{not: {verdict: honour}}", "not"), ("{all: [{verdict: honour}]}", "all"),
    ("{any: [{answer: recruiter, is: no}, {verdict: honour}]}", "any")])
def test_a_verdict_condition_must_stand_at_the_top_level(runner, kb_dir, form, inside):
    result, path, text = validate(runner, kb_dir, "{verdict: [honour]}", form)
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{at(text, '{verdict: honour}', form)}: error: rule 'keep-it-up': a 'verdict' "
                             f"condition must stand at the top level of 'when', not inside '{inside}'\n")


def test_a_rule_that_reads_the_verdict_may_only_recommend(runner, kb_dir):
    result, path, text = validate(runner, kb_dir, "then: {recommend: keep-it}",
                                  "then: {recommend: keep-it, conclude: [staying], verdict: out}")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:{at(text, 'conclude: [staying]')}: error: rule 'keep-it-up': a rule that reads the verdict may only "
        "recommend; it cannot conclude facts\n"
        f"{path}:{at(text, 'verdict: out}', 'conclude: [staying]')}: error: rule 'keep-it-up': a rule that reads the verdict may only "
        "recommend; it cannot propose a verdict\n")


def test_summary_needs_a_verdict_beside_it(runner, kb_dir):
    result, path, text = validate(runner, kb_dir, "then: {recommend: [tell-them]}",
                                  "then: {recommend: [tell-them], summary: Say so.}")
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{at(text, 'summary: Say so.')}: error: rule 'tell-the-recruiter': 'summary' says "
                             "what the proposed verdict means in this case; add 'verdict' beside it\n")


def test_a_verdict_condition_must_name_verdicts(runner, kb_dir):
    result, path, text = validate(runner, kb_dir, "{verdict: [honour]}", "{verdict: []}")
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{at(text, '[]}')}: error: rule 'keep-it-up': 'verdict' must be a verdict id "
                             "or a list of verdict ids\n")


def test_two_different_verdicts_contradict_each_other(runner, kb_dir):
    result, path, text = validate(runner, kb_dir, "{verdict: [honour]}", "{verdict: out}, {verdict: honour}")
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{at(text, 'id: keep-it-up')}: error: rule 'keep-it-up' can never fire: its "
                             f"conditions 'the verdict is out' (line {at(text, '{verdict: out}, {verdict: honour}').split(':')[0]}) and "
                             f"'the verdict is honour' (line {at(text, '{verdict: out}, {verdict: honour}').split(':')[0]}) contradict "
                             "each other, whatever the answers\n")


def test_waiting_for_a_verdict_no_rule_proposes_is_a_warning(runner, kb_dir):
    text = VERDICT_KB.replace("{verdict: [honour]}", "{verdict: [out]}").replace(
        "then: {verdict: out}", "then: {recommend: [tell-them]}")
    path = kb_dir / "kb.yaml"
    path.write_text(text)
    result = runner.invoke(main, ["rules", "validate", "-k", str(kb_dir)])
    # With 'leave' no longer proposing a verdict, walking every consultation finds the answers left without one.
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:{at(text, '{not: {answer: genuine')}: warning: rule 'stay': 'not (genuine is yes)' also holds when "
        "genuine is unknown; to leave unknown out, write {not: {answer: genuine, one_of: [yes, unknown]}}; if unknown "
        "is meant, write {answer: genuine, one_of: [no, unknown]}\n"
        f"{path}:{at(text, '[out]}')}: warning: rule 'keep-it-up' never fires: it needs the verdict to be out, and "
        "no rule that can fire proposes it\n"
        f"{path}:{at(text, '{id: keep-it,')}: warning: recommendation 'keep-it' is never given: no rule that can "
        "fire recommends it\n"
        f"{path}:{at(text, '{id: out')}: warning: verdict 'out' is never given: no rule that can fire proposes it\n"
        f"{kb_dir}: error: the answers situation=a, genuine=yes reach no verdict: no rule proposes one, so a "
        "user who gives them is left without advice\n")
