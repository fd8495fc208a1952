"""Scenario tests written next to the knowledge: given answers, expect a verdict, advice and firings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .consult import consult
from .errors import AnswerError, KnowledgeError, Problem
from .knowledge import KnowledgeBase, Where
from .load import layer_dirs, nearest
from .yaml_source import LocatedDict, LocatedList, read_yaml

EXPECT_KEYS = ("verdict", "recommend", "not_recommend", "fired", "not_fired", "asked")


@dataclass
class Scenario:
    name: str
    answers: dict[str, Any]
    expect: dict[str, Any]
    where: Where


def scenario_files(layers: list[str]) -> list[Path]:
    """Every scenarios/*.yaml file of every layer, layer by layer, in name order."""
    files: list[Path] = []
    for directory in layer_dirs(layers):
        folder = directory / "scenarios"
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return files


def read_scenarios(path: Path) -> list[Scenario]:
    """The scenarios in one file; raise KnowledgeError with positions if it is malformed."""
    data = read_yaml(path)
    problems = []
    items = data.get("scenarios") if isinstance(data, LocatedDict) else None
    if not isinstance(items, LocatedList):
        raise KnowledgeError([Problem(str(path), 1, 1, "a scenario file needs a 'scenarios:' list")])
    scenarios = []
    for item in items:
        where = Where(str(path), getattr(item, "line", 0), getattr(item, "col", 0))
        if not isinstance(item, LocatedDict) or not isinstance(item.get("name"), str) \
                or not isinstance(item.get("answers", {}), dict) or not isinstance(item.get("expect"), LocatedDict):
            problems.append(Problem(where.path, where.line, where.col,
                                    "a scenario needs 'name' (text), 'answers' (a mapping) and 'expect' (a mapping)"))
            continue
        for key in item:
            if key not in ("name", "answers", "expect"):
                problems.append(Problem(where.path, *item.key_at[key], f"scenario '{item['name']}': unknown key "
                                        f"'{key}'{nearest(key, ('name', 'answers', 'expect'))}"))
        for key in item["expect"]:
            if key not in EXPECT_KEYS:
                problems.append(Problem(where.path, *item["expect"].key_at[key], f"scenario '{item['name']}': "
                                        f"unknown expectation '{key}'{nearest(key, EXPECT_KEYS)}"))
        scenarios.append(Scenario(item["name"], dict(item.get("answers") or {}), dict(item["expect"]), where))
    if problems:
        raise KnowledgeError(problems)
    return scenarios


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def run_scenario(kb: KnowledgeBase, scenario: Scenario) -> list[str]:
    """What differs between the scenario's expectations and the consultation; empty when it passes."""
    try:
        outcome = consult(kb, scenario.answers, None, lambda _: None)
    except AnswerError as exc:
        return [f"its answers are refused: {exc}"]
    fired = {s.rule for s in outcome.trace.steps}
    recs = {r for r, _ in outcome.recommendations}
    asked = [a.question for a in outcome.trace.asked]
    failures = []
    expect = scenario.expect
    if "verdict" in expect and expect["verdict"] != outcome.verdict:
        failures.append(f"verdict: expected {expect['verdict']}, got {outcome.verdict}")
    for key, have, wanted, word in (("recommend", recs, True, "recommendation"),
                                    ("not_recommend", recs, False, "recommendation"),
                                    ("fired", fired, True, "rule"), ("not_fired", fired, False, "rule")):
        for item in _as_list(expect.get(key, [])):
            if (item in have) != wanted:
                failures.append(f"{word} {item}: expected {'present' if wanted else 'absent'}, "
                                f"got {'present' if item in have else 'absent'}")
    if "asked" in expect and _as_list(expect["asked"]) != asked:
        failures.append(f"asked: expected {', '.join(_as_list(expect['asked']))}; got {', '.join(asked)}")
    return failures
