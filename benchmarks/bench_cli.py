"""Whole-process timings of the command line against their import floors, and 1,000 scenario tests.

    .venv/bin/python benchmarks/bench_cli.py [--runs 15] [--scenarios 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SHIM = "import collections, collections.abc; collections.Mapping = collections.abc.Mapping; "

PAIRS = [
    ("consult --no-input --format json", [str(BIN / "offercoach"), "consult", "--no-input", "--format", "json"],
     "import experta, click, yaml, tabulate", [sys.executable, "-c", SHIM + "import experta, click, yaml, tabulate"],
     1.3),
    ("--help", [str(BIN / "offercoach"), "--help"], "import click", [sys.executable, "-c", "import click"], 1.2),
]

# Seeded answers for generated scenarios: each question answered four times in five.
ANSWERS = """
def generated(kb, count):
    rng = random.Random(6)
    return [{q.id: rng.choice(q.allowed) for q in kb.questions.values() if rng.random() < 0.8} for _ in range(count)]
"""

SCENARIOS = """
import json, random, sys, time
started = time.perf_counter()
from offercoach.engine.load import load_knowledge
from offercoach.engine.scenarios import Scenario, run_scenario
from offercoach.engine.knowledge import Where
kb = load_knowledge(["default"])
""" + ANSWERS + """
scenarios = [Scenario(f"s{i}", answers, {"verdict": "none"}, Where("generated", i, 1))
             for i, answers in enumerate(generated(kb, int(sys.argv[1])))]
loaded = time.perf_counter()
verdicts = {}
for s in scenarios:
    result = run_scenario(kb, s)  # every scenario fails on purpose: the failure names the verdict reached
    failures = getattr(result, "failures", result)  # a Result, or a plain list in older versions
    verdicts[failures[0]] = verdicts.get(failures[0], 0) + 1
done = time.perf_counter()
print(json.dumps({"process_s": done - started, "run_s": done - loaded, "distinct_outcomes": len(verdicts)}))
"""


# Bytecode as a user's machine keeps it: pip compiles the installed libraries, and our own modules get theirs
# on the first run, unless PYTHONDONTWRITEBYTECODE (set on some CI images) would compile them at every start.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _seconds(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - t0


def _median_ms(cmd: list[str], runs: int) -> float:
    return statistics.median(_seconds(cmd) for _ in range(runs)) * 1000


def _paired_ms(cmd: list[str], floor_cmd: list[str], runs: int) -> tuple[float, float, float]:
    """Medians of `cmd` and `floor_cmd` run in turns, and the median of their ratios, pair by pair.

    On a shared machine the speed drifts over seconds; alternating keeps both sides under the same drift."""
    pairs = [(_seconds(cmd), _seconds(floor_cmd)) for _ in range(runs)]
    return (statistics.median(a for a, _ in pairs) * 1000, statistics.median(b for _, b in pairs) * 1000,
            statistics.median(a / b for a, b in pairs))

# The same number of scenarios, each expecting the verdict it reaches, in a layer of its own, run by the command.
SCENARIO_FILE = """
import json, random, sys
from pathlib import Path
from offercoach.engine.consult import consult
from offercoach.engine.knowledge import BUILT_IN
from offercoach.engine.load import load_knowledge
kb = load_knowledge(["default"])
""" + ANSWERS + """
cases = []
for i, answers in enumerate(generated(kb, int(sys.argv[1]))):
    verdict = consult(kb, answers, None, lambda *_: None).verdict
    cases.append({"name": f"generated {i}", "answers": answers, "expect": {"verdict": verdict}})
layer = Path(sys.argv[2])
(layer / "scenarios").mkdir(parents=True)
for path in BUILT_IN.glob("*.yaml"):
    (layer / path.name).write_bytes(path.read_bytes())
(layer / "scenarios" / "generated.yaml").write_text(json.dumps({"scenarios": cases}))
"""

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scenarios", type=int, default=1000)
    args = parser.parse_args()
    print("| measurement | median ms | floor | floor median ms | ratio (median of pairs) | target |")
    print("|---|---:|---|---:|---:|---:|")
    for name, cmd, floor_name, floor_cmd, target in PAIRS:
        _median_ms(cmd, 2), _median_ms(floor_cmd, 2)  # warm the page cache for both
        ours, floor, ratio = _paired_ms(cmd, floor_cmd, args.runs)
        print(f"| `offercoach {name}` | {ours:.0f} | `python -c \"{floor_name}\"` | {floor:.0f} | "
              f"{ratio:.2f}x | <= {target}x |", flush=True)
    done = subprocess.run([sys.executable, "-c", SCENARIOS, str(args.scenarios)], check=False,
                          capture_output=True, text=True, env=ENV)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        return 1
    result = json.loads(done.stdout)
    print(f"\n{args.scenarios} scenarios of the default knowledge: {result['run_s']:.2f} s "
          f"({result['process_s']:.2f} s with imports and loading; target <= 2 s); "
          f"{result['distinct_outcomes']} distinct verdicts")
    with tempfile.TemporaryDirectory() as tmp:
        layer = str(Path(tmp) / "layer")
        subprocess.run([sys.executable, "-c", SCENARIO_FILE, str(args.scenarios), layer], check=True, env=ENV)
        command = [str(BIN / "offercoach"), "rules", "test", "--knowledge", layer]
        last = subprocess.run(command, check=False, capture_output=True, text=True, env=ENV).stdout.splitlines()[-1:]
        whole = _median_ms(command, 3)  # every scenario passes, so the command exits 0
    print(f"`offercoach rules test` of those {args.scenarios} scenarios, whole process (median of 3, the "
          f"knowledge cached): {whole / 1000:.2f} s; it said: {last[0] if last else '(nothing)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
