"""The shared rendering core: wrapping, shortening, "did you mean", and items and conditions in words."""

from __future__ import annotations

import contextlib
import json
import re
import textwrap
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from .knowledge import TABLES, AllOf, AnswerIn, Condition, FactHolds, KnowledgeBase, Not, VerdictIs

WIDTH = 88  # columns when the output is not a terminal, so piped output is the same everywhere; at most on one
MIN_WIDTH = 30  # a terminal narrower than this is wrapped as if it were this wide
QUOTED = 40  # a value quoted back in a message
ECHOED = 80  # an answer piped in and echoed, so the dialogue reads as it would on a terminal
CLOSE = 0.6  # how alike a misspelt word in a file must be to the word it suggests
CLOSE_ID = 0.5  # looser for an id typed on the command line, where up to three suggestions are shown
LISTED = 12  # an unknown id's message lists every known one only if there are at most this many


_width: ContextVar[int] = ContextVar("width", default=WIDTH)


def width() -> int:
    """The columns text is wrapped to: WIDTH, or the terminal's width while `wrapping_at` says so."""
    return _width.get()


@contextlib.contextmanager
def wrapping_at(columns: int) -> Iterator[None]:
    """Wrap text to `columns` (kept between MIN_WIDTH and WIDTH) while the block runs."""
    token = _width.set(max(MIN_WIDTH, min(WIDTH, columns)))
    try:
        yield
    finally:
        _width.reset(token)


def para(text: str, indent: str, first: str | None = None) -> str:
    """`text` wrapped to width() columns, indented by `indent` (the first line by `first`, if given)."""
    return textwrap.fill(text, width(), initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but the tab and the newline

# Emphasis on a terminal: Select Graphic Rendition sequences, the only escapes offercoach writes itself.
STYLES = {"verdict": "\x1b[1;32m", "title": "\x1b[1m"}  # the verdict bold green, a recommendation's title bold
RESET = "\x1b[0m"
OURS_OR_CONTROL = re.compile("(" + "|".join(re.escape(code) for code in [*STYLES.values(), RESET]) + ")|"
                             + CONTROL_IN_LINES.pattern)
_styling: ContextVar[bool] = ContextVar("styling", default=False)


@contextlib.contextmanager
def styling(on: bool) -> Iterator[None]:
    """Emphasise (`emphasis`) while the block runs if `on`; otherwise text stays plain."""
    token = _styling.set(on)
    try:
        yield
    finally:
        _styling.reset(token)


def emphasis(text: str, style: str) -> str:
    """`text` (lines already wrapped) in `style` of STYLES, line by line, while `styling` is on; else as is."""
    if not _styling.get():
        return text
    return "\n".join(f"{STYLES[style]}{line}{RESET}" if line else line for line in text.split("\n"))
CONTROL_IN_JSON = re.compile("[\x7f-\x9f]")  # json.dumps escapes the others itself


def _escaped(found: re.Match[str]) -> str:
    return f"\\x{ord(found[0]):02x}"


def printable(text: str) -> str:
    """`text` with every control character shown escaped (ESC as \\x1b), so that no terminal acts on it."""
    return CONTROL.sub(_escaped, text)


def printable_lines(text: str) -> str:
    """Lines of text to show: every control character escaped but the newlines and tabs (and, while `styling` is
    on, the exact emphasis sequences of STYLES, which only set bold and colour)."""
    if not _styling.get():
        return CONTROL_IN_LINES.sub(_escaped, text)
    return OURS_OR_CONTROL.sub(lambda found: found[1] or _escaped(found), text)


def shorten(text: str, limit: int = QUOTED) -> str:
    """`text` quoted back: control characters escaped, cut to `limit` characters with '...' if longer."""
    text = printable(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def nearest(word: object, known: Iterable[object], most: int = 1, cutoff: float = CLOSE) -> str:
    """A '; did you mean ...?' hint naming up to `most` of the closest of `known`, or ''."""
    import difflib  # here, not at the top: only a mistyped id needs it, and it slows every start

    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=most, cutoff=cutoff)
    named = " or ".join(f"'{c}'" for c in close)
    return f"; did you mean {named}?" if close else ""


def not_found(kind: str, wanted: str, known: list[str], scope: str) -> str:
    """An unknown id, with the nearest known ones."""
    listing = f" (known: {', '.join(known) or 'none'})" if len(known) <= LISTED else ""
    return f"no {kind} '{wanted}' {scope}{nearest(wanted, known, 3, CLOSE_ID)}{listing}"


def wording_label(question_label: str, n: int) -> str:
    """How problems name the `n`th wording variant of a question: "question 'reason', wording 2"."""
    return f"{question_label}, wording {n}"


def answers_phrase(answers: list[tuple[str, str]]) -> str:
    return printable(", ".join(f"{q}={v}" for q, v in answers))


def sources_line(kb: KnowledgeBase, sources: tuple[str, ...] | list[str]) -> str:
    return "; ".join(f"{kb.sections[s].title} ({s})" for s in sources)


def item_title(kb: KnowledgeBase, kind: str, item_id: str) -> str:
    """The title of `item_id` of `kind` ('rule', 'fact', ...), or a fact's meaning; or that it is gone."""
    item = getattr(kb, TABLES[kind]).get(item_id)
    if item is None:
        return "(no longer in the knowledge)"
    title: str = item.meaning if kind == "fact" else item.title  # the tables hold a different class per kind
    return title


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


def to_json(document: Any) -> str:
    """A JSON document as offercoach prints and saves it: indented, UTF-8 as is (but control characters, as
    \\u escapes, which no terminal acts on), ending with a newline."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return CONTROL_IN_JSON.sub(lambda found: f"\\u{ord(found[0]):04x}", text) + "\n"
