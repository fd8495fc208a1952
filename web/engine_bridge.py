"""The web front end's one door into the engine: every engine import of offercoach.web is in this module.

When the engine's modules are renamed or split, only this file changes. It turns the engine's objects into plain
data for the pages and the API: the next question of a consultation with its WHY, the result document, HOW trees,
WHY-NOT, validation problems, scenario results and the rule graph. The words are the terminal's: taken from the
engine's wording functions where they return one item, spelt the same way here where the engine only offers them
wrapped for a terminal (the tests compare both with the command line's output).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import explain
from ..engine.answers import check_answer
from ..engine.check import validated
from ..engine.check import warnings as knowledge_warnings
from ..engine.compile import Chosen
from ..engine.consult import Consultation, consult
from ..engine.dialogue import choices as question_choices
from ..engine.dialogue import worded
from ..engine.errors import AnswerError, InferenceError, KnowledgeError, Problem, UsageError
from ..engine.explanations import STATE_WORDS, because_line, evidence, why_asked
from ..engine.graph import edges
from ..engine.knowledge import KnowledgeBase, Question, Rule, VerdictIs, layer_dirs
from ..engine.load import load_knowledge
from ..engine.paths import Leaf, every_consultation, path_problems, summary_line
from ..engine.results import not_needed_line, outcome_document, verdict_summary
from ..engine.scenarios import read_scenarios, run_scenario, scenario_files, scenario_report
from ..engine.text import condition_text, item_title, not_found, sources_line, to_json
from ..engine.trace import Outcome, Trace

__all__ = [
    "AnswerError", "BadAnswer", "ConsultationFailed", "Finished", "HowNode", "InferenceError", "KnowledgeBase",
    "KnowledgeError", "Located", "Outcome", "Pending", "ResultView", "ScenarioReport", "UsageError", "WhyNotView",
    "advance", "check_answers", "consult_document", "document_json", "how_tree", "knowledge_dirs", "load",
    "result_view", "rule_graph", "run_scenarios", "validate", "why_not_view",
]

# The engine compiled for a knowledge base is cached per process and reset for each consultation, so two
# consultations of one knowledge base must not run at once (the GIL would serialise their work anyway). One lock
# per knowledge base: the workbench running scenarios on the edited knowledge does not hold up the public page.
_LOCKS: dict[int, tuple[KnowledgeBase, threading.Lock]] = {}
_LOCKS_GUARD = threading.Lock()
LOCKS_KEPT = 8


def _engine_lock(kb: KnowledgeBase) -> threading.Lock:
    with _LOCKS_GUARD:
        kept = _LOCKS.pop(id(kb), None)
        if kept is None or kept[0] is not kb:
            kept = (kb, threading.Lock())
        _LOCKS[id(kb)] = kept  # most recently used last
        while len(_LOCKS) > LOCKS_KEPT:
            del _LOCKS[next(iter(_LOCKS))]
        return kept[1]


class BadAnswer(Exception):
    """An answer names an unknown question or a value it does not allow; `message` is the command line's."""

    def __init__(self, message: str, question: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.question = question
        self.allowed = allowed


class ConsultationFailed(Exception):
    """The knowledge could not finish this consultation (no verdict for these answers, or a rule misbehaved)."""


def load(layers: list[str]) -> KnowledgeBase:
    """The knowledge of `layers` (directories, or 'default'), checked; raises KnowledgeError with every problem."""
    return load_knowledge(list(layers))


def check_answers(kb: KnowledgeBase, answers: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """The answers, in order, each checked as the command line checks `--answer`; raises BadAnswer."""
    checked = []
    for question, value in answers:
        try:
            checked.append((question, check_answer(kb, question, value)))
        except AnswerError as exc:
            allowed = kb.questions[question].allowed if question in kb.questions else list(kb.questions)
            raise BadAnswer(str(exc), question, allowed) from None
    return checked


# --- the consultation, one question at a time ---


@dataclass
class WhyRule:
    """One rule waiting on the question, its conditions judged on what is known so far."""

    id: str
    title: str
    known: list[str]
    still_open: list[str]
    rationale: str
    sources: list[tuple[str, str]]  # (section id, section title)


@dataclass
class Pending:
    """The next question: the API's shape, the number it has in the dialogue, and WHY as the terminal gives it."""

    number: int
    question: dict[str, Any]  # {"id", "prompt", "help", "choices": [{"value", "meaning"}], "why": [rule id]}
    why_heading: str
    why: list[WhyRule]
    why_text: str  # what 'why' prints at the terminal


@dataclass
class Finished:
    outcome: Outcome
    document: dict[str, Any]  # what `consult --format json` prints


class _Asked(Exception):
    """Raised by the `ask` of _StopAtQuestion: the consultation needs an answer it was not given."""


class _StopAtQuestion(Consultation):
    """A consultation that, instead of prompting, stops at the first question it has no answer for.

    The engine says which rules wait on each question through `_waiting`; this keeps the last one asked with
    the engine's state, from which the WHY of the question it stops at is rebuilt exactly as `why` builds it.
    """

    asking: tuple[Any, Question, list[str]] | None = None

    def _waiting(self, engine: Any, question: str) -> list[str]:
        waiting: list[str] = super()._waiting(engine, question)
        self.asking = (engine, self.kb.questions[question], waiting)
        return waiting

    def pending(self) -> Pending:
        assert self.asking is not None
        engine, question, waiting = self.asking
        trace: Trace = engine.on_firing.__self__  # the consultation's record, which the engine reports firings to
        answers = {a.question: a.value for a in trace.asked}
        chosen = [f["id"] for f in engine.facts.values() if isinstance(f, Chosen)]
        reports = explain.waiting_reports(self.kb, waiting, answers, trace, chosen[0] if chosen else None)
        return _pending(self.kb, question, len(answers) + 1, answers, reports)


def _stop(prompt: str) -> str:
    raise _Asked(prompt)


def _silent(text: str) -> None:
    pass


def _sources(kb: KnowledgeBase, sources: Iterable[str]) -> list[tuple[str, str]]:
    return [(s, kb.sections[s].title if s in kb.sections else s) for s in sources]


def _condition_line(kb: KnowledgeBase, report: explain.ConditionReport, settled: bool, asking: str | None) -> str:
    """One condition judged, as the terminal shows it (without its wrapping)."""
    return (f"{STATE_WORDS[report.held]}: {condition_text(kb, report.condition)} "
            f"[{evidence(kb, report, settled, asking)}]")


def _pending(kb: KnowledgeBase, question: Question, number: int, answers: dict[str, str],
             waiting: list[tuple[Rule, list[explain.ConditionReport]]]) -> Pending:
    shown = worded(question, answers)
    choices = [{"value": value, "meaning": meaning} for value, meaning in question_choices(shown)]
    why = [WhyRule(rule.id, rule.title,
                   [_condition_line(kb, r, False, question.id) for r in reports if r.held is not None],
                   [_condition_line(kb, r, False, question.id) for r in reports if r.held is None],
                   rule.rationale, _sources(kb, rule.sources))
           for rule, reports in waiting]
    text = why_asked(kb, question, waiting)
    return Pending(number, {"id": question.id, "prompt": shown.prompt, "help": shown.help, "choices": choices,
                            "why": [rule.id for rule, _ in waiting]},
                   text.splitlines()[0], why, text)


def advance(kb: KnowledgeBase, answers: Iterable[tuple[str, Any]], typed: bool = False) -> Pending | Finished:
    """Run the consultation on `answers` to the next question it has no answer for, or to its result.

    `typed`: the answers were typed by the person at each question (the page), rather than given beforehand
    (the API, like `--answer`); the transcript records which, and only given answers can be 'not needed'.
    Raises BadAnswer, or ConsultationFailed when the knowledge cannot finish.
    """
    checked = check_answers(kb, answers)
    given, replay = ({}, checked) if typed else (dict(checked), [])
    consultation = _StopAtQuestion(kb, given, _stop, _silent, replay)
    try:
        with _engine_lock(kb):
            try:
                outcome = consultation.run()
            except _Asked:
                return consultation.pending()
    except (KnowledgeError, InferenceError) as exc:
        raise ConsultationFailed(str(exc)) from None
    return Finished(outcome, outcome_document(kb, outcome))


def consult_document(kb: KnowledgeBase, answers: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """What `offercoach consult --no-input --format json` prints for these answers, parsed."""
    given = dict(check_answers(kb, answers))
    try:
        with _engine_lock(kb):
            outcome = consult(kb, given, None, _silent)
    except (KnowledgeError, InferenceError) as exc:
        raise ConsultationFailed(str(exc)) from None
    return outcome_document(kb, outcome)


def document_json(document: dict[str, Any]) -> str:
    """A document as the command line prints it (the transcript `explain` reads)."""
    return to_json(document)


# --- the result, HOW and WHY-NOT ---


@dataclass
class HowNode:
    """One line of a derivation as the terminal words it, with what it says beneath and its own reasons."""

    kind: str
    id: str
    text: str
    notes: list[str] = field(default_factory=list)
    children: list[HowNode] = field(default_factory=list)


def _title(kb: KnowledgeBase, kind: str, item_id: str) -> str:
    return str(item_title(kb, kind, item_id))


def _how_node(kb: KnowledgeBase, node: explain.HowNode) -> HowNode:
    if node.kind == "rule":
        shown = HowNode("rule", node.id, f"because rule {node.id} (step {node.step}): {_title(kb, 'rule', node.id)}")
        if node.id in kb.rules:
            rule = kb.rules[node.id]
            shown.notes = [rule.rationale, f"Sources: {sources_line(kb, rule.sources)}"]
            shown.notes += [f"In this case: {rule.summary}"] if rule.summary else []
    elif node.kind == "fact":
        shown = HowNode("fact", node.id, f"using fact {node.id}: {_title(kb, 'fact', node.id)}")
    elif node.kind == "verdict":
        shown = HowNode("verdict", node.id, f"using the verdict {node.id} ({_title(kb, 'verdict', node.id)})")
    else:
        shown = HowNode("answer", node.id, f"using your answer {node.id}={node.value}")
    shown.children = [_how_node(kb, child) for child in node.children]
    return shown


def how_tree(kb: KnowledgeBase, outcome: Outcome, kind: str, conclusion: str) -> HowNode:
    """HOW a recommendation or the verdict was reached (`explain --recommendation ID`), as a tree."""
    root = explain.how(outcome.trace, kind, conclusion)
    head = HowNode(kind, conclusion,
                   f"How offercoach reached the {kind} '{conclusion}': {_title(kb, kind, conclusion)}")
    head.children = [_how_node(kb, child) for child in root.children]
    if kind == "verdict":
        losers = [(v, r) for v, r in outcome.candidates if v != outcome.verdict]
        if losers:
            head.notes = ["Other candidate verdicts, which lost on priority: "
                          + ", ".join(f"{v} (proposed by {r})" for v, r in losers) + "."]
    return head


@dataclass
class RecommendationView:
    number: int
    id: str
    title: str
    advice: str
    sources: list[tuple[str, str]]
    because: str
    how: HowNode


@dataclass
class ResultView:
    verdict_id: str
    verdict_title: str
    summary: str
    because: str
    verdict_how: HowNode
    recommendations: list[RecommendationView]
    not_needed: str | None
    unanswered: list[str]
    answers: list[tuple[str, str, str]]  # (question id, value, the question as put)
    rules: list[tuple[str, str, bool]]  # every rule: (id, title, whether it fired), for WHY-NOT


def result_view(kb: KnowledgeBase, outcome: Outcome) -> ResultView:
    """The result as the terminal's text gives it, in parts a page can lay out."""
    verdict = kb.verdicts[outcome.verdict]
    recs = []
    for n, (rec_id, rules) in enumerate(outcome.recommendations, 1):
        rec = kb.recommendations[rec_id]
        recs.append(RecommendationView(n, rec.id, rec.title, rec.advice, _sources(kb, rec.sources),
                                       because_line(outcome, rules),
                                       how_tree(kb, outcome, "recommendation", rec_id)))
    fired = {s.rule for s in outcome.trace.steps}
    asked: dict[str, str] = {}
    so_far: dict[str, str] = {}
    for a in outcome.trace.asked:  # each question in the words it was put in, which follow the earlier answers
        question = kb.questions.get(a.question)
        asked[a.question] = worded(question, so_far).prompt if question else a.question
        so_far[a.question] = a.value
    return ResultView(
        verdict.id, verdict.title, verdict_summary(kb, outcome),
        because_line(outcome, outcome.verdict_because), how_tree(kb, outcome, "verdict", outcome.verdict),
        recs, not_needed_line(outcome.not_needed) if outcome.not_needed else None, list(outcome.unanswered),
        [(q, v, asked.get(q, q)) for q, v in outcome.answers.items()],
        [(r.id, r.title, r.id in fired) for r in kb.rules.values()])


@dataclass
class WhyNotView:
    rule: str
    title: str
    heading: str
    fired_at: int | None
    conditions: list[str]
    not_needed: list[str]
    rationale: str
    sources: list[tuple[str, str]]


def why_not_view(kb: KnowledgeBase, outcome: Outcome, rule_id: str) -> WhyNotView:
    """`explain --why-not RULE_ID` for this consultation; raises UsageError (the CLI's words) for an unknown rule."""
    if rule_id not in kb.rules:
        raise UsageError(not_found("rule", rule_id, list(kb.rules), "in the knowledge"))
    rule = kb.rules[rule_id]
    result = explain.why_not(kb, outcome.trace, outcome.answers, rule_id, outcome.verdict)
    conditions = [_condition_line(kb, r, True, None) for r in result.conditions]
    gaps = []
    given = outcome.not_needed
    for gap in result.not_needed:
        blockers = "; ".join(condition_text(kb, r.condition) for r in gap.blocked_by)
        if not blockers:
            reason = "the consultation ended before any rule needed it"
        elif gap.how == "earlier":
            reason = f"this rule needs it only once the conditions before it hold, and this did not: {blockers}"
        elif gap.how == "verdict":
            reason = (f"this rule needs it only once {blockers}, and the verdict chosen was "
                      f"{gap.blocked_by[0].verdict}")
        else:
            reason = f"this rule was already ruled out by: {blockers}"
        unused = (f" (you gave {gap.question}={given[gap.question]} beforehand; it was not needed)"
                  if gap.question in given else "")
        gaps.append(f"'{gap.question}' was never asked{unused}: {reason}.")
    return WhyNotView(rule.id, rule.title, f"Why not rule {rule.id}: {rule.title}", result.fired_at, conditions,
                      gaps, rule.rationale, _sources(kb, rule.sources))


def verdict_read_by(kb: KnowledgeBase, rule_id: str) -> bool:
    """Whether the rule waits for the chosen verdict."""
    return any(isinstance(c, VerdictIs) for c in kb.rules[rule_id].when.conditions)


# --- the coach's workbench ---


@dataclass
class Located:
    """A problem `rules validate` reports."""

    path: str
    line: int
    col: int
    severity: str
    message: str

    def __str__(self) -> str:
        return str(Problem(self.path, self.line, self.col, self.message, self.severity))


def _located(problems: Iterable[Problem]) -> list[Located]:
    return [Located(p.path, p.line, p.col, p.severity, p.message) for p in problems]


def validate(layers: list[str]) -> tuple[list[Located], str | None]:
    """`rules validate` on `layers`: every problem (errors and warnings), and its 'ok: ...' line when usable."""
    try:
        kb = load_knowledge(list(layers))
    except KnowledgeError as exc:
        return _located(exc.problems), None
    problems = knowledge_warnings(kb) + path_problems(kb)
    usable = not any(p.severity == "error" for p in problems)
    return _located(problems), validated(kb, len(problems)) if usable else None


def every_path(kb: KnowledgeBase) -> tuple[list[Leaf], str]:
    """`rules paths`: every consultation the knowledge allows, and the line that counts them."""
    with _engine_lock(kb):
        tree = every_consultation(kb)
    return tree.leaves, summary_line(tree)


def located(problems: Iterable[Problem]) -> list[Located]:
    return _located(problems)


@dataclass
class ScenarioOutcome:
    status: str  # "passed", "failed", "gap" or "gap passes"
    where: str
    name: str
    failures: list[str]
    known_gap: str | None


@dataclass
class ScenarioReport:
    results: list[ScenarioOutcome]
    summary: str  # 'N passed, N failed', as `rules test` ends
    text: str  # what `rules test` prints
    problems: list[Located]  # the knowledge or a scenario file is invalid: nothing ran


def run_scenarios(layers: list[str]) -> ScenarioReport:
    """`rules test` on `layers`."""
    try:
        kb = load_knowledge(list(layers))
        scenarios = [s for path in scenario_files(list(layers)) for s in read_scenarios(path, kb)]
    except KnowledgeError as exc:
        return ScenarioReport([], "", "", _located(exc.problems))
    with _engine_lock(kb):
        results = [run_scenario(kb, s) for s in scenarios]
    text = scenario_report(results, None)
    return ScenarioReport([ScenarioOutcome(r.status, str(r.scenario.where), r.scenario.name, list(r.failures),
                                           r.scenario.known_gap) for r in results],
                          text.splitlines()[-1], text, [])


def rule_graph(kb: KnowledgeBase) -> tuple[list[tuple[str, str]], list[tuple[tuple[str, str], tuple[str, str], bool]]]:
    """`rules graph` as data: nodes (kind, id) and edges (from, to, negated)."""
    return edges(kb)


def knowledge_dirs(layers: list[str]) -> list[Path]:
    """The directories the layers name ('default' is the built-in knowledge)."""
    return list(layer_dirs(list(layers)))
