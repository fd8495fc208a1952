"""compile.py on small knowledge: the patterns a condition compiles to, strata, need and ask rules, advice once."""

import pytest
from knowledge_bases import TINY_KB, knowledge_from

from offercoach.engine.compile import (
    AdviceEngine,
    Chosen,
    Wanted,
    absent_class,
    answer_class,
    compile_rules,
    derived_class,
    false_pattern,
    question_wanted,
    strata,
    true_pattern,
)
from offercoach.engine.consult import consult
from offercoach.engine.experta_compat import AND
from offercoach.engine.experta_fixes import TracingEngine
from offercoach.engine.experta_speed import Rule

HEAD = """\
    sections:
      - {id: s, title: S, summary: S.}
    questions:
      - {id: q, prompt: Q?, help: H., values: {yes: Yes, no: No, maybe: Maybe}}
      - {id: r, prompt: R?, help: H., values: {yes: Yes, no: No}}
    facts:
      - {id: f, meaning: F holds.}
      - {id: g, meaning: G holds.}
    recommendations:
      - {id: rec, title: Rec, advice: Do it., sources: [s]}
    verdicts:
      - {id: v1, title: V1, summary: One., priority: 1}
      - {id: v2, title: V2, summary: Two., priority: 2}
    rules:
"""


def rule(id, when, then="{verdict: v1}"):
    return (f"      - {{id: {id}, title: {id}, when: {when}, then: {then}, sources: [s], "
            "rationale: Because.}\n")


# One rule per form of condition; each rule's only condition is the one judged below.
FORMS = {
    "is": "{answer: q, is: yes}",
    "one-of": "{answer: q, one_of: [yes, maybe]}",
    "not": "{not: {answer: q, is: yes}}",
    "all": "{all: [{answer: q, is: yes}, {answer: r, is: yes}]}",
    "any": "{any: [{answer: q, is: yes}, {answer: r, is: yes}]}",
    "fact": "{fact: f}",
    "not-fact": "{not: {fact: f}}",
    "verdict": "{verdict: v1}",
    "verdicts": "{verdict: [v1, v2]}",
}


@pytest.fixture(scope="module")
def forms_kb(tmp_path_factory):
    rules = "".join(rule(name, f"[{cond}]", "{recommend: [rec]}" if name.startswith("verdict") else "{verdict: v1}")
                    for name, cond in FORMS.items())
    rules += rule("makes-f", "[{answer: r, is: no}]", "{conclude: [f]}")
    return knowledge_from(tmp_path_factory.mktemp("forms"), HEAD + rules)


def matches(pattern, facts):
    """Whether a rule made of `pattern` alone fires once `facts` are declared."""
    fired = []

    def probe(engine, **_):
        fired.append(True)
    engine = TracingEngine([Rule(AND(pattern))(probe)])
    engine.reset()
    engine.declare(*facts)
    engine.run()
    return bool(fired)


def judged(cond, facts):
    held, failed = matches(true_pattern(cond), facts), matches(false_pattern(cond), facts)
    return {(True, False): "holds", (False, True): "fails", (False, False): "open"}[held, failed]


STATES = {  # what the consultation knows: answers, facts concluded, the verdict chosen
    "nothing": [],
    "q=yes": [answer_class("q")(value="yes")],
    "q=maybe": [answer_class("q")(value="maybe")],
    "q=no": [answer_class("q")(value="no")],
    "q=no r=no": [answer_class("q")(value="no"), answer_class("r")(value="no")],
    "q=no r=yes": [answer_class("q")(value="no"), answer_class("r")(value="yes")],
    "q=yes r=yes": [answer_class("q")(value="yes"), answer_class("r")(value="yes")],
    "f": [derived_class("f")(by="x")],
    "f-absent": [absent_class("f")()],  # no rule can conclude f any more
    "v1": [Chosen(id="v1")],
    "v2": [Chosen(id="v2")],
}


def test_each_condition_compiles_to_a_pattern_for_holds_and_one_for_fails(forms_kb):
    table = {name: " ".join(f"{state}:{judged(forms_kb.rules[name].when.conditions[0], facts)}"
                            for state, facts in STATES.items() if state not in ("v1", "v2") or "verdict" in name)
             for name in FORMS}
    # An unanswered question is neither true nor false; nor is a fact not concluded, until it is settled that no
    # rule can conclude it any more.
    assert table == {
        "is": "nothing:open q=yes:holds q=maybe:fails q=no:fails q=no r=no:fails q=no r=yes:fails "
              "q=yes r=yes:holds f:open f-absent:open",
        "one-of": "nothing:open q=yes:holds q=maybe:holds q=no:fails q=no r=no:fails q=no r=yes:fails "
                  "q=yes r=yes:holds f:open f-absent:open",
        "not": "nothing:open q=yes:fails q=maybe:holds q=no:holds q=no r=no:holds q=no r=yes:holds "
               "q=yes r=yes:fails f:open f-absent:open",
        "all": "nothing:open q=yes:open q=maybe:fails q=no:fails q=no r=no:fails q=no r=yes:fails "
               "q=yes r=yes:holds f:open f-absent:open",
        "any": "nothing:open q=yes:holds q=maybe:open q=no:open q=no r=no:fails q=no r=yes:holds "
               "q=yes r=yes:holds f:open f-absent:open",
        "fact": "nothing:open q=yes:open q=maybe:open q=no:open q=no r=no:open q=no r=yes:open "
                "q=yes r=yes:open f:holds f-absent:fails",
        "not-fact": "nothing:open q=yes:open q=maybe:open q=no:open q=no r=no:open q=no r=yes:open "
                    "q=yes r=yes:open f:fails f-absent:holds",
        "verdict": "nothing:open q=yes:open q=maybe:open q=no:open q=no r=no:open q=no r=yes:open "
                   "q=yes r=yes:open f:open f-absent:open v1:holds v2:fails",
        "verdicts": "nothing:open q=yes:open q=maybe:open q=no:open q=no r=no:open q=no r=yes:open "
                    "q=yes r=yes:open f:open f-absent:open v1:holds v2:holds",
    }


def test_a_rule_sits_one_stratum_below_the_facts_whose_absence_it_reads(tmp_path):
    kb = knowledge_from(tmp_path, HEAD
                        + rule("makes-g", "[{answer: q, is: yes}]", "{conclude: [g]}")
                        + rule("without-g", "[{not: {fact: g}}]", "{conclude: [f]}")
                        + rule("without-f", "[{answer: r, is: yes}, {not: {fact: f}}]")
                        + rule("with-f", "[{fact: f}]", "{verdict: v2}"))
    assert strata(kb) == {"makes-g": 0, "without-g": 1, "without-f": 2, "with-f": 1}


def test_the_rules_compiled_from_the_tiny_knowledge(tmp_path):
    kb = knowledge_from(tmp_path, TINY_KB)
    assert [(r._wrapped.__name__, r.salience, r._wrapped.order) for r in compile_rules(kb)] == [
        ("promise", 0, 0), ("need:promise:situation", -300, 0),
        ("agency-word-spreads", 0, 1), ("need:agency-word-spreads:agency", -300, 1),
        ("keep-word", 0, 2), ("need:keep-word:genuine", -300, 2),
        ("back-out", 0, 3), ("need:back-out:genuine", -300, 3),
        ("b-case", 0, 4), ("need:b-case:situation", -300, 4),
        ("ask:situation", -600, 0), ("ask:agency", -600, 1), ("ask:genuine", -600, 2)]


def wanted_after(kb, answers, verdict=None):
    """The questions rules wait on once `answers` (and the chosen `verdict`) are known, and what they ask next."""
    engine = AdviceEngine(kb)
    engine.reset()
    engine.declare(*[answer_class(q)(value=v) for q, v in answers.items()])
    if verdict:
        engine.declare(Chosen(id=verdict))
    engine.run()
    wanted = sorted((f["question"], f["rule"]) for f in engine.facts.values() if isinstance(f, Wanted))
    return wanted, question_wanted(engine)


def test_need_rules_wait_on_a_question_only_while_it_can_still_matter(tmp_path):
    kb = knowledge_from(tmp_path, HEAD + rule("three", "[{answer: q, is: yes}, {answer: r, is: yes}, "
                                                       "{not: {answer: q, is: maybe}}]")
                        + rule("after-v2", "[{answer: r, is: yes}, {verdict: v2}]", "{recommend: [rec]}"))
    # Only the first question at first; the verdict-reading rule asks nothing before its verdict is chosen.
    assert wanted_after(kb, {}) == ([("q", "three")], "q")
    # Once the first condition holds, the next question is wanted.
    assert wanted_after(kb, {"q": "yes"}) == ([("r", "three")], "r")
    # A first condition that failed stops the rule waiting.
    assert wanted_after(kb, {"q": "no"}) == ([], None)
    # The verdict it reads, once chosen, lets the other rule wait on its question; another verdict does not.
    assert wanted_after(kb, {"q": "no"}, verdict="v2") == ([("r", "after-v2")], "r")
    assert wanted_after(kb, {"q": "no"}, verdict="v1") == ([], None)


def test_a_later_answer_that_already_fails_rules_the_question_out(tmp_path):
    kb = knowledge_from(tmp_path, HEAD + rule("two", "[{answer: q, is: yes}, {not: {answer: r, is: yes}}]")
                        + rule("late", "[{answer: r, is: no}, {answer: q, is: maybe}]"))
    # r=yes fails 'two' already, so it no longer waits on q; 'late' fails on r=yes too.
    assert wanted_after(kb, {"r": "yes"}) == ([], None)
    assert wanted_after(kb, {"r": "no"}) == ([("q", "late"), ("q", "two")], "q")


def test_the_run_stops_at_the_question_a_rule_waits_on_and_names_it_by_its_ask_rule(tmp_path):
    engine = AdviceEngine(knowledge_from(tmp_path, TINY_KB))
    engine.reset()
    engine.run()
    assert (engine.last_firing.rule, question_wanted(engine)) == ("ask:situation", "situation")
    engine.declare(answer_class("situation")(value="b"))
    engine.run()
    assert (engine.last_firing.rule, question_wanted(engine)) == ("b-case", None)
    engine.run()  # nothing left to fire
    assert (engine.last_firing, question_wanted(engine)) == (None, None)


def test_advice_is_given_once_when_both_branches_of_an_any_hold(tmp_path):
    kb = knowledge_from(tmp_path, HEAD + rule("either", "[{any: [{answer: q, is: yes}, {answer: r, is: yes}]}]",
                                              "{recommend: [rec], conclude: [f], verdict: v1}")
                        + rule("reads-r", "[{answer: r, is: yes}]", "{verdict: v2}"))
    outcome = consult(kb, {"q": "yes", "r": "yes"}, None, lambda _: None)
    # 'either' matches twice (q, then r once 'reads-r' has it asked), and is recorded and credited once.
    assert [(s.step, s.rule, s.matched, s.declared) for s in outcome.trace.steps] == [
        (1, "either", [{"answer": "q", "value": "yes"}],
         [{"fact": "f"}, {"recommendation": "rec"}, {"verdict": "v1"}]),
        (2, "reads-r", [{"answer": "r", "value": "yes"}], [{"verdict": "v2"}])]
    assert [a.question for a in outcome.trace.asked] == ["q", "r"]
    assert outcome.recommendations == [("rec", ["either"])]
    assert outcome.candidates == [("v1", "either"), ("v2", "reads-r")]


ORDER_HEAD = """\
    sections:
      - {id: s, title: S, summary: S.}
    questions:
      - {id: early, prompt: Early?, help: H., values: {yes: Yes, no: No}}
      - {id: a, prompt: A?, help: H., values: {yes: Yes, no: No}}
      - {id: b, prompt: B?, help: H., values: {yes: Yes, no: No}}
      - {id: late, prompt: Late?, help: H., values: {yes: Yes, no: No}}
    facts:
      - {id: f, meaning: F holds.}
      - {id: g, meaning: G holds.}
    recommendations:
      - {id: rec, title: Rec, advice: Do it., sources: [s]}
    verdicts:
      - {id: v1, title: V1, summary: One., priority: 1}
      - {id: v2, title: V2, summary: Two., priority: 2}
    rules:
"""


def asked(kb, answers):
    return [a.question for a in consult(kb, answers, None, lambda _: None).trace.asked]


def test_a_question_behind_the_absence_of_a_fact_is_asked_in_knowledge_order(tmp_path):
    # Once a=no, no rule can conclude f: 'without-f' waits on 'early' while 'uses-late' waits on 'late',
    # and 'early' is listed first, so it is asked first.
    kb = knowledge_from(tmp_path, ORDER_HEAD
                        + rule("makes-f", "[{answer: a, is: yes}]", "{conclude: [f]}")
                        + rule("without-f", "[{not: {fact: f}}, {answer: early, is: yes}]", "{verdict: v2}")
                        + rule("uses-late", "[{answer: late, is: yes}]", "{recommend: [rec], verdict: v1}"))
    assert asked(kb, {"a": "no", "early": "yes", "late": "yes"}) == ["a", "early", "late"]
    # While f may still be concluded, the rule reading its absence waits on nothing.
    assert asked(kb, {"a": "yes", "early": "yes", "late": "yes"}) == ["a", "late"]


def test_a_fact_only_a_cycle_could_conclude_is_settled_absent_once_nothing_else_can_fire(tmp_path):
    # f and g each need the other once a=no and b=no: neither rule is ever ruled out by an answer, so the
    # absence of f is settled only when nothing else is left to ask, and 'early' comes last.
    kb = knowledge_from(tmp_path, ORDER_HEAD
                        + rule("f-from-g", "[{fact: g}]", "{conclude: [f]}")
                        + rule("f-from-a", "[{answer: a, is: yes}]", "{conclude: [f]}")
                        + rule("g-from-f", "[{fact: f}]", "{conclude: [g]}")
                        + rule("g-from-b", "[{answer: b, is: yes}]", "{conclude: [g]}")
                        + rule("without-f", "[{not: {fact: f}}, {answer: early, is: yes}]", "{verdict: v2}")
                        + rule("uses-late", "[{answer: late, is: yes}]", "{recommend: [rec], verdict: v1}"))
    answers = {"a": "no", "b": "no", "early": "yes", "late": "yes"}
    outcome = consult(kb, answers, None, lambda _: None)
    assert [a.question for a in outcome.trace.asked] == ["a", "b", "late", "early"]
    assert outcome.verdict == "v2"
    assert asked(kb, {**answers, "b": "yes"}) == ["a", "b", "late"]


def test_why_at_a_question_behind_an_absence_says_the_fact_can_no_longer_be_concluded(tmp_path):
    kb = knowledge_from(tmp_path, ORDER_HEAD
                        + rule("makes-f", "[{answer: a, is: yes}]", "{conclude: [f]}")
                        + rule("without-f", "[{not: {fact: f}}, {answer: early, is: yes}]", "{verdict: v2}")
                        + rule("uses-late", "[{answer: late, is: yes}]", "{recommend: [rec], verdict: v1}"))
    replies = iter(["no", "why", "yes", "yes"])
    said = []
    consult(kb, {}, lambda _: next(replies), said.append)
    why = next(text for text in said if text.startswith("I ask about"))
    assert why == """\
I ask about 'early' because 1 rule is waiting on the answer:
  without-f: without-f
    Already known:
    - holds: not (f (F holds)) [no rule can conclude it any more]
    Still open:
    - open: early is yes [this question]
    Why it matters: Because.
    Sources: S (s)"""
