"""Knowledge the tests share: a tiny knowledge base to write into a folder, and the built-in one, loaded once.

Test modules import this module by name (pytest puts tests/ on the path), never conftest.
"""

import textwrap
from functools import cache
from pathlib import Path

from offercoach.engine.knowledge import KnowledgeBase
from offercoach.engine.load import load_knowledge

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


# How a consultation of TINY_KB (and of the test knowledge that shares its first question) asks it.
QUESTION_1 = """
Question 1: Where are you?
  Pick one.
  1. a        A case
  2. b        B case
  3. unknown  I don't know, or I'd rather not say
Type a number or a value; 'why', 'help', 'back' and 'quit' also work.
situation> """

@cache
def built_in() -> KnowledgeBase:
    """The built-in knowledge, loaded the first time a test asks for it and then shared: never change it."""
    return load_knowledge(["default"])


def write_knowledge(directory: Path, text: str) -> Path:
    """`directory` holding `text` as its one knowledge file, kb.yaml."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kb.yaml").write_text(textwrap.dedent(text))
    return directory


def knowledge_from(directory: Path, text: str) -> KnowledgeBase:
    """The knowledge base written as `text` into `directory`, loaded and checked."""
    return load_knowledge([str(write_knowledge(directory, text))])
