"""The one place offercoach imports experta, with its flaws on Python 3.11+ fixed."""

from __future__ import annotations

import bisect
import collections
import collections.abc
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# experta pins frozendict 1.2, which still reads collections.Mapping (gone since 3.10).
if not hasattr(collections, "Mapping"):
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]

# Importing experta calls logging.basicConfig(); keep the root logger as the host left it.
_root_handlers = list(logging.getLogger().handlers)
from experta import AND, EXISTS, NOT, OR, Fact, KnowledgeEngine, P, Rule
from experta.fact import InitialFact
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
    "InitialFact",
    "P",
    "Rule",
    "StableDepthStrategy",
    "TracingEngine",
    "fact_class",
]


class StableDepthStrategy(DepthStrategy):
    """Depth-first agenda that removes exactly the cancelled activation and breaks ties by rule order."""

    def get_key(self, act: Any) -> tuple:  # type: ignore[override]
        ids = sorted((f["__factid__"] for f in act.facts), reverse=True)
        return (act.rule.salience, ids, -getattr(act.rule, "order", 0))

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


_fact_classes: dict[str, type] = {}


def fact_class(name: str) -> type:
    """Return the Fact subclass for `name`, made once per process so experta's caches stay bounded."""
    cls = _fact_classes.get(name)
    if cls is None:
        cls = _fact_classes[name] = type(name, (Fact,), {})
    return cls


@dataclass
class Firing:
    """What one rule firing matched and changed, as experta saw it."""

    rule: str
    matched: list[Any]
    declared: list[Any] = field(default_factory=list)
    retracted: list[Any] = field(default_factory=list)


class TracingEngine(KnowledgeEngine):
    """A KnowledgeEngine built from a rule list, recording every firing."""

    __strategy__ = StableDepthStrategy

    def __init__(self, rules: list[Any], on_firing: Callable[[Firing], None] | None = None) -> None:
        self._rules = list(rules)  # must exist before experta builds the network
        self.on_firing = on_firing
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
        return self.matcher.changes(added, removed)

    def _sync_agenda(self) -> None:
        added, removed = self.get_activations()
        self.strategy.update_agenda(self.agenda, added, removed)

    def run(self, steps: float = float("inf")) -> None:
        """Fire activations until the agenda is empty, halt() is called or `steps` runs out."""
        self.running = True
        try:
            while steps > 0 and self.running:
                self._sync_agenda()
                act = self.agenda.get_next()
                if act is None:
                    break
                steps -= 1
                firing = Firing(act.rule.__name__,
                                sorted(act.facts, key=lambda f: f["__factid__"]))
                act.rule(self, **{k: v for k, v in act.context.items() if not k.startswith("__")})
                firing.declared = list(self.facts.added)
                firing.retracted = list(self.facts.removed)
                if self.on_firing is not None:
                    self.on_firing(firing)
        finally:
            self.running = False
            # Match the last action's changes now, so the agenda is current after a halt.
            self._sync_agenda()
