"""Transcripts: a consultation saved as JSON, written atomically, read back with every field checked."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from typing import Any

from . import files
from .answers import check_answer
from .errors import AnswerError, UsageError
from .files import NotJson, Unreadable, parse_json, read_bounded
from .files import write_atomic as write_atomic  # noqa: PLC0414  # re-exported: cli.py saves through it
from .knowledge import KnowledgeBase, layer_dirs
from .results import ASKED, DOCUMENT, FORMAT_VERSION, STEP
from .text import answers_phrase, printable
from .trace import Outcome, Trace

MAX_TRANSCRIPT_BYTES = 8 * 1024 * 1024


def _bad(path: str, what: str) -> UsageError:
    return UsageError(f"{path}: not a usable offercoach transcript: {what}")


def read_transcript(path: str) -> dict[str, Any]:
    """The transcript at `path`, its shape checked; raise UsageError saying what is wrong.

    Only a regular file of at most MAX_TRANSCRIPT_BYTES is read, as JSON within files.parse_json's bounds.
    """
    try:
        doc = parse_json(read_bounded(path, MAX_TRANSCRIPT_BYTES))
    except Unreadable as exc:
        if exc.missing:
            raise UsageError(f"{path}: no such transcript") from None
        if exc.too_large:
            raise _bad(path, f"larger than {MAX_TRANSCRIPT_BYTES} bytes") from None
        raise UsageError(f"{path}: cannot read the transcript: {exc.reason}") from None
    except NotJson as exc:
        where = f"line {exc.at[0]}, column {exc.at[1]}: " if exc.at else ""
        raise _bad(path, f"{where}{exc.reason}{' (is the file cut short?)' if exc.at_end else ''}") from None
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


def recorded_layers(doc: dict[str, Any], path: str) -> list[str]:
    """The knowledge layers `doc` was made with, to explain it with: UsageError naming a layer that is gone, as
    explaining with other knowledge is never done silently."""
    layers = [str(layer) for layer in doc["knowledge"]["layers"]]
    for layer, directory in zip(layers, layer_dirs(layers)):
        if not directory.is_dir():
            raise UsageError(printable(
                f"{path} was made with the knowledge in {', '.join(layers)}, but the layer '{layer}' is gone: "
                f"there is no directory {directory.absolute()}; explain it where it was made, or name the knowledge "
                "to explain it with (--knowledge DIR)"))
    return layers


def knowledge_changed(path: str, changed: list[str]) -> str:
    return (f"Note: the knowledge has changed since {path} was saved ({', '.join(changed)}); "
            "its answers are run again on the current knowledge.")


def answer_dropped(question: str, value: str, reason: str) -> str:
    return (f"Note: the saved answer {printable(f'{question}={value}')} no longer fits the knowledge ({reason}); "
            "it will be asked again if needed.")


def resuming(path: str, replay: list[tuple[str, str]]) -> str:
    given = answers_phrase(replay) or "no answers yet"
    return f"Resuming {path}: {given}. Type 'back' at a question to change the previous answer."


def cannot_save(path: str, reason: str) -> UsageError:
    return UsageError(f"cannot save the transcript to {path}: {reason}")


def cannot_save_busy(path: str, holder: int | None) -> UsageError:
    process = f" (process {holder})" if holder is not None else ""
    return cannot_save(path, f"another consultation is saving to it{process}; finish that one first, or save to "
                             "another file")


@contextlib.contextmanager
def saving(path: str, resuming: bool) -> Iterator[None]:
    """Hold the transcript `path` for one consultation, refusing before any question what would fail later.

    A second consultation saving to the same file is refused (files.Held), never left to overwrite the first
    one's answers. Unless it is the transcript being resumed, `path` must be new (or empty) and a regular file in
    a folder that exists. Temporary files a killed save left beside it are removed.
    """
    try:
        held = files.Held(path)
    except files.Busy as exc:
        raise cannot_save_busy(path, exc.holder) from None
    except FileNotFoundError:  # the lock is made beside the file
        raise cannot_save(path, "its folder does not exist") from None
    except OSError as exc:
        raise cannot_save(path, files.os_reason(exc)) from None
    try:
        if not resuming:
            _check_new(path)
        files.remove_leftovers(held.target)
        yield
    finally:
        held.release()


def _check_new(path: str) -> None:
    """Raise UsageError unless `path` can hold a new transcript: a regular file, empty, or not there yet."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise cannot_save(path, files.os_reason(exc)) from None
    if not stat.S_ISREG(status.st_mode):
        raise cannot_save(path, f"it is {files.kind_of(status.st_mode)}")
    if status.st_size:
        raise cannot_save(path, f"the file already exists; continue the consultation it holds with --resume {path}, "
                                "or choose another file")
