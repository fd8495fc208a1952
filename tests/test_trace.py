"""trace.py: what the record keeps of each firing, and how it finds the steps and answers behind a conclusion."""

from offercoach.engine.compile import Chosen, Proposed, Recommended, Wanted, answer_class, derived_class
from offercoach.engine.experta_fixes import Firing
from offercoach.engine.trace import Asked, Step, Trace, describe


def answer(question, value):
    return answer_class(question)(value=value)


def test_the_record_keeps_advice_firings_and_leaves_out_the_engine_s_own():
    trace = Trace()
    trace.record(Firing("need:promise:situation", [], [Wanted(question="situation", rule="promise")]))
    trace.record(Firing("ask:situation", [Wanted(question="situation", rule="promise")]))
    trace.record(Firing("promise", [answer("situation", "a")], [derived_class("committed")(by="promise")]))
    trace.record(Firing("either", [derived_class("committed")(by="promise"), answer("agency", "yes")],
                        [Recommended(id="careful", by="either"), Proposed(id="honour", by="either")]))
    # The same rule matching again (an 'any' whose second branch now holds) declares nothing new: not a step.
    trace.record(Firing("either", [answer("genuine", "no")], []))
    trace.record(Firing("after", [Chosen(id="honour"), Wanted(question="x", rule="y")],
                        [Recommended(id="stay", by="after")]))
    assert [s.as_json() for s in trace.steps] == [
        {"step": 1, "rule": "promise", "matched": [{"answer": "situation", "value": "a"}],
         "declared": [{"fact": "committed"}]},
        {"step": 2, "rule": "either", "matched": [{"fact": "committed"}, {"answer": "agency", "value": "yes"}],
         "declared": [{"recommendation": "careful"}, {"verdict": "honour"}]},
        {"step": 3, "rule": "after", "matched": [{"verdict": "honour"}], "declared": [{"recommendation": "stay"}]}]
    assert describe(Wanted(question="x", rule="y")) is None


def consultation():
    trace = Trace([
        Step(1, "promise", [{"answer": "situation", "value": "a"}], [{"fact": "committed"}]),
        Step(2, "spreads", [{"fact": "committed"}, {"answer": "agency", "value": "yes"}],
             [{"fact": "risky"}, {"recommendation": "careful"}]),
        Step(3, "keep-word", [{"fact": "committed"}, {"answer": "genuine", "value": "no"}], [{"verdict": "honour"}]),
        Step(4, "tell-them", [{"answer": "recruiter", "value": "yes"}, {"verdict": "honour"}],
             [{"recommendation": "tell"}]),
    ])
    for n, (question, value) in enumerate([("situation", "a"), ("agency", "yes"), ("genuine", "no"),
                                           ("recruiter", "yes")]):
        trace.asked.append(Asked(question, n, [], value, "answered"))
    return trace


def test_the_step_that_produced_a_fact_or_proposed_a_verdict_comes_before_the_step_that_used_it():
    trace = consultation()
    assert trace.fired("keep-word").step == 3
    assert trace.fired("stay") is None
    assert trace.producer({"fact": "committed"}, before=2).step == 1
    assert trace.producer({"fact": "committed"}, before=1) is None
    assert [s.step for s in trace.proposers("honour", before=4)] == [3]
    assert trace.proposers("honour", before=3) == []


def test_the_basis_of_a_conclusion_is_its_rules_then_those_behind_them_and_the_answers_in_asking_order():
    trace = consultation()
    assert trace.basis(["spreads"]) == (["spreads", "promise"], [("situation", "a"), ("agency", "yes")])
    # A rule that read the verdict rests on the rules that proposed it, and on what those read.
    assert trace.basis(["tell-them"]) == (["tell-them", "promise", "keep-word"],
                                          [("situation", "a"), ("genuine", "no"), ("recruiter", "yes")])
    assert trace.basis(["keep-word", "spreads"]) == (
        ["keep-word", "spreads", "promise"], [("situation", "a"), ("agency", "yes"), ("genuine", "no")])
    assert trace.basis(["never-fired"]) == ([], [])


def test_a_question_as_the_record_shows_it():
    assert Asked("agency", 2, ["spreads"], "unknown", "unanswered").as_json() == {
        "question": "agency", "after_step": 2, "waiting": ["spreads"], "value": "unknown", "given": "unanswered"}
