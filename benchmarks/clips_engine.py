"""The same compiled knowledge as CLIPS rules (through clipspy), with every rule action a Python callback."""

from __future__ import annotations

import re
from typing import Any

import clips

from offercoach.engine.compile import ASK_SALIENCE, CLOSE_SALIENCE, NEED_SALIENCE, SETTLE_SALIENCE, strata
from offercoach.engine.knowledge import AllOf, AnswerIn, AnyOf, Condition, FactHolds, KnowledgeBase, Not


def _answer(question: str, test: str) -> str:
    return f"(a-{question} (value {test}))"


def holds(cond: Condition) -> str:
    """The CLIPS conditional element that matches when `cond` is true (mirrors compile.holds)."""
    if isinstance(cond, AnswerIn):
        return _answer(cond.question, "|".join(cond.values))
    if isinstance(cond, FactHolds):
        return f"(f-{cond.fact})"
    if isinstance(cond, Not):
        return fails(cond.condition)
    if isinstance(cond, AllOf):
        return f"(and {' '.join(map(holds, cond.conditions))})"
    return f"(or {' '.join(map(holds, cond.conditions))})"


def fails(cond: Condition) -> str:
    """The CLIPS conditional element that matches when `cond` is false (mirrors compile.fails)."""
    if isinstance(cond, AnswerIn):
        return _answer(cond.question, "&".join(f"~{v}" for v in cond.values))
    if isinstance(cond, FactHolds):
        return f"(n-{cond.fact})"  # settled absent: no rule can conclude it any more
    if isinstance(cond, Not):
        return holds(cond.condition)
    if isinstance(cond, AllOf):
        return f"(or {' '.join(map(fails, cond.conditions))})"
    return f"(and {' '.join(map(fails, cond.conditions))})"


def waits(cond: Condition, context: tuple[str, ...] = ()) -> list[tuple[str, tuple[str, ...]]]:
    """Each question `cond` reads, with what must match before it is worth asking (mirrors compile.waits)."""
    if isinstance(cond, AnswerIn):
        return [(cond.question, context)]
    if isinstance(cond, Not):
        return waits(cond.condition, context)
    if isinstance(cond, (AllOf, AnyOf)):
        settle = holds if isinstance(cond, AllOf) else fails
        found = []
        for k, inner in enumerate(cond.conditions):
            found += waits(inner, context + tuple(settle(c) for c in cond.conditions[:k]))
        return found
    return []


class ClipsAdvice:
    """A CLIPS environment holding advice, need and ask rules for `kb`; actions run in Python."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.env = clips.Environment()
        self.fired: set[str] = set()
        self.firings = 0
        self.env.define_function(self._advise, "py-advise")
        self.env.define_function(self._need, "py-need")
        self.env.define_function(self._ask, "py-ask")
        build = self.env.build
        for question in kb.questions:
            build(f"(deftemplate a-{question} (slot value))")
        for fact in kb.facts:
            build(f"(deftemplate f-{fact} (slot by))")
        build("(deftemplate recommendation (slot id) (slot by))")
        build("(deftemplate verdict (slot id) (slot by))")
        build("(deftemplate wanted (slot question) (slot rule))")
        for fact in kb.facts:
            build(f"(deftemplate n-{fact})")
        build("(deftemplate ruled-out (slot rule))")
        rules = []
        for i, rule in enumerate(kb.rules.values()):
            rules.append(f"(defrule r{i} (declare (salience {rule.salience})) "
                         f"{' '.join(map(holds, rule.when.conditions))} => (py-advise \"{rule.id}\"))")
            conditions = rule.when.conditions
            need = 0
            for k, condition in enumerate(conditions):
                # The same shape as compile.py: the open question first (rules waiting on one question share
                # that test), then what must hold, then guards only against later answers ruling the rule out.
                ruled_out = [f"(not {fails(c)})" for c in conditions[k + 1:] if isinstance(c, AnswerIn)
                             or (isinstance(c, Not) and isinstance(c.condition, AnswerIn))]
                for question, context in waits(condition, tuple(holds(c) for c in conditions[:k])):
                    rules.append(f"(defrule n{i}-{need} (declare (salience {NEED_SALIENCE})) "
                                 f"(not (a-{question})) {' '.join(context)} {' '.join(ruled_out)} "
                                 f"=> (py-need \"{question}\" \"{rule.id}\"))")
                    need += 1
        for i, question in enumerate(kb.questions):
            rules.append(f"(defrule q{i} (declare (salience {ASK_SALIENCE})) (exists (wanted (question {question}))) "
                         f"(not (a-{question})) => (py-ask \"{question}\"))")
        rules += self._settling(kb, rules)
        for text in rules:
            build(text)
        self._templates = {t.name: t for t in self.env.templates()}

    @staticmethod
    def _settling(kb: KnowledgeBase, rules: list[str]) -> list[str]:
        """The rules that settle absent the facts whose absence is read (mirrors compile._settling)."""
        level = strata(kb)
        absent = re.compile(r"\(n-([a-z0-9_-]+)\)")
        wanted = {f for text in rules for f in absent.findall(text)}
        settled: list[str] = []
        made: set[str] = set()
        found: list[str] = []
        while todo := [f for f in kb.facts if f in wanted and f not in settled]:
            for fact in todo:
                settled.append(fact)
                producers = kb.producers(fact)
                if len(producers) == 1:
                    gone = f"{fails(producers[0].when)} (not (n-{fact}))"
                else:
                    for p in producers:
                        if p.id not in made:
                            made.add(p.id)
                            found.append(f"(defrule o-{p.id} (declare (salience {SETTLE_SALIENCE})) "
                                         f"{fails(p.when)} (not (ruled-out (rule {p.id}))) "
                                         f"=> (assert (ruled-out (rule {p.id}))))")
                            wanted.update(absent.findall(found[-1]))
                    gone = " ".join(f"(ruled-out (rule {p.id}))" for p in producers)
                found.append(f"(defrule s-{fact} (declare (salience {SETTLE_SALIENCE})) {gone} "
                             f"=> (assert (n-{fact})))")
                wanted.update(absent.findall(found[-1]))
                stratum = max((level[p.id] for p in producers), default=0)
                found.append(f"(defrule c-{fact} (declare (salience {CLOSE_SALIENCE - stratum})) "
                             f"(not (f-{fact})) (not (n-{fact})) => (assert (n-{fact})))")
        return found

    def _advise(self, rule_id: Any) -> None:
        self.firings += 1
        rule_id = str(rule_id)
        if rule_id in self.fired:  # an 'or' condition can match twice; the advice is given once
            return
        self.fired.add(rule_id)
        rule = self.kb.rules[rule_id]
        by = clips.Symbol(rule_id)
        for fact in rule.conclude:
            self._templates[f"f-{fact}"].assert_fact(by=by)
        for rec in rule.recommend:
            self._templates["recommendation"].assert_fact(id=clips.Symbol(rec), by=by)
        if rule.verdict is not None:
            self._templates["verdict"].assert_fact(id=clips.Symbol(rule.verdict), by=by)

    def _need(self, question: Any, rule_id: Any) -> None:
        self.firings += 1
        self._templates["wanted"].assert_fact(question=clips.Symbol(str(question)), rule=clips.Symbol(str(rule_id)))

    def _ask(self, question: Any) -> None:
        self.firings += 1
        self.env.eval("(halt)")

    def consult(self, answers: dict[str, str]) -> None:
        """Reset, assert every answer and run to the end."""
        self.fired = set()
        self.firings = 0
        self.env.reset()
        for question, value in answers.items():
            self._templates[f"a-{question}"].assert_fact(value=clips.Symbol(value))
        self.env.run()
