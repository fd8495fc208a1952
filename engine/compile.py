"""Compiling a KnowledgeBase into experta rules: the advice itself, plus the rules that decide what to ask."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from .experta_compat import AND, EXISTS, NOT, OR, Fact, InitialFact, P
from .experta_fixes import TracingEngine, fact_class
from .experta_speed import Rule
from .knowledge import AllOf, AnswerIn, AnyOf, Condition, FactHolds, KnowledgeBase, Not, VerdictIs, walk
from .knowledge import Rule as KRule
from .trace import ASK_PREFIX, NEED_PREFIX

# Salience tiers. Within a stratum the advice fires first, then rules record which questions
# they wait on; questions are asked only when nothing else can fire. Rules that read the
# absence of a fact sit in lower strata, so they wait until every question that could still
# produce that fact has been asked.
STRATUM_STEP = 3000
NEED_OFFSET = -300
ASK_SALIENCE = -600



def answer_class(question: str) -> type[Fact]:
    return fact_class(f"answer:{question}")


def derived_class(fact: str) -> type[Fact]:
    return fact_class(f"fact:{fact}")


Recommended = fact_class("recommendation")
Proposed = fact_class("verdict")
Chosen = fact_class("chosen")  # declared by the consultation once the verdict is resolved, never by a rule
Wanted = fact_class("wanted")


@cache
def _member_of(values: frozenset[str], inside: bool) -> Callable[[Any], bool]:
    # Memoised so experta's class-level check caches do not grow with every build.
    return (lambda v: v in values) if inside else (lambda v: v not in values)


def true_pattern(cond: Condition) -> Any:
    """The experta pattern that matches when `cond` is true."""
    if isinstance(cond, AnswerIn):
        if len(cond.values) == 1:
            return answer_class(cond.question)(value=cond.values[0])
        return answer_class(cond.question)(value=P(_member_of(frozenset(cond.values), True)))
    if isinstance(cond, FactHolds):
        return derived_class(cond.fact)()
    if isinstance(cond, VerdictIs):
        if len(cond.verdicts) == 1:
            return Chosen(id=cond.verdicts[0])
        return Chosen(id=P(_member_of(frozenset(cond.verdicts), True)))
    if isinstance(cond, Not):
        return false_pattern(cond.condition)
    if isinstance(cond, AllOf):
        return AND(*map(true_pattern, cond.conditions)) if cond.conditions else InitialFact()
    return OR(*map(true_pattern, cond.conditions))


def false_pattern(cond: Condition) -> Any:
    """The experta pattern that matches when `cond` is false; an unanswered question is neither."""
    if isinstance(cond, AnswerIn):
        return answer_class(cond.question)(value=P(_member_of(frozenset(cond.values), False)))
    if isinstance(cond, FactHolds):
        return NOT(derived_class(cond.fact)())
    if isinstance(cond, VerdictIs):
        return Chosen(id=P(_member_of(frozenset(cond.verdicts), False)))
    if isinstance(cond, Not):
        return true_pattern(cond.condition)
    if isinstance(cond, AllOf):
        return OR(*map(false_pattern, cond.conditions)) if cond.conditions else NOT(InitialFact())
    return AND(*map(false_pattern, cond.conditions))


def waits(cond: Condition, context: tuple[Any, ...] = ()) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Each question `cond` reads, with the patterns that must match before it is worth asking."""
    if isinstance(cond, AnswerIn):
        yield cond.question, context
    elif isinstance(cond, Not):
        yield from waits(cond.condition, context)
    elif isinstance(cond, (AllOf, AnyOf)):
        settle = true_pattern if isinstance(cond, AllOf) else false_pattern
        for k, inner in enumerate(cond.conditions):
            yield from waits(inner, context + tuple(settle(c) for c in cond.conditions[:k]))


def strata(kb: KnowledgeBase) -> dict[str, int]:
    """Each rule's stratum: one more than the strata of the facts it reads the absence of."""
    fact_level = {f: 0 for f in kb.facts}
    rule_level = {r: 0 for r in kb.rules}
    for _ in range(len(kb.rules) + 1):  # at most one pass per rule; no cycle passes through 'not'
        changed = False
        for rule in kb.rules.values():
            level = 0
            for cond in walk(rule.when):
                if isinstance(cond, Not):
                    level = max([level] + [fact_level[c.fact] + 1 for c in walk(cond.condition)
                                           if isinstance(c, FactHolds)])
                elif isinstance(cond, FactHolds):
                    level = max(level, fact_level[cond.fact])
            if level != rule_level[rule.id]:
                rule_level[rule.id], changed = level, True
            for fact in rule.conclude:
                if fact_level[fact] < level:
                    fact_level[fact], changed = level, True
        if not changed:
            break
    return rule_level


def _advice_action(rule: KRule) -> Callable[..., None]:
    # An 'any' condition can match twice, and the action then runs twice; it declares the same facts again,
    # which experta keeps once, so the advice is given once and the trace records only the first firing.
    def act(engine: TracingEngine, **_: Any) -> None:
        for fact in rule.conclude:
            engine.declare(derived_class(fact)(by=rule.id))
        for rec in rule.recommend:
            engine.declare(Recommended(id=rec, by=rule.id))
        if rule.verdict is not None:
            engine.declare(Proposed(id=rule.verdict, by=rule.id))
    return act


def _need_action(question: str, rule: str) -> Callable[..., None]:
    def act(engine: TracingEngine, **_: Any) -> None:
        engine.declare(Wanted(question=question, rule=rule))
    return act


def _ask_action() -> Callable[..., None]:
    # Halting makes this the run's last firing, whose name (ask:<question>) says what to ask: question_wanted.
    def act(engine: TracingEngine, **_: Any) -> None:
        engine.halt()
    return act


def question_wanted(engine: TracingEngine) -> str | None:
    """The question the engine's last run stopped to ask, or None if it stopped because nothing could fire."""
    last = engine.last_firing
    if last is None or not last.rule.startswith(ASK_PREFIX):
        return None
    return last.rule.removeprefix(ASK_PREFIX)


def _named(rule: Rule, fn: Callable[..., None], name: str, order: int) -> Rule:
    fn.__name__ = name
    fn.order = order  # type: ignore[attr-defined]  # read by StableDepthStrategy for ties
    decorated: Rule = rule(fn)  # experta's Rule returns itself when it decorates an action
    return decorated


def compile_rules(kb: KnowledgeBase) -> list[Rule]:
    """All experta rules for `kb`: advice rules, 'need' rules and one 'ask' rule per question."""
    level = strata(kb)
    compiled = []
    for order, rule in enumerate(kb.rules.values()):
        base = -STRATUM_STEP * level[rule.id]
        compiled.append(_named(Rule(true_pattern(rule.when), salience=base + rule.salience),
                               _advice_action(rule), rule.id, order))
        conditions = rule.when.conditions
        for k, condition in enumerate(conditions):
            # A rule stops waiting once a later top-level answer already rules it out; earlier
            # conditions must hold anyway, so guarding them again would only add nodes.
            ruled_out = tuple(NOT(false_pattern(c)) for c in conditions[k + 1:] if isinstance(c, AnswerIn)
                              or (isinstance(c, Not) and isinstance(c.condition, AnswerIn)))
            # A rule that reads the verdict asks nothing until the verdict is chosen and is one it reads.
            verdict_gate = tuple(true_pattern(c) for c in conditions[k + 1:] if isinstance(c, VerdictIs))
            earlier = tuple(true_pattern(c) for c in conditions[:k]) + verdict_gate
            for question, context in waits(condition, earlier):
                pattern = AND(*context, *ruled_out, NOT(answer_class(question)()))
                compiled.append(_named(Rule(pattern, salience=base + NEED_OFFSET),
                                       _need_action(question, rule.id), f"{NEED_PREFIX}{rule.id}:{question}",
                                       order))
    for order, question in enumerate(kb.questions):
        pattern = AND(EXISTS(Wanted(question=question)), NOT(answer_class(question)()))
        compiled.append(_named(Rule(pattern, salience=ASK_SALIENCE), _ask_action(),
                               f"{ASK_PREFIX}{question}", order))
    return compiled


class AdviceEngine(TracingEngine):
    """The experta engine for one knowledge base; reset() starts a new consultation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__(compile_rules(kb))
