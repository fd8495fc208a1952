"""Running a consultation: forward chaining in experta, asking each question when a rule waits on it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from . import explain
from .answers import check_answer
from .compile import AdviceEngine, Chosen, Proposed, Recommended, Wanted, answer_class, question_wanted
from .dialogue import Ask, Back, Say, ask_question
from .errors import InferenceError, NoVerdictError
from .experta_fixes import RuleFailed, TracingEngine
from .knowledge import UNKNOWN, KnowledgeBase, layers_shown
from .text import answers_phrase
from .trace import Asked, Outcome, Trace
from .transcript import prepare_resume

MAX_STEPS = 100_000  # firings per run between questions; each rule fires once per way it matches: far above need

OnAnswer = Callable[[Trace, dict[str, str]], None]


class CompiledEngines:
    """The engines this process compiled, one per knowledge, since compiling costs more than a consultation.

    An engine is found by its knowledge's digest (the layers and the SHA-256 of each file, as a transcript
    records them), so loading the same files again finds the same engine and a changed file compiles anew.
    The `kept` most recently used are kept. `fresh` resets the engine, so every consultation starts empty.
    """

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._engines: dict[str, AdviceEngine] = {}  # least recently used first

    def fresh(self, kb: KnowledgeBase) -> AdviceEngine:
        """The engine compiled from `kb`, reset for a new consultation."""
        digest = str(kb.identity()["digest"])
        engine = self._engines.pop(digest, None)
        if engine is None:
            engine = AdviceEngine(kb)
        self._engines[digest] = engine
        while len(self._engines) > self.kept:
            del self._engines[next(iter(self._engines))]
        engine.reset()
        return engine

    def __len__(self) -> int:
        return len(self._engines)


ENGINES = CompiledEngines(kept=4)  # a process rarely consults more knowledge bases than this


def not_needed(kb: KnowledgeBase, given: dict[str, str], answers: dict[str, str]) -> dict[str, str]:
    """The answers given beforehand that the consultation has not used, in the knowledge's question order."""
    return {q: given[q] for q in kb.questions if q in given and q not in answers}


class Consultation:
    """One consultation: given answers are used as asked; the rest come from `ask`, or are unknown."""

    def __init__(self, kb: KnowledgeBase, given: dict[str, Any], ask: Ask | None, say: Say,
                 replay: list[tuple[str, str]] | None = None, on_answer: OnAnswer | None = None) -> None:
        self.kb = kb
        self.given = {q: check_answer(kb, q, v) for q, v in given.items()}
        self.ask = ask
        self.say = say
        # Answers typed at the prompt (or resumed from a transcript), in order; 'back' drops the last.
        self.typed = [(q, check_answer(kb, q, v)) for q, v in replay or []]
        self.on_answer = on_answer

    def run(self) -> Outcome:
        while True:
            try:
                outcome = self._run_once()
            except Back:
                if self.typed:
                    self.typed.pop()
                continue
            outcome.not_needed = not_needed(self.kb, self.given, outcome.answers)
            return outcome

    def _run_once(self) -> Outcome:
        engine = ENGINES.fresh(self.kb)
        trace = Trace()
        engine.on_firing = trace.record
        answers: dict[str, str] = {}
        typed = dict(self.typed)
        verdict: str | None = None
        candidates: list[tuple[str, str]] = []
        while True:
            wanted = self._settle(engine)
            if wanted is None:
                if verdict is not None:
                    break
                # Settled: choose the verdict once,
                # then run on for the rules that read it (they only recommend).
                verdict, candidates = self._choose(engine, answers)
                engine.declare(Chosen(id=verdict))
                continue
            question = self.kb.questions[wanted]
            waiting = self._waiting(engine, question.id)
            if question.id in self.given:
                value, how = self.given[question.id], "from answers"
            elif question.id in typed:
                value, how = typed[question.id], "answered"
            elif self.ask is None:
                value, how = UNKNOWN, "unanswered"
            else:
                waiting_reports = partial(explain.waiting_reports, self.kb, waiting, answers, trace, verdict)
                value = ask_question(self.kb, question, len(answers) + 1, answers, waiting_reports,
                                     self.ask, self.say, can_undo=bool(self.typed))
                how = "answered"
                self.typed.append((question.id, value))
            answers[question.id] = value
            trace.asked.append(Asked(question.id, len(trace.steps), waiting, value, how))
            engine.declare(answer_class(question.id)(value=value))
            if self.on_answer is not None:
                self.on_answer(trace, answers)
        assert verdict is not None
        return self._outcome(engine, trace, answers, verdict, candidates)

    @staticmethod
    def _settle(engine: TracingEngine) -> str | None:
        """Run until a question is wanted or nothing can fire, within MAX_STEPS firings; the question wanted."""
        try:
            engine.run(steps=MAX_STEPS)
        except RuleFailed as exc:
            raise InferenceError(f"{exc}; the consultation stopped") from None
        wanted = question_wanted(engine)
        if wanted is None and engine.agenda.activations:
            busiest = ", ".join(f"{rule} ({n}x)" for rule, n in engine.fire_counts.most_common(3))
            raise InferenceError(f"inference did not settle within {MAX_STEPS} rule firings; "
                                 f"the rules firing most: {busiest}")
        return wanted

    def _waiting(self, engine: AdviceEngine, question: str) -> list[str]:
        rules = {f["rule"] for f in engine.facts.values()
                 if isinstance(f, Wanted) and f["question"] == question}
        return [r for r in self.kb.rules if r in rules]

    def _choose(self, engine: AdviceEngine, answers: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
        """The winning verdict among the candidates proposed so far, and those candidates."""
        candidates = [(f["id"], f["by"]) for f in engine.facts.values() if isinstance(f, Proposed)]
        if not candidates:
            raise NoVerdictError(no_verdict(self.kb, list(answers.items())))
        order = list(self.kb.verdicts)
        verdict = max((v for v, _ in candidates),
                      key=lambda v: (self.kb.verdicts[v].priority, -order.index(v)))
        return verdict, candidates

    def _outcome(self, engine: AdviceEngine, trace: Trace, answers: dict[str, str], verdict: str,
                 candidates: list[tuple[str, str]]) -> Outcome:
        facts = list(engine.facts.values())
        recs: dict[str, list[str]] = {}
        for f in facts:
            if isinstance(f, Recommended):
                recs.setdefault(f["id"], []).append(f["by"])
        rec_order = list(self.kb.recommendations)
        ranked = sorted(recs.items(), key=lambda item: (-self.kb.recommendations[item[0]].priority,
                                                        rec_order.index(item[0])))
        because = [r for v, r in candidates if v == verdict]
        # The first rule, in knowledge order, that proposed the winner and gave its words for this case:
        # writing order lets a coach rank the cases, whatever order the questions were answered in.
        summary = next((r.summary for r in self.kb.rules.values() if r.id in because and r.summary), None)
        unanswered = [a.question for a in trace.asked if a.given == "unanswered"]
        return Outcome(verdict, because, candidates, ranked, answers, unanswered, trace, summary=summary)


def consult(kb: KnowledgeBase, given: dict[str, Any], ask: Ask | None, say: Say,
            replay: list[tuple[str, str]] | None = None, on_answer: OnAnswer | None = None) -> Outcome:
    """Run one consultation of `kb`; `ask` reads a line from the person (None: never ask).

    `replay` holds answers typed earlier (a resumed transcript); `on_answer` is called after every answer.
    """
    return Consultation(kb, given, ask, say, replay, on_answer).run()


def rerun(doc: dict[str, Any], kb: KnowledgeBase, path: str) -> tuple[Outcome, list[str]]:
    """The consultation a transcript records, run again on changed knowledge, with notes on what changed."""
    replay, given, notes = prepare_resume(doc, kb, path)
    return consult(kb, given, None, lambda _: None, replay=replay), notes


def no_verdict(kb: KnowledgeBase, answers: list[tuple[str, str]]) -> str:
    return (f"no rule proposes a verdict for these answers ({answers_phrase(answers) or 'no answers'}); "
            f"the knowledge in {layers_shown(kb.layers)} reaches no verdict for them")
