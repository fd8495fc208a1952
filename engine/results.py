"""A consultation's result: the JSON document (the contract, and a transcript), text and Markdown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field, fields
from typing import Any

from .explanations import because_line
from .knowledge import KnowledgeBase
from .records import record
from .text import answers_phrase, emphasis, para, sources_line, to_json
from .trace import Asked, Outcome, Step, Trace

FORMAT_VERSION = 1

# What a value in the document must be, as transcript.py checks it when it reads one back.
Check = Callable[[Any], bool]


def text(value: Any) -> bool:
    return isinstance(value, str)


def whole(value: Any) -> bool:
    return isinstance(value, int)


def texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def unread(value: Any) -> bool:
    """Written for people and other programs, never read back (a title: the knowledge's own is shown)."""
    return True


def numbered(value: Any) -> bool:
    """A record's number in its list, counting from 1; `Record.fits` compares it with its place."""
    return True


def equals(expected: Any) -> Check:
    return lambda value: value == expected


def one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def mapping(of: Check) -> Check:
    return lambda value: isinstance(value, dict) and all(of(v) for v in value.values())


def nullable(of: Check) -> Check:
    return lambda value: value is None or of(value)


def facts(*forms: set[str]) -> Check:
    """A list of facts as the trace shows them, each with exactly the keys of one of `forms`, all text."""
    return lambda value: isinstance(value, list) and all(
        isinstance(f, dict) and set(f) in forms and all(isinstance(v, str) for v in f.values()) for f in value)


@record(frozen=True)
class Record:
    """A JSON object of the document: its keys in the order written, each with what its value must be.

    With `cls`, the record is that dataclass's fields, written from and read back into one.
    """

    keys: dict[str, Check]
    optional: tuple[str, ...] = ()  # keys that older transcripts lack: absent, they are not checked
    defaults: dict[str, Callable[[], Any]] = field(default_factory=dict)  # absent, they are read as this
    checked: tuple[str, ...] = ()  # the order the keys are checked in, where it is not the order written
    cls: type | None = None

    def __post_init__(self) -> None:
        if self.cls is not None and list(self.keys) != [f.name for f in fields(self.cls)]:
            raise TypeError(f"the record of {self.cls.__name__} must have a check for each of its fields")
        if self.checked and sorted(self.checked) != sorted(self.keys):
            raise TypeError("a record checks each of its keys once")

    def write(self, **values: Any) -> dict[str, Any]:
        """The record of `values`, one for each key, in the order of the keys."""
        if values.keys() != self.keys.keys():
            raise TypeError(f"a record is written with {', '.join(self.keys)}, not {', '.join(values)}")
        return {k: values[k] for k in self.keys}

    def of(self, item: Any) -> dict[str, Any]:
        """The record of a `cls` item."""
        return self.write(**{k: getattr(item, k) for k in self.keys})

    def read(self, data: dict[str, Any]) -> Any:
        """The `cls` item a checked record holds."""
        assert self.cls is not None
        return self.cls(**{k: data[k] for k in self.keys})

    def misfit(self, data: Any, number: int = 0) -> str | None:
        """The first key (in `checked` order) whose value in `data` is missing or malformed; None if it fits.

        `data` gets the `defaults` of absent keys.
        """
        if not isinstance(data, dict):
            return next(iter(self.checked or self.keys))
        for k, default in self.defaults.items():
            data.setdefault(k, default())
        for k in self.checked or self.keys:
            check = self.keys[k]
            if k in self.optional and k not in data:
                continue
            if not (data.get(k) == number if check is numbered else check(data.get(k))):
                return k
        return None

    def fits(self, data: Any, number: int = 0) -> bool:
        return self.misfit(data, number) is None


def records(record: Record) -> Check:
    """A list of `record`s, numbered from 1 where the record has a `numbered` key."""
    return lambda value: isinstance(value, list) and all(record.fits(r, n) for n, r in enumerate(value, 1))


# The document, defined once: `outcome_document` and `unfinished_document` write it from these records,
# transcript.py checks a transcript against them and reads the trace back through STEP and ASKED.
VERDICT = Record({"id": text, "title": unread, "summary": text, "because": texts},
                 optional=("summary",))  # a transcript older than case summaries lacks it
RECOMMENDATION = Record({"id": text, "title": unread, "advice": unread, "sources": unread, "because": texts})
STEP = Record({"step": numbered, "rule": text,
               "matched": facts({"answer", "value"}, {"fact"}, {"verdict"}),  # a verdict matched is the chosen one
               "declared": facts({"fact"}, {"recommendation"}, {"verdict"})}, cls=Step)
GIVEN = ("answered", "from answers", "unanswered")  # how a question got its value
ASKED = Record({"question": text, "after_step": whole, "waiting": texts, "value": text, "given": one_of(*GIVEN)},
               cls=Asked)
KNOWLEDGE = Record({"layers": texts, "files": mapping(unread), "digest": unread})
DOCUMENT = Record(
    {"verdict": nullable(VERDICT.fits), "recommendations": records(RECOMMENDATION), "answers": mapping(text),
     "unanswered": texts, "not_needed": mapping(text), "trace": records(STEP), "questions": records(ASKED),
     "knowledge": KNOWLEDGE.fits, "format_version": equals(FORMAT_VERSION)},
    defaults={"not_needed": dict},  # transcripts written before it was kept lack it
    checked=("format_version", "answers", "questions", "trace", "knowledge", "verdict", "recommendations",
             "unanswered", "not_needed"))


def verdict_summary(kb: KnowledgeBase, outcome: Outcome) -> str:
    """What the verdict says: in this case's words if a rule that proposed it gave them, else its own."""
    return outcome.summary or kb.verdicts[outcome.verdict].summary


def outcome_document(kb: KnowledgeBase, outcome: Outcome) -> dict[str, Any]:
    """The contract's JSON document, plus what makes it a transcript: the questions and the knowledge used."""
    verdict = kb.verdicts[outcome.verdict]
    return DOCUMENT.write(
        verdict=VERDICT.write(id=verdict.id, title=verdict.title, summary=verdict_summary(kb, outcome),
                              because=outcome.verdict_because),
        recommendations=[
            RECOMMENDATION.write(id=rec.id, title=rec.title, advice=rec.advice, sources=list(rec.sources),
                                 because=rules)
            for rec, rules in ((kb.recommendations[r], rules) for r, rules in outcome.recommendations)],
        **progress_document(kb, outcome.trace, outcome.answers, outcome.unanswered, outcome.not_needed))


def progress_document(kb: KnowledgeBase, trace: Trace, answers: dict[str, str],
                      unanswered: list[str] | None = None,
                      not_needed: dict[str, str] | None = None) -> dict[str, Any]:
    """The document's keys that record a consultation so far: all but the verdict and the recommendations."""
    return {
        "answers": dict(answers),
        "unanswered": list(unanswered or []),
        # Answers given beforehand and never asked;
        # before the verdict, those not used yet, so resuming keeps them.
        "not_needed": dict(not_needed or {}),
        "trace": [STEP.of(s) for s in trace.steps],
        "questions": [ASKED.of(a) for a in trace.asked],
        "knowledge": KNOWLEDGE.write(**kb.identity()),
        "format_version": FORMAT_VERSION,
    }


def unfinished_document(kb: KnowledgeBase, trace: Trace, answers: dict[str, str],
                        not_needed: dict[str, str] | None = None) -> dict[str, Any]:
    """The transcript `--save` writes after every answer; with no verdict yet, `consult --resume` continues it."""
    return DOCUMENT.write(verdict=None, recommendations=[],
                          **progress_document(kb, trace, answers, None, not_needed))


def not_needed_line(not_needed: dict[str, str]) -> str:
    """The answers given beforehand that no question asked for, so the person knows they were not used."""
    them = "it" if len(not_needed) == 1 else "them"
    return (f"Not needed for this advice: {answers_phrase(list(not_needed.items()))} (given beforehand; "
            f"the questions asked settled the advice without {them}).")


def result_text(kb: KnowledgeBase, outcome: Outcome) -> str:
    verdict = kb.verdicts[outcome.verdict]
    lines = [emphasis(para(f"Verdict: {verdict.title} ({verdict.id})", ""), "verdict"), para(verdict_summary(kb, outcome), "  "),
             para(because_line(outcome, outcome.verdict_because), "  "),
             *([para(not_needed_line(outcome.not_needed), "  ")] if outcome.not_needed else []), "",
             "Recommendations, most important first:"]
    for n, (rec_id, rules) in enumerate(outcome.recommendations, 1):
        rec = kb.recommendations[rec_id]
        lines += [emphasis(para(rec.title, "    ", first=f"{n:2}. "), "title"), para(rec.advice, "    "),
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
