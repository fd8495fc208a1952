"""Each meaning check of 'rules validate', one by one, and the command's output."""

import json

import pytest

from offercoach.cli import main
from offercoach.engine import check
from offercoach.engine.errors import KnowledgeError
from offercoach.engine.load import load_knowledge

HEAD = """\
sections:
  - {id: s, title: S, summary: S.}
questions:
  - {id: q1, prompt: Question one, help: H., values: {yes: Yes, no: No}}
  - {id: q2, prompt: Question two, help: H., values: {yes: Yes, no: No}}
facts:
  - {id: f, meaning: F holds.}
  - {id: g, meaning: G holds.}
recommendations:
  - {id: r, title: R, advice: Do r., sources: [s]}
verdicts:
  - {id: v, title: V, summary: V., priority: 1}
  - {id: w, title: W, summary: W., priority: 2}
rules:
  - {id: base, title: Base, when: [], then: {verdict: v}, sources: [s], rationale: Always.}
"""


def kb_dir(tmp_path, rules=""):
    directory = tmp_path / "kb"
    directory.mkdir(exist_ok=True)
    (directory / "kb.yaml").write_text(HEAD + rules)
    return directory


def rule(id, when, then):
    return f"  - {{id: {id}, title: T, when: {when}, then: {then}, sources: [s], rationale: R.}}\n"


def messages(problems):
    return [p.message for p in problems]


def errors_of(tmp_path, rules):
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([str(kb_dir(tmp_path, rules))])
    return messages(caught.value.problems)


def test_contradictory_conditions_make_a_rule_unmatchable(tmp_path):
    assert errors_of(tmp_path, rule("both", "[{answer: q1, is: yes}, {answer: q1, is: no}]", "{verdict: w}")) == [
        "rule 'both' can never fire: its conditions contradict each other, whatever the answers"]


def test_a_not_that_contradicts_its_own_rule_is_unmatchable(tmp_path):
    assert errors_of(tmp_path, rule("self", "[{answer: q1, is: yes}, {not: {answer: q1, one_of: [yes, no]}}]",
                                    "{verdict: w}")) == [
        "rule 'self' can never fire: its conditions contradict each other, whatever the answers"]


def test_a_derivation_cycle_makes_its_rules_unmatchable(tmp_path):
    rules = rule("f-from-g", "[{fact: g}]", "{conclude: [f]}") + rule("g-from-f", "[{fact: f}]", "{conclude: [g]}")
    assert errors_of(tmp_path, rules) == [
        "rule 'f-from-g' can never fire: it needs 'g', which no rule that can fire concludes (a derivation cycle?)",
        "rule 'g-from-f' can never fire: it needs 'f', which no rule that can fire concludes (a derivation cycle?)"]


def test_a_rule_behind_an_unmatchable_one_is_unmatchable_too(tmp_path):
    rules = (rule("never", "[{answer: q1, is: yes}, {answer: q1, is: no}]", "{conclude: [f]}")
             + rule("after", "[{fact: f}]", "{verdict: w}"))
    assert errors_of(tmp_path, rules) == [
        "rule 'never' can never fire: its conditions contradict each other, whatever the answers",
        "rule 'after' can never fire: it needs 'f', which no rule that can fire concludes (a derivation cycle?)"]


def test_unreachable_recommendations_and_verdicts_are_warnings(tmp_path):
    kb = load_knowledge([str(kb_dir(tmp_path, rule("uses", "[{answer: q1, is: yes}, {answer: q2, is: no}]",
                                                   "{conclude: [f, g]}")))])
    assert messages(check.unreachable_conclusions(kb)) == [
        "recommendation 'r' is never given: no rule that can fire recommends it",
        "verdict 'w' is never given: no rule that can fire proposes it"]


def test_questions_no_rule_reads_are_warnings(tmp_path):
    kb = load_knowledge([str(kb_dir(tmp_path, rule("uses", "[{answer: q1, is: yes}]", "{recommend: [r]}")))])
    assert messages(check.unread_questions(kb)) == ["question 'q2' is never asked: no rule reads it"]


def test_facts_no_rule_reads_are_warnings(tmp_path):
    kb = load_knowledge([str(kb_dir(tmp_path, rule("makes-f", "[{answer: q1, is: yes}]", "{conclude: [f]}")))])
    assert messages(check.unused_facts(kb)) == ["fact 'f' is concluded but no rule reads it",
                                                "fact 'g' is defined but no rule reads it"]


def test_validate_prints_warnings_and_exits_0(runner, tmp_path):
    directory = kb_dir(tmp_path, rule("uses", "[{answer: q1, is: yes}, {fact: f}]", "{recommend: [r]}")
                       + rule("makes-f", "[{answer: q2, is: yes}]", "{conclude: [f, g]}"))
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory)])
    path = directory / "kb.yaml"
    assert result.exit_code == 0
    assert result.stderr == (f"{path}:8:5: warning: fact 'g' is concluded but no rule reads it\n"
                             f"{path}:13:5: warning: verdict 'w' is never given: no rule that can fire proposes it\n")
    assert result.stdout == f"ok: 3 rules, 2 questions, 1 recommendations, 2 verdicts in 1 files of layers {directory} (2 warnings)\n"


def test_validate_json_lists_every_problem(runner, tmp_path):
    directory = kb_dir(tmp_path, rule("both", "[{answer: q1, is: yes}, {answer: q1, is: no}]", "{verdict: w}"))
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {"path": str(directory / "kb.yaml"), "line": 16, "col": 5, "severity": "error",
         "message": "rule 'both' can never fire: its conditions contradict each other, whatever the answers"}]


def test_the_built_in_knowledge_has_no_problems(runner):
    result = runner.invoke(main, ["rules", "validate"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "ok: 47 rules, 13 questions, 27 recommendations, 5 verdicts in 6 files of layers default\n"
