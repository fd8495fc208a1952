"""The optimised matcher fires exactly what experta's own Rete matcher fires, in the same order."""

import importlib.util
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from knowledge_bases import built_in

from offercoach.engine.compile import AdviceEngine, answer_class, question_wanted
from offercoach.engine.experta_compat import AND, AS, EXISTS, NOT, OR, Fact, P, ReteMatcher, W
from offercoach.engine.experta_fixes import TracingEngine, fact_class
from offercoach.engine.experta_speed import IndexedReteMatcher, Rule
from offercoach.engine.load import load_knowledge

_spec = importlib.util.spec_from_file_location("kbgen", Path(__file__).parents[1] / "benchmarks" / "kbgen.py")
kbgen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kbgen)


class UnoptimisedAdviceEngine(AdviceEngine):
    __matcher__ = ReteMatcher


class UnoptimisedEngine(TracingEngine):
    __matcher__ = ReteMatcher


def _shown(firing):
    return (firing.rule, [(type(f).__name__, f.as_dict()) for f in firing.matched],
            [(type(f).__name__, f.as_dict()) for f in firing.declared])


def consultation(engine_class, kb, answers):
    """Every firing of a consultation that answers each question as it is asked, as plain data."""
    firings = []
    engine = engine_class(kb)
    engine.on_firing = lambda f: firings.append(_shown(f))
    for _ in range(2):  # the second consultation checks that reset() leaves nothing behind
        firings.clear()
        engine.reset()
        while True:
            engine.run()
            question = question_wanted(engine)
            if question is None:
                break
            engine.declare(answer_class(question)(value=answers.get(question, "unknown")))
    return firings


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(5, 40), st.integers(4, 12), st.booleans(), st.sampled_from([0, 2, 5]))
def test_generated_knowledge_fires_the_same_with_and_without_the_optimisations(tmp_path_factory, seed, rules,
                                                                               questions, all_given, prefixes):
    # With prefixes, rules share their leading conditions (joins shared in the network) and `any` conditions.
    kb = load_knowledge([str(kbgen.write(tmp_path_factory.mktemp("kb"), rules, questions, seed, prefixes))])
    answers = kbgen.answers(questions, seed)
    if not all_given:
        answers = dict(list(answers.items())[: questions // 2])
    optimised = consultation(AdviceEngine, kb, answers)
    assert optimised == consultation(UnoptimisedAdviceEngine, kb, answers)


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6), st.booleans())
def test_many_rules_waiting_on_few_questions_fire_the_same(tmp_path_factory, seed, all_given):
    # 60 rules over 4 questions: each question has dozens of need rules sharing the node that notices its answer.
    kb = load_knowledge([str(kbgen.write(tmp_path_factory.mktemp("kb"), 60, 4, seed, 3))])
    answers = kbgen.answers(4, seed)
    if not all_given:
        answers = dict(list(answers.items())[:2])
    assert consultation(AdviceEngine, kb, answers) == consultation(UnoptimisedAdviceEngine, kb, answers)


@pytest.mark.slow
def test_the_default_knowledge_fires_the_same_with_and_without_the_optimisations():
    kb = built_in()
    rng = random.Random(6)
    for _ in range(20):
        answers = {q.id: rng.choice(q.allowed) for q in kb.questions.values()}
        assert consultation(AdviceEngine, kb, answers) == consultation(UnoptimisedAdviceEngine, kb, answers)


def _hand_written_rules(log):
    """Rules using the experta features compile.py does not: bindings, OR of facts, EXISTS, retraction."""
    item, mark, done = fact_class("eq:item"), fact_class("eq:mark"), fact_class("eq:done")

    def named(name, order, fn):
        fn.__name__, fn.order = name, order
        return fn

    def record(name):
        return lambda engine, **kw: log.append((name, sorted((k, v) for k, v in kw.items() if not hasattr(v, "items"))))

    def retract_marks(engine, **_):
        log.append(("retract", []))
        for fact in [f for f in engine.facts.values() if isinstance(f, mark)]:
            engine.retract(fact)
    return [
        Rule(item(cat="a", n=P(lambda v: v > 1)))(named("lit-and-p", 0, record("lit-and-p"))),
        Rule(OR(item(cat="a"), item(cat="b")), salience=5)(named("or", 1, record("or"))),
        Rule(AND(item(n=1), NOT(mark(n=1))))(named("not", 2, record("not"))),
        Rule(EXISTS(mark()), NOT(done()), salience=-5)(named("exists", 3, record("exists"))),
        Rule(mark(n=2), salience=-10)(named("retract", 4, retract_marks)),
        Rule(item(cat="c"), salience=-20)(named("done", 5, lambda engine, **_: engine.declare(done()))),
    ]


def test_hand_written_rules_fire_the_same_with_and_without_the_optimisations():
    item, mark = fact_class("eq:item"), fact_class("eq:mark")
    rng = random.Random(7)
    for _ in range(30):
        logs, seed = [], rng.random()
        for engine_class in (TracingEngine, UnoptimisedEngine):
            log, firings = [], []
            engine = engine_class(_hand_written_rules(log), on_firing=lambda f, firings=firings: firings.append(
                _shown(f)))
            rng_copy = random.Random(seed)
            engine.reset()
            for _ in range(rng_copy.randint(1, 8)):
                if rng_copy.random() < 0.6:
                    engine.declare(item(cat=rng_copy.choice("abc"), n=rng_copy.randint(0, 3)))
                else:
                    engine.declare(mark(n=rng_copy.randint(1, 2)))
            engine.run()
            logs.append((log, firings))
        assert logs[0] == logs[1]


def _pair_rules(kind, first, second, others):
    """A rule joining two patterns on one fact class (`first`, `second`: field tests), and rules giving the class's
    alpha node the other children `others`, so that the literal index sits above the join's two sides."""
    def pair(engine, a, b, **_):
        engine.log.append(("pair", a["z"], b["z"]))
    pair.__name__, pair.order = "pair", 0
    rules = [Rule(AS.a << kind(**first), AS.b << kind(**second))(pair)]
    for i, tests in enumerate(others, 1):
        def other(engine, **_):
            engine.log.append(("other",))
        other.__name__, other.order = f"other{i}", i
        rules.append(Rule(kind(**tests))(other))
    return rules


# Two shapes, each tried in both orders: whichever order experta gives a rule's alpha branches, in one of them
# the index's own order (tests it cannot look up first, then field by field) differs from their positions.
LITERAL_THEN_ANY = ({"x": 2}, {"w": W("v")}, [{"x": 1}])  # a literal test, and a test the index cannot look up
TWO_FIELDS = ({"x": 2}, {"y": 1}, [{"y": 5, "q": 1}, {"y": 5, "r": 1}])  # y == 5, tried by two rules, comes first


def _pair_firings(engine_class, rules, kind):
    """Which way round the pair rule fired for two facts that both match both of its patterns."""
    firings = []
    engine = engine_class(rules, on_firing=lambda f: firings.append(_shown(f)))
    engine.log = []
    engine.reset()
    engine.declare(kind(x=2, y=1, w=0, z="F"))
    engine.declare(kind(x=2, y=1, w=0, z="G"))
    engine.run()
    return engine.log, firings


def test_the_literal_index_visits_the_tests_it_selects_in_their_original_order():
    # Every fact of this class hashes alike, so the pair rule's two activations on F and G, (a=F, b=G) and
    # (a=G, b=F), tie on the agenda and collide in its conflict-set node's set: which fires first follows from
    # which the network found first, that is, which side of the join it reached first. experta visits the
    # alpha branches in their order of position; the index must keep to it.
    for number, (first, second, others) in enumerate([LITERAL_THEN_ANY, TWO_FIELDS]):
        for swapped in (False, True):
            kind = type(f"eq:alike{number}{'-swapped' * swapped}", (Fact,), {"__hash__": lambda self: 0})
            rules = _pair_rules(kind, *((second, first) if swapped else (first, second)), others)
            optimised = _pair_firings(TracingEngine, rules, kind)
            assert optimised == _pair_firings(UnoptimisedEngine, rules, kind)
            assert sorted(optimised[0]) == [("pair", "F", "F"), ("pair", "F", "G"), ("pair", "G", "F"),
                                            ("pair", "G", "G")]


def test_a_value_the_literal_index_cannot_look_up_still_meets_every_test_on_its_field():
    # experta's fact list hashes every value, so such a fact reaches a network only when handed to the
    # matcher itself, and only if its class hashes by identity (tokens hash their facts); then the literal
    # tests on the field must still judge it. A tuple holding a set is unhashable, yet equals the same
    # tuple holding a frozenset.
    kind = type("eq:by-identity", (Fact,), {"__hash__": object.__hash__})

    def named(name):
        def action(engine, **_):
            pass
        action.__name__ = name
        return action
    rules = [Rule(kind(x=(frozenset({1, 2}),)))(named("set")), Rule(kind(x=(frozenset({3}),)))(named("three")),
             Rule(kind(x=5))(named("five")), Rule(kind(y=1))(named("y")),
             Rule(kind(x=P(lambda v: True)))(named("any"))]
    facts = [kind(x=({1, 2},), y=1), kind(x=([5],), y=2), kind(x=5, y=2)]
    seen = []
    for engine_class in (TracingEngine, UnoptimisedEngine):
        engine = engine_class(rules)
        engine.reset()
        added, _ = engine.matcher.changes(adding=facts)
        seen.append(sorted((act.rule.__name__, facts.index(next(iter(act.facts)))) for act in added))
    assert seen[0] == seen[1] == [("any", 0), ("any", 1), ("any", 2), ("five", 2), ("set", 0), ("y", 0)]


def test_the_optimised_matcher_is_the_engine_default():
    assert TracingEngine.__matcher__ is IndexedReteMatcher
