"""Shared fixtures: a tiny knowledge base for engine tests, and the command-line runner."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from knowledge_bases import TINY_KB

# The knowledge cache of this test run, and of the commands it starts, is its own: never the user's.
os.environ["OFFERCOACH_CACHE"] = tempfile.mkdtemp(prefix="offercoach-test-cache-")
atexit.register(shutil.rmtree, os.environ["OFFERCOACH_CACHE"], True)

# experta needs offercoach's compatibility shim before any test module imports it.
import offercoach.engine.experta_compat  # noqa: F401


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    """A directory holding a small valid knowledge base in one file, kb.yaml."""
    directory = tmp_path / "kb"
    directory.mkdir()
    (directory / "kb.yaml").write_text(TINY_KB)
    return directory


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
