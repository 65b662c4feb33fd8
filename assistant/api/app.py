"""The FastAPI application: ``create_app`` builds one; nothing is loaded at import time.

Start-up loads the model and the index once, in a thread (``Assistant.warm``), so ``/healthz``
answers at once and ``/readyz`` turns ready when warming is done. Route handlers are plain
``def``s: they run in the threadpool, sharing one thread-safe ``Assistant``.

Every error leaves in the contract's shape ``{"error": {"code", "message"}}``: domain errors by
their class, HTTP errors (401, 404, 405, 413, 422, …) by status, anything unexpected as 500
with no traceback (that goes to the log).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..contract import malformed_text
from ..errors import AssistantError, error_body, http_status
from ..library import Library
from ..security import (
    ApiError,
    BodyLimitMiddleware,
    ContractCORSMiddleware,
    KeyGateMiddleware,
    require_reader,
)
from ..service import Assistant
from ..settings import Settings
from .deps import Readiness, scrub_paths
from .metrics import Metrics, MetricsMiddleware
from .routes import ask, chat, conversations, documents, facts, health, models, search
from .routes.chat import ChatSessions

log = logging.getLogger("assistant.api")

DESCRIPTION = """\
Answers questions only from its sources: every `[n]` in an answer is a quote at exact offsets
into `GET /v1/documents/{doc_id}/text`, and every number is checked against structured facts.

**Keys.** With `ASSISTANT_API_KEYS` set, every `/v1` route needs `Authorization: Bearer KEY` or
`X-API-Key: KEY` (401 otherwise). With no keys set, read routes are open and write routes
(`POST`/`DELETE /v1/documents`) are refused with 403. `ASSISTANT_ALLOW_ANONYMOUS_WRITES=true`
(development only) opens the write routes without a key. `/healthz`, `/readyz`, `/metrics` and
these docs are always open.

**Errors** are always `{"error": {"code": "…", "message": "…"}}`.
"""

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
               415: "unsupported_media_type", 429: "too_many_requests"}


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped: an error message quoting a client's malformed text (a lone
    surrogate) still encodes."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return AsciiJSONResponse(error_body(code, message), status_code=status, headers=headers)


async def _on_assistant_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistantError)
    message = scrub_paths(exc.message, request.app.state.settings)
    return error_response(http_status(exc), exc.code, message)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path: GET and DELETE live on separate routes, so
    the route that raised the 405 knows only its own."""
    routes = request.app.router.routes
    return ", ".join(m for m in _METHODS if any(
        route.matches({**request.scope, "method": m})[0] == Match.FULL for route in routes))


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    path = request.url.path[:200]
    headers = dict(exc.headers) if exc.headers else {}
    if status == 404:
        message = f"no route {request.method} {path}; the API is described at /docs"
    elif status == 405:
        headers["Allow"] = allowed_methods(request)
        message = f"{request.method} is not allowed on {path}: use {headers['Allow']}; see /docs"
    else:
        message = str(exc.detail)
    return error_response(status, _HTTP_CODES.get(status, f"http_{status}"), message,
                          headers or None)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    malformed = malformed_text(list(exc.errors()))
    if malformed:  # not a schema mismatch: text that is not Unicode, a 400 like a bad question
        where, message = malformed
        return error_response(400, "bad_question" if where == "question" else "bad_input",
                              message)
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else
                        str(error.get("msg", "invalid")))
    message = "; ".join(problems) or "the request does not match the schema"
    return error_response(422, "invalid_request", message + " (see /docs for the schema)")


class CatchAllMiddleware:
    """Unexpected exceptions become a 500 in the error shape, logged with their traceback.

    Starlette's own handler for ``Exception`` re-raises after responding, and uvicorn then
    drops the connection; this answers cleanly and keeps the connection usable. An exception
    after the response started (a stream) is re-raised: the connection must close.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(
                500, "internal_error", "unexpected server error; the details are in the server log"
            )
            await response(scope, receive, send)


def _warm(assistant: Assistant, library: Library, readiness: Readiness) -> None:
    """Load the index, then the model; settle uploads a killed process left. No index (or an
    unreachable Chroma server) is not fatal: /readyz checks the index again on every call, and
    an upload may create one."""
    try:
        assistant.conversations  # noqa: B018 - open the store once, before requests race to
        try:
            assistant.warm()
        except AssistantError as exc:
            log.warning("index not loaded: %s", exc.message)
            assistant.holder.embedder.warm()
        for line in library.sweep():
            log.warning("start-up: %s", line)
        readiness.model_warm = True
    except Exception as exc:  # reported by /readyz; the process stays up for /healthz
        log.exception("start-up failed")
        readiness.failure = scrub_paths(f"start-up failed: {exc.__class__.__name__}: {exc}",
                                        assistant.settings)


def build_api(settings: Settings, assistant: Assistant) -> FastAPI:
    """The HTTP API: routes, error handlers, shared state (``assistant.app`` adds the bots, the
    web UI and the middleware). The model and index load in its lifespan, not here."""
    readiness = Readiness()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_warm, args=(assistant, app.state.library, readiness),
                         name="assistant-warm", daemon=True).start()
        yield

    app = FastAPIOffline(  # /docs and /redoc from packaged assets: they work with no network
        title="assistant",
        favicon_url="/favicon.svg",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        exception_handlers={
            AssistantError: _on_assistant_error,
            ApiError: _on_api_error,
            StarletteHTTPException: _on_http_error,
            RequestValidationError: _on_validation_error,
        },
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.readiness = readiness
    app.state.metrics = Metrics(settings.replica)
    app.state.library = Library(settings, assistant.holder)
    app.state.chat_sessions = ChatSessions()
    app.state.started = time.time()

    app.include_router(health.router)
    for module in (ask, search, chat, models, conversations, documents, facts):
        app.include_router(module.router, dependencies=[Depends(require_reader)])
    app.include_router(documents.write_router)  # its own check: require_writer
    return app


def add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """The edge every route sits behind: errors caught, body limits, keys, CORS, metrics."""
    # Added innermost first: CORS sees the request before the key gate, the gate before the
    # body limit (neither reads the body), metrics see all.
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_body=settings.max_body_bytes,
                       max_upload=settings.max_upload_bytes)
    app.add_middleware(KeyGateMiddleware, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            ContractCORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
