"""Requests per second and p50/p95 latency of POST /api/next and /api/consult, at 1, 10 and 50 concurrent clients.

One `offercoach serve` process (offercoach.web.serve.run) on 127.0.0.1 and a free port; the clients are threads
of this process, each with its own keep-alive connection, sending only to that address. Every cell is bounded in
requests and in time, and the server is stopped at the end. The answers cycle through every consultation of the
built-in knowledge (found once through the engine), so the requests are as varied as real ones.

    .venv/bin/python benchmarks/bench_http.py            # the full grid, about a minute
    .venv/bin/python benchmarks/bench_http.py --quick    # fewer requests per cell
    .venv/bin/python benchmarks/bench_http.py --cache 4096   # with the response cache `serve` keeps, warmed
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = (1, 10, 50)
TIME_LIMIT = 30.0  # seconds per cell at most


def consultations() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Every finished consultation of the built-in knowledge, and every unfinished one (a question pending)."""
    from offercoach.web import engine_bridge as bridge

    kb = bridge.load(["default"])
    todo: list[list[tuple[str, str]]] = [[]]
    finished, pending = [], []
    while todo:
        answers = todo.pop()
        step = bridge.advance(kb, answers)
        if isinstance(step, bridge.Pending):
            pending.append(dict(answers))
            todo += [[*answers, (step.question["id"], c["value"])] for c in step.question["choices"]]
        else:
            finished.append(dict(answers))
    return finished, pending


def start_server(cache: int) -> tuple[subprocess.Popen[str], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = f"from offercoach.web.serve import run; run(['default'], '127.0.0.1', {port}, None, 1)"
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, cwd=ROOT, env={**os.environ, "OFFERCOACH_HTTP_CACHE": str(cache)})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().read() == b"ok":
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"the server did not start: {server.communicate()[0]}")


def cell(port: int, route: str, bodies: list[bytes], clients: int, total: int) -> dict[str, float]:
    """`total` requests from `clients` threads; returns requests/s, p50 and p95 in ms, and the errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(total))
    stop_at = time.monotonic() + TIME_LIMIT

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            body = bodies[n % len(bodies)]
            started = time.perf_counter()
            connection.request("POST", route, body, {"content-type": "application/json"})
            reply = connection.getresponse()
            reply.read()
            mine.append(time.perf_counter() - started)
            if reply.status != 200:
                errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "rps": len(ordered) / elapsed,
            "p50": statistics.median(ordered) * 1000, "p95": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
            "errors": errors[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests per cell")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--cache", type=int, default=0,
                        help="the server's response cache (OFFERCOACH_HTTP_CACHE); 0, the default here, measures "
                             "every request running the engine; 4096 is what 'offercoach serve' keeps")
    options = parser.parse_args()
    finished, pending = consultations()
    print(f"{len(finished)} finished and {len(pending)} unfinished consultations of the built-in knowledge",
          flush=True)
    bodies = {"/api/consult": [json.dumps({"answers": a}).encode() for a in finished],
              "/api/next": [json.dumps({"answers": a}).encode() for a in pending + finished]}
    server, port = start_server(options.cache)
    rows = []
    try:
        for route in ("/api/next", "/api/consult"):
            # Warm up: the engine is compiled on first use, and a cache (if any) is filled as a busy server's is.
            cell(port, route, bodies[route], 4, len(bodies[route]) if options.cache else 100)
            for clients in CONCURRENCY:
                total = (200 if options.quick else 1000) if clients == 1 else (400 if options.quick else 2000)
                figures = cell(port, route, bodies[route], clients, total)
                rows.append({"route": route, "clients": clients, **figures})
                print(f"{route:13} {clients:3} clients: {figures['rps']:7.1f} req/s  p50 {figures['p50']:6.1f} ms  "
                      f"p95 {figures['p95']:6.1f} ms  ({figures['requests']} requests, {figures['errors']} errors)",
                      flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"\nPython {platform.python_version()}, {os.cpu_count()} cores, one server process, response cache "
          f"{options.cache}\n")
    print("| route | clients | requests/s | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| `{r['route']}` | {r['clients']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} |")
    if options.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
