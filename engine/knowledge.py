"""The knowledge as plain data: its items, what their conditions mean, and the layers it is read from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path

UNKNOWN = "unknown"
BUILT_IN = Path(__file__).resolve().parent.parent / "knowledge"


@dataclass(frozen=True)
class Where:
    """Where an item was written: file, line and column."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class AnswerIn:
    """Holds when the question was answered with one of `values`."""

    question: str
    values: tuple[str, ...]
    where: Where = field(compare=False)


@dataclass(frozen=True)
class FactHolds:
    """Holds when some rule concluded the fact."""

    fact: str
    where: Where = field(compare=False)


@dataclass(frozen=True)
class Not:
    condition: Condition
    where: Where = field(compare=False)


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]
    where: Where = field(compare=False)


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]
    where: Where = field(compare=False)


@dataclass(frozen=True)
class VerdictIs:
    """Holds once the consultation's verdict is chosen and is one of `verdicts`; top level of 'when' only."""

    verdicts: tuple[str, ...]
    where: Where = field(compare=False)
    at: tuple[Where, ...] = field(default=(), compare=False)  # where each listed verdict id is written


Condition = AnswerIn | FactHolds | VerdictIs | Not | AllOf | AnyOf


def walk(condition: Condition) -> Iterator[Condition]:
    """Yield `condition` and every condition nested in it."""
    yield condition
    if isinstance(condition, Not):
        yield from walk(condition.condition)
    elif isinstance(condition, (AllOf, AnyOf)):
        for inner in condition.conditions:
            yield from walk(inner)


def holds(cond: Condition, answers: dict[str, str], facts: set[str], settled: bool,
          verdict: str | None = None) -> bool | None:
    """Whether `cond` holds: True, False, or None while still open.

    Unanswered questions are open; an absent fact is false once the consultation is `settled`;
    a verdict condition is open until the `verdict` is chosen.
    """
    if isinstance(cond, AnswerIn):
        value = answers.get(cond.question)
        return None if value is None else value in cond.values
    if isinstance(cond, FactHolds):
        return True if cond.fact in facts else (False if settled else None)
    if isinstance(cond, VerdictIs):
        return None if verdict is None else verdict in cond.verdicts
    if isinstance(cond, Not):
        inner = holds(cond.condition, answers, facts, settled, verdict)
        return None if inner is None else not inner
    results = [holds(c, answers, facts, settled, verdict) for c in cond.conditions]
    if isinstance(cond, AllOf):
        return False if False in results else (True if all(results) else None)
    return True if True in results else (False if all(r is False for r in results) else None)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    summary: str
    where: Where


@dataclass(frozen=True)
class Wording:
    """Another prompt, help or value meanings for a question, used when `when` holds on the answers so far."""

    when: AllOf
    prompt: str | None
    help: str | None
    values: dict[str, str]  # some of the question's values with the meaning to show instead
    where: Where


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    help: str
    values: dict[str, str]
    where: Where
    wording: tuple[Wording, ...] = ()  # tried in order; the first whose conditions hold is shown

    @property
    def allowed(self) -> list[str]:
        return [*self.values, UNKNOWN]


@dataclass(frozen=True)
class FactDef:
    id: str
    meaning: str
    where: Where


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    when: AllOf
    conclude: tuple[str, ...]
    recommend: tuple[str, ...]
    verdict: str | None
    sources: tuple[str, ...]
    rationale: str
    salience: int
    where: Where
    at: dict[str, Where] = field(default_factory=dict, compare=False)  # where each referenced id is written
    summary: str | None = None  # what the proposed verdict says in this case; None: the verdict's own summary

    def reads_verdict(self) -> bool:
        """Whether a condition reads the chosen verdict, so that the rule fires only after it is chosen."""
        return any(isinstance(c, VerdictIs) for c in self.when.conditions)


@dataclass(frozen=True)
class Recommendation:
    id: str
    title: str
    advice: str
    sources: tuple[str, ...]
    priority: int
    where: Where
    at: dict[str, Where] = field(default_factory=dict, compare=False)  # where each referenced id is written


@dataclass(frozen=True)
class Verdict:
    id: str
    title: str
    summary: str
    priority: int
    where: Where


def _kind(singular: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, object]:
    """A KnowledgeBase table's metadata: what one of its items is called, and the keys a file gives it."""
    return {"singular": singular, "required": required, "optional": optional}


@dataclass
class KnowledgeBase:
    """Everything the knowledge files say, each kind keyed by id in knowledge order."""

    layers: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # "layer/name.yaml" -> sha256 of its bytes
    # The kinds of item, in the order a knowledge file's sections are read; KINDS below is made from them.
    sections: dict[str, Section] = field(default_factory=dict, metadata=_kind(
        "section", ("id", "title", "summary")))
    questions: dict[str, Question] = field(default_factory=dict, metadata=_kind(
        "question", ("id", "prompt", "help", "values"), ("wording",)))
    facts: dict[str, FactDef] = field(default_factory=dict, metadata=_kind(
        "fact", ("id", "meaning")))
    rules: dict[str, Rule] = field(default_factory=dict, metadata=_kind(
        "rule", ("id", "title", "when", "then", "sources", "rationale"), ("salience",)))
    recommendations: dict[str, Recommendation] = field(default_factory=dict, metadata=_kind(
        "recommendation", ("id", "title", "advice", "sources"), ("priority",)))
    verdicts: dict[str, Verdict] = field(default_factory=dict, metadata=_kind(
        "verdict", ("id", "title", "summary", "priority")))
    # (kind, id) -> the layer it comes from; the layer it replaced; the layer that disabled it
    origin: dict[tuple[str, str], str] = field(default_factory=dict)
    overridden: dict[tuple[str, str], str] = field(default_factory=dict)
    disabled: dict[tuple[str, str], str] = field(default_factory=dict)

    def identity(self) -> dict[str, object]:
        """What a transcript records to recognise this knowledge later: layers, file hashes, one digest."""
        digest = hashlib.sha256(json.dumps([self.layers, self.files], sort_keys=True).encode()).hexdigest()
        return {"layers": self.layers, "files": self.files, "digest": digest}

    def producers(self, fact: str) -> list[Rule]:
        """The rules that conclude `fact`."""
        return [r for r in self.rules.values() if fact in r.conclude]


@dataclass(frozen=True)
class Kind:
    """One kind of item: its KnowledgeBase table (and key in a knowledge file), and how a file writes it."""

    table: str
    singular: str
    required: tuple[str, ...]
    optional: tuple[str, ...]


KINDS: dict[str, Kind] = {f.name: Kind(f.name, **f.metadata)
                          for f in fields(KnowledgeBase) if f.metadata}
TABLES: dict[str, str] = {kind.singular: kind.table for kind in KINDS.values()}  # "rule" -> "rules"


def layer_dirs(layers: list[str]) -> list[Path]:
    """Resolve layer names to directories; the word 'default' names the built-in knowledge."""
    return [BUILT_IN if name == "default" else Path(name) for name in layers]


def layers_shown(layers: list[str]) -> str:
    """The layers' directories, for a problem that belongs to the knowledge as a whole."""
    return ", ".join(str(d) for d in layer_dirs(layers))
