"""The consultation result as a JSON document, text or Markdown."""

from __future__ import annotations

import json
from typing import Any

from . import english
from .consult import Outcome
from .knowledge import KnowledgeBase

FORMATS = ("text", "json", "markdown")


def outcome_document(kb: KnowledgeBase, outcome: Outcome) -> dict[str, Any]:
    """The contract's JSON document, plus the questions asked and the rules that waited on them."""
    verdict = kb.verdicts[outcome.verdict]
    return {
        "verdict": {"id": verdict.id, "title": verdict.title, "because": outcome.verdict_because},
        "recommendations": [
            {"id": rec.id, "title": rec.title, "advice": rec.advice, "sources": list(rec.sources),
             "because": rules}
            for rec, rules in ((kb.recommendations[r], rules) for r, rules in outcome.recommendations)],
        "answers": outcome.answers,
        "unanswered": outcome.unanswered,
        "trace": [s.as_json() for s in outcome.trace.steps],
        "questions": [a.as_json() for a in outcome.trace.asked],
    }


def render(kb: KnowledgeBase, outcome: Outcome, fmt: str) -> str:
    """`outcome` in format `fmt` (one of FORMATS), ending with a newline."""
    if fmt == "json":
        return json.dumps(outcome_document(kb, outcome), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return english.result_markdown(kb, outcome)
    return english.result_text(kb, outcome)
