"""experta 1.9.4 made correct (compat, fixes): imports on 3.11+, no stale activations, stable ties, no crash paths."""

import json
import os
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from offercoach.engine.experta_compat import NOT, DepthStrategy, ReteMatcher
from offercoach.engine.experta_fixes import StableDepthStrategy, TracingEngine, fact_class
from offercoach.engine.experta_speed import Rule

Thing = fact_class("test:thing")
Blocker = fact_class("test:blocker")


class StockStrategyEngine(TracingEngine):
    # experta's own matcher too: its network, built from a set of rules, varies the order activations arrive in,
    # which is what lets the stale activation slip past the stock strategy's removal.
    __strategy__ = DepthStrategy
    __matcher__ = ReteMatcher


def _blockable_rules(n_rules, kinds, blockers_in_run, stale):
    """n rules `Thing(), NOT(Blocker(x=i % kinds))`; each records a firing whose blocker is present."""
    rules = []
    for i in range(n_rules):
        def fire(engine, i=i, **_):
            if any(isinstance(f, Blocker) and f["x"] == i % kinds for f in engine.facts.values()):
                stale.append(i)
        fire.__name__, fire.order = f"r{i}", i
        rules.append(Rule(Thing(), NOT(Blocker(x=i % kinds)))(fire))

    def block(engine, **_):
        for x in blockers_in_run:
            engine.declare(Blocker(x=x))
    block.__name__, block.order = "blocker", n_rules
    rules.append(Rule(Thing(), salience=10)(block))
    return rules


def stale_firings(engine_class, n_rules, kinds, blockers_before, blockers_in_run):
    stale = []
    engine = engine_class(_blockable_rules(n_rules, kinds, blockers_in_run, stale))
    engine.reset()
    engine.declare(Thing())
    for x in blockers_before:
        engine.declare(Blocker(x=x))
    engine.run()
    return stale


scenarios = st.tuples(st.integers(3, 14), st.integers(1, 4),
                      st.lists(st.integers(0, 3), max_size=3), st.lists(st.integers(0, 3), max_size=3))


@settings(max_examples=200, deadline=None)
@given(scenarios)
def test_no_rule_fires_after_its_not_condition_was_invalidated(scenario):
    assert stale_firings(TracingEngine, *scenario) == []


def test_the_stock_strategy_fails_the_same_check():
    # Proves the property above can fail: stock experta fires stale activations on these inputs.
    trials = [stale_firings(StockStrategyEngine, 12, 4, [0, 1], []) for _ in range(40)]
    assert any(trials)


TIE_ORDER_SCRIPT = """
import json, sys
from offercoach.engine.experta_compat import DepthStrategy, ReteMatcher
from offercoach.engine.experta_fixes import TracingEngine, fact_class
from offercoach.engine.experta_speed import Rule
class Stock(TracingEngine):
    __strategy__ = DepthStrategy
    __matcher__ = ReteMatcher
Thing = fact_class("tie:thing")
order = []
rules = []
for i in range(8):
    def fire(engine, i=i, **_):
        order.append(i)
    fire.__name__, fire.order = f"r{i}", i
    rules.append(Rule(Thing())(fire))
engine = (Stock if sys.argv[1] == "stock" else TracingEngine)(rules)
engine.reset()
engine.declare(Thing())
engine.run()
print(json.dumps(order))
"""


def _tie_order(kind, seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    done = subprocess.run([sys.executable, "-c", TIE_ORDER_SCRIPT, kind], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_equal_salience_rules_fire_in_knowledge_order_in_every_process():
    orders = {tuple(_tie_order("stable", seed)) for seed in (0, 1, 2, 3)}
    assert orders == {tuple(range(8))}


def test_stock_tie_order_differs_between_processes():
    # Proves the test above can fail: without the tie-break the order depends on the process.
    orders = {tuple(_tie_order("stock", seed)) for seed in range(6)}
    assert len(orders) > 1


def test_a_fact_declared_and_retracted_in_one_action_does_not_crash():
    temp = fact_class("test:temp")
    seen = []

    def declare_and_retract(engine, **_):
        fact = engine.declare(temp(n=1))
        engine.retract(fact)
        seen.append("fired")
    declare_and_retract.__name__ = "temp"
    engine = TracingEngine([Rule(Thing())(declare_and_retract)])
    engine.reset()
    engine.declare(Thing())
    engine.run()
    engine.declare(Thing(again=True))
    engine.run()
    assert seen == ["fired", "fired"]


def test_retracting_what_the_last_action_declared_after_halt_does_not_crash():
    declared = []

    def declare_then_halt(engine, **_):
        declared.append(engine.declare(Blocker(x=1)))
        engine.halt()
    declare_then_halt.__name__ = "halting"
    engine = TracingEngine([Rule(Thing())(declare_then_halt)])
    engine.reset()
    engine.declare(Thing())
    engine.run()
    engine.retract(declared[0])
    engine.run()
    assert [type(f).__name__ for f in engine.facts.values()] == ["InitialFact", "test:thing"]


def test_every_firing_is_recorded_with_matched_and_declared_facts():
    firings = []

    def conclude(engine, **_):
        engine.declare(Blocker(x=7))
    conclude.__name__ = "conclude"
    engine = TracingEngine([Rule(Thing())(conclude)], on_firing=firings.append)
    engine.reset()
    engine.declare(Thing(n=1))
    engine.run()
    assert [(f.rule, [m.as_dict() for m in f.matched], [d.as_dict() for d in f.declared]) for f in firings] == [
        ("conclude", [{"n": 1}], [{"x": 7}])]


def test_importing_the_engine_leaves_logging_alone():
    script = ("import logging; before = list(logging.getLogger().handlers);"
              "import offercoach.engine.experta_fixes;"
              "print(list(logging.getLogger().handlers) == before)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == "True\n"


def test_stable_strategy_is_the_engine_default():
    assert TracingEngine.__strategy__ is StableDepthStrategy


def test_experta_watchers_never_write_to_the_terminal():
    # Declaring before reset() makes experta's ENGINE watcher warn; that must not reach stderr.
    script = ("from offercoach.engine.experta_fixes import TracingEngine, fact_class;"
              "TracingEngine([]).declare(fact_class('w:x')())")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert (done.stdout, done.stderr) == ("", "")
