"""The coach's workbench (`offercoach serve --edit DIR`): edit, validate and test the knowledge files of DIR.

Only a browser that presents the token printed at start-up gets in (`/edit?token=...` sets a cookie, as Jupyter
does; scripts may send `Authorization: token ...`). Every POST also carries a form field derived from the token,
and a cross-site Origin is refused. Only the knowledge files directly in DIR and in DIR/scenarios can be read or
written: names are looked up in that listing, never joined onto a path. Saves compare the version (the SHA-256
of the file as the coach opened it) with the file on disk, so a second coach saving the same file gets 409 and
keeps their text.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from . import engine_bridge as bridge
from .app import consultation_routes, error_page, page
from .graphview import graph_svg

KNOWLEDGE_SUFFIXES = (".yaml", ".yml")
MAX_FILE = 1024 * 1024  # bytes of one knowledge file sent from the editor
MAX_FORM = 2 * MAX_FILE
NEW_NAME = re.compile(r"^(scenarios/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.ya?ml$")
CONTEXT = 3  # lines shown before and after each line with a problem
NEW_FILE_TEXT = "# A knowledge file of offercoach: see docs/knowledge-format.md.\n"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Line:
    number: int
    text: str
    problems: list[bridge.Located]

    @property
    def severity(self) -> str:
        return "error" if any(p.severity == "error" for p in self.problems) else "warning"


class Workbench:
    def __init__(self, layers: list[str], directory: Path, token: str) -> None:
        self.dir = directory.resolve()
        if not self.dir.is_dir():
            raise bridge.UsageError(f"--edit {directory}: no such directory")
        self.layer = next((layer for layer in layers if layer != "default" and Path(layer).resolve() == self.dir),
                          str(directory))
        # The knowledge being edited: the served layers, with DIR added last if it is not among them.
        self.layers = list(layers) if self.layer in layers else [*layers, self.layer]
        self.token = token
        self.cookie = "offercoach_edit_" + hashlib.sha256(token.encode()).hexdigest()[:10]
        self.csrf = hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()
        self._write_lock = threading.Lock()
        self._kb_lock = threading.Lock()
        self._kb: tuple[tuple[Any, ...], bridge.KnowledgeBase] | None = None

    # --- who may come in ---

    def _presented(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("token "):
            return header[6:].strip()
        return request.cookies.get(self.cookie, "")

    def authenticated(self, request: Request) -> bool:
        return hmac.compare_digest(self._presented(request).encode(), self.token.encode())

    async def guard(self, request: Request) -> Response | None:
        if self.authenticated(request):
            return None
        return error_page(403, "The workbench needs its token",
                          "Open the workbench with the address 'offercoach serve --edit' printed at start-up "
                          "(it ends with ?token=...).", "")

    def _same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None:  # not sent by every browser for same-origin form posts; the CSRF field still is
            return True
        return urlsplit(origin).netloc == request.headers.get("host", "")

    async def form(self, request: Request) -> dict[str, str] | Response:
        """The POSTed form, once the token, the CSRF field and the origin check out."""
        if (refused := await self.guard(request)) is not None:
            return refused
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_FORM:
            return error_page(413, "Too large", f"A knowledge file may be at most {MAX_FILE} bytes.", "/edit")
        if not self._same_origin(request):
            return error_page(403, "Refused", "This request came from another site.", "/edit")
        try:
            async with request.form(max_files=0, max_fields=20, max_part_size=MAX_FORM) as form:
                fields = {k: v for k, v in form.items() if isinstance(v, str)}
        except (HTTPException, MultiPartException, ValueError):  # a malformed or oversized form body
            return error_page(400, "Unreadable form", "The form could not be read.", "/edit")
        if not hmac.compare_digest(fields.get("csrf", "").encode(), self.csrf.encode()):
            return error_page(403, "Refused", "This form did not come from the workbench (its CSRF field is "
                              "missing or wrong); reload the page and try again.", "/edit")
        return fields

    # --- the files of DIR ---

    def files(self) -> list[str]:
        """The knowledge files the workbench may touch: DIR/*.yaml|yml and DIR/scenarios/*.yaml|yml, by name."""
        names = []
        for folder, prefix in ((self.dir, ""), (self.dir / "scenarios", "scenarios/")):
            if not folder.is_dir() or folder.is_symlink():
                continue
            for path in sorted(folder.iterdir()):
                if path.suffix in KNOWLEDGE_SUFFIXES and path.is_file() and not path.is_symlink() \
                        and path.resolve().parent == folder.resolve():
                    names.append(prefix + path.name)
        return names

    def path(self, name: str) -> Path | None:
        """The file called `name`, if it is one of files(); a name is never joined onto a path otherwise."""
        return self.dir / name if name in self.files() else None

    def _signature(self) -> tuple[Any, ...]:
        stats: list[tuple[str, int | None, int | None]] = []
        for directory in bridge.knowledge_dirs(self.layers):
            for folder in (directory, directory / "scenarios"):
                try:
                    stats += [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.iterdir())]
                except OSError:
                    stats.append((str(folder), None, None))
        return tuple(stats)

    def knowledge(self, request: Request | None = None) -> bridge.KnowledgeBase:
        """The edited knowledge as it is on disk, loaded again when a file changed; raises KnowledgeError."""
        signature = self._signature()
        with self._kb_lock:
            if self._kb is None or self._kb[0] != signature:
                self._kb = (signature, bridge.load(self.layers))
            return self._kb[1]

    def validate(self, name: str | None = None, text: str | None = None) -> tuple[list[bridge.Located], str | None]:
        """`rules validate` on the edited knowledge, with `name` holding `text` instead of what is on disk."""
        if name is None or text is None:
            return bridge.validate(self.layers)
        with tempfile.TemporaryDirectory(prefix="offercoach-edit-") as tmp:
            for other in self.files():
                target = Path(tmp) / other
                target.parent.mkdir(exist_ok=True)
                target.write_bytes((self.dir / other).read_bytes())
            target = Path(tmp) / name
            target.parent.mkdir(exist_ok=True)
            target.write_text(text, encoding="utf-8")
            layers = [tmp if layer == self.layer else layer for layer in self.layers]
            problems, summary = bridge.validate(layers)
            here, there = str(Path(tmp)), str(Path(self.layer))
            problems = [bridge.Located(p.path.replace(here, there), p.line, p.col, p.severity,
                                       p.message.replace(here, there)) for p in problems]
            return problems, summary.replace(here, there) if summary else None

    def _is_this(self, problem: bridge.Located, name: str) -> bool:
        try:
            return Path(problem.path).resolve() == (self.dir / name).resolve()
        except (OSError, ValueError):
            return False

    def _write(self, path: Path, text: str) -> None:
        """Write atomically: a temporary file in DIR, then a rename."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                out.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # --- pages ---

    def _context(self, **more: Any) -> dict[str, Any]:
        return {"base": "/edit/try", "csrf": self.csrf, "directory": str(self.dir), "layers": self.layers,
                "files": self.files(), **more}

    async def home(self, request: Request) -> Response:
        presented = request.query_params.get("token")
        if presented is not None:
            if not hmac.compare_digest(presented.encode(), self.token.encode()):
                return error_page(403, "Wrong token", "That is not the token this server printed.", "")
            response = RedirectResponse("/edit", status_code=303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
            return response
        if (refused := await self.guard(request)) is not None:
            return refused
        problems, summary = await run_in_threadpool(self.validate)
        return page("edit_home.html", **self._context(problems=problems, summary=summary))

    def _editor(self, name: str, text: str, version: str, problems: list[bridge.Located], summary: str | None,
                status: int = 200, banner: tuple[str, str] | None = None, confirm: bool = False,
                theirs: str | None = None) -> Response:
        mine = [p for p in problems if self._is_this(p, name)]
        elsewhere = [p for p in problems if not self._is_this(p, name)]
        lines = [Line(n, line, [p for p in mine if p.line == n]) for n, line in enumerate(text.split("\n"), 1)]
        file_level = [p for p in mine if not 1 <= p.line <= len(lines)]
        shown = sorted({k for line in lines if line.problems
                        for k in range(max(1, line.number - CONTEXT), min(len(lines), line.number + CONTEXT) + 1)})
        excerpts: list[list[Line]] = []
        for k in shown:  # the lines around each problem, runs that touch merged into one excerpt
            if excerpts and excerpts[-1][-1].number == k - 1:
                excerpts[-1].append(lines[k - 1])
            else:
                excerpts.append([lines[k - 1]])
        response = page("edit_file.html", status, **self._context(
            name=name, text=text, version=version, excerpts=excerpts, mine=mine, file_level=file_level,
            elsewhere=elsewhere, summary=summary, banner=banner, confirm=confirm, theirs=theirs,
            errors=sum(p.severity == "error" for p in problems)))
        response.headers["etag"] = f'"{version}"'
        return response

    def _no_such_file(self, name: str) -> Response:
        return error_page(404, "No such knowledge file", f"'{name}' is not a knowledge file of {self.dir}.", "/edit")

    async def file(self, request: Request) -> Response:
        if (refused := await self.guard(request)) is not None:
            return refused
        name = request.path_params["name"]
        path = self.path(name)
        if path is None:
            return self._no_such_file(name)
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        problems, summary = await run_in_threadpool(self.validate)
        return self._editor(name, text, version_of(data), problems, summary)

    async def save(self, request: Request) -> Response:
        fields = await self.form(request)
        if isinstance(fields, Response):
            return fields
        name = request.path_params["name"]
        path = self.path(name)
        if path is None:
            return self._no_such_file(name)
        text = fields.get("text", "").replace("\r\n", "\n")
        if len(text.encode("utf-8")) > MAX_FILE:
            return error_page(413, "Too large", f"A knowledge file may be at most {MAX_FILE} bytes.", "/edit")
        version = fields.get("version", "")
        problems, summary = await run_in_threadpool(self.validate, name, text)
        errors = [p for p in problems if p.severity == "error"]
        if fields.get("action") != "save":
            banner = ("bad", f"{plural(len(errors), 'error')}: not usable as it stands (nothing was saved).") \
                if errors else \
                ("ok", "No errors (nothing was saved yet).")
            return self._editor(name, text, version, problems, summary, banner=banner)
        with self._write_lock:
            data = path.read_bytes()
            if not hmac.compare_digest(version.encode(), version_of(data).encode()):
                return self._editor(
                    name, text, version_of(data), problems, summary, status=409, theirs=data.decode("utf-8", "replace"),
                    banner=("bad", (f"Not saved: {name} was changed by someone else since you opened it. Your text is "
                                   "kept below, and theirs is shown beside it; merge them and save again.")))
            if errors and fields.get("confirm") != "yes":
                on_disk, _ = await run_in_threadpool(self.validate)
                if not any(p.severity == "error" for p in on_disk):
                    return self._editor(
                        name, text, version, problems, summary, status=422, confirm=True,
                        banner=("bad", (f"Not saved: with this text the knowledge has {plural(len(errors), 'error')}, and the "
                                       "file on disk is good. Fix them, or save anyway.")))
            self._write(path, text)
            new_version = version_of(text.encode("utf-8"))
        banner = ("warn", f"Saved, with {plural(len(errors), 'error')}: the knowledge is not usable until they are fixed.") \
            if errors else ("ok", f"Saved {name}.")
        return self._editor(name, text, new_version, problems, summary, banner=banner)

    async def new_file(self, request: Request) -> Response:
        fields = await self.form(request)
        if isinstance(fields, Response):
            return fields
        name = fields.get("name", "").strip()
        if not NEW_NAME.match(name) or ".." in name:
            return error_page(400, "Not a knowledge file name",
                              "Name it like rules-mine.yaml (letters, digits, '-', '_' and '.'), or "
                              "scenarios/mine.yaml for scenarios.", "/edit")
        with self._write_lock:
            if name in self.files():
                return RedirectResponse(f"/edit/file/{name}", status_code=303)
            target = self.dir / name
            if target.exists() or target.is_symlink():
                return error_page(409, "That name is taken", f"{name} already exists.", "/edit")
            target.parent.mkdir(exist_ok=True)
            if target.parent.resolve() not in (self.dir, (self.dir / "scenarios").resolve()):
                return error_page(400, "Not a knowledge file name", f"{name} is outside {self.dir}.", "/edit")
            self._write(target, NEW_FILE_TEXT if not name.startswith("scenarios/") else "scenarios: []\n")
        return RedirectResponse(f"/edit/file/{name}", status_code=303)

    async def scenarios(self, request: Request) -> Response:
        if (refused := await self.guard(request)) is not None:
            return refused
        report = await run_in_threadpool(bridge.run_scenarios, self.layers)
        return page("edit_scenarios.html", **self._context(report=report))

    async def paths(self, request: Request) -> Response:
        if (refused := await self.guard(request)) is not None:
            return refused
        try:
            kb = await run_in_threadpool(self.knowledge)
        except bridge.KnowledgeError as exc:
            return page("edit_paths.html", 422, **self._context(problems=bridge.located(exc.problems)))
        leaves, summary = await run_in_threadpool(bridge.every_path, kb)
        stuck = any(leaf.verdict is None for leaf in leaves)
        return page("edit_paths.html", **self._context(leaves=leaves, summary=summary, stuck=stuck, problems=None))

    async def graph(self, request: Request) -> Response:
        if (refused := await self.guard(request)) is not None:
            return refused
        try:
            kb = await run_in_threadpool(self.knowledge)
        except bridge.KnowledgeError as exc:
            return page("edit_graph.html", 422, **self._context(svg=None, problems=str(exc)))
        nodes, links = bridge.rule_graph(kb)
        return page("edit_graph.html", **self._context(svg=graph_svg(nodes, links), problems=None))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/edit", self.home, methods=["GET", "HEAD"]),
            Route("/edit/file/{name:path}", self.file, methods=["GET", "HEAD"]),
            Route("/edit/file/{name:path}", self.save, methods=["POST"]),
            Route("/edit/new", self.new_file, methods=["POST"]),
            Route("/edit/scenarios", self.scenarios, methods=["GET", "HEAD"]),
            Route("/edit/paths", self.paths, methods=["GET", "HEAD"]),
            Route("/edit/graph", self.graph, methods=["GET", "HEAD"]),
            *consultation_routes(self.knowledge, "/edit/try", "offercoach: trying the edited knowledge",
                                 guard=self.guard),
        ]
