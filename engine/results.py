"""A consultation's result: the JSON document (the contract, and a transcript), text and Markdown."""

from __future__ import annotations

from typing import Any

from .explanations import because_line
from .knowledge import KnowledgeBase
from .text import answers_phrase, para, sources_line, to_json
from .trace import Outcome, Trace

FORMAT_VERSION = 1


def verdict_summary(kb: KnowledgeBase, outcome: Outcome) -> str:
    """What the verdict says: in this case's words if a rule that proposed it gave them, else its own."""
    return outcome.summary or kb.verdicts[outcome.verdict].summary


def outcome_document(kb: KnowledgeBase, outcome: Outcome) -> dict[str, Any]:
    """The contract's JSON document, plus what makes it a transcript: the questions and the knowledge used."""
    verdict = kb.verdicts[outcome.verdict]
    return {
        "verdict": {"id": verdict.id, "title": verdict.title, "summary": verdict_summary(kb, outcome),
                    "because": outcome.verdict_because},
        "recommendations": [
            {"id": rec.id, "title": rec.title, "advice": rec.advice, "sources": list(rec.sources),
             "because": rules}
            for rec, rules in ((kb.recommendations[r], rules) for r, rules in outcome.recommendations)],
        **progress_document(kb, outcome.trace, outcome.answers, outcome.unanswered, outcome.not_needed),
    }


def progress_document(kb: KnowledgeBase, trace: Trace, answers: dict[str, str],
                      unanswered: list[str] | None = None,
                      not_needed: dict[str, str] | None = None) -> dict[str, Any]:
    """A transcript of a consultation so far; with no verdict yet, `consult --resume` continues it."""
    return {
        "answers": dict(answers),
        "unanswered": list(unanswered or []),
        # Answers given beforehand and never asked;
        # before the verdict, those not used yet, so resuming keeps them.
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


def not_needed_line(not_needed: dict[str, str]) -> str:
    """The answers given beforehand that no question asked for, so the person knows they were not used."""
    them = "it" if len(not_needed) == 1 else "them"
    return (f"Not needed for this advice: {answers_phrase(list(not_needed.items()))} (given beforehand; "
            f"the questions asked settled the advice without {them}).")


def result_text(kb: KnowledgeBase, outcome: Outcome) -> str:
    verdict = kb.verdicts[outcome.verdict]
    lines = [f"Verdict: {verdict.title} ({verdict.id})", para(verdict_summary(kb, outcome), "  "),
             para(because_line(outcome, outcome.verdict_because), "  "),
             *([para(not_needed_line(outcome.not_needed), "  ")] if outcome.not_needed else []), "",
             "Recommendations, most important first:"]
    for n, (rec_id, rules) in enumerate(outcome.recommendations, 1):
        rec = kb.recommendations[rec_id]
        lines += [f"{n:2}. {rec.title}", para(rec.advice, "    "),
                  para(f"Sources: {sources_line(kb, rec.sources)}", "    "),
                  para(because_line(outcome, rules), "    ")]
    if outcome.unanswered:
        lines += ["", para(f"Taken as unknown: {', '.join(outcome.unanswered)}", "")]
    return "\n".join(lines) + "\n"


def result_markdown(kb: KnowledgeBase, outcome: Outcome) -> str:
    verdict = kb.verdicts[outcome.verdict]
    lines = [f"# Verdict: {verdict.title}", "", f"`{verdict.id}`: {verdict_summary(kb, outcome)}", "",
             f"*{because_line(outcome, outcome.verdict_because)}*", "", "## Recommendations", ""]
    for n, (rec_id, rules) in enumerate(outcome.recommendations, 1):
        rec = kb.recommendations[rec_id]
        lines += [f"{n}. **{rec.title}** {rec.advice}",
                  f"   Sources: {sources_line(kb, rec.sources)}. *{because_line(outcome, rules)}*"]
    lines += ["", "## Your answers", "", "| question | answer |", "| --- | --- |"]
    lines += [f"| {q} | {v} |" for q, v in outcome.answers.items()]
    if outcome.unanswered:
        lines += ["", f"Taken as unknown: {', '.join(outcome.unanswered)}"]
    if outcome.not_needed:
        lines += ["", not_needed_line(outcome.not_needed)]
    return "\n".join(lines) + "\n"


def render(kb: KnowledgeBase, outcome: Outcome, fmt: str) -> str:
    """`outcome` in format `fmt` (one of formats.FORMATS), ending with a newline."""
    if fmt == "json":
        return to_json(outcome_document(kb, outcome))
    if fmt == "markdown":
        return result_markdown(kb, outcome)
    return result_text(kb, outcome)
