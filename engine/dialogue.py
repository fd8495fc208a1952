"""Talking with the person: each question worded for them, their replies read, help, WHY, undo, stopping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .errors import ConsultationStopped
from .explain import ConditionReport
from .explanations import WHY_ALL, why_asked, why_summary
from .knowledge import UNKNOWN, KnowledgeBase, Question, Rule, holds
from .text import para, shorten, width

Ask = Callable[[str], str]  # shows a prompt and returns the line typed
Say = Callable[[str], None]

UNKNOWN_MEANING = "I don't know, or I'd rather not say"
NOTHING_TO_UNDO = "There is no earlier answer of yours to undo."
COMMANDS = "Type a number or a value; 'why', 'help', 'back' and 'quit' also work."
MEANING = 20  # the fewest columns a value's meaning is given beside the values, else it goes below


class Back(Exception):
    """The person asked to undo their previous answer."""


def choices(question: Question) -> list[tuple[str, str]]:
    return [*question.values.items(), (UNKNOWN, UNKNOWN_MEANING)]


def worded(question: Question, answers: dict[str, str]) -> Question:
    """`question` as put to the person: in its first wording that fits `answers`, else as written."""
    for variant in question.wording:
        if holds(variant.when, answers, set(), settled=False):  # a question not answered yet leaves it open
            return replace(question, prompt=variant.prompt or question.prompt,
                           help=variant.help or question.help, values={**question.values, **variant.values})
    return question


def question_block(question: Question, number: int, answers: dict[str, str]) -> str:
    """The question as shown at the prompt, worded for the `answers` given so far, wrapped to the width."""
    question = worded(question, answers)
    values = max(len(v) for v, _ in choices(question))
    lines = [para(question.prompt, "", first=f"Question {number}: "), para(question.help, "  ")]
    for i, (value, meaning) in enumerate(choices(question), 1):
        label = f"  {i}. "
        if len(label) + values + 2 + MEANING <= width():  # the meanings in a column beside the values
            lines.append(para(meaning, " " * (len(label) + values + 2), first=f"{label}{value.ljust(values)}  "))
        else:  # a narrow terminal: each meaning below its value
            lines += [f"{label}{value}", para(meaning, " " * len(label))]
    return "\n".join(["", *lines, para(COMMANDS, "")])


def prompt(question: Question) -> str:
    return f"{question.id}> "


def read_choice(question: Question, word: str) -> str | None:
    """The value `word` names (by value or by number), or None."""
    allowed = question.allowed
    if word in allowed:
        return word
    if word.isascii() and word.isdigit() and len(word) < 10 and 1 <= int(word) <= len(allowed):  # not '²'
        return allowed[int(word) - 1]
    return None


def not_allowed(question: Question, raw: str) -> str:
    return (f"'{shorten(raw)}' is not an answer to '{question.id}'. Allowed: {', '.join(question.allowed)} "
            f"(or their numbers 1-{len(question.allowed)}).")


def question_help(question: Question, answers: dict[str, str]) -> str:
    """What 'help' shows at the prompt, worded for the `answers` given so far."""
    question = worded(question, answers)
    lines = [para(question.help, ""), "Allowed answers:"]
    lines += [para(f"{value}: {meaning}", "    ", first="  ") for value, meaning in choices(question)]
    return "\n".join(lines)


def ask_question(kb: KnowledgeBase, question: Question, number: int, answers: dict[str, str],
                 waiting: Callable[[], list[tuple[Rule, list[ConditionReport]]]], ask: Ask, say: Say,
                 can_undo: bool) -> str:
    """Put `question` to the person until they answer it; 'back' raises Back if `can_undo`, 'quit' stops."""
    say(question_block(question, number, answers))
    while True:
        raw = ask(prompt(question)).strip()
        word = raw.lower()
        if word in ("quit", "exit"):
            raise ConsultationStopped("stopped at your request; nothing was decided")
        if word == "back":
            if can_undo:
                raise Back()
            say(NOTHING_TO_UNDO)
            continue
        if word in ("help", "?"):
            say(question_help(question, answers))
            continue
        if word == "why":
            say(why_summary(kb, question, waiting()))
            continue
        if " ".join(word.split()) == WHY_ALL:
            say(why_asked(kb, question, waiting()))
            continue
        value = read_choice(question, word)
        if value is not None:
            return value
        say(not_allowed(question, raw))


def _stopped(reason: str, save: str | None, no_input_hint: bool = False, nothing_decided: bool = True) -> str:
    """The message when a command stops early, saying what was kept and how to go on."""
    if save:
        return (f"offercoach: {reason}; your answers are saved in {save}. "
                f"Continue with: offercoach consult --resume {save}")
    hint = " Use --no-input to take unanswered questions as unknown." if no_input_hint else ""
    if nothing_decided:
        return f"offercoach: {reason}; nothing was decided.{hint}"
    return f"offercoach: {reason}."


# The messages below that start with a newline end the prompt line the person was typing on.

def quit_message(save: str | None) -> str:
    return _stopped("stopped at your request", save)


def input_ended(save: str | None) -> str:
    return "\n" + _stopped("input ended before the consultation finished", save, no_input_hint=True)


def interrupted(save: str | None) -> str:
    """Ctrl-C during a consultation."""
    return "\n" + _stopped("interrupted", save)


def io_failed(reason: str, save: str | None) -> str:
    """Reading an answer or writing a question failed (a terminal or a pipe gone); saving has its own message."""
    return "\n" + _stopped(f"input or output failed ({reason})", save)


def interrupted_elsewhere() -> str:
    """Ctrl-C outside a consultation, where nothing was being decided."""
    return "\n" + _stopped("interrupted", None, nothing_decided=False)
