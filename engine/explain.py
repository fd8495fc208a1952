"""Explanations as data from the trace and the knowledge: WHY a question, HOW a conclusion, WHY-NOT a rule."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from .knowledge import (
    AnswerIn,
    Condition,
    FactHolds,
    KnowledgeBase,
    Not,
    Rule,
    VerdictIs,
    holds,
    no_longer_concluded,
    walk,
)
from .records import record
from .trace import Step, Trace


@record
class ConditionReport:
    """One top-level condition of a rule, whether it held, and the recorded value it was tested against."""

    condition: Condition
    held: bool | None
    answers: list[tuple[str, str | None]]  # the questions it reads, with their answers (None: never asked)
    facts: list[tuple[str, Step | None]]  # the facts it reads, with the step that concluded them
    verdict: str | None = None  # for a verdict condition, the verdict chosen (None: not chosen yet)
    gone: tuple[str, ...] = ()  # before the end: the facts it reads that no rule can conclude any more


def condition_reports(rule: Rule, answers: dict[str, str], trace: Trace, settled: bool,
                      verdict: str | None = None, absent: set[str] | None = None) -> list[ConditionReport]:
    """Each top-level condition of `rule`, judged on `answers`, the facts concluded (and, before the end, those
    known to be `absent`) and the `verdict`."""
    concluded = {d["fact"]: s for s in reversed(trace.steps) for d in s.declared if "fact" in d}
    absent = absent or set()
    reports = []
    for cond in rule.when.conditions:
        inner = list(walk(cond))
        read = [c.fact for c in inner if isinstance(c, FactHolds)]
        reports.append(ConditionReport(
            cond, holds(cond, answers, set(concluded), settled, verdict, absent),
            [(c.question, answers.get(c.question)) for c in inner if isinstance(c, AnswerIn)],
            [(fact, concluded.get(fact)) for fact in read],
            verdict if isinstance(cond, VerdictIs) else None,
            tuple(fact for fact in read if fact in absent)))
    return reports


@record
class NotNeeded:
    """A question a rule reads that was never asked, and what kept the rule from waiting on it."""

    question: str
    blocked_by: list[ConditionReport]
    how: str  # "earlier": conditions before it did not hold; "ruled out": another condition already failed;
    # "verdict": the rule waits for its verdict, and another was chosen


@record
class WhyNot:
    rule: str
    fired_at: int | None
    conditions: list[ConditionReport]
    not_needed: list[NotNeeded] = field(default_factory=list)


def why_not(kb: KnowledgeBase, trace: Trace, answers: dict[str, str], rule_id: str,
            verdict: str | None = None) -> WhyNot:
    """Why `rule_id` did not fire: each condition judged, and why each question never asked was not needed."""
    rule = kb.rules[rule_id]
    step = trace.fired(rule_id)
    reports = condition_reports(rule, answers, trace, settled=True, verdict=verdict)
    result = WhyNot(rule_id, step.step if step else None, reports)
    if step is not None:
        return result
    # A rule asks its questions only once its verdict condition holds, wherever that stands in 'when'.
    other_verdict = [r for r in reports if isinstance(r.condition, VerdictIs) and r.held is False]
    for k, report in enumerate(reports):
        for question, value in report.answers:
            if value is not None or any(n.question == question for n in result.not_needed):
                continue
            earlier = [r for r in reports[:k] if r.held is False] \
                or [r for r in reports[:k] if r.held is None]
            if other_verdict:
                result.not_needed.append(NotNeeded(question, other_verdict, "verdict"))
            elif earlier:
                result.not_needed.append(NotNeeded(question, earlier, "earlier"))
            else:
                failed = [r for r in reports if r.held is False]
                result.not_needed.append(NotNeeded(question, failed, "ruled out"))
    return result


@record
class HowNode:
    """One node of a derivation: a conclusion, the rule that drew it, a fact it used, or an answer; or a fact whose
    absence it read ("absent"), with the rules that conclude it, none of which fired."""

    kind: str  # "recommendation", "verdict", "rule", "fact", "absent" or "answer"
    id: str
    value: str | None = None
    step: int | None = None
    children: list[HowNode] = field(default_factory=list)
    not_fired: list[str] = field(default_factory=list)  # for "absent": the rules that conclude the fact

    def as_json(self) -> dict[str, Any]:
        node: dict[str, Any] = {"kind": self.kind, "id": self.id}
        if self.value is not None:
            node["value"] = self.value
        if self.step is not None:
            node["step"] = self.step
        if self.kind == "absent":
            node["not_fired"] = self.not_fired
        if self.children:
            node["because"] = [c.as_json() for c in self.children]
        return node


def _rule_node(trace: Trace, step: Step, kb: KnowledgeBase | None) -> HowNode:
    node = HowNode("rule", step.rule, step=step.step)
    for fact in step.matched:
        if "answer" in fact:
            node.children.append(HowNode("answer", fact["answer"], value=fact["value"]))
        elif "verdict" in fact:  # the chosen verdict, which rests on every rule that proposed it
            node.children.append(HowNode("verdict", fact["verdict"], children=[
                _rule_node(trace, s, kb) for s in trace.proposers(fact["verdict"], step.step)]))
        else:
            producer = trace.producer(fact, step.step)
            child = HowNode("fact", fact["fact"])
            if producer is not None:
                child.children.append(_rule_node(trace, producer, kb))
            node.children.append(child)
    node.children += _absences(kb, trace, step.rule)
    return node


def _absences(kb: KnowledgeBase | None, trace: Trace, rule_id: str) -> list[HowNode]:
    """The facts rule `rule_id` reads the absence of that no step concluded: matched by no fact, so the step's
    record does not show them."""
    if kb is None or rule_id not in kb.rules:
        return []
    concluded = {d["fact"] for s in trace.steps for d in s.declared if "fact" in d}
    read = [c.fact for cond in walk(kb.rules[rule_id].when) if isinstance(cond, Not)
            for c in walk(cond.condition) if isinstance(c, FactHolds)]
    return [HowNode("absent", fact, not_fired=[r.id for r in kb.producers(fact)])
            for fact in dict.fromkeys(read) if fact not in concluded]


def how(trace: Trace, kind: str, conclusion: str, kb: KnowledgeBase | None = None) -> HowNode:
    """The derivation of a recommendation or verdict, down to the answers it rests on; with `kb`, also the facts
    whose absence its rules read."""
    root = HowNode(kind, conclusion)
    for step in trace.steps:
        if {kind: conclusion} in step.declared:
            root.children.append(_rule_node(trace, step, kb))
    return root


def waiting_reports(kb: KnowledgeBase, rule_ids: list[str], answers: dict[str, str],
                    trace: Trace, verdict: str | None = None) -> list[tuple[Rule, list[ConditionReport]]]:
    """For WHY at a question: each waiting rule with its conditions judged on what is known so far."""
    concluded = {d["fact"] for s in trace.steps for d in s.declared if "fact" in d}
    absent = no_longer_concluded(kb, answers, concluded)
    return [(kb.rules[r], condition_reports(kb.rules[r], answers, trace, settled=False, verdict=verdict,
                                            absent=absent))
            for r in rule_ids]
