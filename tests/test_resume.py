"""Resuming a saved consultation on knowledge that changed since: the notes, whole, then the consultation goes on."""

import json

import pytest

from offercoach.cli import main


@pytest.fixture
def stopped(runner, tiny_kb, tmp_path):
    """A consultation of the tiny knowledge saved after situation=a and agency=no, stopped at 'genuine'."""
    path = tmp_path / "t.json"
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb), "--save", str(path)], input="a\nno\nquit\n")
    assert result.exit_code == 3, result.output  # quit
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


@pytest.fixture
def finished(runner, tiny_kb, tmp_path):
    """A finished consultation of the tiny knowledge, saved as a transcript."""
    result = runner.invoke(main, ["consult", "-k", str(tiny_kb), "--answer", "situation=a", "--answer", "agency=yes",
                                  "--answer", "genuine=no", "--no-input", "--format", "json"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "t.json"
    path.write_text(result.stdout)
    return path


HOW_CAREFUL = """\
How offercoach reached the recommendation 'careful': Careful
  because rule agency-word-spreads (step 2): Word spreads
      Agencies talk.
      Sources: Section one (s1)
    using fact committed: You made a promise.
      because rule promise (step 1): Accepting is a promise
          A promise was made.
          Sources: Section one (s1)
        using your answer situation=a
    using your answer agency=yes
"""


def test_explain_uses_the_knowledge_the_transcript_records(runner, finished):
    # OFFERCOACH_KNOWLEDGE names the built-in knowledge, where the transcript's rule does not exist; only
    # --knowledge overrides what the transcript records.
    result = runner.invoke(main, ["explain", str(finished), "--recommendation", "careful"],
                           env={"OFFERCOACH_KNOWLEDGE": "default"})
    assert (result.exit_code, result.stderr, result.stdout) == (0, "", HOW_CAREFUL)


def test_explain_says_when_the_recorded_knowledge_changed_and_runs_the_answers_again(runner, tiny_kb, finished):
    kb_file = tiny_kb / "kb.yaml"
    kb_file.write_text(kb_file.read_text().replace("rationale: Agencies talk.", "rationale: Recruiters talk."))
    result = runner.invoke(main, ["explain", str(finished), "--recommendation", "careful"])
    assert result.exit_code == 0
    assert result.stderr == (f"Note: the knowledge has changed since {finished} was saved ({kb_file}); its answers "
                             "are run again on the current knowledge.\n")
    assert result.stdout == HOW_CAREFUL.replace("Agencies talk.", "Recruiters talk.")


def test_explain_names_a_recorded_layer_that_is_gone(runner, tiny_kb, finished):
    moved = tiny_kb.with_name("moved")
    tiny_kb.rename(moved)
    result = runner.invoke(main, ["explain", str(finished)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"offercoach: {finished} was made with the knowledge in {tiny_kb}, but the layer "
                             f"'{tiny_kb}' is gone: there is no directory {tiny_kb}; explain it where it was made, or "
                             "name the knowledge to explain it with (--knowledge DIR)\n")
    # --knowledge names the knowledge to use instead, and the note says it is not the recorded one.
    elsewhere = runner.invoke(main, ["explain", str(finished), "-k", str(moved), "--recommendation", "careful"])
    assert elsewhere.exit_code == 0
    assert elsewhere.stderr == (f"Note: the knowledge has changed since {finished} was saved (layers {tiny_kb} (now "
                                f"{moved})); its answers are run again on the current knowledge.\n")
    assert elsewhere.stdout == HOW_CAREFUL
