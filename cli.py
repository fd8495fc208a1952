"""offercoach's command line: one function per command; engine/ does the work and the wording."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .engine.formats import FORMATS, PATH_FORMATS

if TYPE_CHECKING:  # types only: each command imports the engine modules it needs when it runs
    from .engine.knowledge import KnowledgeBase
    from .engine.trace import Trace

EXIT_KNOWLEDGE = 1
EXIT_USAGE = 2  # also input or output that fails, or a transcript that cannot be saved
EXIT_STOPPED = 3  # the person typed 'quit': nothing was decided
EXIT_INTERNAL = 70  # EX_SOFTWARE: offercoach itself failed
EXIT_INTERRUPTED = 130
DEBUG_VARIABLE = "OFFERCOACH_DEBUG"
OUTPUT_CLOSED = "offercoach: cannot write the output: standard output is closed"


def _fail(message: str, code: int) -> NoReturn:
    try:
        click.echo(message, err=True)
    except OSError:  # standard error is gone too: the exit code is all that is left to say it
        _to_null(2)
    sys.exit(code)


def _to_null(fd: int) -> None:
    """Point the failed stream `fd` at /dev/null, so that nothing fails again when Python flushes it at exit."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), fd)


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
        _fail(dialogue.quit_message(save), EXIT_STOPPED)
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


def _complete_ids(*tables: str) -> Any:
    """A shell_complete callback: the ids in the knowledge's `tables` ('rules', ...) that start with what is
    typed, each with its title. Completing never prints: knowledge that does not load completes nothing."""
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                from .engine.load import load_knowledge

                kb = load_knowledge(_layers(tuple(ctx.params.get("knowledge") or ())))
        except Exception:  # noqa: BLE001  # a completion must never fail nor print: it offers nothing instead
            return []
        items = {item_id: getattr(item, "title", None) or getattr(item, "meaning", None)
                 for table in tables for item_id, item in getattr(kb, table).items()}
        return [CompletionItem(item_id, help=title) for item_id, title in sorted(items.items())
                if item_id.startswith(incomplete)]
    return complete


def _complete_path(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """A shell_complete callback: the shell completes a file path."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


ITEM_TABLES = ("rules", "questions", "facts", "recommendations", "verdicts", "sections")

knowledge_option = click.option(
    "--knowledge", "-k", multiple=True, metavar="DIR",
    help="Knowledge directory; repeat to layer ('default' is the built-in one).")


def _columns(stream: Any) -> int | None:
    """The width of the terminal `stream` shows on (COLUMNS if set), or None if it is not a terminal."""
    try:
        if not stream.isatty():
            return None
        columns = os.environ.get("COLUMNS", "")
        return int(columns) if columns.isdigit() and int(columns) else os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None


@contextlib.contextmanager
def _wrapping_for(stream: Any) -> Iterator[None]:
    """Wrap text to the terminal `stream` shows on, at most 88 columns; output that is not a terminal at 88."""
    columns = _columns(stream)
    if columns is None:  # piped output is the same wherever it is made; the engine is not even imported here
        yield
        return
    from .engine.text import wrapping_at

    with wrapping_at(columns):
        yield


def _broken_pipe() -> NoReturn:
    """The reader of the output has gone (`offercoach ... | head -1`): end as Unix tools do, by SIGPIPE."""
    import signal

    _to_null(1)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGPIPE)
    os._exit(128 + signal.SIGPIPE)  # not reached: the signal ends the process first


class _OutputFailed(OSError):
    """Writing to standard output failed (a full disk, a closed or failing device)."""


class _Output(io.RawIOBase):
    """Standard output's file descriptor, whose failures are known as such: _OutputFailed (or BrokenPipeError)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def write(self, data: Any) -> int:
        try:
            return os.write(self.fd, data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _OutputFailed(exc.errno, exc.strerror) from None


COLOR_CHOICES = ("auto", "always", "never")
PAGER_VARIABLE = "OFFERCOACH_PAGER"
DEFAULT_PAGER = "less -FRX"


def _colour_on(choice: str, stream: Any) -> bool:
    """Emphasis for `stream`: always, never, or (auto) on a terminal unless NO_COLOR is set and not empty."""
    if choice != "auto":
        return choice == "always"
    return not os.environ.get("NO_COLOR") and _columns(stream) is not None


@contextlib.contextmanager
def _styling_for(choice: str, stream: Any) -> Iterator[None]:
    if not _colour_on(choice, stream):  # plain text: the engine is not even imported here
        yield
        return
    from .engine.text import styling

    with styling(True):
        yield


def _pager_command() -> list[str]:
    """The pager, as git finds its own: OFFERCOACH_PAGER, else PAGER, else 'less -FRX'; [] if set empty."""
    import shlex

    for variable in (PAGER_VARIABLE, "PAGER"):
        if variable in os.environ:
            try:
                return shlex.split(os.environ[variable])
            except ValueError:
                return []
    return shlex.split(DEFAULT_PAGER)


def _terminal_lines(stream: Any) -> int | None:
    """The height of the terminal `stream` shows on (LINES if set), or None if it is not a terminal."""
    if _columns(stream) is None:
        return None
    lines = os.environ.get("LINES", "")
    try:
        return int(lines) if lines.isdigit() and int(lines) else os.get_terminal_size(stream.fileno()).lines
    except (AttributeError, OSError, ValueError):
        return None


def _show(text: str) -> None:
    """Print `text` to standard output; through the pager if it is a terminal that `text` would overflow (and
    paging is not turned off with --no-pager or an empty OFFERCOACH_PAGER). Piped output is never paged."""
    height = _terminal_lines(sys.stdout)
    paging = not click.get_current_context().find_root().params.get("no_pager")
    command = _pager_command() if paging and height is not None and text.count("\n") >= height else []
    if command:  # only then: importing these would slow every command whose output is piped
        import shutil
        import subprocess
    if not command or shutil.which(command[0]) is None:
        click.echo(text, nl=False, color=True)  # the escapes left in are emphasis, asked for
        return
    sys.stdout.flush()
    environment = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}  # as git sets it for less
    try:
        pager = subprocess.Popen(command, stdin=subprocess.PIPE, env=environment)
    except OSError:
        click.echo(text, nl=False, color=True)  # the escapes left in are emphasis, asked for
        return
    assert pager.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # the person quit the pager before the end: nothing is lost
        pager.stdin.write(text.encode(sys.stdout.encoding or "utf-8", "replace"))
    with contextlib.suppress(BrokenPipeError):
        pager.stdin.close()
    while True:
        try:
            pager.wait()
            return
        except KeyboardInterrupt:  # Ctrl-C is the pager's to handle, as with git
            continue


class _Offercoach(click.Group):
    """The command group, which ends offercoach cleanly when its output cannot be written."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:  # --help and --version print here
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            _broken_pipe()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _wrapping_for(sys.stdout), _styling_for(ctx.params.get("color") or "auto", sys.stdout):
                return super().invoke(ctx)
        except BrokenPipeError:
            _broken_pipe()
        except _OutputFailed as exc:
            _to_null(1)  # what could not be written is dropped, so that it does not fail again at exit
            _fail(f"offercoach: cannot write the output: {exc.strerror or exc}", EXIT_USAGE)


@click.group(cls=_Offercoach, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "-V", "--version", package_name="offercoach", prog_name="offercoach")
@click.option("--color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True,
              help="Emphasis and colour: auto is on a terminal only, unless NO_COLOR is set.")
@click.option("--no-pager", is_flag=True, help="Never page long output (nor with OFFERCOACH_PAGER=).")
def main(color: str, no_pager: bool) -> None:
    """Advice for going back on a job offer, with the reasons behind it.

    \b
    Example:
      offercoach consult
      offercoach consult --answer situation=weighing_offer --no-input
    """


@main.command()
@knowledge_option
@click.option("--answers", "answers_file", metavar="FILE", shell_complete=_complete_path,
              help="YAML or JSON mapping of question id to value.")
@click.option("--answer", "answer_options", multiple=True, metavar="ID=VALUE",
              help="Give one answer; repeatable.")
@click.option("--no-input", is_flag=True,
              help="Never prompt; questions without an answer are taken as unknown.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("--save", metavar="FILE", shell_complete=_complete_path, help="Save the transcript to FILE after every answer.")
@click.option("--resume", metavar="FILE", shell_complete=_complete_path,
              help="Continue the consultation saved in FILE (and keep saving there).")
@click.option("--explain", "with_how", is_flag=True, help="Append how the verdict was reached.")
def consult(knowledge: tuple[str, ...], answers_file: str | None, answer_options: tuple[str, ...],
            no_input: bool, fmt: str, save: str | None, resume: str | None, with_how: bool) -> None:
    """Run a consultation: answer the questions, get a verdict and recommendations.

    Questions are asked on the terminal only when a rule needs the answer; at
    any question type 'why', 'help', 'back' or 'quit'.

    \b
    Example:
      offercoach consult --answers mine.yaml --answer via_agency=yes --no-input
      offercoach consult --save advice.json
      offercoach consult --resume advice.json     (to go on later)
    """
    from .engine.answers import check_answer, parse_answer_option, read_answers_file
    from .engine.consult import consult as run_consultation
    from .engine.consult import not_needed
    from .engine.explanations import verdict_how
    from .engine.results import render, unfinished_document
    from .engine.text import printable_lines, to_json
    from .engine.trace import Trace
    from .engine.transcript import prepare_resume, read_transcript, resuming, saving

    kb = _load(knowledge)
    save = save or resume

    # Answers given beforehand: the resumed transcript's unused ones, then the file's, then --answer's.
    given: dict[str, Any] = {}

    def save_progress(trace: Trace, answers: dict[str, str]) -> None:
        if save:  # the consultation has checked every given answer before the first one is saved
            document = unfinished_document(kb, trace, answers, not_needed(kb, given, answers))
            _save(save, to_json(document))

    with contextlib.ExitStack() as held:
        if save:  # the transcript is this consultation's alone until it ends
            with _exit_codes():
                held.enter_context(saving(save, resuming=save == resume))
        with _exit_codes(), _consultation_stops(save), _wrapping_for(sys.stderr):
            replay: list[tuple[str, str]] = []
            if resume:
                replay, given, notes = prepare_resume(read_transcript(resume), kb, resume)
                for note in [*notes, resuming(resume, replay)]:
                    click.echo(printable_lines(note), err=True)
            given.update(read_answers_file(answers_file) if answers_file else {})
            given.update(parse_answer_option(text) for text in answer_options)
            if save and save != resume:  # a transcript to resume from the first question on, as promised at quit
                given = {question: check_answer(kb, question, value) for question, value in given.items()}
                save_progress(Trace(), {})
            outcome = run_consultation(kb, given, None if no_input else _ask_line,
                                       lambda text: click.echo(printable_lines(text), err=True), replay,
                                       save_progress)
            if save:
                _save(save, render(kb, outcome, "json"))
    if any(a.given == "answered" for a in outcome.trace.asked):
        click.echo("", err=True)  # a blank line between the dialogue and the advice
    result = render(kb, outcome, fmt)
    if with_how and fmt != "json":
        result += "\n" + verdict_how(kb, outcome, markdown=fmt == "markdown")
    _show(printable_lines(result))  # no control character from a file reaches it


@main.command()
@click.argument("transcript", metavar="TRANSCRIPT", shell_complete=_complete_path)
@knowledge_option
@click.option("--verdict", "of_verdict", is_flag=True, help="How the verdict was reached (the default).")
@click.option("--recommendation", metavar="ID", shell_complete=_complete_ids("recommendations"), help="How a recommendation was reached.")
@click.option("--rule", "rule_id", metavar="ID", shell_complete=_complete_ids("rules"), help="Whether, when and on what a rule fired.")
@click.option("--why-not", "why_not_id", metavar="RULE_ID", shell_complete=_complete_ids("rules"), help="Why a rule did not fire.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
def explain(transcript: str, knowledge: tuple[str, ...], of_verdict: bool, recommendation: str | None,
            rule_id: str | None, why_not_id: str | None, fmt: str) -> None:
    """Explain a saved consultation: HOW a conclusion was reached, or WHY NOT a rule fired.

    TRANSCRIPT is a file written by 'consult --save' or 'consult --format json'. It is explained with the
    knowledge it records (its layers; if their files changed since, its answers are run again on them, with a
    note), unless --knowledge names other knowledge.

    \b
    Example:
      offercoach consult --answers mine.yaml --no-input --save advice.json
      offercoach explain advice.json
      offercoach explain advice.json --recommendation protect-your-reputation
      offercoach explain advice.json --why-not withdraw-with-a-full-explanation
    """
    from .engine.explanations import explanation, one_asked
    from .engine.text import printable_lines
    from .engine.transcript import as_recorded, read_transcript, recorded_layers

    with _exit_codes():
        one_asked(of_verdict, recommendation, rule_id, why_not_id)
        doc = read_transcript(transcript)
        layers = knowledge or tuple(recorded_layers(doc, transcript))  # the knowledge it was made with
    kb = _load(layers)
    with _exit_codes():  # re-running the answers on changed knowledge can also reach no verdict
        notes: list[str] = []
        outcome = as_recorded(doc, kb, transcript)
        if outcome is None:  # the knowledge changed; only running the answers again needs experta
            from .engine.consult import rerun

            outcome, notes = rerun(doc, kb, transcript)
        text = explanation(kb, outcome, fmt, recommendation=recommendation, rule=rule_id, why_not=why_not_id)
    for note in notes:
        click.echo(printable_lines(note), err=True)
    _show(printable_lines(text))  # a transcript's values can hold control characters


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
    from .engine.paths import path_problems
    from .engine.scenarios import scenario_problems

    try:
        kb = load_knowledge(_layers(knowledge))
        problems = warnings(kb) + path_problems(kb) + scenario_problems(kb)
        errors = [p for p in problems if p.severity == "error"]
        summary = "" if errors else validated(kb, len(problems))
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
@click.argument("item_id", metavar="ID", shell_complete=_complete_ids(*ITEM_TABLES))
@knowledge_option
def show(item_id: str, knowledge: tuple[str, ...]) -> None:
    """Show a rule, question, fact, recommendation, verdict or section: as written, where, and what it means.

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


@rules.command()
@knowledge_option
@click.option("--format", "fmt", type=click.Choice(PATH_FORMATS), default="text", show_default=True,
              help="A table (text, markdown), JSON, or a Mermaid flowchart.")
@click.option("--limit", type=click.IntRange(min=1), default=5000, show_default=True, metavar="N",
              help="Stop after N consultations, saying so.")
def paths(knowledge: tuple[str, ...], fmt: str, limit: int) -> None:
    """List every consultation the knowledge allows: the answers, the verdict and the advice.

    Each question a consultation asks branches on each of its values,
    unknown included. Exits 1 if some answers reach no verdict.

    \b
    Example:
      offercoach rules paths --knowledge ./my-rules --format markdown
    """
    from .engine.paths import every_consultation, render

    kb = _load(knowledge)
    with _exit_codes():
        tree = every_consultation(kb, limit)
    click.echo(render(kb, tree, fmt), nl=False)
    sys.exit(EXIT_KNOWLEDGE if any(leaf.verdict is None for leaf in tree.leaves) else 0)


@rules.command()
@click.argument("directory", metavar="DIR")
def new(directory: str) -> None:
    """Start a knowledge base of your own in DIR: one of each item, commented, valid, with a scenario.

    \b
    Example:
      offercoach rules new ./my-rules && offercoach rules validate -k ./my-rules
    """
    from .engine.starter import made, new_knowledge

    with _exit_codes():
        written = new_knowledge(directory)
    click.echo(made(directory, written), nl=False)


@main.command()
@knowledge_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--edit", "edit_dir", metavar="DIR", help="Let a coach edit the knowledge files of DIR in the browser.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes serving requests.")
def serve(knowledge: tuple[str, ...], host: str, port: int, edit_dir: str | None, workers: int) -> None:
    """Serve the consultation page, the JSON API and, with --edit, the coach's workbench.

    Needs the web extra: pip install 'offercoach[web]'.

    \b
    Example:
      offercoach serve --port 8000
      offercoach serve --knowledge ./my-rules --edit ./my-rules
    """
    try:
        from .web.serve import run as serve_forever
    except ImportError as exc:
        _fail(f"offercoach: serve needs the web extra ({exc.name} is missing); "
              "install it with: pip install 'offercoach[web]'", EXIT_USAGE)
    with _exit_codes():
        serve_forever(_layers(knowledge), host, port, edit_dir, workers)


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


def _standard_streams() -> None:
    """Standard streams closed when offercoach starts: no input is the end of input, no output an error.

    Each closed one is opened on /dev/null first, so that no file offercoach opens takes its place.
    """
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115  # standard input, for the whole run
    elif isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8 are read as a wrong answer
        sys.stdin.reconfigure(errors="replace")
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        _fail(OUTPUT_CLOSED, EXIT_USAGE)
    if sys.stdout is sys.__stdout__ and isinstance(sys.stdout, io.TextIOWrapper):  # not when a test captures it
        out = sys.stdout
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_Output(out.fileno())), encoding=out.encoding,
                                      errors=out.errors, line_buffering=out.line_buffering)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def run() -> None:
    """The console script: Click's handling, except that Ctrl-C anywhere exits 130 with one line,
    and an error offercoach did not expect exits 70 with one line saying how to report it."""
    _standard_streams()
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
