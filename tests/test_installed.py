"""The installed `offercoach` command, run from an unrelated directory as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = Path(sys.executable).parent / "offercoach"
ANSWERS = ["--answer", "situation=accepted_offer_want_out", "--answer", "reason=dream_company_offer",
           "--answer", "via_agency=yes"]


def run(args, cwd, seed="0", input=None):
    env = dict(os.environ, PYTHONHASHSEED=seed)
    env.pop("OFFERCOACH_KNOWLEDGE", None)
    return subprocess.run([str(COMMAND), *args], check=False, cwd=cwd, env=env, input=input,
                          capture_output=True, text=True)


pytestmark = pytest.mark.skipif(not COMMAND.exists(), reason="offercoach is not installed in this environment")


def test_version_and_help_work_from_any_directory(tmp_path):
    version = run(["--version"], tmp_path)
    assert (version.returncode, version.stdout, version.stderr) == (0, "offercoach, version 0.1.0\n", "")
    for command in ([], ["consult"], ["rules"], ["rules", "validate"], ["rules", "test"]):
        shown = run([*command, "--help"], tmp_path)
        assert shown.returncode == 0
        assert "Example:" in shown.stdout


def test_the_built_in_knowledge_ships_with_the_package(tmp_path):
    result = run(["consult", *ANSWERS, "--no-input", "--format", "json"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"]["id"] == "honour_commitment"
    validated = run(["rules", "validate"], tmp_path)
    assert (validated.returncode, validated.stderr) == (0, "")
    assert validated.stdout.startswith("ok: ")


def test_the_same_answers_give_byte_identical_json_in_every_process(tmp_path):
    outputs = {run(["consult", *ANSWERS, "--no-input", "--format", "json"], tmp_path, seed=seed).stdout
               for seed in ("1", "2", "3")}
    assert len(outputs) == 1


def test_the_built_in_scenarios_pass(tmp_path):
    result = run(["rules", "test"], tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed")
