"""The answers a person gives: an answers file or --answer ID=VALUE, each checked against the knowledge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import AnswerError, KnowledgeError, UsageError
from .files import NotJson, Unreadable, parse_json, read_bounded
from .knowledge import KnowledgeBase
from .text import nearest, shorten
from .yaml_source import MAX_FILE_BYTES, parse_yaml_bytes


def check_answer(kb: KnowledgeBase, question_id: str, value: Any) -> str:
    """Return `value` if it may answer `question_id`; else raise AnswerError naming the allowed values."""
    question = kb.questions.get(question_id)
    if question is None:
        raise AnswerError(f"unknown question '{question_id}'{nearest(question_id, kb.questions)} "
                          f"(known questions: {', '.join(kb.questions)})")
    if not isinstance(value, str) or value not in question.allowed:
        shown = shorten(value if isinstance(value, str) else json.dumps(value, default=str))
        raise AnswerError(f"'{shown}' is not an allowed answer to '{question_id}'; "
                          f"allowed: {', '.join(question.allowed)}")
    return value


def read_answers_file(path: str) -> dict[str, Any]:
    """The mapping of question id to value in a YAML or JSON file; bare yes/no stay the words yes/no.

    YAML and JSON alike: a regular file of at most MAX_FILE_BYTES, no key twice, no integer over
    MAX_INTEGER_DIGITS digits; JSON no deeper than MAX_JSON_DEPTH.
    """
    try:
        data = read_bounded(path, MAX_FILE_BYTES)
    except Unreadable as exc:
        if exc.missing:
            raise UsageError(f"{path}: no such answers file") from None
        raise UsageError(f"{path}: cannot read the answers file: {exc.reason}") from None
    try:
        data = parse_json(data) if Path(path).suffix == ".json" else parse_yaml_bytes(data, path)
    except NotJson as exc:
        where = f"{path}:{exc.at[0]}:{exc.at[1]}" if exc.at else path
        raise AnswerError(f"{where}: not valid JSON: {exc.reason}") from None
    except KnowledgeError as exc:
        raise AnswerError(str(exc)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnswerError(f"{path}: the answers file must be a mapping of question id to value, "
                          "e.g. 'situation: weighing_offer'")
    return {str(k): v for k, v in data.items()}


def parse_answer_option(text: str) -> tuple[str, str]:
    """Split one --answer ID=VALUE option."""
    question, sep, value = text.partition("=")
    if not sep or not question.strip():
        raise AnswerError(f"--answer takes ID=VALUE, e.g. --answer situation=weighing_offer; got '{text}'")
    return question.strip(), value.strip()
