"""Meaning checks on loaded knowledge (every id resolves, every value is allowed, no rule is unmatchable)."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

from .errors import KnowledgeError, Problem
from .knowledge import (
    TABLES,
    AnswerIn,
    FactHolds,
    KnowledgeBase,
    Not,
    Question,
    Recommendation,
    Rule,
    Then,
    VerdictIs,
    Where,
    holds,
    layers_shown,
    references,
    walk,
)
from .text import nearest, wording_label

NEEDED = ("questions", "rules", "verdicts")  # the kinds a usable knowledge base cannot do without


def _problem(where: Where, message: str, severity: str = "error") -> Problem:
    return Problem(where.path, where.line, where.col, message, severity)


def _check_refs(kb: KnowledgeBase, item: Rule | Recommendation, label: str) -> list[Problem]:
    """Every id the item's keys name is an item of the kind the key refers to."""
    return [_problem(item.at.get(f"{kind}:{i}", item.where),
                     f"{label}: unknown {kind} '{i}'{nearest(i, known)}")
            for kind, i in references(item) if i not in (known := getattr(kb, TABLES[kind]))]


def _check_answer(kb: KnowledgeBase, label: str, cond: AnswerIn) -> list[Problem]:
    """An answer condition names a known question and only values it allows."""
    question = kb.questions.get(cond.question)
    if question is None:
        return [_problem(cond.where, f"{label}: unknown question '{cond.question}'"
                                     f"{nearest(cond.question, kb.questions)}")]
    return [_problem(cond.where, f"{label}: '{value}' is not an allowed value of question '{question.id}'"
                                 f"{nearest(value, question.allowed)} "
                                 f"(allowed: {', '.join(question.allowed)})")
            for value in cond.values if value not in question.allowed]


def _check_wording(kb: KnowledgeBase, question: Question) -> list[Problem]:
    """The answer conditions of a question's wording variants, checked as a rule's are."""
    return [problem for n, variant in enumerate(question.wording, 1) for cond in walk(variant.when)
            if isinstance(cond, AnswerIn)
            for problem in _check_answer(kb, wording_label(f"question '{question.id}'", n), cond)]


def _check_rule(kb: KnowledgeBase, rule: Rule, concluded: set[str]) -> list[Problem]:
    label = f"rule '{rule.id}'"
    problems = _check_refs(kb, rule, label)
    if not any(getattr(rule.then, key) for key in Then.AT_LEAST_ONE):
        problems.append(_problem(rule.where, f"{label}: 'then' concludes nothing"))
    for cond in walk(rule.when):
        if isinstance(cond, AnswerIn):
            problems += _check_answer(kb, label, cond)
        elif isinstance(cond, FactHolds):
            if cond.fact not in kb.facts:
                problems.append(_problem(cond.where, f"{label}: unknown fact '{cond.fact}'"
                                         f"{nearest(cond.fact, kb.facts)}"))
            elif cond.fact not in concluded:
                problems.append(_problem(cond.where, f"{label}: can never fire: no rule concludes "
                                         f"fact '{cond.fact}'"))
        elif isinstance(cond, VerdictIs):
            problems += [_problem(at, f"{label}: unknown verdict '{v}'{nearest(v, kb.verdicts)}")
                         for v, at in zip(cond.verdicts, cond.at or (cond.where,) * len(cond.verdicts))
                         if v not in kb.verdicts]
    return problems


def negation_cycles(kb: KnowledgeBase) -> list[Problem]:
    """Facts that depend on their own absence, which forward chaining cannot settle."""
    reads: dict[str, set[tuple[str, bool]]] = {}  # fact -> facts its producers read, with 'negated'
    for rule in kb.rules.values():
        used = set()
        for cond in walk(rule.when):
            if isinstance(cond, Not):
                used |= {(c.fact, True) for c in walk(cond.condition) if isinstance(c, FactHolds)}
            elif isinstance(cond, FactHolds):
                used.add((cond.fact, False))
        for fact in rule.conclude:
            reads.setdefault(fact, set()).update(used)
    problems = []
    for start in kb.facts:
        # Depth-first search for a path back to `start` that passes through a negation.
        stack, seen = [(start, False)], set()
        while stack:
            fact, negated = stack.pop()
            for nxt, neg in reads.get(fact, ()):
                state = (nxt, negated or neg)
                if nxt == start and state[1]:
                    problems.append(_problem(kb.facts[start].where, f"fact '{start}' depends on its "
                                             "own absence through 'not'; forward chaining cannot settle it"))
                    stack.clear()
                    break
                if state not in seen:
                    seen.add(state)
                    stack.append(state)
    return problems


MAX_COMBINATIONS = 50_000  # beyond this many answer combinations a rule is assumed satisfiable


def _can_hold(kb: KnowledgeBase, rule: Rule, reachable: set[str]) -> bool:
    """Whether some answers, and some choice of the concludable facts, make `rule`'s conditions hold."""
    leaves = list(walk(rule.when))
    questions = sorted({c.question for c in leaves if isinstance(c, AnswerIn)})
    facts = sorted({c.fact for c in leaves if isinstance(c, FactHolds)} & reachable)
    # The chosen verdict may be any verdict of the knowledge;
    # which ones rules propose is a warning's business.
    verdicts: list[str | None] = list(kb.verdicts) if rule.reads_verdict() else [None]
    # Answers (text), then whether each fact holds (True, False), then the verdict: a tuple of mixed values.
    choices: list[list[Any]] = [*(kb.questions[q].allowed for q in questions), *[[True, False]] * len(facts),
                                verdicts]
    if math.prod(len(c) for c in choices) > MAX_COMBINATIONS:
        return True
    for combination in itertools.product(*choices):
        answers = dict(zip(questions, combination))
        held = {f for f, on in zip(facts, combination[len(questions):-1]) if on}
        if holds(rule.when, answers, held, settled=True, verdict=combination[-1]):
            return True
    return False


def reachable_facts(kb: KnowledgeBase) -> tuple[set[str], set[str]]:
    """The rules that can fire and the facts they can conclude, grown to a fixpoint from the answers."""
    fireable: set[str] = set()
    facts: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rule in kb.rules.values():
            if rule.id not in fireable and _can_hold(kb, rule, facts):
                fireable.add(rule.id)
                facts |= set(rule.conclude)
                changed = True
    return fireable, facts


def unmatchable_rules(kb: KnowledgeBase) -> list[Problem]:
    """Rules that can never fire: contradictory conditions, or facts that only unfireable rules conclude."""
    fireable, facts = reachable_facts(kb)
    problems = []
    for rule in kb.rules.values():
        if rule.id in fireable:
            continue
        if not _can_hold(kb, rule, set(kb.facts)):
            reason = "its conditions contradict each other, whatever the answers"
        else:
            missing = sorted({c.fact for c in walk(rule.when) if isinstance(c, FactHolds)} - facts)
            reason = (f"it needs {', '.join(repr(f) for f in missing)}, which no rule that can fire "
                      "concludes (a derivation cycle?)")
        problems.append(_problem(rule.where, f"rule '{rule.id}' can never fire: {reason}"))
    return problems


def unreachable_conclusions(kb: KnowledgeBase) -> list[Problem]:
    """Recommendations and verdicts that no rule able to fire gives."""
    fireable, _ = reachable_facts(kb)
    fireable -= {rule.id for rule, _ in _unproposed(kb, fireable)}
    given = {r for rule in kb.rules.values() if rule.id in fireable for r in rule.recommend}
    proposed = {rule.verdict for rule in kb.rules.values() if rule.id in fireable}
    return [_problem(item.where, f"{kind} '{item.id}' is never given: no rule that can fire "
                                 f"{'recommends' if kind == 'recommendation' else 'proposes'} it", "warning")
            for kind, table, reached in (("recommendation", kb.recommendations, given),
                                         ("verdict", kb.verdicts, proposed))
            for item in table.values() if item.id not in reached]


def _unproposed(kb: KnowledgeBase, fireable: set[str]) -> list[tuple[Rule, VerdictIs]]:
    """Each verdict condition listing only verdicts that no rule able to fire proposes, with its rule."""
    proposed = {rule.verdict for rule in kb.rules.values() if rule.id in fireable}
    return [(rule, cond) for rule in kb.rules.values() for cond in rule.when.conditions
            if isinstance(cond, VerdictIs) and not proposed & set(cond.verdicts)]


def unproposed_verdicts(kb: KnowledgeBase) -> list[Problem]:
    """Rules that wait for a verdict no rule able to fire proposes, so they never fire."""
    fireable, _ = reachable_facts(kb)
    return [_problem(cond.where, f"rule '{rule.id}' never fires: it needs the verdict to be "
                                 f"{' or '.join(cond.verdicts)}, and no rule that can fire proposes "
                                 f"{'it' if len(cond.verdicts) == 1 else 'any of them'}", "warning")
            for rule, cond in _unproposed(kb, fireable)]


def unread_questions(kb: KnowledgeBase) -> list[Problem]:
    """Questions no rule reads, so they are never asked."""
    read = {c.question for rule in kb.rules.values() for c in walk(rule.when) if isinstance(c, AnswerIn)}
    return [_problem(q.where, f"question '{q.id}' is never asked: no rule reads it", "warning")
            for q in kb.questions.values() if q.id not in read]


def unused_facts(kb: KnowledgeBase) -> list[Problem]:
    """Facts no rule reads (a conclusion that leads nowhere) or no rule concludes."""
    read = {c.fact for rule in kb.rules.values() for c in walk(rule.when) if isinstance(c, FactHolds)}
    concluded = {f for rule in kb.rules.values() for f in rule.conclude}
    return [_problem(f.where, f"fact '{f.id}' is {'concluded' if f.id in concluded else 'defined'} "
                              "but no rule reads it", "warning")
            for f in kb.facts.values() if f.id not in read]


def check_knowledge(kb: KnowledgeBase) -> None:
    """Raise KnowledgeError listing every meaning problem in `kb` that makes it unusable."""
    problems: list[Problem] = []
    concluded = {fact for rule in kb.rules.values() for fact in rule.conclude}
    for rule in kb.rules.values():
        problems += _check_rule(kb, rule, concluded)
    for question in kb.questions.values():
        problems += _check_wording(kb, question)
    for rec in kb.recommendations.values():
        problems += _check_refs(kb, rec, f"recommendation '{rec.id}'")
    problems += negation_cycles(kb)
    where = Where(layers_shown(kb.layers), 0, 0)
    for kind in NEEDED:
        if not getattr(kb, kind):
            problems.append(_problem(where, f"the knowledge has no {kind}"))
    if not problems:  # reachability needs every reference to resolve
        problems += unmatchable_rules(kb)
    if problems:
        raise KnowledgeError(problems)


def warnings(kb: KnowledgeBase) -> list[Problem]:
    """What 'rules validate' warns about in a usable knowledge base: dead or unused items."""
    return sorted(unreachable_conclusions(kb) + unproposed_verdicts(kb) + unread_questions(kb)
                  + unused_facts(kb))


def validated(kb: KnowledgeBase, warned: int) -> str:
    """The last line of a 'rules validate' that found no errors, with the number of warnings."""
    counted = f" ({warned} warnings)" if warned else ""
    return (f"ok: {len(kb.rules)} rules, {len(kb.questions)} questions, "
            f"{len(kb.recommendations)} recommendations, {len(kb.verdicts)} verdicts "
            f"in {len(kb.files)} files of layers {', '.join(kb.layers)}{counted}")


def problems_json(problems: list[Problem]) -> str:
    """'rules validate --format json': every problem, located."""
    return json.dumps([p.as_json() for p in problems], indent=2)
