"""The web application: the consultation page, the JSON API and (with `edit_dir`) the coach's workbench.

Stateless by design: every request carries the answers so far (the page in its URL and hidden form fields,
the API in its body), so any number of processes can serve behind a load balancer. The knowledge is loaded
once, and the engine compiled once, per process.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import engine_bridge as bridge

HERE = Path(__file__).resolve().parent
MAX_BODY = 64 * 1024  # bytes of an API request body; a consultation's answers fit in a few hundred
MAX_ANSWERS = 200  # answers in one request; the knowledge asks a handful
ANSWER_PREFIX = "a-"  # the page carries answer ID=VALUE as the form field a-ID

log = logging.getLogger("offercoach.web")

templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True)

SECURITY_HEADERS = [
    # Everything the pages use ships in the package: nothing is fetched from elsewhere.
    (b"content-security-policy", (b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would make form posts send "Origin: null"
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in SECURITY_HEADERS if k not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ApiError(Exception):
    """A JSON API error: its status and the `error` object of the body."""

    def __init__(self, status: int, message: str, **more: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error = {"message": message, **more}


def json_response(data: Any, status: int = 200) -> Response:
    text = data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return Response(text, status_code=status, media_type="application/json")


def api_error(exc: ApiError) -> Response:
    return json_response({"error": exc.error}, exc.status)


def page(template: str, status: int = 200, /, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(template).render(**context), status_code=status)


def error_page(status: int, title: str, message: str, base: str = "", /, **more: Any) -> HTMLResponse:
    return page("error.html", status, title=title, message=message, base=base, **more)


# --- reading requests ---


async def read_json(request: Request) -> Any:
    """The request body as JSON: 413 over MAX_BODY bytes, 400 when it is not UTF-8 JSON."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise ApiError(400, "the Content-Length header is not a number")
        if int(length) > MAX_BODY:
            raise ApiError(413, f"the request body is larger than {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, f"the request body is larger than {MAX_BODY} bytes")
    if not body.strip():
        raise ApiError(400, 'the request body is empty; send {"answers": {question id: value}}')
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} "
                            f"column {exc.colno}") from None
    except (ValueError, RecursionError):  # integers too long to read, arrays nested beyond recursion
        raise ApiError(400, "the request body is not JSON offercoach can read") from None


def answers_of_body(data: Any) -> list[tuple[str, Any]]:
    """The answers of a body `{"answers": {id: value}}`, in order; 400 for any other shape."""
    shape = 'the body must be {"answers": {question id: value, ...}}'
    if not isinstance(data, dict):
        raise ApiError(400, f"{shape}; got {type(data).__name__ if data is not None else 'null'}")
    extra = [k for k in data if k != "answers"]
    if extra:
        raise ApiError(400, f"{shape}; unknown key '{extra[0][:40]}'")
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise ApiError(400, f"{shape}; 'answers' is missing" if answers is None and "answers" not in data
                       else f"{shape}; 'answers' must be an object")
    if len(answers) > MAX_ANSWERS:
        raise ApiError(400, f"{shape}; more than {MAX_ANSWERS} answers")
    return list(answers.items())


def answers_of_query(request: Request) -> list[tuple[str, str]]:
    """The page's answers: the a-ID=VALUE fields of the query, in order (a later one for the same ID wins)."""
    answers: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith(ANSWER_PREFIX):
            answers.pop(key[len(ANSWER_PREFIX):], None)
            answers[key[len(ANSWER_PREFIX):]] = value
    if len(answers) > MAX_ANSWERS:
        raise HTTPException(400, f"more than {MAX_ANSWERS} answers")
    return list(answers.items())


def answers_query(answers: list[tuple[str, str]], **extra: str) -> str:
    """The query string that carries `answers` (and `extra` fields)."""
    return urlencode([*((ANSWER_PREFIX + q, v) for q, v in answers), *extra.items()])


def _checked(kb: bridge.KnowledgeBase, answers: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    try:
        return bridge.check_answers(kb, answers)
    except bridge.BadAnswer as exc:
        raise ApiError(400, exc.message, question=exc.question, allowed=exc.allowed) from None
    except RecursionError:
        raise ApiError(400, "an answer is nested too deeply to read") from None


# --- the JSON API ---


KnowledgeFor = Callable[[Request], bridge.KnowledgeBase]
CACHE_SIZE = int(os.environ.get("OFFERCOACH_HTTP_CACHE", "4096"))


class ResponseCache:
    """The last `size` API answers, by route and answers: the same answers always give the same document, and
    the knowledge of a process never changes, so a repeated consultation is not run again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.kept: OrderedDict[tuple[str, tuple[tuple[str, str], ...]], str] = OrderedDict()

    def get(self, key: tuple[str, tuple[tuple[str, str], ...]], make: Callable[[], str]) -> str:
        if key in self.kept:
            self.kept.move_to_end(key)
            return self.kept[key]
        text = make()
        if self.size > 0:
            self.kept[key] = text
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return text


def api_routes(knowledge: KnowledgeFor, cache: ResponseCache) -> list[BaseRoute]:
    def next_text(kb: bridge.KnowledgeBase, answers: list[tuple[str, str]]) -> str:
        step = bridge.advance(kb, answers)
        if isinstance(step, bridge.Pending):
            return json.dumps({"done": False, "question": step.question}, indent=2, ensure_ascii=False) + "\n"
        return json.dumps({"done": True, "result": step.document}, indent=2, ensure_ascii=False) + "\n"

    def consult_text(kb: bridge.KnowledgeBase, answers: list[tuple[str, str]]) -> str:
        return bridge.document_json(bridge.consult_document(kb, answers))

    def endpoint(route: str, make: Callable[[bridge.KnowledgeBase, list[tuple[str, str]]], str]) -> Route:
        async def answer(request: Request) -> Response:
            try:
                kb = knowledge(request)
                answers = _checked(kb, answers_of_body(await read_json(request)))
                # Neither document depends on the order the answers come in: they are used as each is asked.
                text = cache.get((route, tuple(sorted(answers))), lambda: make(kb, answers))
            except ApiError as exc:
                return api_error(exc)
            except bridge.ConsultationFailed as exc:
                return api_error(ApiError(422, str(exc)))
            return json_response(text)

        return Route(route, answer, methods=["POST"])

    return [endpoint("/api/next", next_text), endpoint("/api/consult", consult_text)]


# --- the consultation page ---


def consultation_routes(knowledge: KnowledgeFor, base: str, title: str,
                        guard: Callable[[Request], Awaitable[Response | None]] | None = None) -> list[BaseRoute]:
    """GET {base}/ (the consultation), {base}/why-not and {base}/transcript.json, for the knowledge `knowledge`
    gives; `guard` may answer a request instead (the workbench's token check)."""

    def context(answers: list[tuple[str, str]], **more: Any) -> dict[str, Any]:
        return {"base": base, "title": title, "answers": answers, "query": answers_query,
                "workbench": guard is not None, **more}

    async def start(request: Request) -> tuple[bridge.KnowledgeBase, list[tuple[str, str]], Any] | Response:
        if guard is not None and (refused := await guard(request)) is not None:
            return refused
        try:
            kb = knowledge(request)
            answers = answers_of_query(request)
            return kb, answers, bridge.advance(kb, answers, typed=True)
        except bridge.BadAnswer as exc:
            return error_page(400, "That answer cannot be used", exc.message, base,
                              allowed=exc.allowed, question=exc.question)
        except bridge.ConsultationFailed as exc:
            return error_page(422, "The knowledge cannot finish this consultation", str(exc), base)
        except bridge.KnowledgeError as exc:
            return error_page(422, "The knowledge is not usable", str(exc), base)

    async def consultation(request: Request) -> Response:
        started = await start(request)
        if isinstance(started, Response):
            return started
        kb, answers, step = started
        back = answers_query(answers[:-1])
        if isinstance(step, bridge.Pending):
            return page("question.html", **context(answers, step=step, back=back))
        return page("result.html", **context(answers, result=bridge.result_view(kb, step.outcome), back=back))

    async def why_not(request: Request) -> Response:
        started = await start(request)
        if isinstance(started, Response):
            return started
        kb, answers, step = started
        rule = request.query_params.get("rule", "")
        if isinstance(step, bridge.Pending):
            return error_page(400, "The consultation is not finished",
                              "Why-not explains a finished consultation: answer the remaining questions first.",
                              base, resume=answers_query(answers))
        try:
            view = bridge.why_not_view(kb, step.outcome, rule)
        except bridge.UsageError as exc:
            return error_page(404 if rule else 400, "No such rule", str(exc), base, resume=answers_query(answers))
        return page("why_not.html", **context(answers, view=view))

    async def transcript(request: Request) -> Response:
        started = await start(request)
        if isinstance(started, Response):
            return started
        _, answers, step = started
        if isinstance(step, bridge.Pending):
            return error_page(400, "The consultation is not finished",
                              "The transcript is ready once every question is answered.", base,
                              resume=answers_query(answers))
        return Response(bridge.document_json(step.document), media_type="application/json",
                        headers={"content-disposition": 'attachment; filename="offercoach-advice.json"'})

    return [Route(f"{base}/", consultation, methods=["GET", "HEAD"]),
            Route(f"{base}/why-not", why_not, methods=["GET", "HEAD"]),
            Route(f"{base}/transcript.json", transcript, methods=["GET", "HEAD"])]


# --- errors of last resort ---


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return api_error(ApiError(exc.status_code, exc.detail))
    return error_page(exc.status_code, {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error"),
                      exc.detail)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    """Nothing a client sends should get here; if a bug does, the client gets a clean message, never a traceback."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    message = "offercoach hit an unexpected error; the server's log has the details"
    if request.url.path.startswith("/api/"):
        return api_error(ApiError(500, message))
    return error_page(500, "Unexpected error", message)


def create_app(layers: list[str], edit_dir: str | Path | None = None, token: str | None = None,
               cache_size: int = CACHE_SIZE) -> Starlette:
    """The application for the knowledge `layers` (loaded now: raises the engine's KnowledgeError if unusable).

    With `edit_dir`, the coach's workbench under /edit edits that directory's knowledge files, for a browser
    that presents `token` (generated when not given; it is `app.state.token`). The API keeps its last
    `cache_size` answers (OFFERCOACH_HTTP_CACHE, 4096 by default; 0 keeps none).
    """
    kb = bridge.load(layers)

    def knowledge(request: Request) -> bridge.KnowledgeBase:
        return kb

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        *api_routes(knowledge, ResponseCache(cache_size)),
        *consultation_routes(knowledge, "", "offercoach"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    if edit_dir is not None:
        from .workbench import Workbench

        token = token or secrets.token_urlsafe(32)
        routes += Workbench(list(layers), Path(edit_dir), token).routes()
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: unexpected_error})
    app.add_middleware(SecurityHeaders)
    app.state.token = token
    app.state.layers = list(layers)
    app.state.edit_dir = None if edit_dir is None else str(edit_dir)
    return app


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
