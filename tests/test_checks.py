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
        ("rule 'both' can never fire: its conditions 'q1 is yes' and 'q1 is no' contradict each other, whatever the "
        "answers")]


def test_a_not_that_contradicts_its_own_rule_is_unmatchable(tmp_path):
    assert errors_of(tmp_path, rule("self", "[{answer: q1, is: yes}, {not: {answer: q1, one_of: [yes, no]}}]",
                                    "{verdict: w}")) == [
        ("rule 'self' can never fire: its conditions 'q1 is yes' and 'not (q1 is one of yes, no)' contradict each "
        "other, whatever the answers")]


def test_the_conflicting_conditions_are_named_with_their_lines(tmp_path):
    rules = """\
  - id: apart
    title: T
    when:
      - {answer: q2, is: yes}
      - {fact: f}
      - {answer: q1, is: yes}
      - {not: {fact: f}}
    then: {verdict: w}
    sources: [s]
    rationale: R.
""" + rule("makes-f", "[{answer: q1, is: yes}]", "{conclude: [f]}")
    assert errors_of(tmp_path, rules) == [
        ("rule 'apart' can never fire: its conditions 'f (F holds)' (line 20) and 'not (f (F holds))' (line 22) "
        "contradict each other, whatever the answers")]


def test_three_conditions_that_cannot_hold_together_are_named(tmp_path):
    assert errors_of(tmp_path, rule("three", "[{fact: f}, {answer: q1, is: yes}, "
                                             "{any: [{not: {fact: f}}, {answer: q1, is: no}]}]", "{verdict: w}")
                     + rule("makes-f", "[{answer: q2, is: yes}]", "{conclude: [f]}")) == [
        ("rule 'three' can never fire: its conditions 'f (F holds)', 'q1 is yes' and 'any of (not (f (F holds)); q1 "
        "is no)' contradict each other, whatever the answers")]


def test_a_condition_that_contradicts_itself_is_named(tmp_path):
    assert errors_of(tmp_path, rule("one", "[{answer: q2, is: yes}, {all: [{answer: q1, is: yes}, {answer: q1, is: no}]}]",
                                    "{verdict: w}")) == [
        "rule 'one' can never fire: its condition 'all of (q1 is yes; q1 is no)' can never hold, whatever the answers"]


def test_a_fact_that_depends_on_its_own_absence_is_refused_at_the_not_told_round_from_the_fact(tmp_path):
    rules = (rule("a", "[{fact: g}]", "{conclude: [f]}")
             + rule("b", "[{answer: q1, is: yes}, {not: {fact: f}}]", "{conclude: [g]}"))
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([str(kb_dir(tmp_path, rules))])
    assert [str(p) for p in caught.value.problems] == [
        (f"{tmp_path / 'kb' / 'kb.yaml'}:17:53: error: rule 'b': this 'not' makes fact 'f' depend on its own absence "
        "(rule 'a' reads 'g' and concludes 'f'; rule 'b' reads the absence of 'f' and concludes 'g'); forward "
        "chaining cannot settle it")]


def test_a_derivation_cycle_makes_its_rules_unmatchable(tmp_path):
    rules = rule("f-from-g", "[{fact: g}]", "{conclude: [f]}") + rule("g-from-f", "[{fact: f}]", "{conclude: [g]}")
    assert errors_of(tmp_path, rules) == [
        "rule 'f-from-g' can never fire: it needs 'g', which no rule that can fire concludes (a derivation cycle?)",
        "rule 'g-from-f' can never fire: it needs 'f', which no rule that can fire concludes (a derivation cycle?)"]


def test_a_rule_behind_an_unmatchable_one_is_unmatchable_too(tmp_path):
    rules = (rule("never", "[{answer: q1, is: yes}, {answer: q1, is: no}]", "{conclude: [f]}")
             + rule("after", "[{fact: f}]", "{verdict: w}"))
    assert errors_of(tmp_path, rules) == [
        ("rule 'never' can never fire: its conditions 'q1 is yes' and 'q1 is no' contradict each other, whatever the "
        "answers"),
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
                             f"{path}:13:5: warning: verdict 'w' is never given: no rule that can fire proposes it\n"
                             f"{directory}: warning: question 'q2' is asked after q1=no, where no answer to it "
                             "changes the verdict or the advice\n")
    assert result.stdout == (f"ok: 3 rules, 2 questions, 1 recommendation, 2 verdicts in 1 file of layers {directory} "
                             "(3 warnings)\n")


def test_validate_json_lists_every_problem(runner, tmp_path):
    directory = kb_dir(tmp_path, rule("both", "[{answer: q1, is: yes}, {answer: q1, is: no}]", "{verdict: w}"))
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {"path": str(directory / "kb.yaml"), "line": 16, "col": 5, "severity": "error",
         "message": "rule 'both' can never fire: its conditions 'q1 is yes' and 'q1 is no' contradict each other, "
                    "whatever the answers"}]


def test_the_built_in_knowledge_has_no_problems(runner):
    result = runner.invoke(main, ["rules", "validate"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "ok: 47 rules, 13 questions, 27 recommendations, 5 verdicts in 6 files of layers default\n"


def test_a_not_over_an_answer_that_lets_unknown_in_by_accident_is_a_warning(tmp_path):
    kb = load_knowledge([str(kb_dir(tmp_path, rule("not-yes", "[{not: {answer: q1, is: yes}}]", "{recommend: [r]}")))])
    assert [str(p) for p in check.unknown_through_not(kb)] == [
        (f"{tmp_path / 'kb' / 'kb.yaml'}:16:36: warning: rule 'not-yes': 'not (q1 is yes)' also holds when q1 is "
        "unknown; to leave unknown out, write {not: {answer: q1, one_of: [yes, unknown]}}; if unknown is meant, "
        "write {answer: q1, one_of: [no, unknown]}")]


@pytest.mark.parametrize("rules", [
    # unknown listed in the 'not': left out on purpose
    rule("not-yes", "[{not: {answer: q1, one_of: [yes, unknown]}}]", "{recommend: [r]}"),
    # another condition says what unknown means for q1: the coach has thought of it
    rule("not-yes", "[{not: {answer: q1, is: yes}}]", "{recommend: [r]}")
    + rule("unsure", "[{answer: q1, is: unknown}]", "{verdict: w}"),
    # a rule that only concludes a fact gives no advice by itself
    rule("not-yes", "[{not: {answer: q1, is: yes}}]", "{conclude: [f]}") + rule("uses", "[{fact: f}]", "{recommend: [r]}"),
])
def test_a_not_that_leaves_unknown_out_or_where_unknown_is_named_elsewhere_is_not_warned_about(tmp_path, rules):
    kb = load_knowledge([str(kb_dir(tmp_path, rules))])
    assert check.unknown_through_not(kb) == []


TIED = HEAD.replace("{id: w, title: W, summary: W., priority: 2}", "{id: w, title: W, summary: W., priority: 1}")


def tied_dir(tmp_path, rules):
    directory = tmp_path / "kb"
    directory.mkdir(exist_ok=True)
    (directory / "kb.yaml").write_text(TIED.replace(
        "  - {id: base, title: Base, when: [], then: {verdict: v}, sources: [s], rationale: Always.}\n", "") + rules)
    return directory


def test_two_verdicts_of_the_same_priority_that_can_meet_are_a_warning(runner, tmp_path):
    directory = tied_dir(tmp_path, rule("v-on-yes", "[{answer: q1, is: yes}]", "{verdict: v}")
                         + rule("v-otherwise", "[{answer: q1, one_of: [no, unknown]}]", "{verdict: v}")
                         + rule("made-f", "[{answer: q2, is: yes}]", "{conclude: [f]}")
                         + rule("w-on-f", "[{fact: f}, {answer: q1, one_of: [yes, no]}]", "{verdict: w, recommend: [r]}"))
    warning = (f"{directory / 'kb.yaml'}:13:5: warning: verdicts 'v' and 'w' have the same priority (1) and can both "
               "be proposed in one consultation (rules 'v-on-yes' and 'w-on-f', e.g. with q1=yes, q2=yes); then 'v' "
               "wins only because it is listed first: give the one that should win a higher priority")
    assert [str(p) for p in check.verdict_ties(load_knowledge([str(directory)]))] == [warning]
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory)])
    assert result.exit_code == 0
    assert warning + "\n" in result.stderr


def test_verdicts_of_the_same_priority_that_never_meet_are_fine(tmp_path):
    # w needs f, which needs q2=yes; v needs q2=no: the two are never proposed together.
    kb = load_knowledge([str(tied_dir(tmp_path, rule("v-on-no", "[{answer: q2, one_of: [no, unknown]}]", "{verdict: v}")
                                      + rule("made-f", "[{answer: q2, is: yes}]", "{conclude: [f]}")
                                      + rule("w-on-f", "[{fact: f}]", "{verdict: w, recommend: [r]}")))])
    assert check.verdict_ties(kb) == []
