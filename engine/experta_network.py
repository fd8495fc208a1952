"""Wiring experta's Rete network straight from compiled rules: shared alpha tests, shared join prefixes, no rewriting.

experta's `ReteMatcher` rewrites every rule to disjunctive normal form by repeated generic passes, then wires each
rule with a new `singledispatch` function and no sharing between rules: most of the build time at thousands of
rules. `wire_network` builds, in one pass, the network experta would build for the same rules: each branch of a
rule is the same chain of joins, with an `InitialFact` where experta puts one, so every activation and firing
is the one experta makes (tests/test_network.py and tests/test_performance_equivalence.py compare them). What
it shares, experta would have built twice: an alpha chain per distinct pattern, a join per distinct prefix.
Its nodes are subclasses of experta's that carry a token below the alpha chains as (valid, context), never
copied, since without bindings a token's facts are its context's values. Rules outside the shapes it knows (a
binding, a field-level `|`, `TEST`, `FORALL`, an `EXISTS` or `NOT` over more than a fact) raise `Unwirable`, and
the matcher then builds experta's way, with experta's nodes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from .experta_compat import (
    AND,
    ANDFC,
    EXISTS,
    NOT,
    NOTFC,
    OR,
    ORFC,
    Activation,
    ChildNode,
    ConflictSetNode,
    Fact,
    FactCapture,
    FeatureCheck,
    FeatureTesterNode,
    InitialFact,
    L,
    NotNode,
    OrdinaryMatchNode,
    P,
    SameContextCheck,
    Token,
    TypeCheck,
    W,
)
from .experta_compat import Rule as StockRule

__all__ = ["MEMORIES", "ConflictSet", "Unwirable", "branches", "wire_network"]


class Unwirable(Exception):
    """A rule uses a shape `wire_network` does not build; experta's own builder must."""


Memo = dict[int, tuple[Any, list[tuple[Any, ...]]]]


def branches(ce: Any, memo: Memo | None = None) -> list[tuple[Any, ...]]:
    """The conjunctions of `ce`'s disjunctive normal form, as experta's rewriting gives them (same multiplicity).

    `memo` keeps each element's result by identity, holding the element so that its identity stays its own."""
    if memo is None:
        memo = {}
    known = memo.get(id(ce))
    if known is None:
        known = memo[id(ce)] = (ce, _branches(ce, memo))
    return known[1]


def _branches(ce: Any, memo: Memo) -> list[tuple[Any, ...]]:
    kind = type(ce)
    if kind is NOT:
        inner = ce[0]
        if type(inner) is NOT:  # double negation
            return branches(inner[0], memo)
        if type(inner) is OR:  # De Morgan, as experta applies it
            return _branches(AND(*(NOT(x) for x in inner)), memo)
        if type(inner) is AND:
            return _branches(OR(*(NOT(x) for x in inner)), memo)
        if isinstance(inner, Fact):
            branches(inner, memo)
            return [(ce,)]
        raise Unwirable(f"NOT over {type(inner).__name__}")
    if kind is EXISTS:
        if len(ce) != 1 or not isinstance(ce[0], Fact):
            raise Unwirable("EXISTS over more than one fact")
        branches(ce[0], memo)
        return [(ce,)]
    if kind is OR:
        return [b for x in ce for b in branches(x, memo)]
    if kind is AND or isinstance(ce, StockRule):
        parts = [branches(x, memo) for x in ce]
        if all(len(part) == 1 for part in parts):
            return [tuple(itertools.chain.from_iterable(part[0] for part in parts))]
        return [tuple(itertools.chain.from_iterable(p)) for p in itertools.product(*parts)]
    if isinstance(ce, Fact):
        # With bindings, activations that tie can differ in what they bind, and which fires first would depend
        # on the order experta's ranking gives the alpha tests: such rules are left to experta.
        if "__bind__" in ce or any(isinstance(v, (ANDFC, ORFC, NOTFC, W)) for v in ce.values()):
            raise Unwirable("a binding, or a field test combined with & | ~")
        return [(ce,)]
    raise Unwirable(f"{kind.__name__} conditions")


def _prepared(rule: Any, memo: Memo) -> list[tuple[Any, ...]]:
    """`rule`'s branches with an InitialFact first where experta's prepare_rule puts one."""
    found = _branches(rule, memo)
    if not rule or found == [()]:
        return [(InitialFact(),)]
    if () in found:
        raise Unwirable("an empty branch among others")
    # experta looks at the whole rule (a leading NOT, or no fact anywhere: never so for a non-empty branch) or,
    # for a rule of several branches, at each branch: the same test.
    return [(InitialFact(), *b) if type(b[0]) is NOT else b for b in found]


def _checks(pattern: Fact, capture: str) -> Iterator[Any]:
    """experta's alpha checks for `pattern`: its class, each field, then the capture of the fact."""
    yield TypeCheck(type(pattern))
    for key, value in pattern.items():
        yield FeatureCheck(key, value)
    yield FactCapture(capture)


_VALID = Token.TagType.VALID


def _agree(left: dict[Any, Any], right: dict[Any, Any]) -> bool:
    """experta's SameContextCheck without bindings: a pattern both sides captured is the same fact on both."""
    for key, fact in left.items():
        other = right.get(key, fact)
        if other is not fact and other != fact:
            return False
    return True


class Test(FeatureTesterNode):
    """An alpha test of a fact's class or of one field; it passes the token on unchanged, since it binds nothing."""

    def __init__(self, check: Any) -> None:
        super().__init__(check)
        self.field: str | None = None
        if isinstance(check, FeatureCheck) and isinstance(check.what, str) and "__" not in check.what:
            if type(check.how) is L:
                self.field, self.literal, self.predicate = check.what, check.how.value, None
            elif type(check.how) is P:
                self.field, self.predicate = check.what, check.how.match

    def activate(self, token: Any) -> None:
        (fact,) = token.data
        if self.field is None:
            if not self.matcher(fact):
                return
        else:  # the check experta's FeatureCheck makes, without parsing the field's name at every fact
            try:
                value = fact[self.field]
            except KeyError:
                return
            if not (self.predicate(value) if self.predicate is not None else self.literal == value):
                return
        for child in self.children:
            child.callback(token)


class Capture(FeatureTesterNode):
    """The end of an alpha chain: from here on a token is (valid, context), the context naming each pattern's fact.

    Without bindings a token's facts are its context's values, so the beta nodes below carry only the context,
    and never copy it: every node that changes a context makes a new one."""

    def activate(self, token: Any) -> None:
        (fact,) = token.data
        context = {self.matcher.bind: fact}
        valid = token.tag is _VALID
        for child in self.children:
            child.callback(valid, context)


class Join(OrdinaryMatchNode):
    """experta's join of two inputs, with memories keyed by context instead of lists of copied tokens."""

    def _reset(self) -> None:
        self.left_memory: dict[frozenset[Any], dict[Any, Any]] = {}
        self.right_memory: dict[frozenset[Any], dict[Any, Any]] = {}

    def activate_left(self, valid: bool, context: dict[Any, Any]) -> None:
        self._meet(valid, context, self.left_memory, self.right_memory)

    def activate_right(self, valid: bool, context: dict[Any, Any]) -> None:
        self._meet(valid, context, self.right_memory, self.left_memory)

    def _meet(self, valid: bool, context: dict[Any, Any], own: dict[frozenset[Any], dict[Any, Any]],
              other: dict[frozenset[Any], dict[Any, Any]]) -> None:
        if valid:
            own[frozenset(context.items())] = context
        else:
            own.pop(frozenset(context.items()), None)
        for partner in other.values():
            if _agree(context, partner):
                joined = {**context, **partner}
                for child in self.children:
                    child.callback(valid, joined)


class Not(NotNode):
    """experta's not node: a left context passes while no right context agrees with it; memories keyed by context."""

    def _reset(self) -> None:
        self.left_memory: dict[frozenset[Any], list[Any]] = {}  # -> [context, how many right contexts agree]
        self.right_memory: dict[frozenset[Any], dict[Any, Any]] = {}

    def activate_left(self, valid: bool, context: dict[Any, Any]) -> None:
        key = frozenset(context.items())
        if valid:
            count = sum(1 for partner in self.right_memory.values() if _agree(context, partner))
            self.left_memory[key] = [context, count]
        else:
            self.left_memory.pop(key, None)
            count = any(_agree(context, partner) for partner in self.right_memory.values())
        if not count:
            for child in self.children:
                child.callback(valid, context)

    def activate_right(self, valid: bool, context: dict[Any, Any]) -> None:
        key = frozenset(context.items())
        if valid:
            self.right_memory[key] = context
        else:
            self.right_memory.pop(key, None)
        step = 1 if valid else -1
        for entry in self.left_memory.values():
            if _agree(entry[0], context):
                entry[1] += step
                if entry[1] == (1 if valid else 0):  # the first agreeing fact blocks it; the last to go frees it
                    for child in self.children:
                        child.callback(not valid, entry[0])


class _Activation(Activation):
    """experta's activation, hashed once: conflict sets and the agenda hash each one several times."""

    def __hash__(self) -> int:
        known: int | None = self.__dict__.get("_hash")
        if known is None:
            known = self.__dict__["_hash"] = hash((self.rule, frozenset(self.facts), frozenset(self.context.items())))
        return known


class ConflictSet(ConflictSetNode):
    """experta's conflict-set node for (valid, context) tokens; it reports to `dirty` when its activations change."""

    def __init__(self, rule: Any, dirty: dict[int, Any]) -> None:
        super().__init__(rule)
        self._dirty = dirty
        self._position = -1  # its place in experta's polling order, set once the network is complete

    def _reset(self) -> None:
        self.memory: set[frozenset[Any]] = set()

    def activate(self, valid: bool, context: dict[Any, Any]) -> None:
        key = frozenset(context.items())
        if valid == (key in self.memory):
            return
        activation = _Activation(self.rule, frozenset(context.values()), context)
        if valid:
            self.memory.add(key)
            gained, lost = self.added, self.removed
        else:
            self.memory.discard(key)
            gained, lost = self.removed, self.added
        if activation in lost:
            lost.remove(activation)
        else:
            gained.add(activation)
        self._dirty[self._position] = self


# The memories of the nodes above, emptied in place when the network is reset.
MEMORIES: dict[type, tuple[str, ...]] = {Join: ("left_memory", "right_memory"), Not: ("left_memory", "right_memory"),
                                         ConflictSet: ("memory",)}


class _Wiring:
    """One network under construction: nodes found again by what they test, so equal work is built once."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.tests: dict[tuple[int, Any], Any] = {}  # (id of the parent, check) -> the child node testing it
        self.terminals: dict[tuple[type, Fact], Any] = {}
        self.elements: dict[tuple[type, type, Any], int] = {}  # each distinct element of a branch, numbered
        self.joins: dict[tuple[int, int], Any] = {}  # (id of the node ending a prefix, element) -> the next join
        self.exists: dict[int, Any] = {}  # an EXISTS element's number -> the node that ends its two not nodes
        # Compiled rules share pattern objects: by identity first (holding the object, so its id stays its
        # own), which spares comparing facts field by field.
        self.seen: dict[int, tuple[Any, Any]] = {}

    def alpha(self, pattern: Fact) -> Any:
        """The node that passes each fact matching `pattern`, captured under the pattern's own name."""
        known = self.seen.get(id(pattern))
        if known is not None:
            return known[1]
        key = (type(pattern), pattern)
        node = self.terminals.get(key)
        if node is not None:
            self.seen[id(pattern)] = (pattern, node)
            return node
        node = self.root
        # experta names a pattern's capture after the pattern, so equal patterns in one branch are one fact.
        for check in _checks(pattern, f"__pattern_{len(self.terminals)}__"):
            child = self.tests.get((id(node), check))
            if child is None:
                child = self.tests[id(node), check] = (Capture if isinstance(check, FactCapture) else Test)(check)
                _link(node, child, child.activate)
            node = child
        self.terminals[key] = node
        self.seen[id(pattern)] = (pattern, node)
        return node

    def number(self, element: Any) -> int:
        """The element's number; equal elements (a NOT of equal patterns, ...) get the same one."""
        inner = element[0] if isinstance(element, (NOT, EXISTS)) else element
        return self.elements.setdefault((type(element), type(inner), element), len(self.elements))

    def source(self, element: Any) -> Any:
        """The node whose tokens `element` contributes to a join (its right input, or the start of a chain)."""
        if isinstance(element, NOT):
            return self.alpha(element[0])
        if isinstance(element, EXISTS):
            key = self.number(element)
            node = self.exists.get(key)
            if node is None:  # experta's two not nodes: the initial fact, unless no fact matches, unless ...
                condition, initial = self.alpha(element[0]), self.alpha(InitialFact())
                first, node = Not(SameContextCheck()), Not(SameContextCheck())
                _link(condition, first, first.activate_right)
                _link(initial, first, first.activate_left)
                _link(initial, node, node.activate_left)
                _link(first, node, node.activate_right)
                self.exists[key] = node
            return node
        return self.alpha(element)

    def chain(self, branch: tuple[Any, ...]) -> Any:
        """The last node of `branch`'s chain of joins, each prefix built once across all rules."""
        node = self.source(branch[0])
        for element in branch[1:]:
            key = (id(node), self.number(element))
            found = self.joins.get(key)
            if found is None:
                found = self.joins[key] = (Not if isinstance(element, NOT) else Join)(SameContextCheck())
                _link(node, found, found.activate_left)
                _link(self.source(element), found, found.activate_right)
            node = found
        return node


def _link(parent: Any, child: Any, callback: Any) -> None:
    # experta's add_child looks through every child first; a node wired here is never linked twice.
    parent.children.append(ChildNode(child, callback))


def _handle(rule: Any) -> Any:
    """A bodiless copy of `rule` for its activations: its action, name and attributes, cheap to hash and compare."""
    handle = StockRule(salience=rule.salience)
    handle.__dict__.update(rule._wrapped.__dict__)  # order and position, as experta's rewriting copies them
    handle.__name__ = rule.__name__
    handle._wrapped = rule._wrapped
    handle._wrapped_args = rule._wrapped_args
    return handle


def wire_network(rules: list[Any], root: Any, dirty: dict[int, Any]) -> None:
    """Wire the network for `rules` under `root`, its conflict sets reporting to `dirty`; raises Unwirable,
    leaving `root` untouched, for shapes it does not know."""
    memo: Memo = {}
    prepared = [(rule, _prepared(rule, memo)) for rule in rules]  # every rule checked before anything is wired
    wiring = _Wiring(root)
    wiring.alpha(InitialFact())  # experta always builds the initial fact's branch
    for rule, rule_branches in prepared:
        handle = _handle(rule)
        for branch in rule_branches:
            node = ConflictSet(handle, dirty)
            _link(wiring.chain(branch), node, node.activate)

