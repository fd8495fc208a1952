"""Inference semantics: verdict resolution, 'any' and 'not', what gets asked, and when."""

import textwrap

import pytest

from offercoach.cli import main
from offercoach.engine import consult as consult_module
from offercoach.engine.compile import answer_class
from offercoach.engine.consult import CompiledEngines, consult
from offercoach.engine.errors import InferenceError, KnowledgeError
from offercoach.engine.experta_fixes import RuleFailed, TracingEngine, fact_class
from offercoach.engine.experta_speed import Rule
from offercoach.engine.load import load_knowledge

BASE = """\
sections:
  - {id: s, title: S, summary: S.}
questions:
  - {id: q1, prompt: Question one, help: H., values: {yes: Yes, no: No}}
  - {id: q2, prompt: Question two, help: H., values: {yes: Yes, no: No}}
  - {id: q3, prompt: Question three, help: H., values: {yes: Yes, no: No}}
facts:
  - {id: f, meaning: F holds.}
verdicts:
  - {id: first, title: First, summary: First., priority: 1}
  - {id: second, title: Second, summary: Second., priority: 1}
  - {id: top, title: Top, summary: Top., priority: 9}
"""


def kb_with(tmp_path, rules: str):
    directory = tmp_path / "kb"
    directory.mkdir(exist_ok=True)
    (directory / "kb.yaml").write_text(BASE + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  "))
    return load_knowledge([str(directory)])


def rule(id, when, verdict=None, conclude=None):
    then = {"verdict": verdict} if verdict else {"conclude": [conclude]}
    return (f"- id: {id}\n  title: {id}\n  when: {when}\n  then: {then}\n"
            "  sources: [s]\n  rationale: Because.\n")


def run(kb, **answers):
    return consult(kb, answers, None, lambda _: None)


def asked(outcome):
    return [a.question for a in outcome.trace.asked]


def test_the_highest_priority_verdict_wins_and_the_loser_stays_in_the_trace(tmp_path):
    kb = kb_with(tmp_path, rule("low", "[{answer: q1, is: yes}]", "first") + rule("high", "[{answer: q2, is: yes}]", "top"))
    outcome = run(kb, q1="yes", q2="yes")
    assert (outcome.verdict, outcome.verdict_because) == ("top", ["high"])
    assert outcome.candidates == [("first", "low"), ("top", "high")]
    assert [s.rule for s in outcome.trace.steps] == ["low", "high"]


def test_between_equal_priorities_the_verdict_listed_first_wins(tmp_path):
    kb = kb_with(tmp_path, rule("b", "[{answer: q1, is: yes}]", "second") + rule("a", "[{answer: q1, is: yes}]", "first"))
    assert run(kb, q1="yes").verdict == "first"


def test_an_any_condition_fires_once_and_asks_its_questions_only_until_one_holds(tmp_path):
    kb = kb_with(tmp_path, rule("either", "[{any: [{answer: q1, is: yes}, {answer: q2, is: yes}]}]", "first")
                 + rule("other", "[{answer: q3, is: yes}]", "top"))
    first_holds = run(kb, q1="yes", q2="yes", q3="no")
    assert asked(first_holds) == ["q1", "q3"]
    assert [s.rule for s in first_holds.trace.steps] == ["either"]
    assert asked(run(kb, q1="no", q2="yes", q3="no")) == ["q1", "q2", "q3"]


def test_a_rule_already_ruled_out_asks_nothing_more(tmp_path):
    kb = kb_with(tmp_path, rule("both", "[{answer: q1, is: yes}, {answer: q2, is: yes}]", "first")
                 + rule("fallback", "[]", "second"))
    assert asked(run(kb, q1="no")) == ["q1"]
    assert asked(run(kb, q1="yes", q2="no")) == ["q1", "q2"]


def test_not_a_fact_waits_until_the_questions_that_could_conclude_it_are_answered(tmp_path):
    kb = kb_with(tmp_path, rule("no-f", "[{not: {fact: f}}]", "first")
                 + rule("makes-f", "[{answer: q1, is: yes}, {answer: q2, is: yes}]", conclude="f")
                 + rule("with-f", "[{fact: f}]", "top"))
    with_f = run(kb, q1="yes", q2="yes")
    assert (with_f.verdict, [s.rule for s in with_f.trace.steps]) == ("top", ["makes-f", "with-f"])
    without_f = run(kb, q1="yes", q2="no")
    assert (without_f.verdict, asked(without_f)) == ("first", ["q1", "q2"])


def test_a_fact_that_depends_on_its_own_absence_is_refused_at_the_not(tmp_path):
    with pytest.raises(KnowledgeError) as caught:
        kb_with(tmp_path, rule("loop", "[{not: {fact: f}}]", conclude="f") + rule("v", "[]", "first"))
    path = tmp_path / "kb" / "kb.yaml"
    line = path.read_text().splitlines().index("    when: [{not: {fact: f}}]") + 1
    assert [str(p) for p in caught.value.problems] == [
        (f"{path}:{line}:12: error: rule 'loop': this 'not' makes fact 'f' depend on its own absence (rule 'loop' "
        "reads the absence of 'f' and concludes 'f'); forward chaining cannot settle it")]


def test_answers_that_reach_no_verdict_are_the_knowledge_s_fault(runner, tmp_path):
    kb_with(tmp_path, rule("only-yes", "[{answer: q1, is: yes}]", "first"))
    result = runner.invoke(main, ["consult", "-k", str(tmp_path / "kb"), "--answer", "q1=no", "--no-input"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("offercoach: no rule proposes a verdict for these answers (q1=no); "
                             f"the knowledge in {tmp_path / 'kb'} reaches no verdict for them\n")


class LoopingEngine(TracingEngine):
    """An engine with one rule that modifies the fact it matched, so it never settles."""

    def __init__(self):
        counter = fact_class("test:counter")

        def bump(engine, f, **_):
            engine.modify(f, n=f["n"] + 1)
        bump.__name__ = "bump"
        self.counter = counter
        super().__init__([Rule("f" << counter())(bump)])


def test_a_runaway_rule_set_stops_at_the_step_bound_naming_the_rule(monkeypatch):
    monkeypatch.setattr(consult_module, "MAX_STEPS", 50)
    engine = LoopingEngine()
    engine.reset()
    engine.declare(engine.counter(n=0))
    with pytest.raises(InferenceError) as caught:
        consult_module.settle(engine)
    assert str(caught.value) == ("inference did not settle within 50 rule firings; the rules firing most: "
                                 "bump (50x)")


def test_a_failing_action_names_the_rule_and_leaves_the_engine_usable():
    thing = fact_class("test:thing")
    seen = []

    def broken(engine, **_):
        seen.append("broken")
        raise ZeroDivisionError("division by zero")

    def fine(engine, **_):
        seen.append("fine")
    broken.__name__, fine.__name__ = "broken", "fine"
    engine = TracingEngine([Rule(thing(kind="bad"))(broken), Rule(thing(kind="good"))(fine)])
    engine.reset()
    engine.declare(thing(kind="bad"))
    with pytest.raises(RuleFailed) as caught:
        engine.run()
    assert str(caught.value) == "rule 'broken' failed: ZeroDivisionError: division by zero"
    engine.declare(thing(kind="good"))
    engine.run()
    assert seen == ["broken", "fine"]


def test_an_engine_is_compiled_once_per_knowledge_and_starts_each_consultation_empty(tmp_path):
    engines = CompiledEngines(kept=2)
    kb = kb_with(tmp_path, rule("low", "[{answer: q1, is: yes}]", "first"))
    engine = engines.fresh(kb)
    engine.declare(answer_class("q1")(value="yes"))
    again = load_knowledge([str(tmp_path / "kb")])  # the same files, loaded again
    assert engines.fresh(again) is engine
    assert [type(f).__name__ for f in engine.facts.values()] == ["InitialFact"]


def test_changed_knowledge_gets_its_own_engine_and_only_the_latest_are_kept(tmp_path):
    engines = CompiledEngines(kept=2)
    for n in range(3):
        (tmp_path / str(n)).mkdir()
    kbs = [kb_with(tmp_path / str(n), rule(f"r{n}", "[{answer: q1, is: yes}]", "first")) for n in range(3)]
    first, second = engines.fresh(kbs[0]), engines.fresh(kbs[1])
    assert second is not first
    engines.fresh(kbs[0])  # used again: the engine of kbs[1] is now the least recently used,
    engines.fresh(kbs[2])  # so it is dropped
    assert len(engines) == 2
    assert engines.fresh(kbs[0]) is first
    assert engines.fresh(kbs[1]) is not second  # compiled again
