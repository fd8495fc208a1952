"""The README's two commands stay the ones CI and users run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), re.DOTALL)
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert blocks[0] == "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/offercoach consult"
    assert blocks[1] == ci_command
