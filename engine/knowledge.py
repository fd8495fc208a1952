"""The knowledge base as plain data: sections, questions, facts, rules, recommendations, verdicts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

UNKNOWN = "unknown"


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
        """Whether a condition reads the chosen verdict, so the rule fires only after the verdict is chosen."""
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


@dataclass
class KnowledgeBase:
    """Everything the knowledge files say, each kind keyed by id in knowledge order."""

    layers: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # "layer/name.yaml" -> sha256 of its bytes
    sections: dict[str, Section] = field(default_factory=dict)
    questions: dict[str, Question] = field(default_factory=dict)
    facts: dict[str, FactDef] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    recommendations: dict[str, Recommendation] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    origin: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) -> the layer it comes from
    overridden: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) -> the layer it replaced
    disabled: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) -> the layer that disabled it

    def identity(self) -> dict[str, object]:
        """What a transcript records to recognise this knowledge later: layers, file hashes, one digest."""
        digest = hashlib.sha256(json.dumps([self.layers, self.files], sort_keys=True).encode()).hexdigest()
        return {"layers": self.layers, "files": self.files, "digest": digest}

    def producers(self, fact: str) -> list[Rule]:
        """The rules that conclude `fact`."""
        return [r for r in self.rules.values() if fact in r.conclude]
