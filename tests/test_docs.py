"""The documentation runs as written: the coach guide's every command, and the README's examples."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def blocks(text: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    """The fenced blocks of `kinds` ('sh' scripts, 'console' transcripts), in order."""
    return [(kind, body) for kind, body in re.findall(r"```(\w+)\n(.*?)```", text, re.DOTALL) if kind in kinds]


def expected_pattern(lines: list[str]) -> re.Pattern[str]:
    """A regex for expected output in which a '...' line stands for any number of lines."""
    parts = ["(?:.*\n)*?" if line == "..." else re.escape(line) + "\n" for line in lines]
    return re.compile("".join(parts))


def run_document(path: Path, kinds: tuple[str, ...], tmp_path: Path) -> int:
    """Run the document's blocks in order in a fresh folder, checking each transcript; return how many ran."""
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
    for kind, body in blocks(path.read_text(), kinds):
        if kind == "sh":
            assert run(body) == "", body
            ran += 1
            continue
        lines = body.rstrip("\n").split("\n")
        while lines:
            command = lines.pop(0)
            assert command.startswith("$ "), command
            output = []
            while lines and not lines[0].startswith("$ "):
                output.append(lines.pop(0))
            got = run("{ " + command[2:] + "\n} 2>&1")
            assert expected_pattern(output).fullmatch(got), f"{command}\n--- got:\n{got}"
            ran += 1
    return ran


def test_every_command_in_the_coach_guide(tmp_path):
    assert run_document(ROOT / "docs" / "coach-guide.md", ("sh", "console"), tmp_path) >= 12


def test_the_readme_examples(tmp_path):
    assert run_document(ROOT / "README.md", ("console",), tmp_path) == 3


@pytest.mark.parametrize("pattern, text, matches", [
    (["a", "...", "d"], "a\nb\nc\nd\n", True), (["a", "d"], "a\nb\nd\n", False), (["..."], "", True)])
def test_the_ellipsis_matches_any_lines_and_nothing_else(pattern, text, matches):
    assert bool(expected_pattern(pattern).fullmatch(text)) == matches
