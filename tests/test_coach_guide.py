"""docs/coach-guide.md runs as written: every command in it, in order, with the output it shows."""

import os
import re
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "coach-guide.md"


def blocks(text: str) -> list[tuple[str, str]]:
    """The guide's fenced blocks that run: ('sh', script) and ('console', transcript), in order."""
    return [(kind, body) for kind, body in re.findall(r"```(\w+)\n(.*?)```", text, re.DOTALL)
            if kind in ("sh", "console")]


def expected_pattern(lines: list[str]) -> re.Pattern[str]:
    """A regex for expected output in which a '...' line stands for any number of lines."""
    parts = ["(?:.*\n)*?" if line == "..." else re.escape(line) + "\n" for line in lines]
    return re.compile("".join(parts), re.DOTALL)


def test_every_command_in_the_coach_guide(tmp_path):
    env_file = tmp_path / "env.sh"
    env_file.write_text("")
    env = {k: v for k, v in os.environ.items() if k != "OFFERCOACH_KNOWLEDGE"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    work = tmp_path / "work"
    work.mkdir()

    def run(script: str) -> str:
        wrapped = f"source {env_file}\n{script}\nexport -p > {env_file}\n"
        done = subprocess.run(["bash", "-c", wrapped], cwd=work, env=env, capture_output=True, text=True,
                              check=False)
        return done.stdout + done.stderr

    ran = 0
    for kind, body in blocks(GUIDE.read_text()):
        if kind == "sh":
            assert run(body) == "", body
        else:
            command, *output = body.rstrip("\n").split("\n")
            assert command.startswith("$ ")
            got = run("{ " + command[2:] + "\n} 2>&1")
            assert expected_pattern(output).fullmatch(got), f"{command}\n--- got:\n{got}"
        ran += 1
    assert ran >= 12
