"""offercoach's command line: one function per command; engine/ does the work and the wording."""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

EXIT_KNOWLEDGE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _layers(knowledge: tuple[str, ...]) -> list[str]:
    """The knowledge layers: --knowledge options, else OFFERCOACH_KNOWLEDGE, else the built-in one."""
    if knowledge:
        return list(knowledge)
    from_env = [p for p in os.environ.get("OFFERCOACH_KNOWLEDGE", "").split(":") if p]
    return from_env or ["default"]


def _load(knowledge: tuple[str, ...]) -> Any:
    from .engine.errors import KnowledgeError
    from .engine.load import load_knowledge

    try:
        return load_knowledge(_layers(knowledge))
    except KnowledgeError as exc:
        _fail(str(exc), EXIT_KNOWLEDGE)


def _ask_line(prompt: str) -> str:
    click.echo(prompt, nl=False, err=True)
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    if not sys.stdin.isatty():  # show piped answers, so the dialogue reads as it would on a terminal
        click.echo(line.rstrip("\r\n"), err=True)
    return line.rstrip("\r\n")


knowledge_option = click.option(
    "--knowledge", "-k", multiple=True, metavar="DIR",
    help="Knowledge directory; repeat to layer ('default' is the built-in one).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="offercoach", prog_name="offercoach")
def main() -> None:
    """Advice for going back on a job offer, with the reasons behind it.

    \b
    Example:
      offercoach consult
      offercoach consult --answer situation=weighing_offer --no-input
    """


@main.command()
@knowledge_option
@click.option("--answers", "answers_file", metavar="FILE", help="YAML or JSON mapping of question id to value.")
@click.option("--answer", "answer_options", multiple=True, metavar="ID=VALUE", help="Give one answer; repeatable.")
@click.option("--no-input", is_flag=True, help="Never prompt; questions without an answer are taken as unknown.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
def consult(knowledge: tuple[str, ...], answers_file: str | None, answer_options: tuple[str, ...],
            no_input: bool, fmt: str) -> None:
    """Run a consultation: answer the questions, get a verdict and recommendations.

    Questions are asked on the terminal only when a rule needs the answer; at
    any question type 'why', 'help', 'back' or 'quit'.

    \b
    Example:
      offercoach consult --answers my-answers.yaml --answer via_agency=yes --no-input --format json
    """
    from .engine.answers import parse_answer_option, read_answers_file
    from .engine.consult import consult as run_consultation
    from .engine.errors import AnswerError, ConsultationStopped, KnowledgeError, UsageError
    from .engine.report import render

    kb = _load(knowledge)
    try:
        given = read_answers_file(answers_file) if answers_file else {}
        given.update(parse_answer_option(text) for text in answer_options)
        outcome = run_consultation(kb, given, None if no_input else _ask_line,
                                   lambda text: click.echo(text, err=True))
    except (AnswerError, UsageError) as exc:
        _fail(f"offercoach: {exc}", EXIT_USAGE)
    except KnowledgeError as exc:
        _fail(str(exc), EXIT_KNOWLEDGE)
    except ConsultationStopped as exc:
        _fail(f"offercoach: {exc}", 0)
    except EOFError:
        _fail("\noffercoach: input ended before the consultation finished; nothing was decided. "
              "Use --no-input to take unanswered questions as unknown.", EXIT_USAGE)
    except KeyboardInterrupt:
        _fail("\noffercoach: interrupted; nothing was decided.", EXIT_INTERRUPTED)
    if any(a.given == "answered" for a in outcome.trace.asked):
        click.echo("", err=True)  # a blank line between the dialogue and the advice
    click.echo(render(kb, outcome, fmt), nl=False)


@main.group()
def rules() -> None:
    """Look after the knowledge base.

    \b
    Example:
      offercoach rules validate --knowledge default --knowledge ./my-rules
    """


@rules.command()
@knowledge_option
def validate(knowledge: tuple[str, ...]) -> None:
    """Check the knowledge files; print one 'path:line:col: message' line per problem.

    \b
    Example:
      offercoach rules validate --knowledge ./my-rules
    """
    kb = _load(knowledge)
    click.echo(f"ok: {len(kb.rules)} rules, {len(kb.questions)} questions, "
               f"{len(kb.recommendations)} recommendations, {len(kb.verdicts)} verdicts "
               f"in {len(kb.files)} files")


@rules.command(name="test")
@knowledge_option
def test_scenarios(knowledge: tuple[str, ...]) -> None:
    """Run the knowledge base's scenario files (scenarios/*.yaml in each layer).

    \b
    Example:
      offercoach rules test --knowledge default --knowledge ./my-rules
    """
    from .engine.errors import KnowledgeError
    from .engine.scenarios import read_scenarios, run_scenario, scenario_files

    kb = _load(knowledge)
    passed = failed = 0
    try:
        for path in scenario_files(_layers(knowledge)):
            for scenario in read_scenarios(path):
                failures = run_scenario(kb, scenario)
                click.echo(f"{'FAIL' if failures else 'ok  '}  {scenario.where}: {scenario.name}")
                for failure in failures:
                    click.echo(f"      {failure}")
                passed, failed = passed + (not failures), failed + bool(failures)
    except KnowledgeError as exc:
        _fail(str(exc), EXIT_KNOWLEDGE)
    if not passed + failed:
        click.echo("offercoach: no scenarios found; write them in a 'scenarios' folder of a knowledge "
                   "directory", err=True)
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(EXIT_KNOWLEDGE if failed or not passed else 0)
