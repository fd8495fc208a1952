"""Transcripts: a consultation saved as JSON, written atomically, read back with every field checked."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .answers import check_answer
from .errors import AnswerError, UsageError
from .knowledge import KnowledgeBase
from .results import ASKED, DOCUMENT, FORMAT_VERSION, STEP
from .text import answers_phrase
from .trace import Outcome, Trace

MAX_TRANSCRIPT_BYTES = 8 * 1024 * 1024


def write_atomic(path: str, text: str) -> None:
    """Write `text` to `path` so that a reader sees the old file or the new one, never half of one."""
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _bad(path: str, what: str) -> UsageError:
    return UsageError(f"{path}: not a usable offercoach transcript: {what}")


def read_transcript(path: str) -> dict[str, Any]:
    """The transcript at `path`, its shape checked; raise UsageError saying what is wrong."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_TRANSCRIPT_BYTES:
            raise _bad(path, f"larger than {MAX_TRANSCRIPT_BYTES} bytes")
        doc = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such transcript") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{path}: cannot read the transcript: {reason}") from None
    except json.JSONDecodeError as exc:
        raise _bad(path, f"line {exc.lineno}, column {exc.colno}: {exc.msg} "
                         "(is the file cut short?)") from None
    if not isinstance(doc, dict):
        raise _bad(path, "it is not a JSON object")
    version = doc.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise _bad(path, f"it was written by a newer offercoach (format {version}); this one reads format "
                         f"{FORMAT_VERSION}")
    malformed = DOCUMENT.misfit(doc)
    if malformed is not None:
        raise _bad(path, f"'{malformed}' is missing or malformed")
    return doc


def changed_files(doc: dict[str, Any], kb: KnowledgeBase) -> list[str]:
    """The knowledge files added, removed or edited since the transcript was made, or the changed layers."""
    recorded = doc["knowledge"]
    if recorded["layers"] != kb.layers:
        return [f"layers {', '.join(recorded['layers'])} (now {', '.join(kb.layers)})"]
    before, now = recorded["files"], kb.files
    return sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))


def recorded_trace(doc: dict[str, Any]) -> Trace:
    return Trace([STEP.read(s) for s in doc["trace"]], [ASKED.read(q) for q in doc["questions"]])


def recorded_outcome(doc: dict[str, Any]) -> Outcome:
    """The finished consultation a transcript records, rebuilt from its own data."""
    trace = recorded_trace(doc)
    candidates = [(d["verdict"], s.rule) for s in trace.steps for d in s.declared if "verdict" in d]
    return Outcome(doc["verdict"]["id"], doc["verdict"]["because"], candidates,
                   [(r["id"], r["because"]) for r in doc["recommendations"]],
                   dict(doc["answers"]), list(doc["unanswered"]), trace, not_needed=dict(doc["not_needed"]),
                   summary=doc["verdict"].get("summary"))  # a transcript older than case summaries has none


def answers_to_replay(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The answers a person gave, in order; a question taken as unknown for want of one is asked again."""
    return [(q["question"], q["value"]) for q in doc["questions"] if q["given"] != "unanswered"]


def prepare_resume(doc: dict[str, Any], kb: KnowledgeBase,
                   path: str) -> tuple[list[tuple[str, str]], dict[str, str], list[str]]:
    """Resuming `doc` on `kb`: the answers to replay, those given beforehand and not yet needed, and notes."""
    notes = []
    changed = changed_files(doc, kb)
    if changed:
        notes.append(knowledge_changed(path, changed))
    replay: list[tuple[str, str]] = []
    given: dict[str, str] = {}
    for question, value in [*answers_to_replay(doc), *doc["not_needed"].items()]:
        try:
            checked = check_answer(kb, question, value)
        except AnswerError as exc:
            notes.append(answer_dropped(question, value, str(exc)))
            continue
        if question in doc["not_needed"]:  # still given beforehand, so still listed if still not needed
            given[question] = checked
        else:
            replay.append((question, checked))
    return replay, given, notes


def as_recorded(doc: dict[str, Any], kb: KnowledgeBase, path: str) -> Outcome | None:
    """The finished consultation `doc` records; None if the knowledge changed since, so it must run again."""
    if doc["verdict"] is None:
        raise UsageError(f"{path}: this consultation is unfinished; continue it with "
                         f"'offercoach consult --resume {path}'")
    return None if changed_files(doc, kb) else recorded_outcome(doc)


def knowledge_changed(path: str, changed: list[str]) -> str:
    return (f"Note: the knowledge has changed since {path} was saved ({', '.join(changed)}); "
            "its answers are run again on the current knowledge.")


def answer_dropped(question: str, value: str, reason: str) -> str:
    return (f"Note: the saved answer {question}={value} no longer fits the knowledge ({reason}); "
            "it will be asked again if needed.")


def resuming(path: str, replay: list[tuple[str, str]]) -> str:
    given = answers_phrase(replay) or "no answers yet"
    return f"Resuming {path}: {given}. Type 'back' at a question to change the previous answer."


def cannot_save(path: str, reason: str) -> UsageError:
    return UsageError(f"cannot save the transcript to {path}: {reason}")


def check_folder(path: str) -> None:
    """Raise UsageError if the folder `path` would be saved in does not exist: say so before any answer."""
    if not Path(path).resolve().parent.is_dir():
        raise cannot_save(path, "its folder does not exist")
