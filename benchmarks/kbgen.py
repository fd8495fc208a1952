"""Seeded, advisor-shaped knowledge bases in offercoach's own YAML format, for benchmarks and equivalence tests."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

VALUES = ("v0", "v1", "v2")
WEIGHTS = (6, 3, 1)  # answers and conditions both favour v0, so a fair share of rules fire
DEPTHS = 5  # rules at depth d read a fact concluded at depth d - 1, so chains are up to 5 rules long
N_RECOMMENDATIONS = 20
VERDICTS = ("verdict_a", "verdict_b", "verdict_c", "verdict_d", "verdict_e")


def _value(rng: random.Random) -> str:
    return rng.choices(VALUES, WEIGHTS)[0]


def _answer_condition(rng: random.Random, question: str) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.6:
        return {"answer": question, "is": _value(rng)}
    if roll < 0.8:
        return {"answer": question, "one_of": rng.sample(VALUES, 2)}
    return {"not": {"answer": question, "is": rng.choice(VALUES[1:])}}


def generate(n_rules: int, n_questions: int, seed: int = 0, prefixes: int = 0) -> dict[str, list[dict[str, Any]]]:
    """One knowledge file's content: `n_rules` rules of 2-4 conditions over `n_questions` questions.

    With `prefixes`, rules start with one of that many shared runs of one or two answer conditions (an `any`
    of two answers now and then), so the network's joins are shared and each question has many rules waiting."""
    rng = random.Random(seed)
    pool = []
    for _ in range(prefixes):
        asked = rng.sample(range(n_questions), min(n_questions, rng.randint(1, 2)))
        run = [_answer_condition(rng, f"q{q:04d}") for q in asked]
        if rng.random() < 0.3:
            run[-1] = {"any": [run[-1], {"answer": f"q{asked[-1]:04d}", "is": rng.choice(VALUES)}]}
        pool.append((asked, run))
    concluded: list[list[str]] = [[] for _ in range(DEPTHS)]  # facts concluded at each depth
    facts, rules = [], []
    for i in range(n_rules):
        depth = rng.randrange(DEPTHS)
        while depth and not concluded[depth - 1]:
            depth -= 1
        size = rng.randint(2, 4)
        when: list[dict[str, Any]] = []
        if depth:
            when.append({"fact": rng.choice(concluded[depth - 1])})
            # Reading the absence of a fact from a lower depth adds strata, as negation does in real knowledge.
            if depth >= 2 and rng.random() < 0.05:
                when.append({"not": {"fact": rng.choice(concluded[depth - 2])}})
        taken: list[int] = []
        if pool:
            taken, run = rng.choice(pool)
            when[:0] = run  # the shared run first, then what is read of the facts
        # Distinct questions per rule: the checker refuses rules whose conditions contradict each other.
        others = [q for q in range(n_questions) if q not in taken]
        for q in rng.sample(others, max(0, min(len(others), size - len(when)))):
            when.append(_answer_condition(rng, f"q{q:04d}"))
        then: dict[str, Any] = {"recommend": [f"rec-{rng.randrange(N_RECOMMENDATIONS):02d}"]}
        if depth < DEPTHS - 1 and rng.random() < 0.5:
            fact = f"fact-{i:05d}"
            facts.append({"id": fact, "meaning": f"Fact {i} holds."})
            then["conclude"] = [fact]
            concluded[depth].append(fact)
        if rng.random() < 0.1:
            then["verdict"] = rng.choice(VERDICTS)
        rules.append({"id": f"rule-{i:05d}", "title": f"Rule {i}", "when": when, "then": then,
                      "sources": ["generated"], "rationale": "Generated for the benchmark."})
    questions = [{"id": f"q{q:04d}", "prompt": f"Question {q}?", "help": "Generated.",
                  "values": {v: f"value {v}" for v in VALUES}} for q in range(n_questions)]
    recommendations = [{"id": f"rec-{r:02d}", "title": f"Do {r}", "advice": "Generated advice.",
                        "sources": ["generated"]} for r in range(N_RECOMMENDATIONS)]
    verdicts = [{"id": v, "title": v, "summary": "Generated.", "priority": k} for k, v in enumerate(VERDICTS)]
    return {"sections": [{"id": "generated", "title": "Generated", "summary": "A generated section."}],
            "questions": questions, "facts": facts, "rules": rules,
            "recommendations": recommendations, "verdicts": verdicts}


def answers(n_questions: int, seed: int = 0) -> dict[str, str]:
    """A seeded answer to every question; about one in ten is 'unknown'."""
    rng = random.Random(seed + 1)
    return {f"q{q:04d}": ("unknown" if rng.random() < 0.1 else _value(rng)) for q in range(n_questions)}


def write(directory: Path, n_rules: int, n_questions: int, seed: int = 0, prefixes: int = 0) -> Path:
    """Write the generated knowledge to `directory`/knowledge.yaml and return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    content = generate(n_rules, n_questions, seed, prefixes)
    (directory / "knowledge.yaml").write_text(yaml.safe_dump(content, sort_keys=False, width=200))
    return directory
