"""Engines side by side on generated knowledge: offercoach's engine, stock experta and CLIPS (clipspy).

Every cell runs in a fresh process. A run is one consultation with every answer known up front:
reset, declare all M answers, run to the end. The same compiled rules (advice, need and ask rules)
go to every engine; CLIPS gets a translation of the same conditions with Python actions.

    .venv/bin/python benchmarks/bench_engines.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import kbgen

ENGINES = ("offercoach", "experta", "clips")
FULL_CELLS = [(n, m) for n in (100, 1000, 3000) for m in (10, 100, 1000)]
QUICK_CELLS = [(100, 10), (100, 100), (1000, 100), (3000, 100)]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _child(engine: str, kb_dir: str, n_questions: int, seed: int, repeats: int) -> dict[str, Any]:
    """Measure one engine on one knowledge base, inside this (fresh) process."""
    started = time.perf_counter()
    from offercoach.engine.load import load_knowledge
    kb = load_knowledge([kb_dir])
    loaded = time.perf_counter()
    answers = kbgen.answers(n_questions, seed)
    if engine == "clips":
        from clips_engine import ClipsAdvice
        clips_engine = ClipsAdvice(kb)

        def consult() -> set[str]:
            clips_engine.consult(answers)
            return clips_engine.fired
    else:
        from offercoach.engine.compile import AdviceEngine, answer_class
        if engine == "experta":
            from offercoach.engine.compile import compile_rules
            from offercoach.engine.experta_compat import KnowledgeEngine
            from offercoach.engine.experta_fixes import StableDepthStrategy

            class StockAdviceEngine(KnowledgeEngine):
                """experta's own matcher and run loop; only the stale-activation fix, so counts can agree."""

                __strategy__ = StableDepthStrategy

                def __init__(self, rules: list[Any]) -> None:
                    self._rules = rules
                    super().__init__()

                def get_rules(self) -> list[Any]:
                    return self._rules
            experta_engine: Any = StockAdviceEngine(compile_rules(kb))
        else:
            experta_engine = AdviceEngine(kb)

        def consult() -> set[str]:
            experta_engine.reset()
            experta_engine.declare(*[answer_class(q)(value=v) for q, v in answers.items()])
            experta_engine.run()
            # The advice rules that fired: each declares its facts, recommendations and verdict 'by' itself.
            return {f["by"] for f in experta_engine.facts.values() if "by" in f}
    compiled = time.perf_counter()
    times, fired = [], set()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fired = consult()
        times.append(time.perf_counter() - t0)
    return {"engine": engine, "load_s": loaded - started, "compile_s": compiled - loaded,
            "run_s": statistics.median(times), "runs": repeats, "firings": len(fired),
            "fired": sorted(fired), "peak_rss_mb": _peak_rss_mb()}


def _measure(engine: str, kb_dir: Path, n_questions: int, seed: int, repeats: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", engine, str(kb_dir), str(n_questions), str(seed), str(repeats)]
    try:
        # Every engine parses and checks the YAML itself: no knowledge cache read or written (its write would
        # also count in the peak RSS).
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "OFFERCOACH_CACHE": "off"})
    except subprocess.TimeoutExpired:
        return {"engine": engine, "skipped": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        if engine == "clips" and "No module named 'clips'" in done.stderr:
            return {"engine": engine, "skipped": "clipspy is not installed (pip install .[bench])"}
        raise RuntimeError(f"{engine} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only M=100 and N=100 (M=10), fewer runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=7, help="runs per cell; the median is reported")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a cell is given up")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        engine, kb_dir, n_questions, seed, repeats = args.child
        print(json.dumps(_child(engine, kb_dir, int(n_questions), int(seed), int(repeats))))
        return 0
    results, disagreements = [], []
    print("| N rules | M answers | engine | load+check s | compile s | run ms (median) | firings | "
          "ms/firing | peak RSS MB |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n_rules, n_questions in (QUICK_CELLS if args.quick else FULL_CELLS):
            kb_dir = kbgen.write(Path(tmp) / f"kb-{n_rules}-{n_questions}", n_rules, n_questions, args.seed)
            cell = []
            for engine in ENGINES:
                # Stock experta's cells take tens of seconds each; three runs give a fair median.
                repeats = min(args.repeats, 3) if engine == "experta" or args.quick else args.repeats
                row = _measure(engine, kb_dir, n_questions, args.seed, repeats, args.timeout)
                row.update(n_rules=n_rules, n_questions=n_questions)
                cell.append(row)
                results.append(row)
                if "skipped" in row:
                    print(f"| {n_rules} | {n_questions} | {engine} | skipped: {row['skipped']} |||||||")
                    continue
                per_firing = row["run_s"] * 1000 / max(row["firings"], 1)
                print(f"| {n_rules} | {n_questions} | {engine} | {row['load_s']:.3f} | {row['compile_s']:.3f} | "
                      f"{row['run_s'] * 1000:.1f} | {row['firings']} | {per_firing:.3f} | "
                      f"{row['peak_rss_mb']:.0f} |", flush=True)
            measured = [r for r in cell if "skipped" not in r]
            if len({tuple(r["fired"]) for r in measured}) > 1:
                disagreements.append((n_rules, n_questions, {r["engine"]: r["firings"] for r in measured}))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    _summary(results)
    if disagreements:
        print(f"FAIL: the engines fired different rules: {disagreements}")
        return 1
    return 0


def _summary(results: list[dict[str, Any]]) -> None:
    """The issue's targets that these cells can decide."""
    def cell(engine: str, n: int, m: int) -> dict[str, Any] | None:
        return next((r for r in results if r["engine"] == engine and r["n_rules"] == n
                     and r["n_questions"] == m and "skipped" not in r), None)
    print()
    for n in (1000, 3000):
        ours, clips = cell("offercoach", n, 100), cell("clips", n, 100)
        if ours and clips:
            print(f"N={n} M=100: offercoach / CLIPS = {ours['run_s'] / clips['run_s']:.1f}x (target <= 10x)")
    points = [(n, r) for n in (100, 1000, 3000) if (r := cell("offercoach", n, 100)) and r["firings"]]
    if len(points) >= 2:
        # Least-squares slope of log(run time per firing) against log(N); the exponent of run time in N
        # at a constant firing rate is one more than that slope.
        xs = [math.log(n) for n, _ in points]
        ys = [math.log(r["run_s"] / r["firings"]) for _, r in points]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        shown = ", ".join(f"N={n}: {r['run_s'] / r['firings'] * 1e3:.3f}" for n, r in points)
        print(f"ms per firing (M=100): {shown}; fitted exponent {1 + slope:.2f} (target <= 1.1)")
    large = cell("offercoach", 3000, 100)
    if large:
        print(f"compile 3000 rules: {large['compile_s']:.2f} s (target <= 1 s); "
              f"peak RSS {large['peak_rss_mb']:.0f} MB (target <= 120 MB)")


if __name__ == "__main__":
    sys.exit(main())
