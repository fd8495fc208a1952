"""Scenario tests written next to the knowledge: given answers, expect a verdict, advice and firings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .answers import check_answer
from .consult import consult
from .errors import AnswerError, InferenceError, KnowledgeError, Problem
from .knowledge import KINDS, KnowledgeBase, Where, layer_dirs
from .load import knowledge_files
from .records import record
from .text import nearest
from .yaml_source import LocatedDict, LocatedList, read_yaml

EXPECT_KEYS = ("verdict", "recommend", "not_recommend", "fired", "not_fired", "asked")
SCENARIO_KEYS = ("name", "answers", "expect", "known_gap")
# expectation -> the knowledge table its ids must be in
EXPECT_TABLES = {"verdict": "verdicts", "recommend": "recommendations", "not_recommend": "recommendations",
                 "fired": "rules", "not_fired": "rules", "asked": "questions"}
NO_SCENARIOS = "offercoach: no scenarios found; write them in a 'scenarios' folder of a knowledge directory"
STATUS_WORDS = {"passed": "ok  ", "failed": "FAIL", "gap": "gap ", "gap passes": "FAIL"}


@record
class Scenario:
    name: str
    answers: dict[str, Any]
    expect: dict[str, Any]
    where: Where
    known_gap: str | None = None


@record
class Result:
    scenario: Scenario
    failures: list[str]
    # (kind, id) of every rule, recommendation and verdict the consultation reached
    reached: set[tuple[str, str]]

    @property
    def status(self) -> str:
        """'passed', 'failed', 'gap' (a known gap, still failing) or 'gap passes' (the gap mark is stale)."""
        if self.scenario.known_gap is None:
            return "failed" if self.failures else "passed"
        return "gap" if self.failures else "gap passes"


def scenario_files(layers: list[str]) -> list[Path]:
    """Every scenarios/*.yaml file of every layer, layer by layer, in name order."""
    files: list[Path] = []
    for directory in layer_dirs(layers):
        folder = directory / "scenarios"
        if folder.is_dir():  # the same rules as for knowledge files: odd entries are reported, not skipped
            files += knowledge_files(folder)
    return files


def scenario_problems(kb: KnowledgeBase) -> list[Problem]:
    """Every located problem in the scenario files of `kb`'s layers, for 'rules validate'."""
    problems: list[Problem] = []
    try:
        paths = scenario_files(kb.layers)
    except KnowledgeError as exc:
        return exc.problems
    for path in paths:
        try:
            read_scenarios(path, kb)
        except KnowledgeError as exc:
            problems += exc.problems
    return problems


def _check_expectations(kb: KnowledgeBase, item: LocatedDict, label: str) -> list[Problem]:
    problems = []
    expect: LocatedDict = item["expect"]  # read_scenarios checked that both are mappings
    answers: LocatedDict = item.get("answers") or LocatedDict()
    for key, value in expect.items():
        at = (item.path, *expect.key_at[key])
        if key not in EXPECT_KEYS:
            problems.append(Problem(*at, f"{label}: unknown expectation '{key}'"
                                         f"{nearest(key, EXPECT_KEYS)}"))
            continue
        table = getattr(kb, EXPECT_TABLES[key])
        ids = value if isinstance(value, list) else [value]
        if not all(isinstance(i, str) for i in ids) or (key == "verdict" and isinstance(value, list)):
            what = "an id" if key == "verdict" else "a list of ids"
            problems.append(Problem(*at, f"{label}: '{key}' must be {what}"))
            continue
        singular = KINDS[EXPECT_TABLES[key]].singular
        problems += [Problem(*at, f"{label}: '{key}' names unknown {singular} '{i}'{nearest(i, table)}")
                     for i in ids if i not in table]
    for question, value in answers.items():
        at = (item.path, *answers.key_at[question])
        try:
            check_answer(kb, question, value)
        except AnswerError as exc:
            problems.append(Problem(*at, f"{label}: {exc}"))
    return problems


def read_scenarios(path: Path, kb: KnowledgeBase) -> list[Scenario]:
    """The scenarios in one file, checked against `kb`; KnowledgeError, located, if any is malformed."""
    data = read_yaml(path)
    problems = []
    items = data.get("scenarios") if isinstance(data, LocatedDict) else None
    if not isinstance(items, LocatedList):
        raise KnowledgeError([Problem(str(path), 1, 1, "a scenario file needs a 'scenarios:' list")])
    scenarios = []
    for item in items:
        where = Where(str(path), getattr(item, "line", 0), getattr(item, "col", 0))
        if not isinstance(item, LocatedDict) or not isinstance(item.get("name"), str) \
                or not isinstance(item.get("answers", {}), dict) \
                or not isinstance(item.get("expect"), LocatedDict) \
                or not isinstance(item.get("known_gap", ""), str):
            problems.append(Problem(where.path, where.line, where.col,
                                    "a scenario needs 'name' (text), 'answers' (a mapping) and 'expect' "
                                    "(a mapping); 'known_gap' is text"))
            continue
        label = f"scenario '{item['name']}'"
        problems += [Problem(where.path, *item.key_at[key],
                             f"{label}: unknown key '{key}'{nearest(key, SCENARIO_KEYS)}")
                     for key in item if key not in SCENARIO_KEYS]
        problems += _check_expectations(kb, item, label)
        scenarios.append(Scenario(item["name"], dict(item.get("answers") or {}), dict(item["expect"]), where,
                                  item.get("known_gap")))
    if problems:
        raise KnowledgeError(problems)
    return scenarios


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def run_scenario(kb: KnowledgeBase, scenario: Scenario) -> Result:
    """Consult `kb` with the scenario's answers and compare with what it expects."""
    try:
        outcome = consult(kb, scenario.answers, None, lambda _: None)
    except (KnowledgeError, InferenceError) as exc:
        return Result(scenario, [f"the consultation failed: {str(exc).splitlines()[0]}"], set())
    fired = [s.rule for s in outcome.trace.steps]
    recs = [r for r, _ in outcome.recommendations]
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
                                f"got {'present' if item in have else 'absent'} "
                                f"(the {word}s: {', '.join(have) or 'none'})")
    if "asked" in expect and _as_list(expect["asked"]) != asked:
        failures.append(f"asked: expected {', '.join(_as_list(expect['asked']))}; got {', '.join(asked)}")
    reached = {("rule", r) for r in fired} | {("recommendation", r) for r in recs}
    reached.add(("verdict", outcome.verdict))
    return Result(scenario, failures, reached)


def uncovered(kb: KnowledgeBase, results: list[Result]) -> list[tuple[str, str]]:
    """The rules, recommendations and verdicts that no scenario reaches, in knowledge order."""
    reached = set().union(*(r.reached for r in results)) if results else set()
    every = [("rule", r) for r in kb.rules] + [("recommendation", r) for r in kb.recommendations]
    every += [("verdict", v) for v in kb.verdicts]
    return [item for item in every if item not in reached]


def progress(done: int, total: int) -> str:
    """The progress line 'rules test' rewrites on a terminal."""
    return f"\r{done}/{total} scenarios"


def scenario_report(results: list[Result], missed: list[tuple[str, str]] | None) -> str:
    """'rules test' output: a line per scenario, each failure spelt out, coverage, 'N passed, N failed'."""
    lines = []
    for result in results:
        scenario = result.scenario
        lines.append(f"{STATUS_WORDS[result.status]}  {scenario.where}: {scenario.name}")
        if result.status == "gap passes":
            lines.append(f"      marked as a known gap ({scenario.known_gap}), but it passes now: "
                         "remove 'known_gap'")
        elif result.status == "gap":
            lines.append(f"      known gap: {scenario.known_gap}")
        if result.status != "passed":
            lines += [f"      {failure}" for failure in result.failures]
    if missed is not None:  # with --coverage: the items no scenario reached
        lines.append("Coverage: " + ("every rule, recommendation and verdict is reached by a scenario"
                                     if not missed else f"{len(missed)} not reached by any scenario:"))
        lines += [f"  {kind} {item}" for kind, item in missed]
    gaps = sum(r.status == "gap" for r in results)
    if gaps:
        lines.append(f"{gaps} known {'gap' if gaps == 1 else 'gaps'} (counted as passed)")
    passed = sum(r.status in ("passed", "gap") for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines) + "\n"
