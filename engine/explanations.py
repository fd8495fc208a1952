"""Explanations in words and JSON: WHY a question is asked, HOW a conclusion was reached, WHY NOT a rule."""

from __future__ import annotations

from typing import Any

from . import explain
from .errors import UsageError
from .explain import ConditionReport, HowNode, WhyNot
from .knowledge import KnowledgeBase, Question, Rule, VerdictIs
from .text import answers_phrase, condition_text, item_title, not_found, para, sources_line, to_json
from .trace import Outcome, Step

STATE_WORDS = {True: "holds", False: "fails", None: "open"}


def evidence(kb: KnowledgeBase, report: ConditionReport, settled: bool, asking: str | None = None) -> str:
    """The recorded values a condition was tested against, in words."""
    if isinstance(report.condition, VerdictIs):
        return "no verdict chosen yet" if report.verdict is None else f"chosen verdict: {report.verdict}"
    parts = []
    for question, value in report.answers:
        if question == asking:
            parts.append("this question")
        elif value is None:
            parts.append(f"{question} was never asked" if settled else f"{question} not asked yet")
        else:
            parts.append(f"you answered {question}={value}")
    for fact, step in report.facts:
        named = f"{fact} " if len(report.facts) + len(report.answers) > 1 else ""
        if step is None and settled:
            sources = ", ".join(r.id for r in kb.producers(fact))
            parts.append(f"{named}not concluded; it comes from {sources}" if sources
                         else f"{named}not concluded")
        elif step is None and fact in report.gone:
            parts.append(f"{named}no rule can conclude it any more")
        elif step is None:
            parts.append(f"{named}not concluded yet")
        else:
            parts.append(f"{named}concluded by {step.rule} at step {step.step}")
    return "; ".join(parts)


def condition_lines(kb: KnowledgeBase, reports: list[ConditionReport], settled: bool,
                    asking: str | None = None, indent: str = "  ") -> list[str]:
    """Each judged condition as a list item: holds, fails or open, in words, with its evidence."""
    return [para(f"{STATE_WORDS[r.held]}: {condition_text(kb, r.condition)} "
                 f"[{evidence(kb, r, settled, asking)}]", indent + "  ", first=indent + "- ")
            for r in reports]


def why_asked(kb: KnowledgeBase, question: Question,
              waiting: list[tuple[Rule, list[ConditionReport]]]) -> str:
    """WHY at a question: the rules waiting on its answer, what they already know and what is still open."""
    count = "1 rule is" if len(waiting) == 1 else f"{len(waiting)} rules are"
    lines = [para(f"I ask about '{question.id}' because {count} waiting on the answer:", "")]
    for rule, reports in waiting:
        known = [r for r in reports if r.held is not None]
        still_open = [r for r in reports if r.held is None]
        lines.append(para(f"{rule.id}: {rule.title}", "    ", first="  "))
        if known:
            lines += ["    Already known:", *condition_lines(kb, known, False, question.id, "    ")]
        lines += ["    Still open:", *condition_lines(kb, still_open, False, question.id, "    "),
                  para(f"Why it matters: {rule.rationale}", "    "),
                  para(f"Sources: {sources_line(kb, rule.sources)}", "    ")]
    return "\n".join(lines)


WHY_IN_FULL = 3  # 'why' shows each waiting rule in full only up to this many; 'why all' always does
WHY_ALL = "why all"


def why_summary(kb: KnowledgeBase, question: Question,
                waiting: list[tuple[Rule, list[ConditionReport]]]) -> str:
    """WHY at a question, short: what the rules waiting on its answer would decide, one line per kind of
    conclusion, and how to see them all (`why_asked`); `why_asked` itself when only a few rules wait."""
    if len(waiting) <= WHY_IN_FULL:
        return why_asked(kb, question, waiting)
    def of(rule: Rule, words: str) -> tuple[str, ...]:
        if words == "choose the verdict":
            return (rule.verdict,) if rule.verdict else ()
        return rule.recommend if words == "recommend" else rule.conclude

    lines = [para(f"I ask about '{question.id}' because {len(waiting)} rules are waiting on the answer. "
                  "Between them they would:", "")]
    for words in ("choose the verdict", "recommend", "conclude"):
        rules = [rule for rule, _ in waiting if of(rule, words)]
        items = list(dict.fromkeys(item for rule in rules for item in of(rule, words)))
        if items:
            count = "1 rule" if len(rules) == 1 else f"{len(rules)} rules"
            lines.append(para(f"{words}: {', '.join(items)} ({count})", "    ", first="  - "))
    lines.append(para(f"Type '{WHY_ALL}' for each rule: what it already knows, what is still open, "
                      "and why it matters.", ""))
    return "\n".join(lines)


def because_line(outcome: Outcome, rules: list[str]) -> str:
    """The rules behind a conclusion of `rules`, and the answers they rest on, in one line."""
    chain, answers = outcome.trace.basis(rules)
    text = f"Because: {', '.join(chain)}"
    return f"{text}, from your answers {answers_phrase(answers)}" if answers else text


def _how_lines(kb: KnowledgeBase, node: HowNode, depth: int, markdown: bool) -> list[str]:
    indent = "  " * depth
    first = indent + ("- " if markdown else "")
    inner = indent + ("  " if markdown else "    ")
    if node.kind == "rule":
        lines = [para(f"because rule {node.id} (step {node.step}): {item_title(kb, 'rule', node.id)}",
                      inner, first)]
        if node.id in kb.rules:
            rule = kb.rules[node.id]
            lines += [para(rule.rationale, inner), para(f"Sources: {sources_line(kb, rule.sources)}", inner)]
            if rule.summary:
                lines.append(para(f"In this case: {rule.summary}", inner))
    elif node.kind == "fact":
        lines = [para(f"using fact {node.id}: {item_title(kb, 'fact', node.id)}", inner, first)]
    elif node.kind == "verdict":
        lines = [para(f"using the verdict {node.id} ({item_title(kb, 'verdict', node.id)})", inner, first)]
    elif node.kind == "absent":
        lines = [para(f"using the absence of fact {node.id}: {item_title(kb, 'fact', node.id)}", inner, first),
                 para(never_concluded(node.id, node.not_fired), inner)]
    else:
        lines = [para(f"using your answer {node.id}={node.value}", inner, first)]
    for child in node.children:
        lines += _how_lines(kb, child, depth + 1, markdown)
    return lines


def never_concluded(fact: str, rules: list[str]) -> str:
    """Why a fact whose absence a rule read was absent: the rules that conclude it did not fire."""
    if not rules:
        return f"fact {fact} was never concluded: no rule concludes it."
    which = (f"the rule that concludes it, {rules[0]}," if len(rules) == 1
             else f"the rules that conclude it, {', '.join(rules[:-1])} and {rules[-1]},")
    return f"fact {fact} was never concluded: {which} did not fire (--why-not RULE_ID says why)."


def how_text(kb: KnowledgeBase, node: HowNode, markdown: bool = False,
             losers: list[tuple[str, str]] | None = None) -> str:
    """The derivation tree of a conclusion, as indented text or a Markdown list."""
    head = f"How offercoach reached the {node.kind} '{node.id}': {item_title(kb, node.kind, node.id)}"
    lines = [f"## {head}", ""] if markdown else [head]
    for child in node.children:
        lines += _how_lines(kb, child, 0 if markdown else 1, markdown)
    if losers:
        lines.append("")
        lines += [para(line, "") for line in lost_lines(kb, node.id, losers)]
    return "\n".join(lines) + "\n"


def lost_lines(kb: KnowledgeBase, winner: str, losers: list[tuple[str, str]]) -> list[str]:
    """How the other candidate verdicts lost to `winner`: on priority, or, at the same priority, on knowledge order."""
    def priority(verdict: str) -> int | None:
        return kb.verdicts[verdict].priority if verdict in kb.verdicts else None

    def listed(group: list[tuple[str, str]]) -> str:
        return ", ".join(f"{v} (proposed by {r})" for v, r in group)

    tied = [(v, r) for v, r in losers if priority(v) is not None and priority(v) == priority(winner)]
    lower = [loser for loser in losers if loser not in tied]
    lines = [f"Other candidate verdicts, which lost on priority: {listed(lower)}."] if lower else []
    if tied:
        lines.append(f"Other candidate verdicts of the same priority ({priority(winner)}), which lost only because "
                     f"{winner} is listed first in the knowledge: {listed(tied)}.")
    return lines


def verdict_how(kb: KnowledgeBase, outcome: Outcome, markdown: bool = False) -> str:
    """HOW the verdict was reached, with the candidates that lost to it."""
    losers = [(v, r) for v, r in outcome.candidates if v != outcome.verdict]
    return how_text(kb, explain.how(outcome.trace, "verdict", outcome.verdict, kb), markdown, losers)


def why_not_lines(kb: KnowledgeBase, result: WhyNot, given: dict[str, str] | None = None) -> list[str]:
    """Each condition judged, and why each unasked question was not needed (saying if it was `given`)."""
    if result.fired_at is not None:
        return [f"It did fire, at step {result.fired_at}."]
    lines = ["It did not fire. It needs every condition to hold:"]
    lines += condition_lines(kb, result.conditions, settled=True)
    for gap in result.not_needed:
        blockers = "; ".join(condition_text(kb, r.condition) for r in gap.blocked_by)
        if not blockers:
            reason = "the consultation ended before any rule needed it"
        elif gap.how == "earlier":
            reason = ("this rule needs it only once the conditions before it hold, "
                      f"and this did not: {blockers}")
        elif gap.how == "verdict":
            chosen = gap.blocked_by[0].verdict
            reason = f"this rule needs it only once {blockers}, and the verdict chosen was {chosen}"
        else:
            reason = f"this rule was already ruled out by: {blockers}"
        unused = f" (you gave {gap.question}={given[gap.question]} beforehand; it was not needed)" \
            if given and gap.question in given else ""
        lines.append(para(f"'{gap.question}' was never asked{unused}: {reason}.", "  "))
    return lines


def why_not_text(kb: KnowledgeBase, result: WhyNot, markdown: bool = False,
                 given: dict[str, str] | None = None) -> str:
    """WHY NOT a rule fired, as text or Markdown."""
    rule = kb.rules[result.rule]
    head = f"Why not rule {rule.id}: {rule.title}"
    lines = [f"## {head}", ""] if markdown else [head]
    return "\n".join([*lines, *why_not_lines(kb, result, given)]) + "\n"


def rule_text(kb: KnowledgeBase, rule: Rule, step: Step | None, result: WhyNot, markdown: bool = False,
              given: dict[str, str] | None = None) -> str:
    """What happened to one rule in a consultation: when and on what it fired, or why it did not."""
    head = f"Rule {rule.id}: {rule.title}"
    lines = [*([f"## {head}", ""] if markdown else [head]), para(f"Why it matters: {rule.rationale}", "  "),
             para(f"Sources: {sources_line(kb, rule.sources)}", "  ")]
    if step is not None:
        matched = ", ".join(f"{m['answer']}={m['value']}" if "answer" in m
                            else f"the verdict {m['verdict']}" if "verdict" in m
                            else m["fact"] for m in step.matched)
        declared = ", ".join(f"{kind} {value}" for d in step.declared for kind, value in d.items())
        lines += [f"It fired at step {step.step}, on {matched or 'no facts'}.",
                  para(f"It concluded: {declared}.", "")]
        return "\n".join(lines) + "\n"
    return "\n".join(lines + why_not_lines(kb, result, given)) + "\n"


def _why_not_json(kb: KnowledgeBase, result: WhyNot, step: Step | None,
                  given: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"rule": result.rule, "title": kb.rules[result.rule].title,
                           "fired_at": result.fired_at}
    if step is not None:
        return {**doc, "matched": step.matched, "declared": step.declared}
    doc["conditions"] = [
        {"condition": condition_text(kb, r.condition), "holds": r.held,
         "answers": dict(r.answers), "facts": {f: s.step if s else None for f, s in r.facts},
         **({"verdict": r.verdict} if isinstance(r.condition, VerdictIs) else {})}
        for r in result.conditions]
    doc["not_needed"] = [{"question": n.question, "because": n.how,
                          "blocked_by": [condition_text(kb, r.condition) for r in n.blocked_by],
                          **({"given_beforehand": given[n.question]} if n.question in given else {})}
                         for n in result.not_needed]
    return doc


def one_asked(*options: object) -> None:
    """Raise UsageError unless at most one of the explain command's questions is asked."""
    if len([o for o in options if o]) > 1:
        raise UsageError("choose one of --verdict, --recommendation, --rule and --why-not")


def not_given(kb: KnowledgeBase, recommendation: str, given: list[str]) -> str:
    """A recommendation this consultation did not give, with the rules that give it."""
    givers = [r.id for r in kb.rules.values() if recommendation in r.recommend]
    return (f"recommendation '{recommendation}' was not given in this consultation; it comes from "
            f"{', '.join(givers)}: try --why-not {givers[0]} (given: {', '.join(given)})")


def explanation(kb: KnowledgeBase, outcome: Outcome, fmt: str, recommendation: str | None = None,
                rule: str | None = None, why_not: str | None = None) -> str:
    """HOW a recommendation or the verdict was reached, or what became of a rule, in format `fmt`."""
    markdown = fmt == "markdown"
    if rule or why_not:
        rule_id = rule or why_not or ""
        if rule_id not in kb.rules:
            raise UsageError(not_found("rule", rule_id, list(kb.rules), "in the knowledge"))
        result = explain.why_not(kb, outcome.trace, outcome.answers, rule_id, outcome.verdict)
        step = outcome.trace.fired(rule_id)
        if fmt == "json":
            return to_json(_why_not_json(kb, result, step, outcome.not_needed))
        if rule:
            return rule_text(kb, kb.rules[rule_id], step, result, markdown, outcome.not_needed)
        return why_not_text(kb, result, markdown, outcome.not_needed)
    if recommendation:
        given = [r for r, _ in outcome.recommendations]
        if recommendation not in kb.recommendations:
            raise UsageError(not_found("recommendation", recommendation, list(kb.recommendations),
                                       "in the knowledge"))
        if recommendation not in given:
            raise UsageError(not_given(kb, recommendation, given))
        node = explain.how(outcome.trace, "recommendation", recommendation, kb)
        return to_json(node.as_json()) if fmt == "json" else how_text(kb, node, markdown)
    if fmt == "json":
        return to_json(explain.how(outcome.trace, "verdict", outcome.verdict, kb).as_json())
    return verdict_how(kb, outcome, markdown)
