"""The answers a person gives: an answers file or --answer ID=VALUE, each checked against the knowledge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import AnswerError, KnowledgeError, UsageError
from .knowledge import KnowledgeBase
from .text import nearest, shorten
from .yaml_source import read_yaml


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
    """The mapping of question id to value in a YAML or JSON file; bare yes/no stay the words yes/no."""
    file = Path(path)
    try:
        if not file.is_file():
            raise UsageError(f"{path}: no such answers file")
        if file.suffix == ".json":
            data = json.loads(file.read_text(encoding="utf-8"))
        else:
            data = read_yaml(file)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{path}: cannot read the answers file: {reason}") from None
    except json.JSONDecodeError as exc:
        raise AnswerError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
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
