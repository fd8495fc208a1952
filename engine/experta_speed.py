"""Speed-ups to experta's Rete network: they change how fast it matches and builds, never what it fires.

`IndexedReteMatcher` overrides experta's private matcher methods: only the conflict-set nodes a change
reached are polled, the root sends each fact only to the branches of its class, and `field == literal`
tests are looked up by value. The work the network still does happens in experta's own order, so every
firing (rule, matched facts, declared facts, in order) is the one experta's `ReteMatcher` makes:
tests/test_performance_equivalence.py proves it against that matcher. `Rule` and `hash_with_class` make
building the network cheaper; the garbage collector is paused while the network matches or resets.
See docs/performance.md.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .experta_compat import (
    BusNode,
    ChildNode,
    ConflictSetNode,
    Fact,
    FeatureCheck,
    FeatureTesterNode,
    L,
    NotNode,
    OrdinaryMatchNode,
    ReteMatcher,
    Token,
    TypeCheck,
)
from .experta_compat import Rule as _StockRule
from .experta_network import MEMORIES, ConflictSet, Unwirable, wire_network

__all__ = ["IndexedReteMatcher", "Rule", "collector_paused", "hash_with_class"]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the network matches or resets, and restore it after."""
    # A network of thousands of rules is hundreds of thousands of long-lived objects; the tokens
    # made while matching trigger full collections that rescan all of them (half the run time at
    # 3,000 rules). Reference counting still frees everything; cycles wait for the next collection.
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Rule(_StockRule):
    """experta's Rule, reading an action's signature only when the action does not take every keyword."""

    _wrapped: Any  # the action, set by experta's Rule once it decorates one
    _wrapped_args: Any

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # experta calls inspect.signature on every action it wraps (a third of the build time at 1,000 rules),
        # only to learn whether the action takes **kwargs; the code object says so directly.
        if self._wrapped is None and args:
            code = getattr(args[0], "__code__", None)
            if code is not None and code.co_flags & inspect.CO_VARKEYWORDS:
                self._wrapped = args[0]
                return functools.update_wrapper(self, args[0])
        return super().__call__(*args, **kwargs)


def hash_with_class(fact: Fact) -> int:
    """A fact's hash from its class and its items, computed once: the `__hash__` of offercoach's fact classes."""
    # Stock facts hash by their items alone, so every empty pattern (one per fact class) collides,
    # and the network builder's dicts of patterns degrade into lists.
    try:
        cached: int = fact.__dict__["_class_hash"]
    except KeyError:
        cached = fact.__dict__["_class_hash"] = hash((type(fact), frozenset(fact.items())))
    return cached


_VALID, _INVALID = Token.TagType.VALID, Token.TagType.INVALID


class _Token(Token):
    """A token whose copies skip re-validating data that was validated when the token was made."""

    def copy(self) -> _Token:
        # Every node copies each token it receives; Token.__new__ re-checks every fact each time.
        return tuple.__new__(type(self), (self.tag, self.data.copy(), self.context.copy()))


# A fact list holds only facts, so the tokens the root makes skip Token's checks of what they are given.
def _valid_token(fact: Any) -> Any:
    return tuple.__new__(_Token, (_VALID, {fact}, {}))


def _invalid_token(fact: Any) -> Any:
    return tuple.__new__(_Token, (_INVALID, {fact}, {}))


class _DispatchingBusNode(BusNode):
    """The network's root, sending each fact only to the alpha branches that test for its class."""

    def __init__(self) -> None:
        super().__init__()
        self.by_type: dict[type, list[Any]] | None = None
        self.untyped: list[Any] = []

    def index(self) -> None:
        """Group the children by the class their type test accepts; others are always visited."""
        self.by_type, self.untyped = {}, []
        for position, child in enumerate(self.children):
            check = getattr(child.node, "matcher", None)
            if isinstance(check, TypeCheck):
                self.by_type.setdefault(check.fact_type, []).append((position, child))
            else:
                self.untyped.append((position, child))

    def _send(self, token_of: Callable[[Any], Any], fact: Any) -> None:
        if self.by_type is None:
            self.index()
        assert self.by_type is not None
        # A type test passes only for its own class, so the other branches would reject the fact anyway;
        # visiting the rest in their original order keeps the network's order of work unchanged.
        chosen = self.by_type.get(type(fact), [])
        if self.untyped:
            chosen = sorted(chosen + self.untyped, key=lambda pair: pair[0])
        token = token_of(fact)  # one token for all, as in experta: every child copies what it receives
        for _, child in chosen:
            child.callback(token)

    def add(self, fact: Any) -> None:
        self._send(_valid_token, fact)

    def remove(self, fact: Any) -> None:
        self._send(_invalid_token, fact)


class _LiteralIndex:
    """Between an alpha node and its children: a fact reaches only the literal tests its own values can pass."""

    def __init__(self, children: list[Any]) -> None:
        self.children = children  # the real children, in order; traversals go through them
        self.tables: dict[str, dict[Any, list[int]]] = {}
        self.always: list[int] = []
        for position, child in enumerate(children):
            if self.indexable(child):
                check = child.node.matcher
                self.tables.setdefault(check.what, {}).setdefault(check.how.value, []).append(position)
            else:
                self.always.append(position)

    @staticmethod
    def indexable(child: Any) -> bool:
        """Whether the child is a plain `field == literal` test, with no binding and no nested path."""
        check: Any = getattr(child.node, "matcher", None)
        # Exact types: Check is an abstract base class, and isinstance against one is slow at thousands of nodes.
        if type(check) is not FeatureCheck or type(check.how) is not L or check.how.__bind__ is not None:
            return False
        try:
            hash(check.how.value)
        except TypeError:
            return False
        return isinstance(check.what, str) and "__" not in check.what

    def _reset(self) -> None:
        pass

    def route(self, token: Any) -> None:
        """Pass the token to the non-literal children and to the literal ones its fact's values select."""
        (fact,) = token.data
        chosen = self.always
        for what, table in self.tables.items():
            try:
                value = fact[what]
            except (KeyError, IndexError, TypeError):
                continue  # the tests on a missing field all fail
            try:
                hits = table.get(value, ())
            except TypeError:  # an unhashable value: let every test on this field look at it
                hits = [p for positions in table.values() for p in positions]
            if hits:
                chosen = chosen + hits
        # The children still test the fact themselves, in their original order; the index only skips
        # the literal tests whose value differs, which would have rejected it.
        for position in sorted(chosen) if chosen is not self.always else chosen:
            self.children[position].callback(token)


class _TrackedConflictSetNode(ConflictSetNode):
    """A conflict-set node that reports to its matcher when its activations change."""

    def __init__(self, rule: Any, dirty: dict[int, Any], position: int) -> None:
        super().__init__(rule)
        self._dirty = dirty
        self._position = position

    def _activate(self, token: Any) -> None:
        super()._activate(token)
        self._dirty[self._position] = self


# The memories of experta's nodes, emptied in place on reset: experta's `_reset` makes new ones for every node,
# tens of thousands of containers per consultation at 3,000 rules, which the garbage collector then scans.
_MEMORIES: dict[type, tuple[str, ...]] = {
    OrdinaryMatchNode: ("left_memory", "right_memory"),
    NotNode: ("left_memory", "right_memory"),
    _TrackedConflictSetNode: ("memory",),
    ConflictSetNode: ("memory",),
    **MEMORIES,
}


class IndexedReteMatcher(ReteMatcher):
    """experta's Rete network, visiting only the conflict-set nodes that changed and the branches of a fact's class."""

    def __init__(self, engine: Any) -> None:
        self._dirty: dict[int, Any] = {}
        self._nodes: list[Any] = []
        self._memories: list[Any] = []  # the containers reset() empties in place
        self._others: list[Any] = []  # nodes whose memories are not known here: reset() lets them reset
        super().__init__(engine)

    def build_network(self) -> None:
        self.root_node = _DispatchingBusNode()
        # Everything built here lives as long as the network: collections while building would only rescan it.
        with collector_paused():
            try:
                wire_network(self.engine.get_rules(), self.root_node, self._dirty)
            except Unwirable:  # a shape only experta's builder knows (a binding, a field-level |, TEST, ...)
                super().build_network()
            self._index_network()
            self.root_node.index()
        for node in self._nodes:
            names = _MEMORIES.get(type(node))
            if names is None:
                self._others.append(node)
            else:
                self._memories.extend(getattr(node, name) for name in names)

    def _index_network(self) -> None:
        """Swap in conflict-set nodes that report changes (numbered in experta's polling order) and literal indexes."""
        seen: set[int] = set()
        tracked_count = 0
        stack = [self.root_node]
        while stack:  # depth-first, first visit wins: the order in which experta's own poll visits them
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            self._nodes.append(node)
            kind = type(node)
            if kind is ConflictSet or kind is _TrackedConflictSetNode:
                node._position = tracked_count
                tracked_count += 1
            for k, child in enumerate(node.children):
                if type(child.node) is ConflictSetNode:
                    tracked = _TrackedConflictSetNode(child.node.rule, self._dirty, -1)
                    node.children[k] = ChildNode(tracked, tracked.activate)
            if len(node.children) > 1 and isinstance(node, FeatureTesterNode) \
                    and sum(map(_LiteralIndex.indexable, node.children)) > 1:
                index = _LiteralIndex(node.children)
                node.children = [ChildNode(index, index.route)]
            stack.extend(child.node for child in reversed(node.children))

    def changes(self, adding: Iterable[Any] | None = None, deleting: Iterable[Any] | None = None) -> tuple[list[Any], list[Any]]:
        """Pass the changes through the network; collect activations only from the nodes they reached."""
        paused = gc.isenabled()  # as collector_paused does, without a context manager at every step of a run
        if paused:
            gc.disable()
        try:
            for fact in deleting or ():
                self.root_node.remove(fact)
            for fact in adding or ():
                self.root_node.add(fact)
            added: list[Any] = []
            removed: list[Any] = []
            for position in sorted(self._dirty):
                node_added, node_removed = self._dirty[position].get_activations()
                added.extend(node_added)
                removed.extend(node_removed)
            self._dirty.clear()
        finally:
            if paused:
                gc.enable()
        return added, removed

    def reset(self) -> None:
        """Wipe every node's memory once; experta's recursive reset revisits shared nodes once per path."""
        with collector_paused():
            for memory in self._memories:
                if memory:
                    memory.clear()
            for node in self._others:
                node._reset()
