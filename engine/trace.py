"""The record of a consultation: every advice rule firing and every question asked, as plain data."""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any

from .records import record

if TYPE_CHECKING:  # the record is plain data: reading or explaining a trace never needs experta
    from .experta_fixes import Firing

# Names of the engine's own question-asking rules (see compile.py), left out of the trace.
NEED_PREFIX = "need:"
ASK_PREFIX = "ask:"


def describe(fact: Any) -> dict[str, str] | None:
    """A fact as the trace shows it, or None for the engine's own bookkeeping facts."""
    kind, _, name = type(fact).__name__.partition(":")
    if kind == "answer":
        return {"answer": name, "value": fact["value"]}
    if kind == "fact":
        return {"fact": name}
    if kind in ("recommendation", "verdict"):
        return {kind: fact["id"]}
    if kind == "chosen":  # the verdict the consultation chose, as a verdict-reading rule matched it
        return {"verdict": fact["id"]}
    return None


@record
class Step:
    """One advice rule firing."""

    step: int
    rule: str
    matched: list[dict[str, str]]
    declared: list[dict[str, str]]

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "rule": self.rule, "matched": self.matched, "declared": self.declared}


@record
class Asked:
    """One question put to the person (or to the answers they gave beforehand)."""

    question: str
    after_step: int
    waiting: list[str]
    value: str
    given: str  # "answered", "from answers" or "unanswered"

    def as_json(self) -> dict[str, Any]:
        return {"question": self.question, "after_step": self.after_step,
                "waiting": self.waiting, "value": self.value, "given": self.given}


@record
class Trace:
    """Collects steps from the engine's firings, leaving out its internal question rules."""

    steps: list[Step] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)

    def record(self, firing: Firing) -> None:
        if firing.rule.startswith((NEED_PREFIX, ASK_PREFIX)):
            return
        declared = [d for d in map(describe, firing.declared) if d]
        if not declared:
            # The one place "advice is given once" is kept: an 'any' condition whose branches both hold matches
            # twice, and the second firing declares again what experta already holds, so it changed nothing.
            return
        matched = [d for d in map(describe, firing.matched) if d]
        self.steps.append(Step(len(self.steps) + 1, firing.rule, matched, declared))

    def fired(self, rule: str) -> Step | None:
        return next((s for s in self.steps if s.rule == rule), None)

    def producer(self, fact: dict[str, str], before: int) -> Step | None:
        """The first step before step `before` that declared `fact`."""
        return next((s for s in self.steps[:before - 1] if fact in s.declared), None)

    def proposers(self, verdict: str, before: int) -> list[Step]:
        """The steps before step `before` that proposed `verdict`."""
        return [s for s in self.steps[:before - 1] if {"verdict": verdict} in s.declared]

    def basis(self, rules: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
        """The rules behind `rules` (themselves first) and the answers those rest on, in trace order."""
        todo = [s for s in (self.fired(r) for r in rules) if s]
        steps: dict[int, Step] = {}
        answers: set[tuple[str, str]] = set()
        while todo:
            step = todo.pop()
            if step.step in steps:
                continue
            steps[step.step] = step
            for fact in step.matched:
                if "answer" in fact:
                    answers.add((fact["answer"], fact["value"]))
                elif "verdict" in fact:
                    todo += self.proposers(fact["verdict"], step.step)
                elif (source := self.producer(fact, step.step)) is not None:
                    todo.append(source)
        direct = [r for r in rules if r in {s.rule for s in steps.values()}]
        chain = direct + [s.rule for _, s in sorted(steps.items()) if s.rule not in direct]
        asked = [a.question for a in self.asked]
        return chain, sorted(answers, key=lambda qa: asked.index(qa[0]) if qa[0] in asked else len(asked))


@record
class Outcome:
    """What a consultation concluded, and the record of how."""

    verdict: str
    verdict_because: list[str]
    candidates: list[tuple[str, str]]  # (verdict, rule) in the order rules proposed them
    recommendations: list[tuple[str, list[str]]]  # (recommendation, rules), most important first
    answers: dict[str, str]
    unanswered: list[str]
    trace: Trace = field(default_factory=Trace)
    # Given beforehand and never asked, in question order.
    not_needed: dict[str, str] = field(default_factory=dict)
    # The verdict's words for this case, from a rule that proposed it; None: the verdict's own.
    summary: str | None = None
