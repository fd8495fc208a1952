"""Every consultation a knowledge base allows: each question asked branches on each of its values.

Consultations are goal-directed, so the tree is usually small. It is walked with one engine session, marked
at each question and rewound to it for the next value, which gives the firings a fresh replay would give
(tests/test_paths.py compares them) at a fraction of the cost.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from collections.abc import Hashable
from dataclasses import field
from typing import Any

from tabulate import tabulate

from .consult import Mark, Session, waiting_rules
from .errors import NoVerdictError, Problem
from .knowledge import AnswerIn, KnowledgeBase, layer_dirs, walk
from .records import record
from .text import answers_phrase

DEFAULT_LIMIT = 5000  # leaves; the built-in knowledge has about 1,600
VALIDATE_LIMIT = 20_000  # leaves 'rules validate' walks before it says it stopped short (about 15 s)


@record
class Leaf:
    """One whole consultation: the answers in the order asked, and where they lead (None: no verdict)."""

    answers: list[tuple[str, str]]
    verdict: str | None
    recommendations: list[str]


@record
class Tree:
    """The consultations found, and whether the walk stopped at its limit before finding them all."""

    leaves: list[Leaf] = field(default_factory=list)
    complete: bool = True

    def counts(self) -> Counter[str]:
        return Counter(leaf.verdict or "(no verdict)" for leaf in self.leaves)


@record
class _Branch:
    mark: Mark
    question: str
    waiting: list[str]
    values: list[str]  # still to try
    state: Hashable  # what decides everything after this question (see _state)
    first_leaf: int  # where this question's subtree starts in the leaves found


def _tests(kb: KnowledgeBase) -> dict[str, list[frozenset[str]]]:
    """For each question, the value sets every rule condition over it tests membership in."""
    found: dict[str, list[frozenset[str]]] = {}
    for rule in kb.rules.values():
        for cond in walk(rule.when):
            if isinstance(cond, AnswerIn):
                found.setdefault(cond.question, []).append(frozenset(cond.values))
    return found


def _state(session: Session, tests: dict[str, list[frozenset[str]]]) -> Hashable:
    """What decides the rest of a consultation: the facts and the agenda, each answer seen only as the rules see it.

    Rules test an answer only for membership in the value lists of their conditions, so two values that fall
    in the same lists everywhere match the same rules, now and later. Two consultations whose states are equal
    ask the same questions from here on and reach the same verdict and advice: the walk explores one and
    reuses its leaves for the other (tests/test_paths.py compares the result with a replay of every path).
    """
    def shown(fact: Any) -> tuple[str, Hashable]:
        kind = type(fact).__name__
        if kind.startswith("answer:"):
            value = fact["value"]
            return kind, tuple(value in values for values in tests.get(kind.removeprefix("answer:"), ()))
        return kind, frozenset((k, v) for k, v in fact.items() if k != "__factid__")

    facts = frozenset(shown(f) for f in session.engine.facts.values())
    agenda = tuple((act.rule.__name__, frozenset(shown(f) for f in act.facts))
                   for act in session.engine.agenda.activations)
    return facts, agenda, session.verdict


def every_consultation(kb: KnowledgeBase, limit: int = DEFAULT_LIMIT) -> Tree:
    """Walk the tree of consultations depth first, in the order questions and values are written."""
    tree = Tree()
    session = Session(kb)
    tests = _tests(kb)
    seen: dict[Hashable, list[Leaf]] = {}  # a state's subtree, as the answers after it and where they lead
    stack: list[_Branch] = []
    while len(tree.leaves) < limit:
        try:
            question = session.next_question()
        except NoVerdictError:
            tree.leaves.append(Leaf(list(session.answers.items()), None, []))
            question = None
        else:
            if question is None:
                outcome = session.outcome()
                tree.leaves.append(Leaf(list(outcome.answers.items()), outcome.verdict,
                                        [r for r, _ in outcome.recommendations]))
        if question is not None:
            state = _state(session, tests)
            if state in seen:
                before = list(session.answers.items())
                tree.leaves += [Leaf(before + leaf.answers, leaf.verdict, leaf.recommendations)
                                for leaf in seen[state]]
            else:
                stack.append(_Branch(session.mark(), question, waiting_rules(kb, session.engine, question),
                                     list(kb.questions[question].allowed), state, len(tree.leaves)))
        # Take the next value of the deepest question that has one left; a question done is remembered.
        while stack and not stack[-1].values:
            done = stack.pop()
            depth = len(done.mark.answers)
            seen[done.state] = [Leaf(leaf.answers[depth:], leaf.verdict, leaf.recommendations)
                                for leaf in tree.leaves[done.first_leaf:]]
        if not stack:
            break
        branch = stack[-1]
        session.rewind(branch.mark)
        session.answer(branch.question, branch.values.pop(0), "from answers", branch.waiting)
    if len(tree.leaves) >= limit:
        tree.complete = len(tree.leaves) == limit and not stack
        del tree.leaves[limit:]
    return tree


def idle_questions(tree: Tree) -> list[tuple[tuple[tuple[str, str], ...], str]]:
    """Questions asked where no answer to them changes anything after: (the answers before, the question)."""
    futures: dict[tuple[tuple[tuple[str, str], ...], str], dict[str, set[tuple[object, ...]]]] = {}
    for leaf in tree.leaves:
        for k, (question, value) in enumerate(leaf.answers):
            after = (tuple(leaf.answers[k + 1:]), leaf.verdict, tuple(leaf.recommendations))
            futures.setdefault((tuple(leaf.answers[:k]), question), {}).setdefault(value, set()).add(after)
    return [node for node, by_value in futures.items()
            if len(by_value) > 1 and all(f == next(iter(by_value.values())) for f in by_value.values())]


def path_problems(kb: KnowledgeBase, limit: int = VALIDATE_LIMIT) -> list[Problem]:
    """What walking every consultation proves wrong: answers that reach no verdict, questions that change nothing."""
    tree = every_consultation(kb, limit)
    where = str(layer_dirs(kb.layers)[-1])
    problems = [Problem(where, 0, 0, f"the answers {answers_phrase(leaf.answers) or '(none)'} reach no verdict: "
                                     "no rule proposes one, so a user who gives them is left without advice")
                for leaf in tree.leaves if leaf.verdict is None]
    seen: set[str] = set()
    for before, question in idle_questions(tree):
        if question not in seen:  # once per question: the first place it is asked in vain
            seen.add(question)
            problems.append(Problem(where, 0, 0, f"question '{question}' is asked after "
                                    f"{answers_phrase(list(before)) or 'no answers'}, where no answer to it "
                                    "changes the verdict or the advice", "warning"))
    if not tree.complete:
        problems.append(Problem(where, 0, 0, f"only the first {limit} consultations were checked for a verdict; "
                                "there are more ('rules paths --limit N' walks further)", "warning"))
    return problems


def summary_line(tree: Tree) -> str:
    """'1581 consultations: do_due_diligence 978, ...', or how far a walk stopped by its limit got."""
    counts = ", ".join(f"{verdict} {n}" for verdict, n in sorted(tree.counts().items(), key=lambda kv: (-kv[1], kv[0])))
    if not tree.complete:
        return (f"stopped after {len(tree.leaves)} consultations (the limit); there are more. So far: {counts}. "
                "Raise --limit to see them all.")
    return f"{len(tree.leaves)} consultation{'s' if len(tree.leaves) != 1 else ''}: {counts}"


def _cell(text: str, width: int | None) -> str:
    # Ids break only at spaces, never at their hyphens.
    if width is None:
        return text
    return textwrap.fill(text, width, break_on_hyphens=False, break_long_words=False)


def _rows(tree: Tree, widths: tuple[int | None, int | None] = (None, None)) -> list[list[str]]:
    return [[str(n), _cell(answers_phrase(leaf.answers), widths[0]), leaf.verdict or "(no verdict)",
             _cell(", ".join(leaf.recommendations), widths[1])] for n, leaf in enumerate(tree.leaves, 1)]


HEADERS = ["#", "answers, in the order asked", "verdict", "recommendations, most important first"]


def render(kb: KnowledgeBase, tree: Tree, fmt: str) -> str:
    """The tree as a table (text or Markdown), a JSON document, or a Mermaid flowchart; ends with a newline."""
    if fmt == "json":
        return json.dumps({"consultations": [{"answers": dict(leaf.answers), "verdict": leaf.verdict,
                                              "recommendations": leaf.recommendations} for leaf in tree.leaves],
                           "count": len(tree.leaves), "complete": tree.complete,
                           "verdicts": dict(sorted(tree.counts().items()))}, indent=2, ensure_ascii=False) + "\n"
    if fmt == "mermaid":
        return mermaid(tree)
    if fmt == "markdown":
        table = tabulate(_rows(tree), headers=HEADERS, tablefmt="github")
        return f"{table}\n\n{summary_line(tree)}\n"
    table = tabulate(_rows(tree, (40, 50)), headers=HEADERS, tablefmt="simple")
    return f"{table}\n\n{summary_line(tree)}\n"


def mermaid(tree: Tree) -> str:
    """A flowchart: one box per question asked on the way, one edge per answer, one rounded leaf per verdict."""
    lines = ["flowchart LR"]
    nodes: dict[tuple[tuple[str, str], ...], str] = {}
    edges: set[str] = set()

    def node(prefix: tuple[tuple[str, str], ...], label: str, leaf: bool) -> str:
        if prefix not in nodes:
            nodes[prefix] = f"n{len(nodes)}"
            shape = f'("{label}")' if leaf else f'["{label}"]'
            lines.append(f"  {nodes[prefix]}{shape}")
        return nodes[prefix]

    for leaf in tree.leaves:
        for k, (question, value) in enumerate(leaf.answers):
            here = node(tuple(leaf.answers[:k]), question, leaf=False)
            last = k + 1 == len(leaf.answers)
            after = tuple(leaf.answers[:k + 1])
            if last:
                there = node(after + (("", ""),), leaf.verdict or "no verdict", leaf=True)
            else:
                there = node(after, leaf.answers[k + 1][0], leaf=False)
            edge = f"  {here} -->|{value}| {there}"
            if edge not in edges:
                edges.add(edge)
                lines.append(edge)
        if not leaf.answers:
            node((("", ""),), leaf.verdict or "no verdict", leaf=True)
    return "\n".join(lines) + "\n"
