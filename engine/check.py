"""Meaning checks on a loaded knowledge base: every id resolves, every value is allowed, no rule is unmatchable."""

from __future__ import annotations

from .errors import KnowledgeError, Problem
from .knowledge import AnswerIn, FactHolds, KnowledgeBase, Not, Recommendation, Rule, Where, walk
from .load import layer_dirs, nearest


def _problem(where: Where, message: str) -> Problem:
    return Problem(where.path, where.line, where.col, message)


def _check_refs(item: Rule | Recommendation, label: str, kind: str, ids: tuple[str, ...],
                known: dict) -> list[Problem]:
    return [_problem(item.at.get(f"{kind}:{i}", item.where), f"{label}: unknown {kind} '{i}'{nearest(i, known)}")
            for i in ids if i not in known]


def _check_rule(kb: KnowledgeBase, rule: Rule) -> list[Problem]:
    label = f"rule '{rule.id}'"
    problems = _check_refs(rule, label, "section", rule.sources, kb.sections)
    problems += _check_refs(rule, label, "fact", rule.conclude, kb.facts)
    problems += _check_refs(rule, label, "recommendation", rule.recommend, kb.recommendations)
    if rule.verdict is not None:
        problems += _check_refs(rule, label, "verdict", (rule.verdict,), kb.verdicts)
    if not (rule.conclude or rule.recommend or rule.verdict):
        problems.append(_problem(rule.where, f"{label}: 'then' concludes nothing"))
    for cond in walk(rule.when):
        if isinstance(cond, AnswerIn):
            question = kb.questions.get(cond.question)
            if question is None:
                problems.append(_problem(cond.where, f"{label}: unknown question "
                                         f"'{cond.question}'{nearest(cond.question, kb.questions)}"))
                continue
            for value in cond.values:
                if value not in question.allowed:
                    problems.append(_problem(cond.where, f"{label}: '{value}' is not an allowed value of "
                                             f"question '{question.id}'{nearest(value, question.allowed)} "
                                             f"(allowed: {', '.join(question.allowed)})"))
        elif isinstance(cond, FactHolds):
            if cond.fact not in kb.facts:
                problems.append(_problem(cond.where, f"{label}: unknown fact '{cond.fact}'"
                                         f"{nearest(cond.fact, kb.facts)}"))
            elif not kb.producers(cond.fact):
                problems.append(_problem(cond.where, f"{label}: can never fire: no rule concludes "
                                         f"fact '{cond.fact}'"))
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


def check_knowledge(kb: KnowledgeBase) -> None:
    """Raise KnowledgeError listing every meaning problem in `kb`."""
    problems: list[Problem] = []
    for rule in kb.rules.values():
        problems += _check_rule(kb, rule)
    for rec in kb.recommendations.values():
        problems += _check_refs(rec, f"recommendation '{rec.id}'", "section", rec.sources, kb.sections)
    problems += negation_cycles(kb)
    where = Where(", ".join(str(d) for d in layer_dirs(kb.layers)), 0, 0)
    for kind in ("questions", "rules", "verdicts"):
        if not getattr(kb, kind):
            problems.append(_problem(where, f"the knowledge has no {kind}"))
    if problems:
        raise KnowledgeError(problems)
