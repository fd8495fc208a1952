"""wire_network builds the network experta would, sharing alpha chains and join prefixes, or refuses the rule."""

import random
from collections import Counter

import pytest
from experta import FORALL, TEST
from experta.matchers.rete.utils import prepare_rule
from knowledge_bases import built_in

from offercoach.engine import experta_network
from offercoach.engine.compile import AdviceEngine, compile_rules
from offercoach.engine.experta_compat import (
    AND,
    AS,
    EXISTS,
    NOT,
    OR,
    BusNode,
    ConflictSetNode,
    InitialFact,
    L,
    P,
    ReteMatcher,
    TypeCheck,
    W,
)
from offercoach.engine.experta_fixes import TracingEngine, fact_class
from offercoach.engine.experta_network import Capture, ConflictSet, Join, Not, Unwirable, branches, wire_network
from offercoach.engine.experta_speed import Rule, _LiteralIndex
from offercoach.engine.trace import NEED_PREFIX

A, B, C, D = (fact_class(f"net:{name}") for name in "abcd")


class Stock(TracingEngine):
    __matcher__ = ReteMatcher


def _rule(name, order, *conditions, salience=0, action=None):
    def fn(engine, **_):
        if action is not None:
            action(engine)
    fn.__name__, fn.order = name, order
    return Rule(*conditions, salience=salience)(fn)


def _retract_c_of_x1(engine):
    for index, fact in list(engine.facts.items()):
        if isinstance(fact, C) and fact["x"] == 1:
            engine.retract(index)


def _shapes():
    """Rules whose branches, InitialFacts and captures the builder must get exactly right."""
    shapes = [
        ("or-in-and", A(x=1), OR(B(x=1), B(by="p"))),
        ("not-over-or", A(), NOT(OR(B(x=2), C(x=2)))),
        ("not-over-and", C(), NOT(AND(A(x=3), B(x=3)))),
        ("leading-not", NOT(D()), A(x=2)),
        ("not-first-in-a-branch", OR(NOT(B()), AND(NOT(C(x=1)), D(x=2)), D(x=3))),
        ("double-not", NOT(NOT(C(x=3)))),
        ("exists", EXISTS(B(by="q")), C(x=1)),
        ("exists-shared", EXISTS(B(by="q")), NOT(A(x=1))),
        ("no-conditions",),
        ("same-pattern-twice", A(by="p"), B(), A(by="p")),
        ("several-of-a-class", A(by="p"), A(by="q")),
        ("predicates", B(x=P(lambda v: v >= 2)), NOT(C(x=P(lambda v: v > 2)))),
        ("shares-a-prefix", A(x=1), B(x=1), C()),
    ]
    rules = [_rule(name, order, *conditions, salience=order % 3 - 1) for order, (name, *conditions) in
             enumerate(shapes)]
    rules.append(_rule("declares", len(rules), A(x=1), C(x=1), action=lambda engine: engine.declare(D(x=1))))
    rules.append(_rule("retracts", len(rules), D(x=1), salience=5, action=_retract_c_of_x1))
    return rules


def _shown(firing):
    return (firing.rule, [(type(f).__name__, f.as_dict()) for f in firing.matched],
            [(type(f).__name__, f.as_dict()) for f in firing.declared])


def _script(engine_class, make_rules, seed):
    """Every firing of two consultations of random declares and retracts, each followed by a run."""
    rng, firings = random.Random(seed), []
    engine = engine_class(make_rules(), on_firing=lambda f: firings.append(_shown(f)))
    for _ in range(2):
        engine.reset()
        firings.append("reset")
        for _ in range(rng.randint(3, 14)):
            present = [i for i, f in sorted(engine.facts.items()) if not isinstance(f, InitialFact)]
            if present and rng.random() < 0.3:
                engine.retract(rng.choice(present))
            else:
                engine.declare(rng.choice([A, B, C, D])(x=rng.randint(1, 3), by=rng.choice("pq")))
            engine.run()
    return firings


def _nodes(root):
    """Every node under `root`, once each, looking through the literal indexes as if they were not there."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(child.node for child in _children(node))
    return list(seen.values())


def _children(node):
    for child in node.children:
        if isinstance(child.node, _LiteralIndex):
            yield from child.node.children
        else:
            yield child


def _shape_counts(root, *kinds):
    nodes = _nodes(root)
    return [sum(type(n) is kind for n in nodes) for kind in kinds]


@pytest.mark.parametrize("trial", range(30))
def test_hand_written_shapes_fire_as_with_expertas_own_network(trial):
    assert _script(TracingEngine, _shapes, trial) == _script(Stock, _shapes, trial)


def test_the_scripts_reach_every_shape():
    fired = {f[0] for trial in range(30) for f in _script(TracingEngine, _shapes, trial) if f != "reset"}
    assert fired == {r.__name__ for r in _shapes()}


def _matched(engine_class, rule, *facts):
    matched = []
    engine = engine_class([rule], on_firing=lambda f: matched.append([(type(m).__name__, m.as_dict())
                                                                       for m in f.matched]))
    engine.reset()
    for fact in facts:
        engine.declare(fact)
    engine.run()
    return matched


@pytest.mark.parametrize("engine_class", [TracingEngine, Stock])
def test_a_fact_matching_two_branches_fires_the_rule_once_per_branch(engine_class):
    rule = _rule("or-in-and", 0, A(x=1), OR(B(x=1), B(by="p")))
    matched = _matched(engine_class, rule, A(x=1), B(x=1, by="p"), B(x=2, by="p"), B(x=1, by="q"))
    assert Counter((b["x"], b["by"]) for _, (_, b) in matched) == {(1, "p"): 2, (2, "p"): 1, (1, "q"): 1}


@pytest.mark.parametrize("engine_class", [TracingEngine, Stock])
def test_a_rule_starting_with_not_matches_the_initial_fact(engine_class):
    rule = _rule("leading-not", 0, NOT(D()), A(x=2))
    assert _matched(engine_class, rule, A(x=2)) == [[("InitialFact", {}), ("net:a", {"x": 2})]]


NESTED = [
    (OR(AND(OR(A(), B()), C()), NOT(AND(D(), OR(A(x=1), A(x=2))))),),
    (NOT(NOT(OR(A(), B()))), OR(C(), D(), NOT(A(x=3)))),
    (AND(OR(A(), B()), OR(C(), D(), A(x=2))),),
    (OR(A(), OR(B(), AND(C(), OR(D(), NOT(B(x=1)))))),),
    (NOT(OR(A(), AND(B(), C()))), D()),
    (OR(A(), A()), EXISTS(B())),
    (NOT(A()),),
    (),
    (AND(OR(NOT(B(x=1)), OR(EXISTS(B(x=1)), C(by="p"))), OR(NOT(D()), B(x=1))), NOT(AND(A(), OR(C(), D())))),
]


@pytest.mark.parametrize("conditions", NESTED)
def test_branches_are_those_of_expertas_rewriting(conditions):
    rule = _rule("nested", 0, *conditions)
    prepared = prepare_rule(rule)
    expected = [tuple(b) if isinstance(b, (AND, Rule)) else (b,)
                for b in (prepared[0] if isinstance(prepared[0], OR) else [prepared])]
    assert Counter(experta_network._prepared(rule, {})) == Counter(expected)  # the order of branches is unseen
    stock_conflict_sets = _shape_counts(Stock([rule]).matcher.root_node, ConflictSetNode)[0]
    assert len(branches(rule)) == stock_conflict_sets == _shape_counts(TracingEngine([rule]).matcher.root_node,
                                                                      ConflictSet)[0]


def test_rules_with_the_same_leading_conditions_share_their_joins():
    rules = [_rule("one", 0, A(), B(), C(x=1)), _rule("two", 1, A(), B(), C(x=2)),
             _rule("three", 2, A(), NOT(B()), C(x=1)), _rule("four", 3, A(), NOT(B()), D())]
    root = TracingEngine(rules).matcher.root_node
    assert _shape_counts(root, Join, Not, ConflictSet) == [1 + 2 + 2, 1, 4]
    assert _shape_counts(root, Capture) == [6]  # InitialFact, A, B, C(x=1), C(x=2), D


def test_the_need_rules_on_a_question_share_one_node_noticing_its_answer():
    kb = built_in()
    root = AdviceEngine(kb).matcher.root_node
    parents = {}
    for node in _nodes(root):
        for child in _children(node):
            parents.setdefault(id(child.node), []).append((node, child.callback))

    def bare_capture(fact_type):
        (capture,) = [n for n in _nodes(root) if type(n) is Capture and any(
            isinstance(p.matcher, TypeCheck) and p.matcher.fact_type is fact_type for p, _ in parents[id(n)])]
        return capture

    initial = bare_capture(InitialFact)
    need_rules = {r.__name__ for r in compile_rules(kb) if r.__name__.startswith(NEED_PREFIX)}
    questions_with_needs = 0
    for question in kb.questions:
        answer = bare_capture(fact_class(f"answer:{question}"))
        noticing = [c.node for c in _children(answer) if type(c.node) is Not and c.callback == c.node.activate_right]
        after_no_answer = [n for n in noticing if (initial, n.activate_left) in parents[id(n)]]
        waiting = {n for n in need_rules if n.endswith(f":{question}")}
        if waiting:
            questions_with_needs += 1
            assert len(after_no_answer) == 1, question
            below = {n.rule.__name__ for n in _nodes(after_no_answer[0]) if type(n) is ConflictSet}
            assert below == waiting
        else:
            assert after_no_answer == []
    assert questions_with_needs > 5


def _with_a_binding():
    return [*_shapes(), _rule("binds", 99, A(x=W("v")), B(x=W("v")), salience=2)]


@pytest.mark.parametrize("trial", range(10))
def test_a_rule_with_a_binding_leaves_the_whole_network_to_experta(trial):
    root = TracingEngine(_with_a_binding()).matcher.root_node
    assert _shape_counts(root, Capture, Join, Not, ConflictSet) == [0, 0, 0, 0]
    firings = _script(TracingEngine, _with_a_binding, trial)
    assert firings == _script(Stock, _with_a_binding, trial)


@pytest.mark.parametrize("condition", [FORALL(A(), B()), TEST(lambda: True), EXISTS(A(), B()), NOT(EXISTS(A())),
                                       A(x=W("v")), AS.a << A(), A(x=L(1) | L(2))],
                         ids=["forall", "test", "exists-of-two", "not-exists", "binding", "capture", "field-or"])
def test_unwirable_shapes_are_refused_before_anything_is_wired(condition):
    root, dirty = BusNode(), {}
    with pytest.raises(Unwirable):
        wire_network([_rule("fine", 0, A(), NOT(B())), _rule("refused", 1, C(), condition)], root, dirty)
    assert root.children == []
    assert dirty == {}
