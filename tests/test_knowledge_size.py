"""Time and memory bounded by the knowledge's size (issue 12, item 3): the reachability check is a worklist that
decides independent conditions one by one, and the knowledge of all layers together is bounded in bytes."""

import importlib.util
import sys
import time
from pathlib import Path

import pytest

from offercoach.cli import main
from offercoach.engine import check
from offercoach.engine.errors import KnowledgeError
from offercoach.engine.knowledge import FactHolds, walk
from offercoach.engine.load import MAX_KNOWLEDGE_BYTES, load_knowledge
from offercoach.engine.yaml_source import MAX_FILE_BYTES

_spec = importlib.util.spec_from_file_location("chain_kb", Path(__file__).parents[1] / "benchmarks" / "chain_kb.py")
assert _spec is not None and _spec.loader is not None
chain_kb = importlib.util.module_from_spec(_spec)
sys.modules["chain_kb"] = chain_kb
_spec.loader.exec_module(chain_kb)


def chain(tmp_path: Path, rules: int) -> Path:
    directory = tmp_path / f"chain{rules}"
    directory.mkdir()
    (directory / "chain.yaml").write_text(chain_kb.chain_layer(rules))
    return directory


def test_the_60_rule_chain_validates_in_well_under_a_second_per_command(runner, tmp_path):
    directory = chain(tmp_path, 60)
    started = time.perf_counter()
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 61 rules, 4 questions")
    # Before the worklist, 81 s; now about half a second on the machine of docs/performance.md.
    assert time.perf_counter() - started < 10


def test_each_rule_is_tried_again_only_when_a_fact_it_reads_becomes_concludable(tmp_path, monkeypatch):
    kb = load_knowledge([str(chain(tmp_path, 30))])
    tried: list[str] = []
    can_hold = check._can_hold
    monkeypatch.setattr(check, "_can_hold", lambda kb, rule, facts: tried.append(rule.id) or can_hold(kb, rule, facts))
    fireable, facts = check.reachable_facts(kb)
    assert fireable == set(kb.rules) and facts == set(kb.facts)
    reads = sum(len({c.fact for c in walk(r.when) if isinstance(c, FactHolds)}) for r in kb.rules.values())
    assert len(tried) <= len(kb.rules) + reads  # 31 + 29 = 60, where full passes in reverse order made 466
    tried.clear()
    check.unmatchable_rules(kb), check.warnings(kb)
    assert tried == []  # once per knowledge base: validating asks four times


def test_independent_conditions_are_decided_one_by_one(tmp_path):
    """Twelve questions of nine values: 9**12 combinations, which the check used to give up on (assuming the rule
    satisfiable); each condition is now decided alone, so the contradiction on q0 is found."""
    questions = "".join(f"  - {{id: q{q}, prompt: Q?, help: H., values: {{{', '.join(f'v{v}: V' for v in range(9))}}}}}\n"
                        for q in range(12))
    conditions = "".join(f"      - {{answer: q{q}, one_of: [v0, v1]}}\n" for q in range(12))
    (tmp_path / "k.yaml").write_text(
        f"questions:\n{questions}verdicts:\n  - {{id: d, title: D, summary: S., priority: 1}}\n"
        "sections:\n  - {id: s, title: S, summary: S.}\n"
        f"rules:\n  - id: r\n    title: R\n    when:\n{conditions}      - {{answer: q0, is: v2}}\n"
        "    then: {verdict: d, summary: S.}\n    sources: [s]\n    rationale: R.\n")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge([str(tmp_path)])
    assert str(raised.value) == (f"{tmp_path / 'k.yaml'}:19:5: error: rule 'r' can never fire: its conditions "
                                 "'q0 is one of v0, v1' (line 22) and 'q0 is v2' (line 34) contradict each other, "
                                 "whatever the answers")


def test_knowledge_over_the_total_bound_is_refused_at_the_file_that_takes_it_over(runner, tmp_path):
    """Each file is under its own bound; five of them are over the bound on all layers together."""
    directory = tmp_path / "big"
    directory.mkdir()
    size = MAX_FILE_BYTES - 1024
    for n in range(5):
        (directory / f"k{n}.yaml").write_bytes(b"# " + b"x" * (size - 3) + b"\n")
    over = next(n for n in range(5) if (n + 1) * size > MAX_KNOWLEDGE_BYTES)
    started = time.perf_counter()
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory)])
    assert (result.exit_code, result.stderr) == (1, (
        f"{directory / f'k{over}.yaml'}: error: with this file the knowledge of all layers comes to more than "
        f"{MAX_KNOWLEDGE_BYTES} bytes, the most offercoach reads; make it smaller\n"))
    assert time.perf_counter() - started < 30
