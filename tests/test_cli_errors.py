"""The command line's last corners: input or output failing, a transcript that cannot be saved, a bug in offercoach."""

import errno
import io
import sys

import pytest
from knowledge_bases import QUESTION_1

from offercoach import cli
from offercoach.cli import main
from offercoach.engine import inspection, transcript


class FailingInput(io.RawIOBase):
    """Standard input that gives `lines`, then fails as a terminal that went away does."""

    def __init__(self, *lines: str) -> None:
        self.pending = [line.encode() for line in lines]

    def readable(self):
        return True

    def readinto(self, buffer):
        if not len(buffer):
            return 0
        if not self.pending:
            raise OSError(errno.EIO, "Input/output error")
        data = self.pending.pop(0)
        buffer[:len(data)] = data
        return len(data)


def test_input_that_fails_stops_the_consultation_with_its_own_message(runner, tiny_kb):
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb)], input=FailingInput())
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == QUESTION_1 + "\noffercoach: input or output failed (Input/output error); nothing was decided.\n"


def test_input_that_fails_under_save_says_the_answers_so_far_are_kept(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb), "--save", str(saved)], input=FailingInput("a\n"))
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"agency> \noffercoach: input or output failed (Input/output error); your answers are saved in {saved}. "
        f"Continue with: offercoach consult --resume {saved}\n")
    assert '"situation": "a"' in saved.read_text()


def test_a_transcript_that_cannot_be_written_says_so(runner, tiny_kb, tmp_path, monkeypatch):
    def full_disk(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(transcript, "write_atomic", full_disk)
    saved = tmp_path / "advice.json"
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb), "--save", str(saved), "--answer", "situation=b",
                                  "--no-input"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: cannot save the transcript to {saved}: No space left on device\n"


@pytest.fixture
def broken_listing(monkeypatch):
    """`offercoach rules list` with a bug in it."""
    def listing(kb, fmt):
        raise RuntimeError("boom")
    monkeypatch.setattr(inspection, "listing", listing)
    monkeypatch.setattr(sys, "argv", ["offercoach", "rules", "list"])


def test_an_unexpected_error_is_one_line_saying_how_to_report_it(broken_listing, monkeypatch, capsys):
    monkeypatch.delenv("OFFERCOACH_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 70
    assert capsys.readouterr() == ("", ("offercoach: internal error: RuntimeError: boom; please report it with the "
                                        "command you ran. Set OFFERCOACH_DEBUG=1 to see the details.\n"))


def test_offercoach_debug_shows_the_traceback_of_an_unexpected_error(broken_listing, monkeypatch, capsys):
    monkeypatch.setenv("OFFERCOACH_DEBUG", "1")
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 70
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith('    raise RuntimeError("boom")\nRuntimeError: boom\n'
                        "offercoach: internal error: RuntimeError: boom; please report it with the command you ran "
                        "and the details above.\n")
