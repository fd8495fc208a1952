"""Compiling a KnowledgeBase into experta rules: the advice itself, plus the rules that decide what to ask."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from typing import Any

from .experta_compat import AND, EXISTS, NOT, OR, Fact, InitialFact, P
from .experta_fixes import TracingEngine, fact_class
from .experta_speed import Rule, collector_paused
from .knowledge import AllOf, AnswerIn, AnyOf, Condition, FactHolds, KnowledgeBase, Not, VerdictIs, walk
from .knowledge import Rule as KRule
from .trace import ASK_PREFIX, NEED_PREFIX

# Salience tiers. The advice fires first, at each rule's own salience (-100 to 100); then the facts that no
# rule can conclude any more are settled absent; then rules record which questions they wait on; a question
# is asked only when nothing else can fire, and of the questions wanted then, the one listed first in the
# knowledge. Reading the absence of a fact reads that settled absence, so it never waits on questions that
# cannot produce the fact. Last, when nothing else at all can fire, a fact that only rules waiting on each
# other's facts (a cycle) could still conclude is settled absent, the lowest stratum first.
SETTLE_SALIENCE = -200
NEED_SALIENCE = -300
ASK_SALIENCE = -600
CLOSE_SALIENCE = -900


def answer_class(question: str) -> type[Fact]:
    return fact_class(f"answer:{question}")


def derived_class(fact: str) -> type[Fact]:
    return fact_class(f"fact:{fact}")


def absent_class(fact: str) -> type[Fact]:
    """Declared once no rule can conclude `fact` any more; what reading its absence matches."""
    return fact_class(f"absent:{fact}")


Recommended = fact_class("recommendation")
Proposed = fact_class("verdict")
Chosen = fact_class("chosen")  # declared by the consultation once the verdict is resolved, never by a rule
Wanted = fact_class("wanted")
RuledOut = fact_class("ruled_out")  # a rule that can no longer fire: one of its conditions fails for good


@cache
def _member_of(values: frozenset[str], inside: bool) -> Callable[[Any], bool]:
    # Memoised so experta's class-level check caches do not grow with every build.
    return (lambda v: v in values) if inside else (lambda v: v not in values)


@cache
def unanswered(question: str) -> Any:
    """The pattern that holds while `question` has no answer."""
    return NOT(answer_class(question)())


@lru_cache(maxsize=1 << 16)  # the same condition, in a rule and in its need rules, is one pattern object
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


@lru_cache(maxsize=1 << 16)
def false_pattern(cond: Condition) -> Any:
    """The experta pattern that matches when `cond` is false; an unanswered question is neither, nor is a fact
    that some rule could still conclude."""
    if isinstance(cond, AnswerIn):
        return answer_class(cond.question)(value=P(_member_of(frozenset(cond.values), False)))
    if isinstance(cond, FactHolds):
        return absent_class(cond.fact)()
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
    """Each rule's stratum: one more than the strata of the facts it reads the absence of.

    It orders only the last resort of settling absences (see `_settling`)."""
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
    """All experta rules for `kb`: advice rules, 'need' rules, one 'ask' rule per question, and the rules that
    settle the absence of the facts whose absence is read."""
    compiled = []
    for order, rule in enumerate(kb.rules.values()):
        compiled.append(_named(Rule(true_pattern(rule.when), salience=rule.salience),
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
                # The open question first: every need rule on it then shares one node that notices the answer
                # (the same prefix, wired once), instead of each waiting on it with a node of its own.
                pattern = AND(unanswered(question), *context, *ruled_out)
                compiled.append(_named(Rule(pattern, salience=NEED_SALIENCE),
                                       _need_action(question, rule.id), f"{NEED_PREFIX}{rule.id}:{question}",
                                       order))
    for order, question in enumerate(kb.questions):
        pattern = AND(EXISTS(Wanted(question=question)), unanswered(question))
        compiled.append(_named(Rule(pattern, salience=ASK_SALIENCE), _ask_action(),
                               f"{ASK_PREFIX}{question}", order))
    return compiled + _settling(kb, compiled)


def _absences(pattern: Any) -> Iterator[str]:
    """The facts whose settled absence `pattern` reads."""
    if isinstance(pattern, Fact):
        kind, _, name = type(pattern).__name__.partition(":")
        if kind == "absent":
            yield name
    elif isinstance(pattern, tuple):  # a rule, or AND, OR, NOT, EXISTS
        for inner in pattern:
            yield from _absences(inner)


def _declaring(cls: type[Fact], **fields: str) -> Callable[..., None]:
    def act(engine: TracingEngine, **_: Any) -> None:
        engine.declare(cls(**fields))  # a new fact each time: experta numbers the fact it is given
    return act


def _settling(kb: KnowledgeBase, compiled: list[Rule]) -> list[Rule]:
    """The rules that settle the absence of each fact some rule reads the absence of (and so on, for the
    facts that ruling out its rules reads).

    A fact is absent for good once every rule that concludes it is ruled out: one of its top-level
    conditions fails for good (an answer given otherwise, a fact absent for good, ...). Rules that conclude
    it only through each other's facts are never ruled out that way; for them, once nothing else can fire,
    the fact is settled absent anyway, the lowest stratum first, which is how stratified negation reads it.
    """
    level = strata(kb)
    order = {rule: n for n, rule in enumerate(kb.rules)}
    fact_order = {fact: n for n, fact in enumerate(kb.facts)}
    concluding = kb.concluders()
    wanted = {f for rule in compiled for f in _absences(rule)}
    settled: list[str] = []
    rules: list[Rule] = []
    made: set[str] = set()
    while todo := [f for f in kb.facts if f in wanted and f not in settled]:
        for fact in todo:
            settled.append(fact)
            producers = concluding.get(fact, [])
            if len(producers) == 1:  # ruled out at once; once absent, the other ways it fails need not fire
                gone = AND(false_pattern(producers[0].when), NOT(absent_class(fact)()))
            else:
                for producer in producers:
                    if producer.id not in made:
                        made.add(producer.id)
                        ruled = _named(Rule(AND(false_pattern(producer.when), NOT(RuledOut(rule=producer.id))),
                                            salience=SETTLE_SALIENCE),
                                       _declaring(RuledOut, rule=producer.id), f"ruled-out:{producer.id}",
                                       order[producer.id])
                        wanted.update(_absences(ruled))
                        rules.append(ruled)
                gone = AND(*(RuledOut(rule=p.id) for p in producers)) if producers else InitialFact()
            n = fact_order[fact]
            rules.append(_named(Rule(gone, salience=SETTLE_SALIENCE), _declaring(absent_class(fact)),
                                f"absent:{fact}", n))
            wanted.update(_absences(rules[-1]))
            stratum = max((level[p.id] for p in producers), default=0)
            rules.append(_named(Rule(AND(NOT(derived_class(fact)()), NOT(absent_class(fact)())),
                                     salience=CLOSE_SALIENCE - stratum),
                                _declaring(absent_class(fact)), f"closed:{fact}", n))
    return rules


class AdviceEngine(TracingEngine):
    """The experta engine for one knowledge base; reset() starts a new consultation."""

    def __init__(self, kb: KnowledgeBase) -> None:
        with collector_paused():  # what is built here lives as long as the engine (see experta_speed)
            super().__init__(compile_rules(kb))
