"""Every sentence offercoach shows a person, made from knowledge and trace data."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from .knowledge import UNKNOWN, KnowledgeBase, Question

if TYPE_CHECKING:
    from .consult import Outcome

WIDTH = 88

UNKNOWN_MEANING = "I don't know, or I'd rather not say"
NOTHING_TO_UNDO = "There is no earlier answer of yours to undo."
COMMANDS = "Type a number or a value; 'why', 'help', 'back' and 'quit' also work."


def para(text: str, indent: str) -> str:
    """`text` wrapped to WIDTH columns, every line indented by `indent`."""
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def choices(question: Question) -> list[tuple[str, str]]:
    return [*question.values.items(), (UNKNOWN, UNKNOWN_MEANING)]


def question_block(question: Question, number: int) -> str:
    width = max(len(v) for v, _ in choices(question))
    lines = [f"Question {number}: {question.prompt}", para(question.help, "  ")]
    lines += [f"  {i}. {value.ljust(width)}  {meaning}" for i, (value, meaning) in enumerate(choices(question), 1)]
    return "\n".join(["", *lines, COMMANDS])


def prompt(question: Question) -> str:
    return f"{question.id}> "


def read_choice(question: Question, word: str) -> str | None:
    """The value `word` names (by value or by number), or None."""
    allowed = question.allowed
    if word in allowed:
        return word
    if word.isdigit() and 1 <= int(word) <= len(allowed):
        return allowed[int(word) - 1]
    return None


def not_allowed(question: Question, raw: str) -> str:
    return (f"'{raw}' is not an answer to '{question.id}'. Allowed: {', '.join(question.allowed)} "
            f"(or their numbers 1-{len(question.allowed)}).")


def question_help(question: Question) -> str:
    lines = [question.help, "Allowed answers:"]
    lines += [f"  {value}: {meaning}" for value, meaning in choices(question)]
    return "\n".join(lines)


def sources_line(kb: KnowledgeBase, sources: tuple[str, ...] | list[str]) -> str:
    return "; ".join(f"{kb.sections[s].title} ({s})" for s in sources)


def why_asked(kb: KnowledgeBase, question: Question, waiting: list[str]) -> str:
    count = "1 rule is" if len(waiting) == 1 else f"{len(waiting)} rules are"
    lines = [f"I ask about '{question.id}' because {count} waiting on the answer:"]
    for rule_id in waiting:
        rule = kb.rules[rule_id]
        lines += [f"  - {rule.id}: {rule.title}", para(rule.rationale, "    "),
                  para(f"Sources: {sources_line(kb, rule.sources)}", "    ")]
    return "\n".join(lines)


def answers_phrase(answers: list[tuple[str, str]]) -> str:
    return ", ".join(f"{q}={v}" for q, v in answers)


def because_line(outcome: Outcome, rules: list[str]) -> str:
    chain, answers = outcome.trace.basis(rules)
    text = f"Because: {', '.join(chain)}"
    return f"{text}, from your answers {answers_phrase(answers)}" if answers else text


def result_text(kb: KnowledgeBase, outcome: Outcome) -> str:
    verdict = kb.verdicts[outcome.verdict]
    lines = [f"Verdict: {verdict.title} ({verdict.id})", para(verdict.summary, "  "),
             para(because_line(outcome, outcome.verdict_because), "  "), "",
             "Recommendations, most important first:"]
    for n, (rec_id, rules) in enumerate(outcome.recommendations, 1):
        rec = kb.recommendations[rec_id]
        lines += [f"{n:2}. {rec.title}", para(rec.advice, "    "),
                  para(f"Sources: {sources_line(kb, rec.sources)}", "    "), para(because_line(outcome, rules), "    ")]
    if outcome.unanswered:
        lines += ["", para(f"Taken as unknown: {', '.join(outcome.unanswered)}", "")]
    return "\n".join(lines) + "\n"


def result_markdown(kb: KnowledgeBase, outcome: Outcome) -> str:
    verdict = kb.verdicts[outcome.verdict]
    lines = [f"# Verdict: {verdict.title}", "", f"`{verdict.id}`: {verdict.summary}", "",
             f"*{because_line(outcome, outcome.verdict_because)}*", "", "## Recommendations", ""]
    for n, (rec_id, rules) in enumerate(outcome.recommendations, 1):
        rec = kb.recommendations[rec_id]
        lines += [f"{n}. **{rec.title}** {rec.advice}",
                  f"   Sources: {sources_line(kb, rec.sources)}. *{because_line(outcome, rules)}*"]
    lines += ["", "## Your answers", "", "| question | answer |", "| --- | --- |"]
    lines += [f"| {q} | {v} |" for q, v in outcome.answers.items()]
    if outcome.unanswered:
        lines += ["", f"Taken as unknown: {', '.join(outcome.unanswered)}"]
    return "\n".join(lines) + "\n"
