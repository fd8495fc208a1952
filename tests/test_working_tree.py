"""The tests exercise this checkout, never a copy of offercoach installed from elsewhere."""

import subprocess
import sys
from pathlib import Path

import offercoach

CHECKOUT = Path(__file__).resolve().parent.parent


def test_the_tests_import_the_checkout():
    assert Path(offercoach.__file__).resolve() == CHECKOUT / "__init__.py"


def test_a_new_process_outside_the_checkout_imports_the_checkout_too(tmp_path):
    shown = subprocess.run([sys.executable, "-c", "import offercoach.engine.consult as m; print(m.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert Path(shown.stdout.strip()).resolve() == CHECKOUT / "engine" / "consult.py"


def test_python_dash_m_runs_the_command_line(tmp_path):
    shown = subprocess.run([sys.executable, "-m", "offercoach", "--version"],
                           cwd=tmp_path, capture_output=True, text=True, check=False)
    assert (shown.returncode, shown.stdout, shown.stderr) == (0, "offercoach, version 0.1.0\n", "")
