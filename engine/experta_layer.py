"""The one place offercoach imports experta, with its flaws on Python 3.11+ fixed."""

from __future__ import annotations

import bisect
import collections
import collections.abc
import contextlib
import functools
import gc
import logging
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# experta pins frozendict 1.2, which still reads collections.Mapping (gone since 3.10).
if not hasattr(collections, "Mapping"):
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]

# Importing experta calls logging.basicConfig(); keep the root logger as the host left it.
_root_handlers = list(logging.getLogger().handlers)
from experta import AND, EXISTS, NOT, OR, Fact, KnowledgeEngine, P
from experta import Rule as _StockRule
from experta.fact import InitialFact
from experta.fieldconstraint import L
from experta.matchers.rete import ReteMatcher
from experta.matchers.rete.check import FeatureCheck, TypeCheck
from experta.matchers.rete.mixins import ChildNode
from experta.matchers.rete.nodes import BusNode, ConflictSetNode, FeatureTesterNode
from experta.matchers.rete.token import Token
from experta.strategies import DepthStrategy

logging.getLogger().handlers[:] = _root_handlers
# The watcher loggers are process-global and would write to the host's handlers (or, with none,
# to stderr through logging's last resort): give them a sink of their own instead.
for _name in ("RULES", "FACTS", "ACTIVATIONS", "AGENDA", "ENGINE"):
    _watcher = logging.getLogger(f"experta.watchers.{_name}")
    _watcher.propagate = False
    _watcher.addHandler(logging.NullHandler())

__all__ = [
    "AND",
    "EXISTS",
    "NOT",
    "OR",
    "DepthStrategy",
    "Fact",
    "Firing",
    "IndexedReteMatcher",
    "InitialFact",
    "P",
    "Rule",
    "RuleFailed",
    "StableDepthStrategy",
    "TracingEngine",
    "fact_class",
]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
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


class StableDepthStrategy(DepthStrategy):
    """Depth-first agenda that removes exactly the cancelled activation and breaks ties by rule order."""

    def get_key(self, act: Any) -> tuple:  # type: ignore[override]
        ids = sorted((f["__factid__"] for f in act.facts), reverse=True)
        # The rule's place in the engine's list settles what order alone does not (a knowledge rule's
        # need rules share its order), so no tie is left to hash order.
        return (act.rule.salience, ids, -getattr(act.rule, "order", 0), -getattr(act.rule, "position", 0))

    def _update_agenda(self, agenda: Any, added: Iterable[Any], removed: Iterable[Any]) -> None:
        acts = agenda.activations
        for act in removed:
            # Stock experta looks only at idx and its two neighbours, so with three or more
            # equal keys a cancelled activation can stay behind and fire later.
            act.key = self.get_key(act)
            for i in range(bisect.bisect_left(acts, act), bisect.bisect_right(acts, act)):
                if acts[i] == act:
                    del acts[i]
                    break
        for act in added:
            act.key = self.get_key(act)
            bisect.insort(acts, act)


_wrapped_args: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


class Rule(_StockRule):
    """experta's Rule, reading each action's signature once instead of at every rewrite of the rule."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # experta rewrites every rule several times while building the network, and each rewrite
        # re-wraps the action; inspect.signature was a third of the build time at 1,000 rules.
        if self._wrapped is None and args:
            try:
                names = _wrapped_args[args[0]]
            except (KeyError, TypeError):
                names = None
            if names is not None:
                self._wrapped = args[0]
                self._wrapped_args = set(names)
                return functools.update_wrapper(self, args[0])
            result = super().__call__(*args, **kwargs)
            with contextlib.suppress(TypeError):
                _wrapped_args[args[0]] = frozenset(self._wrapped_args)
            return result
        return super().__call__(*args, **kwargs)


def _fact_hash(fact: Fact) -> int:
    # Stock facts hash by their items alone, so every empty pattern (one per fact class) collides,
    # and the network builder's dicts of patterns degrade into lists.
    try:
        return fact.__dict__["_class_hash"]
    except KeyError:
        value = fact.__dict__["_class_hash"] = hash((type(fact), frozenset(fact.items())))
        return value


_fact_classes: dict[str, type] = {}


def fact_class(name: str) -> type:
    """Return the Fact subclass for `name`, made once per process so experta's caches stay bounded."""
    cls = _fact_classes.get(name)
    if cls is None:
        cls = _fact_classes[name] = type(name, (Fact,), {"__hash__": _fact_hash})
    return cls


class _Token(Token):
    """A token whose copies skip re-validating data that was validated when the token was made."""

    def copy(self) -> _Token:
        # Every node copies each token it receives; Token.__new__ re-checks every fact each time.
        return tuple.__new__(type(self), (self.tag, self.data.copy(), self.context.copy()))


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
        self._send(_Token.valid, fact)

    def remove(self, fact: Any) -> None:
        self._send(_Token.invalid, fact)


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
        check = getattr(child.node, "matcher", None)
        if not isinstance(check, FeatureCheck) or type(check.how) is not L or check.how.__bind__ is not None:
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


class IndexedReteMatcher(ReteMatcher):
    """experta's Rete network, visiting only the conflict-set nodes that changed and the branches of a fact's class."""

    def __init__(self, engine: Any) -> None:
        self._dirty: dict[int, Any] = {}
        self._nodes: list[Any] = []
        super().__init__(engine)

    def build_network(self) -> None:
        self.root_node = _DispatchingBusNode()
        super().build_network()
        self._index_network()
        self.root_node.index()

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
            if isinstance(node, _TrackedConflictSetNode):
                node._position = tracked_count
                tracked_count += 1
            for k, child in enumerate(node.children):
                if type(child.node) is ConflictSetNode:
                    tracked = _TrackedConflictSetNode(child.node.rule, self._dirty, -1)
                    node.children[k] = ChildNode(tracked, tracked.activate)
            if isinstance(node, FeatureTesterNode) and sum(map(_LiteralIndex.indexable, node.children)) > 1:
                index = _LiteralIndex(node.children)
                node.children = [ChildNode(index, index.route)]
            stack.extend(child.node for child in reversed(node.children))

    def changes(self, adding: Iterable[Any] | None = None, deleting: Iterable[Any] | None = None) -> tuple[list, list]:
        """Pass the changes through the network; collect activations only from the nodes they reached."""
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
        return added, removed

    def reset(self) -> None:
        """Wipe every node's memory once; experta's recursive reset revisits shared nodes once per path."""
        for node in self._nodes:
            node._reset()


class RuleFailed(Exception):
    """A rule's action raised; carries the rule's name and the original error."""

    def __init__(self, rule: str, error: Exception) -> None:
        self.rule, self.error = rule, error
        super().__init__(f"rule '{rule}' failed: {type(error).__name__}: {error}")


@dataclass
class Firing:
    """What one rule firing matched and changed, as experta saw it."""

    rule: str
    matched: list[Any]
    declared: list[Any] = field(default_factory=list)


class TracingEngine(KnowledgeEngine):
    """A KnowledgeEngine built from a rule list, recording every firing."""

    __strategy__ = StableDepthStrategy
    __matcher__ = IndexedReteMatcher

    def __init__(self, rules: list[Any], on_firing: Callable[[Firing], None] | None = None) -> None:
        self._rules = list(rules)  # must exist before experta builds the network
        for position, rule in enumerate(self._rules):
            # On the action, because experta copies its attributes onto every rewritten rule.
            if getattr(rule, "_wrapped", None) is not None:
                with contextlib.suppress(AttributeError):
                    rule._wrapped.position = position
        self.on_firing = on_firing
        self.fire_counts: Counter[str] = Counter()  # per run(), to name the rules of a runaway
        super().__init__()

    def get_rules(self) -> list[Any]:
        return self._rules

    def get_activations(self) -> Any:
        added, removed = self.facts.changes
        # A fact declared and retracted before the matcher saw it must reach the matcher as neither.
        both = {id(f) for f in added} & {id(f) for f in removed}
        if both:
            added = [f for f in added if id(f) not in both]
            removed = [f for f in removed if id(f) not in both]
        with _collector_paused():
            return self.matcher.changes(added, removed)

    def reset(self, **kwargs: Any) -> None:
        """Wipe facts, agenda and network memories, then declare the initial fact (as experta does)."""
        with _collector_paused():
            super().reset(**kwargs)

    def _sync_agenda(self) -> None:
        added, removed = self.get_activations()
        self.strategy.update_agenda(self.agenda, added, removed)

    def run(self, steps: float = float("inf")) -> None:
        """Fire activations until the agenda is empty, halt() is called or `steps` runs out.

        An action that raises becomes a RuleFailed naming the rule; the engine stays usable.
        """
        self.running = True
        self.fire_counts = Counter()
        try:
            while steps > 0 and self.running:
                self._sync_agenda()
                act = self.agenda.get_next()
                if act is None:
                    break
                steps -= 1
                firing = Firing(act.rule.__name__,
                                sorted(act.facts, key=lambda f: f["__factid__"]))
                self.fire_counts[firing.rule] += 1
                try:
                    act.rule(self, **{k: v for k, v in act.context.items() if not k.startswith("__")})
                except Exception as exc:
                    raise RuleFailed(firing.rule, exc) from exc
                firing.declared = list(self.facts.added)
                if self.on_firing is not None:
                    self.on_firing(firing)
        finally:
            self.running = False
            # Match the last action's changes now, so the agenda is current after a halt.
            self._sync_agenda()
