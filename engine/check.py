"""Meaning checks on loaded knowledge (every id resolves, every value is allowed, no rule is unmatchable)."""

from __future__ import annotations

import itertools
import json
from typing import Any

from .errors import KnowledgeError, Problem
from .knowledge import (
    TABLES,
    UNKNOWN,
    AllOf,
    AnswerIn,
    AnyOf,
    Condition,
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
from .text import answers_phrase, condition_text, nearest, wording_label

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
    """Facts that depend on their own absence, which forward chaining cannot settle: reported at the 'not'."""
    # fact -> (fact read, whether under 'not', the rule reading it, where the read or its 'not' is written)
    reads: dict[str, list[tuple[str, bool, Rule, Where]]] = {}
    for rule in kb.rules.values():
        used = []
        for cond in walk(rule.when):
            if isinstance(cond, Not):
                used += [(c.fact, True, rule, cond.where) for c in walk(cond.condition) if isinstance(c, FactHolds)]
            elif isinstance(cond, FactHolds):
                used.append((cond.fact, False, rule, cond.where))
        for fact in rule.conclude:
            reads.setdefault(fact, []).extend(used)
    problems, reported = [], set()
    for start in kb.facts:
        # Depth-first search for a path back to `start` that passes through a negation, keeping the path.
        stack: list[tuple[str, tuple[tuple[str, bool, Rule, Where], ...]]] = [(start, ())]
        seen = set()
        while stack:
            fact, path = stack.pop()
            for edge in reads.get(fact, ()):
                nxt = edge[0]
                steps = (*path, edge)
                if nxt == start and any(neg for _, neg, _, _ in steps):
                    _, _, rule, where = next(e for e in steps if e[1])
                    if (rule.id, where) not in reported:
                        reported.add((rule.id, where))
                        problems.append(_problem(where, _self_negation(start, steps)))
                    stack.clear()
                    break
                state = (nxt, any(neg for _, neg, _, _ in steps))
                if state not in seen:
                    seen.add(state)
                    stack.append((nxt, steps))
    return problems


def _self_negation(start: str, steps: tuple[tuple[str, bool, Rule, Where], ...]) -> str:
    """The message for the first 'not' along `steps`, a cycle of reads from fact `start` back to it."""
    concluded = [start, *(fact for fact, _, _, _ in steps[:-1])]  # what the rule of each step concludes
    k = next(n for n, step in enumerate(steps) if step[1])
    # Told from the fact the 'not' reads round to the rule that has it.
    order = [*range(k + 1, len(steps)), *range(k + 1)]
    chain = "; ".join(f"rule '{steps[n][2].id}' reads {'the absence of ' if steps[n][1] else ''}'{steps[n][0]}' "
                      f"and concludes '{concluded[n]}'" for n in order)
    return (f"rule '{steps[k][2].id}': this 'not' makes fact '{steps[k][0]}' depend on its own absence "
            f"({chain}); forward chaining cannot settle it")


MAX_COMBINATIONS = 50_000  # beyond this many tries on one group of interacting conditions, it is assumed satisfiable

_VERDICT = "verdict:"  # the variable the verdict conditions read; questions are named by id, facts by "fact:" + id


def _can_hold(kb: KnowledgeBase, rule: Rule, reachable: set[str]) -> bool:
    """Whether some answers, and some choice of the concludable facts, make `rule`'s conditions hold."""
    return _satisfiable(kb, rule.when, reachable)


def _variables(cond: Condition) -> set[str]:
    """What `cond` reads: question ids, 'fact:' + fact id, and _VERDICT."""
    found = set()
    for c in walk(cond):
        if isinstance(c, AnswerIn):
            found.add(c.question)
        elif isinstance(c, FactHolds):
            found.add("fact:" + c.fact)
        elif isinstance(c, VerdictIs):
            found.add(_VERDICT)
    return found


def _groups(conditions: tuple[Condition, ...]) -> list[list[Condition]]:
    """The conditions of a conjunction in groups that share nothing they read: each group can be decided on its
    own, since no choice made for one changes another (union-find over what each condition reads)."""
    parent: dict[str, str] = {}

    def root(v: str) -> str:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    read = [sorted(_variables(c)) for c in conditions]
    for names in read:
        for v in names:
            parent.setdefault(v, v)
        for v in names[1:]:
            parent[root(v)] = root(names[0])
    groups: dict[str, list[Condition]] = {}
    for cond, names in zip(conditions, read):
        groups.setdefault(root(names[0]) if names else "", []).append(cond)
    return list(groups.values())


def _choices(kb: KnowledgeBase, cond: Condition, reachable: set[str]) -> list[tuple[str, list[Any]]]:
    """Each variable `cond` reads with the values worth trying: one value of each kind the conditions can tell
    apart (two answers that fall in the same value lists everywhere in `cond` make it hold alike), True and
    False for a concludable fact, False alone for one no rule able to fire concludes."""
    tested: dict[str, list[tuple[str, ...]]] = {}
    for c in walk(cond):
        if isinstance(c, AnswerIn):
            tested.setdefault(c.question, []).append(c.values)
        elif isinstance(c, VerdictIs):
            tested.setdefault(_VERDICT, []).append(c.verdicts)
    choices: list[tuple[str, list[Any]]] = []
    for name in sorted(_variables(cond)):
        if name.startswith("fact:"):
            choices.append((name, [True, False] if name[5:] in reachable else [False]))
            continue
        # The chosen verdict may be any verdict of the knowledge; which ones rules propose is a warning's business.
        values = list(kb.verdicts) if name == _VERDICT else list(kb.questions[name].allowed)
        kinds = {tuple(v in listed for listed in tested[name]): v for v in reversed(values)}
        choices.append((name, [v for v in values if kinds[tuple(v in listed for listed in tested[name])] == v]))
    return choices


def _group_satisfiable(kb: KnowledgeBase, when: AllOf, reachable: set[str]) -> bool:
    """Whether some choice of what `when` reads makes it hold: values tried variable by variable, leaving a
    branch as soon as `when` fails; assumed satisfiable after MAX_COMBINATIONS tries (no false alarm)."""
    choices = _choices(kb, when, reachable)
    tries = itertools.count()

    def search(n: int, answers: dict[str, str], held: set[str], absent: set[str], verdict: str | None) -> bool:
        if next(tries) > MAX_COMBINATIONS:
            return True
        result = holds(when, answers, held, n == len(choices), verdict, absent)
        if result is not None or n == len(choices):
            return bool(result)
        name, values = choices[n]
        for value in values:
            if name == _VERDICT:
                found = search(n + 1, answers, held, absent, value)
            elif name.startswith("fact:"):
                fact = name[5:]
                found = (search(n + 1, answers, held | {fact}, absent, verdict) if value
                         else search(n + 1, answers, held, absent | {fact}, verdict))
            else:
                found = search(n + 1, {**answers, name: value}, held, absent, verdict)
            if found:
                return True
        return False

    unread = {f for f in walk(when) if isinstance(f, FactHolds) and f.fact not in reachable}
    return search(0, {}, set(), {f.fact for f in unread}, None)


def _satisfiable(kb: KnowledgeBase, when: AllOf, reachable: set[str]) -> bool:
    """Whether some answers, some choice of the concludable facts and some verdict make `when` hold: each group of
    conditions that read something in common decided on its own, so independent tests cost one try each."""
    return all(_group_satisfiable(kb, AllOf(tuple(group), when.where), reachable)
               for group in _groups(when.conditions))


def contradiction(kb: KnowledgeBase, rule: Rule) -> str:
    """Why `rule`'s conditions can never hold together: the one condition, or the two, that cannot."""
    def can(*conds: Condition) -> bool:
        return _satisfiable(kb, AllOf(conds, rule.when.where), set(kb.facts))

    def named(cond: Condition) -> str:  # with its line, unless it is the rule's, where the problem is reported
        line = f" (line {cond.where.line})" if cond.where.line != rule.where.line else ""
        return f"'{condition_text(kb, cond)}'{line}"

    conditions = rule.when.conditions
    alone = next((c for c in conditions if not can(c)), None)
    if alone is not None:
        return f"its condition {named(alone)} can never hold, whatever the answers"
    for size in (2, 3):  # the fewest conditions that cannot hold together
        group = next((g for g in itertools.combinations(conditions, size) if not can(*g)), None)
        if group is not None:
            names = [named(c) for c in group]
            return (f"its conditions {', '.join(names[:-1])} and {names[-1]} contradict each other, "
                    "whatever the answers")
    return "its conditions contradict each other, whatever the answers"


def reachable_facts(kb: KnowledgeBase) -> tuple[set[str], set[str]]:
    """The rules that can fire and the facts they can conclude, grown to a fixpoint from the answers.

    A worklist: each rule is tried once, and again only when a fact it reads becomes concludable (a rule that
    can hold keeps holding as facts are added, so the order does not change the fixpoint)."""
    readers: dict[str, list[Rule]] = {}
    for rule in kb.rules.values():
        for fact in {c.fact for c in walk(rule.when) if isinstance(c, FactHolds)}:
            readers.setdefault(fact, []).append(rule)
    fireable: set[str] = set()
    facts: set[str] = set()
    work = list(reversed(kb.rules.values()))
    while work:
        rule = work.pop()
        if rule.id in fireable or not _can_hold(kb, rule, facts):
            continue
        fireable.add(rule.id)
        for fact in rule.conclude:
            if fact not in facts:
                facts.add(fact)
                work += [r for r in readers.get(fact, ()) if r.id not in fireable]
    return fireable, facts


def _reached(kb: KnowledgeBase) -> tuple[set[str], set[str]]:
    """reachable_facts(kb), derived once per knowledge base and kept on it: validating asks four times."""
    if kb.reachable is None:
        fireable, facts = reachable_facts(kb)
        kb.reachable = (frozenset(fireable), frozenset(facts))
    return set(kb.reachable[0]), set(kb.reachable[1])


def unmatchable_rules(kb: KnowledgeBase) -> list[Problem]:
    """Rules that can never fire: contradictory conditions, or facts that only unfireable rules conclude."""
    fireable, facts = _reached(kb)
    problems = []
    for rule in kb.rules.values():
        if rule.id in fireable:
            continue
        if not _can_hold(kb, rule, set(kb.facts)):
            reason = contradiction(kb, rule)
        else:
            missing = sorted({c.fact for c in walk(rule.when) if isinstance(c, FactHolds)} - facts)
            reason = (f"it needs {', '.join(repr(f) for f in missing)}, which no rule that can fire "
                      "concludes (a derivation cycle?)")
        problems.append(_problem(rule.where, f"rule '{rule.id}' can never fire: {reason}"))
    return problems


def unreachable_conclusions(kb: KnowledgeBase) -> list[Problem]:
    """Recommendations and verdicts that no rule able to fire gives."""
    fireable, _ = _reached(kb)
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
    fireable, _ = _reached(kb)
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


def unknown_through_not(kb: KnowledgeBase) -> list[Problem]:
    """A 'not' over an answer that lets `unknown` in, in a rule that gives advice or proposes a verdict, where no
    condition of the knowledge says what `unknown` means for that question: likely by accident."""
    named = {c.question for rule in kb.rules.values() for c in walk(rule.when)
             if isinstance(c, AnswerIn) and UNKNOWN in c.values}
    problems = []
    for rule in kb.rules.values():
        if not (rule.recommend or rule.verdict):
            continue
        for cond in walk(rule.when):
            inner = cond.condition if isinstance(cond, Not) else None
            if not isinstance(inner, AnswerIn) or UNKNOWN in inner.values or inner.question in named:
                continue
            q = inner.question
            listed = ", ".join(inner.values)
            kept = ", ".join(v for v in kb.questions[q].allowed if v not in inner.values)
            problems.append(_problem(cond.where, (
                f"rule '{rule.id}': '{condition_text(kb, cond)}' also holds when {q} is unknown; to leave unknown "
                f"out, write {{not: {{answer: {q}, one_of: [{listed}, unknown]}}}}; if unknown is meant, write "
                f"{{answer: {q}, one_of: [{kept}]}}"), "warning"))
    return problems


def _unfolded(kb: KnowledgeBase, cond: Condition, within: tuple[str, ...] = ()) -> Condition:
    """`cond` on answers alone: each fact replaced by the conditions of the rules that conclude it (a fact met
    again inside its own derivation does not hold), which is what it means once the consultation is over."""
    if isinstance(cond, FactHolds):
        if cond.fact in within:
            return AnyOf((), cond.where)
        return AnyOf(tuple(_unfolded(kb, rule.when, (*within, cond.fact)) for rule in kb.producers(cond.fact)),
                     cond.where)
    if isinstance(cond, Not):
        return Not(_unfolded(kb, cond.condition, within), cond.where)
    if isinstance(cond, (AllOf, AnyOf)):
        return type(cond)(tuple(_unfolded(kb, c, within) for c in cond.conditions), cond.where)
    return cond


def _answers_for(kb: KnowledgeBase, cond: Condition) -> dict[str, str] | None:
    """Answers that make `cond` (on answers alone) hold, found by trying values question by question and
    leaving a branch as soon as `cond` fails; None if there are none, or none within MAX_COMBINATIONS tries."""
    questions = list(dict.fromkeys(c.question for c in walk(cond) if isinstance(c, AnswerIn)))
    tries = itertools.count()

    def search(answers: dict[str, str]) -> dict[str, str] | None:
        if next(tries) > MAX_COMBINATIONS:
            return None
        held = holds(cond, answers, set(), settled=True)
        if held is not False and len(answers) == len(questions):
            return answers if held else None
        if held is False:
            return None
        question = questions[len(answers)]
        for value in kb.questions[question].allowed:
            found = search({**answers, question: value})
            if found is not None:
                return found
        return None

    return search({})


def verdict_ties(kb: KnowledgeBase) -> list[Problem]:
    """Two verdicts of the same priority that can both be proposed in one consultation: knowledge order then
    decides between them, which is seldom what the priorities were written to say."""
    fireable, _ = _reached(kb)
    proposers: dict[str, list[Rule]] = {}
    for rule in kb.rules.values():
        if rule.verdict is not None and rule.id in fireable:
            proposers.setdefault(rule.verdict, []).append(rule)
    problems = []
    for first, second in itertools.combinations([v for v in kb.verdicts.values() if v.id in proposers], 2):
        if first.priority != second.priority:
            continue
        for a, b in itertools.product(proposers[first.id], proposers[second.id]):
            answers = _answers_for(kb, AllOf((_unfolded(kb, a.when), _unfolded(kb, b.when)), a.where))
            if answers is not None:
                problems.append(_problem(second.where, (
                    f"verdicts '{first.id}' and '{second.id}' have the same priority ({first.priority}) and can "
                    f"both be proposed in one consultation (rules '{a.id}' and '{b.id}', e.g. with "
                    f"{answers_phrase(list(answers.items()))}); then '{first.id}' wins only because it is listed "
                    "first: give the one that should win a higher priority"), "warning"))
                break
    return problems


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
                  + unused_facts(kb) + unknown_through_not(kb) + verdict_ties(kb))


def validated(kb: KnowledgeBase, warned: int) -> str:
    """The last line of a 'rules validate' that found no errors, with the number of warnings."""
    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    counted = f" ({count(warned, 'warning')})" if warned else ""
    return (f"ok: {count(len(kb.rules), 'rule')}, {count(len(kb.questions), 'question')}, "
            f"{count(len(kb.recommendations), 'recommendation')}, {count(len(kb.verdicts), 'verdict')} "
            f"in {count(len(kb.files), 'file')} of layers {', '.join(kb.layers)}{counted}")


def problems_json(problems: list[Problem]) -> str:
    """'rules validate --format json': every problem, located."""
    return json.dumps([p.as_json() for p in problems], indent=2)
