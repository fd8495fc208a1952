"""The consultation result as a JSON document, text or Markdown."""

from __future__ import annotations

import json
from typing import Any

from . import english, explain
from .errors import UsageError
from .explain import WhyNot
from .knowledge import KnowledgeBase, VerdictIs
from .trace import Outcome, Step, Trace

FORMAT_VERSION = 1

FORMATS = ("text", "json", "markdown")


def outcome_document(kb: KnowledgeBase, outcome: Outcome) -> dict[str, Any]:
    """The contract's JSON document, plus what makes it a transcript: the questions and the knowledge used."""
    verdict = kb.verdicts[outcome.verdict]
    return {
        "verdict": {"id": verdict.id, "title": verdict.title, "summary": english.verdict_summary(kb, outcome),
                    "because": outcome.verdict_because},
        "recommendations": [
            {"id": rec.id, "title": rec.title, "advice": rec.advice, "sources": list(rec.sources),
             "because": rules}
            for rec, rules in ((kb.recommendations[r], rules) for r, rules in outcome.recommendations)],
        **progress_document(kb, outcome.trace, outcome.answers, outcome.unanswered, outcome.not_needed),
    }


def progress_document(kb: KnowledgeBase, trace: Trace, answers: dict[str, str],
                      unanswered: list[str] | None = None, not_needed: dict[str, str] | None = None) -> dict[str, Any]:
    """A transcript of a consultation so far; with no verdict yet, `consult --resume` continues it."""
    return {
        "answers": dict(answers),
        "unanswered": list(unanswered or []),
        # Answers given beforehand and never asked; before the verdict, those not used yet, so resuming keeps them.
        "not_needed": dict(not_needed or {}),
        "trace": [s.as_json() for s in trace.steps],
        "questions": [a.as_json() for a in trace.asked],
        "knowledge": kb.identity(),
        "format_version": FORMAT_VERSION,
    }


def unfinished_document(kb: KnowledgeBase, trace: Trace, answers: dict[str, str],
                        not_needed: dict[str, str] | None = None) -> dict[str, Any]:
    """The transcript `--save` writes after every answer, before there is a verdict."""
    return {"verdict": None, "recommendations": [], **progress_document(kb, trace, answers, None, not_needed)}


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(kb: KnowledgeBase, outcome: Outcome, fmt: str) -> str:
    """`outcome` in format `fmt` (one of FORMATS), ending with a newline."""
    if fmt == "json":
        return to_json(outcome_document(kb, outcome))
    if fmt == "markdown":
        return english.result_markdown(kb, outcome)
    return english.result_text(kb, outcome)


def _why_not_json(kb: KnowledgeBase, result: WhyNot, step: Step | None, given: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"rule": result.rule, "title": kb.rules[result.rule].title, "fired_at": result.fired_at}
    if step is not None:
        return {**doc, "matched": step.matched, "declared": step.declared}
    doc["conditions"] = [
        {"condition": english.condition_text(kb, r.condition), "holds": r.held,
         "answers": dict(r.answers), "facts": {f: s.step if s else None for f, s in r.facts},
         **({"verdict": r.verdict} if isinstance(r.condition, VerdictIs) else {})}
        for r in result.conditions]
    doc["not_needed"] = [{"question": n.question, "because": n.how,
                          "blocked_by": [english.condition_text(kb, r.condition) for r in n.blocked_by],
                          **({"given_beforehand": given[n.question]} if n.question in given else {})}
                         for n in result.not_needed]
    return doc


def explanation(kb: KnowledgeBase, outcome: Outcome, fmt: str, recommendation: str | None = None,
                rule: str | None = None, why_not: str | None = None) -> str:
    """HOW a recommendation or the verdict was reached, or what became of a rule, in format `fmt`."""
    markdown = fmt == "markdown"
    if rule or why_not:
        rule_id = rule or why_not or ""
        if rule_id not in kb.rules:
            raise UsageError(english.not_found("rule", rule_id, list(kb.rules), "in the knowledge"))
        result = explain.why_not(kb, outcome.trace, outcome.answers, rule_id, outcome.verdict)
        step = outcome.trace.fired(rule_id)
        if fmt == "json":
            return to_json(_why_not_json(kb, result, step, outcome.not_needed))
        if rule:
            return english.rule_text(kb, kb.rules[rule_id], step, result, markdown, outcome.not_needed)
        return english.why_not_text(kb, result, markdown, outcome.not_needed)
    if recommendation:
        given = [r for r, _ in outcome.recommendations]
        if recommendation not in kb.recommendations:
            raise UsageError(english.not_found("recommendation", recommendation, list(kb.recommendations),
                                               "in the knowledge"))
        if recommendation not in given:
            raise UsageError(english.not_given(kb, recommendation, given))
        node = explain.how(outcome.trace, "recommendation", recommendation)
        return to_json(node.as_json()) if fmt == "json" else english.how_text(kb, node, markdown)
    node = explain.how(outcome.trace, "verdict", outcome.verdict)
    if fmt == "json":
        return to_json(node.as_json())
    return english.verdict_how(kb, outcome, markdown)
