"""offercoach's command line: one function per command; engine/ does the work and the wording."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .engine.formats import FORMATS

if TYPE_CHECKING:  # types only: each command imports the engine modules it needs when it runs
    from .engine.knowledge import KnowledgeBase
    from .engine.trace import Trace

EXIT_KNOWLEDGE = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: offercoach itself failed
EXIT_INTERRUPTED = 130
DEBUG_VARIABLE = "OFFERCOACH_DEBUG"


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _layers(knowledge: tuple[str, ...]) -> list[str]:
    """The knowledge layers: --knowledge options, else OFFERCOACH_KNOWLEDGE, else the built-in one."""
    if knowledge:
        return list(knowledge)
    from_env = [p for p in os.environ.get("OFFERCOACH_KNOWLEDGE", "").split(":") if p]
    return from_env or ["default"]


@contextlib.contextmanager
def _exit_codes() -> Iterator[None]:
    """Turn the engine's errors into one message on stderr and the contract's exit code."""
    from .engine.errors import AnswerError, InferenceError, KnowledgeError, UsageError

    try:
        yield
    except (AnswerError, UsageError) as exc:
        _fail(f"offercoach: {exc}", EXIT_USAGE)
    except KnowledgeError as exc:  # its lines already start with the file they name
        _fail(str(exc), EXIT_KNOWLEDGE)
    except InferenceError as exc:  # also NoVerdictError: the knowledge reaches no verdict for the answers
        _fail(f"offercoach: {exc}", EXIT_KNOWLEDGE)


@contextlib.contextmanager
def _consultation_stops(save: str | None) -> Iterator[None]:
    """End a consultation that stops early (quit, end of input, Ctrl-C, failed input or output) with one message."""
    from .engine import dialogue
    from .engine.errors import ConsultationStopped

    try:
        yield
    except OSError as exc:  # reading the answers or writing the questions; a failed save is a UsageError
        _fail(dialogue.io_failed(exc.strerror or str(exc), save), EXIT_USAGE)
    except ConsultationStopped:
        _fail(dialogue.quit_message(save), 0)
    except EOFError:
        _fail(dialogue.input_ended(save), EXIT_USAGE)
    except KeyboardInterrupt:
        _fail(dialogue.interrupted(save), EXIT_INTERRUPTED)


def _load(knowledge: tuple[str, ...]) -> KnowledgeBase:
    from .engine.load import load_knowledge

    with _exit_codes():
        return load_knowledge(_layers(knowledge))


def _save(path: str, text: str) -> None:
    """Write the transcript to `path`; failing to is a UsageError that says so."""
    from .engine.transcript import cannot_save, write_atomic

    try:
        write_atomic(path, text)
    except OSError as exc:
        raise cannot_save(path, exc.strerror or str(exc)) from None


MAX_ANSWER_LINE = 4096  # longer lines are cut here and the rest discarded, bounding memory


def _ask_line(prompt: str) -> str:
    from .engine.text import ECHOED, shorten

    click.echo(prompt, nl=False, err=True)
    line = sys.stdin.readline(MAX_ANSWER_LINE)
    if not line:
        raise EOFError
    if not line.endswith("\n") and len(line) == MAX_ANSWER_LINE:
        while (rest := sys.stdin.readline(MAX_ANSWER_LINE)) and not rest.endswith("\n"):
            pass
    answer = line.rstrip("\r\n")
    if not sys.stdin.isatty():  # show piped answers, so the dialogue reads as it would on a terminal
        click.echo(shorten(answer, ECHOED), err=True)
    return answer


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
@click.option("--answers", "answers_file", metavar="FILE",
              help="YAML or JSON mapping of question id to value.")
@click.option("--answer", "answer_options", multiple=True, metavar="ID=VALUE",
              help="Give one answer; repeatable.")
@click.option("--no-input", is_flag=True,
              help="Never prompt; questions without an answer are taken as unknown.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("--save", metavar="FILE", help="Save the transcript to FILE after every answer.")
@click.option("--resume", metavar="FILE",
              help="Continue the consultation saved in FILE (and keep saving there).")
@click.option("--explain", "with_how", is_flag=True, help="Append how the verdict was reached.")
def consult(knowledge: tuple[str, ...], answers_file: str | None, answer_options: tuple[str, ...],
            no_input: bool, fmt: str, save: str | None, resume: str | None, with_how: bool) -> None:
    """Run a consultation: answer the questions, get a verdict and recommendations.

    Questions are asked on the terminal only when a rule needs the answer; at
    any question type 'why', 'help', 'back' or 'quit'.

    \b
    Example:
      offercoach consult --answers my-answers.yaml --answer via_agency=yes --no-input --format json
      offercoach consult --save advice.json      (later: offercoach consult --resume advice.json)
    """
    from .engine.answers import parse_answer_option, read_answers_file
    from .engine.consult import consult as run_consultation
    from .engine.consult import not_needed
    from .engine.explanations import verdict_how
    from .engine.results import render, unfinished_document
    from .engine.text import to_json
    from .engine.transcript import check_folder, prepare_resume, read_transcript, resuming

    kb = _load(knowledge)
    save = save or resume
    if save:
        with _exit_codes():
            check_folder(save)

    # Answers given beforehand: the resumed transcript's unused ones, then the file's, then --answer's.
    given: dict[str, Any] = {}

    def save_progress(trace: Trace, answers: dict[str, str]) -> None:
        if save:  # the consultation has checked every given answer before the first one is saved
            document = unfinished_document(kb, trace, answers, not_needed(kb, given, answers))
            _save(save, to_json(document))

    with _exit_codes(), _consultation_stops(save):
        replay: list[tuple[str, str]] = []
        if resume:
            replay, given, notes = prepare_resume(read_transcript(resume), kb, resume)
            for note in [*notes, resuming(resume, replay)]:
                click.echo(note, err=True)
        given.update(read_answers_file(answers_file) if answers_file else {})
        given.update(parse_answer_option(text) for text in answer_options)
        outcome = run_consultation(kb, given, None if no_input else _ask_line,
                                   lambda text: click.echo(text, err=True), replay, save_progress)
        if save:
            _save(save, render(kb, outcome, "json"))
    if any(a.given == "answered" for a in outcome.trace.asked):
        click.echo("", err=True)  # a blank line between the dialogue and the advice
    click.echo(render(kb, outcome, fmt), nl=False)
    if with_how and fmt != "json":
        click.echo("\n" + verdict_how(kb, outcome, markdown=fmt == "markdown"), nl=False)


@main.command()
@click.argument("transcript", metavar="TRANSCRIPT")
@knowledge_option
@click.option("--verdict", "of_verdict", is_flag=True, help="How the verdict was reached (the default).")
@click.option("--recommendation", metavar="ID", help="How a recommendation was reached.")
@click.option("--rule", "rule_id", metavar="ID", help="Whether, when and on what a rule fired.")
@click.option("--why-not", "why_not_id", metavar="RULE_ID", help="Why a rule did not fire.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
def explain(transcript: str, knowledge: tuple[str, ...], of_verdict: bool, recommendation: str | None,
            rule_id: str | None, why_not_id: str | None, fmt: str) -> None:
    """Explain a saved consultation: HOW a conclusion was reached, or WHY NOT a rule fired.

    TRANSCRIPT is a file written by 'consult --save' or 'consult --format json'.

    \b
    Example:
      offercoach consult --answers mine.yaml --no-input --format json > advice.json
      offercoach explain advice.json --recommendation protect-your-reputation
      offercoach explain advice.json --why-not withdraw-with-a-full-explanation
    """
    from .engine.explanations import explanation, one_asked
    from .engine.transcript import as_recorded, read_transcript

    with _exit_codes():
        one_asked(of_verdict, recommendation, rule_id, why_not_id)
    kb = _load(knowledge)
    with _exit_codes():  # re-running the answers on changed knowledge can also reach no verdict
        doc = read_transcript(transcript)
        notes: list[str] = []
        outcome = as_recorded(doc, kb, transcript)
        if outcome is None:  # the knowledge changed; only running the answers again needs experta
            from .engine.consult import rerun

            outcome, notes = rerun(doc, kb, transcript)
        text = explanation(kb, outcome, fmt, recommendation=recommendation, rule=rule_id, why_not=why_not_id)
    for note in notes:
        click.echo(note, err=True)
    click.echo(text, nl=False)


@main.group()
def rules() -> None:
    """Look after the knowledge base.

    \b
    Example:
      offercoach rules validate --knowledge default --knowledge ./my-rules
    """


@rules.command()
@knowledge_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def validate(knowledge: tuple[str, ...], fmt: str) -> None:
    """Check the knowledge files; print one 'path:line:col: severity: message' line per problem.

    Errors make the knowledge unusable (exit 1); warnings alone exit 0.

    \b
    Example:
      offercoach rules validate --knowledge default --knowledge ./my-rules
    """
    from .engine.check import problems_json, validated, warnings
    from .engine.errors import KnowledgeError
    from .engine.load import load_knowledge

    try:
        kb = load_knowledge(_layers(knowledge))
        problems = warnings(kb)
        summary = validated(kb, len(problems))
    except KnowledgeError as exc:
        problems, summary = exc.problems, ""
    if fmt == "json":
        click.echo(problems_json(problems))
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        if summary:
            click.echo(summary)
    sys.exit(EXIT_KNOWLEDGE if any(p.severity == "error" for p in problems) else 0)


@rules.command(name="test")
@knowledge_option
@click.option("--coverage", is_flag=True,
              help="Also list the rules, recommendations and verdicts no scenario reaches.")
def test_scenarios(knowledge: tuple[str, ...], coverage: bool) -> None:
    """Run the knowledge base's scenario files (scenarios/*.yaml in each layer).

    The last line is 'N passed, N failed'; any failure, or an invalid
    knowledge base or scenario file, exits 1.

    \b
    Example:
      offercoach rules test --knowledge default --knowledge ./my-rules --coverage
    """
    from .engine.scenarios import (
        NO_SCENARIOS,
        progress,
        read_scenarios,
        run_scenario,
        scenario_files,
        scenario_report,
        uncovered,
    )

    kb = _load(knowledge)
    with _exit_codes():
        scenarios = [s for path in scenario_files(_layers(knowledge)) for s in read_scenarios(path, kb)]
    show_progress = sys.stderr.isatty() and len(scenarios) > 20
    results = []
    for n, scenario in enumerate(scenarios, 1):
        if show_progress:
            click.echo(progress(n, len(scenarios)), nl=False, err=True)
        results.append(run_scenario(kb, scenario))
    if show_progress:
        click.echo("", err=True)
    click.echo(scenario_report(results, uncovered(kb, results) if coverage else None), nl=False)
    if not scenarios:
        click.echo(NO_SCENARIOS, err=True)
    good = all(r.status in ("passed", "gap") for r in results)
    sys.exit(0 if good and scenarios else EXIT_KNOWLEDGE)


@rules.command(name="list")
@knowledge_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def list_rules(knowledge: tuple[str, ...], fmt: str) -> None:
    """List the rules: id, title, sources, salience, where written and layer.

    \b
    Example:
      offercoach rules list --knowledge default --knowledge ./my-rules
    """
    from .engine.inspection import listing

    click.echo(listing(_load(knowledge), fmt))


@rules.command()
@click.argument("item_id", metavar="ID")
@knowledge_option
def show(item_id: str, knowledge: tuple[str, ...]) -> None:
    """Show a rule, question, fact, recommendation or verdict: as written, where, and what it means.

    \b
    Example:
      offercoach rules show agency-word-spreads
    """
    from .engine.inspection import show as shown

    kb = _load(knowledge)
    with _exit_codes():
        text = shown(kb, item_id)
    click.echo(text, nl=False)


@rules.command()
@knowledge_option
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True,
              help="Mermaid (renders in Markdown viewers) or Graphviz DOT.")
def graph(knowledge: tuple[str, ...], fmt: str) -> None:
    """Draw questions -> rules -> facts -> recommendations and verdicts.

    \b
    Example:
      offercoach rules graph --format dot | dot -Tsvg > rules.svg
    """
    from .engine import graph as graphs

    kb = _load(knowledge)
    click.echo(graphs.dot(kb) if fmt == "dot" else graphs.mermaid(kb), nl=False)


def _internal_error(exc: Exception) -> NoReturn:
    """An error offercoach did not expect: one line saying how to report it, the traceback on request."""
    # Worded here rather than in engine/, so that it works even when the engine itself cannot be imported.
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        traceback.print_exception(exc)
        _fail(f"offercoach: internal error: {what}; please report it with the command you ran and the "
              "details above.", EXIT_INTERNAL)
    _fail(f"offercoach: internal error: {what}; please report it with the command you ran. "
          f"Set {DEBUG_VARIABLE}=1 to see the details.", EXIT_INTERNAL)


def run() -> None:
    """The console script: Click's handling, except that Ctrl-C anywhere exits 130 with one line,
    and an error offercoach did not expect exits 70 with one line saying how to report it."""
    try:
        code = main.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, click.Abort):
        from .engine.dialogue import interrupted_elsewhere

        _fail(interrupted_elsewhere(), EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001  # the last resort: the errors offercoach expects are handled before
        _internal_error(exc)
    sys.exit(code if isinstance(code, int) else 0)
