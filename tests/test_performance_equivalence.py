"""The optimised matcher fires exactly what experta's own Rete matcher fires, in the same order."""

import importlib.util
import random
from pathlib import Path

from experta.matchers.rete import ReteMatcher
from hypothesis import given, settings
from hypothesis import strategies as st

from offercoach.engine.compile import AdviceEngine, answer_class
from offercoach.engine.experta_layer import AND, EXISTS, NOT, OR, IndexedReteMatcher, P, Rule, TracingEngine, fact_class
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
            if engine.asking is None:
                break
            question, engine.asking = engine.asking, None
            engine.declare(answer_class(question)(value=answers.get(question, "unknown")))
    return firings


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.integers(5, 40), st.integers(4, 12), st.booleans())
def test_generated_knowledge_fires_the_same_with_and_without_the_optimisations(tmp_path_factory, seed, rules,
                                                                               questions, all_given):
    kb = load_knowledge([str(kbgen.write(tmp_path_factory.mktemp("kb"), rules, questions, seed))])
    answers = kbgen.answers(questions, seed)
    if not all_given:
        answers = dict(list(answers.items())[: questions // 2])
    optimised = consultation(AdviceEngine, kb, answers)
    assert optimised == consultation(UnoptimisedAdviceEngine, kb, answers)


def test_the_default_knowledge_fires_the_same_with_and_without_the_optimisations():
    kb = load_knowledge(["default"])
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


def test_the_optimised_matcher_is_the_engine_default():
    assert TracingEngine.__matcher__ is IndexedReteMatcher
