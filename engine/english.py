"""Every sentence offercoach shows a person, made from knowledge and trace data."""

from __future__ import annotations

import difflib
import textwrap
from dataclasses import replace
from typing import TYPE_CHECKING

from .explain import ConditionReport, HowNode, WhyNot, holds
from .knowledge import (
    UNKNOWN,
    AllOf,
    AnswerIn,
    Condition,
    FactHolds,
    KnowledgeBase,
    Not,
    Question,
    Rule,
    VerdictIs,
    walk,
)
from .trace import Outcome, Step

if TYPE_CHECKING:
    from .scenarios import Result

WIDTH = 88

UNKNOWN_MEANING = "I don't know, or I'd rather not say"
NOTHING_TO_UNDO = "There is no earlier answer of yours to undo."
COMMANDS = "Type a number or a value; 'why', 'help', 'back' and 'quit' also work."


def para(text: str, indent: str, first: str | None = None) -> str:
    """`text` wrapped to WIDTH columns, indented by `indent` (the first line by `first`, if given)."""
    return textwrap.fill(text, WIDTH, initial_indent=indent if first is None else first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def choices(question: Question) -> list[tuple[str, str]]:
    return [*question.values.items(), (UNKNOWN, UNKNOWN_MEANING)]


def worded(question: Question, answers: dict[str, str]) -> Question:
    """`question` as put to the person: in its first wording whose conditions hold on `answers`, else as written."""
    for variant in question.wording:
        if holds(variant.when, answers, set(), settled=False):  # a question not answered yet leaves it open
            return replace(question, prompt=variant.prompt or question.prompt, help=variant.help or question.help,
                           values={**question.values, **variant.values})
    return question


def question_block(question: Question, number: int, answers: dict[str, str]) -> str:
    """The question as shown at the prompt, worded for the `answers` given so far."""
    question = worded(question, answers)
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
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    return (f"'{shown}' is not an answer to '{question.id}'. Allowed: {', '.join(question.allowed)} "
            f"(or their numbers 1-{len(question.allowed)}).")


def question_help(question: Question, answers: dict[str, str]) -> str:
    """What 'help' shows at the prompt, worded for the `answers` given so far."""
    question = worded(question, answers)
    lines = [question.help, "Allowed answers:"]
    lines += [f"  {value}: {meaning}" for value, meaning in choices(question)]
    return "\n".join(lines)


def sources_line(kb: KnowledgeBase, sources: tuple[str, ...] | list[str]) -> str:
    return "; ".join(f"{kb.sections[s].title} ({s})" for s in sources)


def condition_text(kb: KnowledgeBase, cond: Condition) -> str:
    """A condition in words: 'via_agency is yes', 'commitment-at-stake (meaning)', 'not (...)'."""
    if isinstance(cond, AnswerIn):
        if len(cond.values) == 1:
            return f"{cond.question} is {cond.values[0]}"
        return f"{cond.question} is one of {', '.join(cond.values)}"
    if isinstance(cond, FactHolds):
        meaning = kb.facts[cond.fact].meaning if cond.fact in kb.facts else "no longer in the knowledge"
        return f"{cond.fact} ({meaning.rstrip('.')})"
    if isinstance(cond, VerdictIs):
        if len(cond.verdicts) == 1:
            return f"the verdict is {cond.verdicts[0]}"
        return f"the verdict is one of {', '.join(cond.verdicts)}"
    if isinstance(cond, Not):
        return f"not ({condition_text(kb, cond.condition)})"
    joined = "; ".join(condition_text(kb, c) for c in cond.conditions)
    return f"{'all' if isinstance(cond, AllOf) else 'any'} of ({joined})"


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
            parts.append(f"{named}not concluded; it comes from {sources}" if sources else f"{named}not concluded")
        elif step is None:
            parts.append(f"{named}not concluded yet")
        else:
            parts.append(f"{named}concluded by {step.rule} at step {step.step}")
    return "; ".join(parts)


STATE_WORDS = {True: "holds", False: "fails", None: "open"}


def condition_lines(kb: KnowledgeBase, reports: list[ConditionReport], settled: bool,
                    asking: str | None = None, indent: str = "  ") -> list[str]:
    return [para(f"{STATE_WORDS[r.held]}: {condition_text(kb, r.condition)} [{evidence(kb, r, settled, asking)}]",
                 indent + "  ", first=indent + "- ") for r in reports]


def why_asked(kb: KnowledgeBase, question: Question, waiting: list[tuple[Rule, list[ConditionReport]]]) -> str:
    count = "1 rule is" if len(waiting) == 1 else f"{len(waiting)} rules are"
    lines = [f"I ask about '{question.id}' because {count} waiting on the answer:"]
    for rule, reports in waiting:
        known = [r for r in reports if r.held is not None]
        still_open = [r for r in reports if r.held is None]
        lines.append(f"  {rule.id}: {rule.title}")
        if known:
            lines += ["    Already known:", *condition_lines(kb, known, False, question.id, "    ")]
        lines += ["    Still open:", *condition_lines(kb, still_open, False, question.id, "    "),
                  para(f"Why it matters: {rule.rationale}", "    "),
                  para(f"Sources: {sources_line(kb, rule.sources)}", "    ")]
    return "\n".join(lines)


def knowledge_changed(path: str, changed: list[str]) -> str:
    return (f"Note: the knowledge has changed since {path} was saved ({', '.join(changed)}); "
            "its answers are run again on the current knowledge.")


def resuming(path: str, replay: list[tuple[str, str]]) -> str:
    given = answers_phrase(replay) or "no answers yet"
    return f"Resuming {path}: {given}. Type 'back' at a question to change the previous answer."


def answer_dropped(question: str, value: str, reason: str) -> str:
    return (f"Note: the saved answer {question}={value} no longer fits the knowledge ({reason}); "
            "it will be asked again if needed.")


def _title(kb: KnowledgeBase, kind: str, item_id: str) -> str:
    table = {"rule": kb.rules, "fact": kb.facts, "recommendation": kb.recommendations, "verdict": kb.verdicts}[kind]
    item = table.get(item_id)
    if item is None:
        return "(no longer in the knowledge)"
    return item.meaning if kind == "fact" else item.title


def _how_lines(kb: KnowledgeBase, node: HowNode, depth: int, markdown: bool) -> list[str]:
    indent = "  " * depth
    first = indent + ("- " if markdown else "")
    inner = indent + ("  " if markdown else "    ")
    if node.kind == "rule":
        lines = [para(f"because rule {node.id} (step {node.step}): {_title(kb, 'rule', node.id)}", inner, first)]
        if node.id in kb.rules:
            rule = kb.rules[node.id]
            lines += [para(rule.rationale, inner), para(f"Sources: {sources_line(kb, rule.sources)}", inner)]
            if rule.summary:
                lines.append(para(f"In this case: {rule.summary}", inner))
    elif node.kind == "fact":
        lines = [para(f"using fact {node.id}: {_title(kb, 'fact', node.id)}", inner, first)]
    elif node.kind == "verdict":
        lines = [para(f"using the verdict {node.id} ({_title(kb, 'verdict', node.id)})", inner, first)]
    else:
        lines = [para(f"using your answer {node.id}={node.value}", inner, first)]
    for child in node.children:
        lines += _how_lines(kb, child, depth + 1, markdown)
    return lines


def how_text(kb: KnowledgeBase, node: HowNode, markdown: bool = False,
             losers: list[tuple[str, str]] | None = None) -> str:
    """The derivation tree of a conclusion, as indented text or a Markdown list."""
    head = f"How offercoach reached the {node.kind} '{node.id}': {_title(kb, node.kind, node.id)}"
    lines = [f"## {head}", ""] if markdown else [head]
    for child in node.children:
        lines += _how_lines(kb, child, 0 if markdown else 1, markdown)
    if losers:
        lines += ["", para("Other candidate verdicts, which lost on priority: " + ", ".join(
            f"{v} (proposed by {r})" for v, r in losers) + ".", "")]
    return "\n".join(lines) + "\n"


def rule_text(kb: KnowledgeBase, rule: Rule, step: Step | None, result: WhyNot, markdown: bool = False,
              given: dict[str, str] | None = None) -> str:
    """What happened to one rule in a consultation: when and on what it fired, or why it did not."""
    lines = [*([f"## Rule {rule.id}: {rule.title}", ""] if markdown else [f"Rule {rule.id}: {rule.title}"]), para(f"Why it matters: {rule.rationale}", "  "),
             para(f"Sources: {sources_line(kb, rule.sources)}", "  ")]
    if step is not None:
        matched = ", ".join(f"{m['answer']}={m['value']}" if "answer" in m else
                            f"the verdict {m['verdict']}" if "verdict" in m else m["fact"] for m in step.matched)
        declared = ", ".join(f"{kind} {value}" for d in step.declared for kind, value in d.items())
        lines += [f"It fired at step {step.step}, on {matched or 'no facts'}.", para(f"It concluded: {declared}.", "")]
        return "\n".join(lines) + "\n"
    return "\n".join(lines + why_not_lines(kb, result, given)) + "\n"


def why_not_lines(kb: KnowledgeBase, result: WhyNot, given: dict[str, str] | None = None) -> list[str]:
    """Each condition judged, and why each question never asked was not needed; `given`: answers not needed."""
    if result.fired_at is not None:
        return [f"It did fire, at step {result.fired_at}."]
    lines = ["It did not fire. It needs every condition to hold:"]
    lines += condition_lines(kb, result.conditions, settled=True)
    for gap in result.not_needed:
        blockers = "; ".join(condition_text(kb, r.condition) for r in gap.blocked_by)
        if not blockers:
            reason = "the consultation ended before any rule needed it"
        elif gap.how == "earlier":
            reason = f"this rule needs it only once the conditions before it hold, and this did not: {blockers}"
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
    rule = kb.rules[result.rule]
    head = [f"## Why not rule {rule.id}: {rule.title}", ""] if markdown else [f"Why not rule {rule.id}: {rule.title}"]
    return "\n".join([*head, *why_not_lines(kb, result, given)]) + "\n"


def answers_phrase(answers: list[tuple[str, str]]) -> str:
    return ", ".join(f"{q}={v}" for q, v in answers)


def no_verdict(answers: list[tuple[str, str]]) -> str:
    return f"no rule proposes a verdict for these answers ({answers_phrase(answers) or 'no answers'})"


def because_line(outcome: Outcome, rules: list[str]) -> str:
    chain, answers = outcome.trace.basis(rules)
    text = f"Because: {', '.join(chain)}"
    return f"{text}, from your answers {answers_phrase(answers)}" if answers else text


def verdict_summary(kb: KnowledgeBase, outcome: Outcome) -> str:
    """What the verdict says: in this case's words if a rule that proposed it gave them, else its own summary."""
    return outcome.summary or kb.verdicts[outcome.verdict].summary


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
                  para(f"Sources: {sources_line(kb, rec.sources)}", "    "), para(because_line(outcome, rules), "    ")]
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


CHOOSE_ONE_EXPLANATION = "offercoach: choose one of --verdict, --recommendation, --rule and --why-not"
NO_SCENARIOS = "offercoach: no scenarios found; write them in a 'scenarios' folder of a knowledge directory"


def stopped(reason: str, save: str | None, no_input_hint: bool = False, nothing_decided: bool = True) -> str:
    """The message when a command stops early, saying what was kept and how to go on."""
    if save:
        return f"offercoach: {reason}; your answers are saved in {save}. Continue with: offercoach consult --resume {save}"
    hint = " Use --no-input to take unanswered questions as unknown." if no_input_hint else ""
    return f"offercoach: {reason}; nothing was decided.{hint}" if nothing_decided else f"offercoach: {reason}."


def cannot_save(path: str, reason: str) -> str:
    return f"offercoach: cannot save the transcript to {path}: {reason}"


def validated(kb: KnowledgeBase, warnings: int) -> str:
    """The last line of a 'rules validate' that found no errors."""
    counted = f" ({warnings} warnings)" if warnings else ""
    return (f"ok: {len(kb.rules)} rules, {len(kb.questions)} questions, {len(kb.recommendations)} recommendations, "
            f"{len(kb.verdicts)} verdicts in {len(kb.files)} files of layers {', '.join(kb.layers)}{counted}")


def progress(done: int, total: int) -> str:
    return f"\r{done}/{total} scenarios"


def verdict_how(kb: KnowledgeBase, outcome: Outcome, markdown: bool = False) -> str:
    from .explain import how

    losers = [(v, r) for v, r in outcome.candidates if v != outcome.verdict]
    return how_text(kb, how(outcome.trace, "verdict", outcome.verdict), markdown, losers)


def not_found(kind: str, wanted: str, known: list[str], scope: str) -> str:
    """An unknown id, with the nearest known ones."""
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listing = f" (known: {', '.join(known) or 'none'})" if len(known) <= 12 else ""
    return f"no {kind} '{wanted}' {scope}{hint}{listing}"


def not_given(kb: KnowledgeBase, recommendation: str, given: list[str]) -> str:
    givers = [r.id for r in kb.rules.values() if recommendation in r.recommend]
    return (f"recommendation '{recommendation}' was not given in this consultation; it comes from "
            f"{', '.join(givers)}: try --why-not {givers[0]} (given: {', '.join(given)})")


def where_from(kb: KnowledgeBase, kind: str, item_id: str, where: object) -> str:
    """'file:line, layer L' for an item, naming the layer it replaced if any."""
    text = f"{where}, layer '{kb.origin.get((kind, item_id), '?')}'"
    if (kind, item_id) in kb.overridden:
        text += f" (overrides layer '{kb.overridden[(kind, item_id)]}')"
    return text


def rule_rows(kb: KnowledgeBase) -> list[dict[str, object]]:
    """One row per rule for 'rules list'."""
    return [{"id": r.id, "title": r.title, "sources": ", ".join(r.sources), "salience": r.salience,
             "where": str(r.where), "layer": kb.origin.get(("rules", r.id), "")} for r in kb.rules.values()]


def _reads(kb: KnowledgeBase, rule: Rule) -> list[str]:
    return [para(condition_text(kb, c), "      ", first="    - ") for c in rule.when.conditions] or ["    - nothing"]


def _concludes(kb: KnowledgeBase, rule: Rule) -> list[str]:
    out = [f"fact {f}: {_title(kb, 'fact', f)}" for f in rule.conclude]
    out += [f"recommendation {r}: {_title(kb, 'recommendation', r)}" for r in rule.recommend]
    out += [f"verdict {rule.verdict}: {_title(kb, 'verdict', rule.verdict)} (a candidate)"] if rule.verdict else []
    out += [f"in this case the verdict says: {rule.summary}"] if rule.summary else []
    return [para(line, "      ", first="    - ") for line in out]


def _wording_lines(kb: KnowledgeBase, question: Question) -> list[str]:
    """A question's other wordings for 'rules show', each with the answers that choose it."""
    if not question.wording:
        return []
    lines = ["  Worded otherwise when the answers so far fit (the first that fits is used):"]
    for n, variant in enumerate(question.wording, 1):
        fits = " and ".join(condition_text(kb, c) for c in variant.when.conditions) or "always"
        lines.append(para(f"{n}. when {fits}:", "       ", first="    "))
        shown = [("prompt", variant.prompt), ("help", variant.help),
                 *((f"meaning of {value}", meaning) for value, meaning in variant.values.items())]
        lines += [para(f"{key}: {text}", "         ", first="       ") for key, text in shown if text]
    return lines


def show_item(kb: KnowledgeBase, kind: str, item_id: str, source_text: str) -> str:
    """'rules show' for one item: where it is written, the text as written, and what it means."""
    table = getattr(kb, kind)
    item = table[item_id]
    singular = kind[:-1] if kind != "facts" else "fact"
    lines = [f"{singular} {item_id}  ({where_from(kb, kind, item_id, item.where)})", "", source_text.rstrip(), ""]
    users = [r.id for r in kb.rules.values()]
    if kind == "rules":
        lines += ["  When all of these hold:", *_reads(kb, item), "  it concludes:", *_concludes(kb, item),
                  para(f"Why it matters: {item.rationale}", "    ", first="  "),
                  para(f"Sources: {sources_line(kb, item.sources)}", "    ", first="  ")]
    elif kind == "questions":
        users = [r.id for r in kb.rules.values()
                 if any(isinstance(c, AnswerIn) and c.question == item_id for c in walk(r.when))]
        lines += [f"  Allowed answers: {', '.join(item.allowed)}", f"  Read by: {', '.join(users) or 'no rule'}"]
        lines += _wording_lines(kb, item)
    elif kind == "facts":
        lines += [f"  Concluded by: {', '.join(r.id for r in kb.producers(item_id)) or 'no rule'}",
                  "  Read by: " + (", ".join(r.id for r in kb.rules.values() if any(
                      isinstance(c, FactHolds) and c.fact == item_id for c in walk(r.when))) or "no rule")]
    elif kind == "recommendations":
        lines += [f"  Given by: {', '.join(r.id for r in kb.rules.values() if item_id in r.recommend) or 'no rule'}",
                  para(f"Sources: {sources_line(kb, item.sources)}", "    ", first="  ")]
    elif kind == "verdicts":
        lines += [f"  Priority: {item.priority}",
                  f"  Proposed by: {', '.join(r.id for r in kb.rules.values() if r.verdict == item_id) or 'no rule'}"]
        readers = [r.id for r in kb.rules.values()
                   if any(isinstance(c, VerdictIs) and item_id in c.verdicts for c in r.when.conditions)]
        lines += [f"  Read by: {', '.join(readers)}"] if readers else []
    return "\n".join(lines) + "\n"


STATUS_WORDS = {"passed": "ok  ", "failed": "FAIL", "gap": "gap ", "gap passes": "FAIL"}


def scenario_report(results: list[Result], uncovered: list[tuple[str, str]] | None) -> str:
    """'rules test' output: a line per scenario, each failure spelt out, coverage, and 'N passed, N failed'."""
    lines = []
    for result in results:
        scenario = result.scenario
        lines.append(f"{STATUS_WORDS[result.status]}  {scenario.where}: {scenario.name}")
        if result.status == "gap passes":
            lines.append(f"      marked as a known gap ({scenario.known_gap}), but it passes now: remove 'known_gap'")
        elif result.status == "gap":
            lines.append(f"      known gap: {scenario.known_gap}")
        if result.status != "passed":
            lines += [f"      {failure}" for failure in result.failures]
    if uncovered is not None:
        lines.append("Coverage: " + ("every rule, recommendation and verdict is reached by a scenario" if not uncovered
                                     else f"{len(uncovered)} not reached by any scenario:"))
        lines += [f"  {kind} {item}" for kind, item in uncovered]
    gaps = sum(r.status == "gap" for r in results)
    if gaps:
        lines.append(f"{gaps} known {'gap' if gaps == 1 else 'gaps'} (counted as passed)")
    passed = sum(r.status in ("passed", "gap") for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines) + "\n"
