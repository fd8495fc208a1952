"""Shared fixtures: a tiny knowledge base for engine tests, and the command-line runner."""

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

# experta needs offercoach's compatibility shim before any test module imports it.
import offercoach.engine.experta_compat  # noqa: F401

TINY_KB = textwrap.dedent("""\
    sections:
      - {id: s1, title: Section one, summary: Something.}
    questions:
      - id: situation
        prompt: Where are you?
        help: Pick one.
        values: {a: A case, b: B case}
      - id: agency
        prompt: Agency?
        help: Via an agency.
        values: {yes: Yes, no: No}
      - id: genuine
        prompt: Genuine?
        help: Real trouble.
        values: {yes: Yes, no: No}
    facts:
      - {id: committed, meaning: You made a promise.}
      - {id: risky, meaning: Word spreads.}
    rules:
      - id: promise
        title: Accepting is a promise
        when: [{answer: situation, is: a}]
        then: {conclude: [committed]}
        sources: [s1]
        rationale: A promise was made.
      - id: agency-word-spreads
        title: Word spreads
        when: [{fact: committed}, {answer: agency, is: yes}]
        then: {conclude: [risky], recommend: [careful]}
        sources: [s1]
        rationale: Agencies talk.
      - id: keep-word
        title: Keep your word
        when: [{fact: committed}, {not: {answer: genuine, is: yes}}]
        then: {verdict: honour}
        sources: [s1]
        rationale: Without a real reason, stay.
      - id: back-out
        title: Back out
        when: [{fact: committed}, {answer: genuine, is: yes}]
        then: {verdict: out}
        sources: [s1]
        rationale: A real reason justifies leaving.
      - id: b-case
        title: B
        when: [{answer: situation, one_of: [b, unknown]}]
        then: {verdict: honour}
        sources: [s1]
        rationale: Nothing to undo.
    recommendations:
      - {id: careful, title: Careful, advice: Be careful., sources: [s1]}
    verdicts:
      - {id: out, title: Out, summary: Go., priority: 2}
      - {id: honour, title: Honour, summary: Stay., priority: 1}
    """)


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    """A directory holding a small valid knowledge base in one file, kb.yaml."""
    directory = tmp_path / "kb"
    directory.mkdir()
    (directory / "kb.yaml").write_text(TINY_KB)
    return directory


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
