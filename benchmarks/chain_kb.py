"""The chain layer of issue 12, item 3: 4 questions of 9 values, N rules each needing all four answers and the
previous fact of a chain, written in reverse order (so a pass over the rules in file order reaches one more rule).

    .venv/bin/python benchmarks/chain_kb.py DIR [--rules 30]   # writes DIR/chain.yaml
    .venv/bin/python benchmarks/chain_kb.py DIR --time          # and times validate, consult and rules list on it
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

QUESTIONS = 4
VALUES = [f"v{n}" for n in range(9)]


def chain_layer(n_rules: int) -> str:
    """The YAML of one knowledge file: the chain of `n_rules` rules, last rule first."""
    lines = ["questions:"]
    for q in range(QUESTIONS):
        lines += [f"  - id: q{q}", f"    prompt: Question {q}?", "    help: Any.", "    values:"]
        lines += [f"      {v}: value {v}" for v in VALUES]
    lines += ["facts:"] + [f"  - id: f{n}\n    meaning: step {n} of the chain" for n in range(n_rules - 1)]
    lines += ["verdicts:", "  - id: done", "    title: The end of the chain", "    summary: Reached.",
              "    priority: 10",
              "  - id: not_yet", "    title: Not at the end", "    summary: Not reached.", "    priority: 5"]
    lines += ["sections:", "  - id: s", "    title: The chain", "    summary: A chain of rules."]
    lines += ["rules:"]
    for n in reversed(range(n_rules)):
        when = [f"{{fact: f{n - 1}}}"] if n else []
        # Each answer test allows v0 and one other value, so every rule can fire and the chain can be walked.
        when += [f"{{answer: q{q}, one_of: [v0, v{1 + (n + q) % 8}]}}" for q in range(QUESTIONS)]
        then = "{verdict: done, summary: Reached.}" if n == n_rules - 1 else f"{{conclude: [f{n}]}}"
        lines += [f"  - id: r{n}", f"    title: Step {n}", "    when:"]
        lines += [f"      - {c}" for c in when]
        lines += [f"    then: {then}", "    sources: [s]", "    rationale: The next step."]
    # Whatever the answers, some verdict: the chain's end wins over this one.
    lines += ["  - id: fallback", "    title: Anything else", "    when:",
              f"      - {{answer: q0, one_of: [{', '.join(VALUES)}, unknown]}}",
              "    then: {verdict: not_yet, summary: Not reached.}", "    sources: [s]", "    rationale: Any case."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--rules", type=int, default=30)
    parser.add_argument("--time", action="store_true")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    (args.dir / "chain.yaml").write_text(chain_layer(args.rules))
    if args.time:
        exe = str(Path(sys.executable).parent / "offercoach")
        answers = [f"--answer=q{q}=v0" for q in range(QUESTIONS)]
        for name, cmd in (("rules validate", ["rules", "validate"]),
                          ("consult --no-input", ["consult", "--no-input", *answers]),
                          ("rules list", ["rules", "list"])):
            t0 = time.perf_counter()
            done = subprocess.run([exe, *cmd, "--knowledge", str(args.dir)], check=False, capture_output=True,
                                  text=True)
            print(f"{args.rules} rules, {name}: {time.perf_counter() - t0:.2f} s (exit {done.returncode})",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
