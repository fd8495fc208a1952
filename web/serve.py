"""`offercoach serve`: the web application under uvicorn, one process or several (`workers`)."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import sys
from pathlib import Path
from typing import Any

from .app import create_app

CONFIG_ENV = "OFFERCOACH_SERVE_CONFIG"  # how worker processes learn the layers, the edit directory and the token


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def app_from_environment() -> Any:
    """The application of a worker process, configured by the parent through CONFIG_ENV."""
    config = json.loads(os.environ[CONFIG_ENV])
    return create_app(config["layers"], config["edit_dir"], config["token"])


def run(layers: list[str], host: str = "127.0.0.1", port: int = 8000, edit_dir: str | Path | None = None,
        workers: int = 1) -> None:
    """Serve the consultation page and the API (and with `edit_dir`, the workbench) until Ctrl-C.

    The knowledge is loaded before anything is bound, so unusable knowledge raises the engine's KnowledgeError
    (and a missing edit directory its UsageError) as the other commands do. Prints the address to open; with
    `edit_dir`, the workbench's address with its token, which is new at every start.
    """
    import uvicorn

    token = secrets.token_urlsafe(32) if edit_dir is not None else None
    app = create_app(list(layers), edit_dir, token)
    if port == 0:
        port = _free_port(host)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    print(f"offercoach: serving {', '.join(layers)} on {url} (Ctrl-C stops)", flush=True)
    if edit_dir is not None:
        print(f"offercoach: the workbench for {edit_dir}: {url}edit?token={token}", flush=True)
        if not _is_loopback(host):
            print(f"offercoach: warning: the workbench is reachable from other machines on {host}; anyone with "
                  "the token can change the knowledge", file=sys.stderr, flush=True)
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning", "access_log": False}
    if workers > 1:
        os.environ[CONFIG_ENV] = json.dumps({"layers": list(layers), "edit_dir": None if edit_dir is None
                                             else str(edit_dir), "token": token})
        uvicorn.run("offercoach.web.serve:app_from_environment", factory=True, workers=workers, **options)
    else:
        uvicorn.run(app, **options)
