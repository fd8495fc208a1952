"""experta 1.9.4's flaws fixed: a stable agenda, and an engine that records its firings and survives its own rules.

Each fix names the experta flaw it fixes; docs/design.md lists them, tests/test_experta_fixes.py proves them.
The engine matches with experta_speed's IndexedReteMatcher, which changes only how fast it matches.
"""

from __future__ import annotations

import bisect
import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import field
from typing import Any

from .experta_compat import Agenda, DepthStrategy, Fact, FactList, InitialFact, KnowledgeEngine
from .experta_speed import IndexedReteMatcher, hash_with_class
from .records import record

__all__ = ["Checkpoint", "Firing", "RuleFailed", "StableDepthStrategy", "TracingEngine", "fact_class"]


class StableDepthStrategy(DepthStrategy):
    """Depth-first agenda that removes exactly the cancelled activation and breaks ties by rule order."""

    def get_key(self, act: Any) -> tuple[int, list[int], int, int]:
        ids = sorted((f["__factid__"] for f in act.facts), reverse=True)
        # Fixes ties left to hash order (experta collects rules in a set): the key ends with the rule's place.
        # The rule's place in the engine's list settles what order alone does not (a knowledge rule's
        # need rules share its order), so no tie is left to hash order.
        return (act.rule.salience, ids, -getattr(act.rule, "order", 0), -getattr(act.rule, "position", 0))

    def _update_agenda(self, agenda: Any, added: Iterable[Any], removed: Iterable[Any]) -> None:
        acts = agenda.activations
        for act in removed:
            # Fixes stale firings (DepthStrategy leaves a cancelled activation behind among 3+ equal keys).
            # Stock experta looks only at idx and its two neighbours, so with three or more equal keys a
            # cancelled activation can stay behind and fire later.
            act.key = self.get_key(act)
            for i in range(bisect.bisect_left(acts, act), bisect.bisect_right(acts, act)):
                if acts[i] == act:
                    del acts[i]
                    break
        for act in added:
            act.key = self.get_key(act)
            bisect.insort(acts, act)


_fact_classes: dict[str, type[Fact]] = {}


def fact_class(name: str) -> type[Fact]:
    """Return the Fact subclass for `name`, made once per process so experta's caches stay bounded."""
    # Fixes unbounded memory: experta's class-level check caches keep every Fact class they ever saw.
    cls = _fact_classes.get(name)
    if cls is None:
        cls = _fact_classes[name] = type(name, (Fact,), {"__hash__": hash_with_class})
    return cls


class RuleFailed(Exception):
    """A rule's action raised; carries the rule's name and the original error."""

    def __init__(self, rule: str, error: Exception) -> None:
        self.rule, self.error = rule, error
        super().__init__(f"rule '{rule}' failed: {type(error).__name__}: {error}")


@record
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
            # Fixes ties between rules of equal order (see StableDepthStrategy.get_key): each rule's position.
            # On the action, because experta copies its attributes onto every rewritten rule.
            if getattr(rule, "_wrapped", None) is not None:
                with contextlib.suppress(AttributeError):
                    rule._wrapped.position = position
        self.on_firing = on_firing
        self.fire_counts: Counter[str] = Counter()  # per run(), to name the rules of a runaway
        self.last_firing: Firing | None = None  # the latest run()'s last firing; None if it fired nothing
        super().__init__()

    def get_rules(self) -> list[Any]:
        # Fixes rules read off the class and mutated there (stock get_rules): these are the list given.
        return self._rules

    def get_activations(self) -> Any:
        added, removed = self.facts.changes
        if not added and not removed:  # nothing to match: the network and its conflict sets are as they were
            return [], []
        # Fixes a KeyError/ValueError from the Rete memories when a fact is declared and retracted in one step.
        # A fact declared and retracted before the matcher saw it must reach the matcher as neither.
        both = {id(f) for f in added} & {id(f) for f in removed} if added and removed else None
        if both:
            added = [f for f in added if id(f) not in both]
            removed = [f for f in removed if id(f) not in both]
        if len(added) > 1 and isinstance(added[0], InitialFact):
            # The initial fact last (see reset): what was declared with it then sits in the not nodes' right
            # memories before it reaches their left sides, so the rules it blocks are never activated only to
            # be cancelled. One batch leaves the network in the same state in any order.
            added = added[1:] + added[:1]
        return self.matcher.changes(added, removed)

    def reset(self, **_: Any) -> None:
        """Start a new consultation: no facts but the initial one, which reaches the network with the facts
        declared next, at the next declare() or run(), instead of on its own."""
        # Stock reset matches the initial fact at once: with every rule waiting on its first question, that
        # activates thousands of rules which the answers declared next cancel again. Stock reset also
        # looks up deffacts by scanning the engine's attributes; offercoach declares none.
        self.agenda = Agenda()
        self.facts = FactList()
        self.matcher.reset()
        self.facts.declare(InitialFact())
        self.running = False

    def _sync_agenda(self) -> None:
        added, removed = self.get_activations()
        self.strategy.update_agenda(self.agenda, added, removed)

    def run(self, steps: float = float("inf")) -> None:
        """Fire activations until the agenda is empty, halt() is called or `steps` runs out.

        An action that raises becomes a RuleFailed naming the rule; the engine stays usable.
        Afterwards `last_firing` is the run's last firing (None if nothing fired).
        """
        self.running = True
        self.fire_counts = Counter()
        self.last_firing = None
        try:
            while steps > 0 and self.running:
                self._sync_agenda()
                act = self.agenda.get_next()
                if act is None:
                    break
                steps -= 1
                # Fixes experta keeping no record of what fired: each firing's rule, matched and declared facts.
                firing = Firing(act.rule.__name__,
                                sorted(act.facts, key=lambda f: f["__factid__"]))
                self.fire_counts[firing.rule] += 1
                try:
                    act.rule(self, **{k: v for k, v in act.context.items() if not k.startswith("__")})
                except Exception as exc:
                    # Fixes an action's error escaping with no rule named: it becomes RuleFailed.
                    raise RuleFailed(firing.rule, exc) from exc
                firing.declared = list(self.facts.added)
                self.last_firing = firing
                if self.on_firing is not None:
                    self.on_firing(firing)
        finally:
            # Fixes an engine left marked running after an action raised.
            self.running = False
            # Fixes a crash when what the last action declared before a halt is retracted: match it now.
            # Without this the network and the agenda would wait for the next run() to see them.
            self._sync_agenda()

    def checkpoint(self) -> Checkpoint:
        """The engine's state between runs, to come back to with rewind()."""
        return Checkpoint(frozenset(self.facts), list(self.agenda.activations), self.last_firing)

    def rewind(self, checkpoint: Checkpoint) -> None:
        """Return to `checkpoint`: retract every fact declared since, newest first, and restore the agenda.

        Retracting undoes what the network matched since; the agenda is restored as it was, because an
        activation that fired since (and so left the agenda) would otherwise be missing. Exploring every
        consultation this way gives the firings a fresh replay gives (tests/test_paths.py compares them).
        """
        for index in sorted(set(self.facts) - checkpoint.facts, reverse=True):
            self.retract(index)
        self._sync_agenda()
        self.agenda.activations[:] = checkpoint.activations
        self.last_firing = checkpoint.last_firing


@record(frozen=True)
class Checkpoint:
    """An engine's facts (by index), its agenda and its last firing at one moment between runs."""

    facts: frozenset[int]
    activations: list[Any]
    last_firing: Firing | None
