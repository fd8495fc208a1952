"""docs/http.md runs as written against a real server, and `serve.run` starts, prints its addresses and stops."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[test,web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install -e '.[test,web]'")

import uvicorn

from offercoach.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
DOC_ADDRESS = "http://127.0.0.1:8000"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    live = uvicorn.Server(uvicorn.Config(create_app(["default"]), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not live.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    live.should_exit = True
    thread.join(timeout=10)


def expected_pattern(lines):
    """A regex for expected output in which a '...' line stands for any number of lines."""
    return re.compile("".join("(?:.*\n)*?" if line == "..." else re.escape(line) + "\n" for line in lines))


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed: apt-get install -y curl")
def test_every_curl_example_in_http_md(server, tmp_path):
    text = (ROOT / "docs" / "http.md").read_text()
    env = {k: v for k, v in os.environ.items() if k != "OFFERCOACH_KNOWLEDGE"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    ran = 0
    for body in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        lines = body.rstrip("\n").split("\n")
        while lines:
            command = lines.pop(0)
            assert command.startswith("$ "), command
            output = []
            while lines and not lines[0].startswith("$ "):
                output.append(lines.pop(0))
            script = command[2:].replace(DOC_ADDRESS, server)
            done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  check=False, timeout=60)
            got = done.stdout + done.stderr
            assert expected_pattern(output).fullmatch(got), f"{command}\n--- got:\n{got}"
            ran += 1
    assert ran >= 6


def start(code, **env):
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env}, start_new_session=True)


def first_line(process, timeout=30):
    got = []
    reader = threading.Thread(target=lambda: got.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert got and got[0], "serve printed nothing"
    return got[0]


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status, reply.read().decode()


def wait_healthy(url, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(url + "healthz")
        except OSError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)


def stop(process):
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_serve_prints_the_address_and_the_workbench_token(tmp_path):
    shutil.copytree(ROOT / "knowledge", tmp_path / "kb")
    process = start(f"from offercoach.web.serve import run; run([{str(tmp_path / 'kb')!r}], '127.0.0.1', 0, "
                    f"{str(tmp_path / 'kb')!r}, 1)")
    try:
        served = first_line(process)
        url = re.fullmatch(r"offercoach: serving \S+ on (http://127\.0\.0\.1:\d+/) \(Ctrl-C stops\)\n", served)[1]
        workbench = first_line(process)
        token = re.fullmatch(rf"offercoach: the workbench for \S+: {re.escape(url)}edit\?token=(\S+)\n", workbench)[1]
        assert wait_healthy(url) == (200, "ok")
        status, page = get(url + "edit/scenarios", {"authorization": f"token {token}"})
        assert status == 200 and "passed" in page
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(url + "edit/scenarios")
        assert refused.value.code == 403
    finally:
        stop(process)
    assert process.returncode == 0, process.stderr.read()


@pytest.mark.slow
def test_serve_with_two_workers(tmp_path):
    port = free_port()
    process = start(f"from offercoach.web.serve import run; run(['default'], '127.0.0.1', {port}, None, 2)")
    try:
        assert first_line(process) == f"offercoach: serving default on http://127.0.0.1:{port}/ (Ctrl-C stops)\n"
        assert wait_healthy(f"http://127.0.0.1:{port}/") == (200, "ok")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/next", data=b'{"answers": {}}',
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert b'"situation"' in reply.read()
    finally:
        stop(process)


def test_unusable_knowledge_is_refused_before_anything_is_bound(tmp_path):
    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "kb.yaml").write_text("questions: [")
    from offercoach.web import serve
    from offercoach.web.engine_bridge import KnowledgeError

    with pytest.raises(KnowledgeError):
        serve.run([str(broken)], "127.0.0.1", free_port(), None, 1)


def test_importing_offercoach_does_not_import_the_web_stack():
    shown = subprocess.run([sys.executable, "-c", ("import sys, offercoach.cli, offercoach.engine.consult; "
                            "print(sorted(m for m in ('starlette', 'uvicorn', 'jinja2') if m in sys.modules))")],
                           capture_output=True, text=True, check=False)
    assert (shown.returncode, shown.stdout) == (0, "[]\n"), shown.stderr
