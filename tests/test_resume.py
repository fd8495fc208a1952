"""Resuming a saved consultation on knowledge that changed since: the notes, whole, then the consultation goes on."""

import json

import pytest

from offercoach.cli import main


@pytest.fixture
def stopped(runner, tiny_kb, tmp_path):
    """A consultation of the tiny knowledge saved after situation=a and agency=no, stopped at 'genuine'."""
    path = tmp_path / "t.json"
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb), "--save", str(path)], input="a\nno\nquit\n")
    assert result.exit_code == 0, result.output
    return path


def test_resuming_with_another_layer_says_the_layers_changed(runner, tiny_kb, tmp_path, stopped):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "more.yaml").write_text("sections:\n  - {id: s2, title: Two, summary: Two.}\n")
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb), "-k", str(extra), "--resume", str(stopped)],
                           input="no\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"Note: the knowledge has changed since {stopped} was saved (layers {tiny_kb} (now {tiny_kb}, {extra})); "
        "its answers are run again on the current knowledge.\n"
        f"Resuming {stopped}: situation=a, agency=no. Type 'back' at a question to change the previous answer.\n"
        "\nQuestion 3: Genuine?\n")


def test_resuming_drops_an_answer_the_knowledge_no_longer_allows_and_asks_it_again(runner, tiny_kb, stopped):
    kb_file = tiny_kb / "kb.yaml"
    old, new = "help: Via an agency.\n    values: {yes: Yes, no: No}", "help: Via an agency.\n    values: {yes: Yes, never: Never}"
    assert old in kb_file.read_text()
    kb_file.write_text(kb_file.read_text().replace(old, new))
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb), "--resume", str(stopped)], input="never\nno\n")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        f"Note: the knowledge has changed since {stopped} was saved ({kb_file}); "
        "its answers are run again on the current knowledge.\n"
        "Note: the saved answer agency=no no longer fits the knowledge ('no' is not an allowed answer to 'agency'; "
        "allowed: yes, never, unknown); it will be asked again if needed.\n"
        f"Resuming {stopped}: situation=a. Type 'back' at a question to change the previous answer.\n"
        "\nQuestion 2: Agency?\n")
    assert json.loads(stopped.read_text())["answers"] == {"situation": "a", "agency": "never", "genuine": "no"}
