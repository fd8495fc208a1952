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
from .experta_fixes import Checkpoint, RuleFailed, TracingEngine
from .knowledge import UNKNOWN, KnowledgeBase, layers_shown
from .records import record
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
        session = Session(self.kb)
        typed = dict(self.typed)
        while (wanted := session.next_question()) is not None:
            question = self.kb.questions[wanted]
            waiting = self._waiting(session.engine, question.id)
            if question.id in self.given:
                value, how = self.given[question.id], "from answers"
            elif question.id in typed:
                value, how = typed[question.id], "answered"
            elif self.ask is None:
                value, how = UNKNOWN, "unanswered"
            else:
                waiting_reports = partial(explain.waiting_reports, self.kb, waiting, session.answers,
                                          session.trace, session.verdict)
                value = ask_question(self.kb, question, len(session.answers) + 1, session.answers, waiting_reports,
                                     self.ask, self.say, can_undo=bool(self.typed))
                how = "answered"
                self.typed.append((question.id, value))
            session.answer(question.id, value, how, waiting)
            if self.on_answer is not None:
                self.on_answer(session.trace, session.answers)
        return session.outcome()

    def _waiting(self, engine: AdviceEngine, question: str) -> list[str]:
        return waiting_rules(self.kb, engine, question)


def waiting_rules(kb: KnowledgeBase, engine: AdviceEngine, question: str) -> list[str]:
    """The rules waiting on `question`, in knowledge order."""
    rules = {f["rule"] for f in engine.facts.values() if isinstance(f, Wanted) and f["question"] == question}
    return [r for r in kb.rules if r in rules]


@record(frozen=True)
class Mark:
    """A session's state at one question, to come back to with Session.rewind."""

    engine: Checkpoint
    answers: tuple[tuple[str, str], ...]
    verdict: str | None
    candidates: tuple[tuple[str, str], ...]
    steps: int
    asked: int


class Session:
    """One run of the engine over a consultation: the answers declared so far, the trace, the verdict once chosen.

    A consultation asks the person at each question; `paths` explores every answer by marking the session at a
    question and rewinding to it.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.engine = ENGINES.fresh(kb)
        self.trace = Trace()
        self.engine.on_firing = self.trace.record
        self.answers: dict[str, str] = {}
        self.verdict: str | None = None
        self.candidates: list[tuple[str, str]] = []

    def next_question(self) -> str | None:
        """Run until a question is wanted (its id), or until the consultation is over (None)."""
        while True:
            wanted = settle(self.engine)
            if wanted is not None or self.verdict is not None:
                return wanted
            # Settled: choose the verdict once, then run on for the rules that read it (they only recommend).
            self.verdict, self.candidates = choose(self.kb, self.engine, self.answers)
            self.engine.declare(Chosen(id=self.verdict))

    def answer(self, question: str, value: str, how: str, waiting: list[str]) -> None:
        """Declare the answer to `question` and record how it was given and which rules waited on it."""
        self.answers[question] = value
        self.trace.asked.append(Asked(question, len(self.trace.steps), waiting, value, how))
        self.engine.declare(answer_class(question)(value=value))

    def mark(self) -> Mark:
        return Mark(self.engine.checkpoint(), tuple(self.answers.items()), self.verdict, tuple(self.candidates),
                    len(self.trace.steps), len(self.trace.asked))

    def rewind(self, mark: Mark) -> None:
        """Return to the moment of `mark`, as if nothing since had been answered."""
        self.engine.rewind(mark.engine)
        self.answers = dict(mark.answers)
        self.verdict, self.candidates = mark.verdict, list(mark.candidates)
        del self.trace.steps[mark.steps:]
        del self.trace.asked[mark.asked:]

    def outcome(self) -> Outcome:
        """The result once next_question() has returned None: the verdict, the ranked advice and the record."""
        assert self.verdict is not None
        recs: dict[str, list[str]] = {}
        for f in self.engine.facts.values():
            if isinstance(f, Recommended):
                recs.setdefault(f["id"], []).append(f["by"])
        rec_order = list(self.kb.recommendations)
        ranked = sorted(recs.items(), key=lambda item: (-self.kb.recommendations[item[0]].priority,
                                                        rec_order.index(item[0])))
        because = [r for v, r in self.candidates if v == self.verdict]
        # The first rule, in knowledge order, that proposed the winner and gave its words for this case:
        # writing order lets a coach rank the cases, whatever order the questions were answered in.
        summary = next((r.summary for r in self.kb.rules.values() if r.id in because and r.summary), None)
        unanswered = [a.question for a in self.trace.asked if a.given == "unanswered"]
        return Outcome(self.verdict, because, list(self.candidates), ranked, dict(self.answers), unanswered,
                       self.trace, summary=summary)


def settle(engine: TracingEngine) -> str | None:
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


def choose(kb: KnowledgeBase, engine: AdviceEngine, answers: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    """The winning verdict among the candidates proposed so far, and those candidates."""
    candidates = [(f["id"], f["by"]) for f in engine.facts.values() if isinstance(f, Proposed)]
    if not candidates:
        raise NoVerdictError(no_verdict(kb, list(answers.items())))
    order = list(kb.verdicts)
    verdict = max((v for v, _ in candidates), key=lambda v: (kb.verdicts[v].priority, -order.index(v)))
    return verdict, candidates


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
