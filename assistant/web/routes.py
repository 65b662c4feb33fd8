"""The chat web UI and answer feedback, mounted onto the API app.

``mount_web(app, settings)`` adds:

    GET  /                      the chat page (assistant/web/static/index.html)
    GET  /static/...            its assets (app.js, app.css), no build step
    GET  /favicon.svg, .ico     the icon (the API docs use it too)
    POST /v1/feedback           {conversation_id, turn, rating: up|down, comment?} -> 201
    GET  /v1/feedback/export    every feedback row, oldest first (JSON list)

Feedback rows live in the shared-state database (``state/``), beside the conversations. Both
feedback routes need a reader's key when keys are configured, like the rest of ``/v1``; feedback
is given on, and exported for, the caller's own conversations (an admin key: all). Each one is
counted in ``assistant_feedback_total{rating}`` on the app's Prometheus registry
(``app.state.metrics``).

Every response carries ``X-Content-Type-Options``, ``X-Frame-Options`` and ``Referrer-Policy``;
the page and its assets also a Content-Security-Policy that allows no inline script or style
and nothing from another origin, the API docs one that allows their inline start-up but
nothing from another origin either (``SecurityHeadersMiddleware``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..contract import Text, error_responses
from ..conversation.store import ID_PATTERN, Caller, validate_id
from ..errors import NotFoundError
from ..security import CallerDep, require_reader  # the API's own key check
from ..settings import Settings
from ..state.database import Database, database_for
from ..state.tables import feedback

WEB_DIR = Path(__file__).resolve().parent / "static"

# The page loads /static/app.js and /static/app.css and talks to its own origin; nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)
# The API docs (/docs, /redoc) are FastAPI's pages over packaged Swagger UI and ReDoc: they
# start with an inline script and style themselves inline, but need nothing from another origin
# either; ReDoc's sidebar logo would come from a CDN, so images are the server's own.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeadersMiddleware:
    """Adds ``SECURITY_HEADERS`` to every response, and the CSP to the page and its assets."""

    def __init__(self, app: ASGIApp, csp_paths: tuple[str, ...] = ("/", "/static/")) -> None:
        self.app = app
        self.csp_paths = csp_paths

    def _csp(self, path: str) -> str | None:
        if path in DOCS_PATHS:
            return DOCS_CONTENT_SECURITY_POLICY
        if any(path == p or (p.endswith("/") and p != "/" and path.startswith(p))
               for p in self.csp_paths):
            return CONTENT_SECURITY_POLICY
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = self._csp(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if csp:
                    headers["Content-Security-Policy"] = csp
            await send(message)

        await self.app(scope, receive, send_with_headers)

class FeedbackIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"conversation_id": "c_9f2a1b3c4d5e6f70", "turn": 1, "rating": "up",
         "comment": "Exactly the figure I needed."}
    ]})

    conversation_id: Text = Field(min_length=1, max_length=64,
                                  json_schema_extra={"pattern": ID_PATTERN})
    turn: int = Field(ge=1, le=100_000, description="The turn's n (1 for the first).")
    rating: Literal["up", "down"]
    comment: Text | None = Field(default=None, max_length=4000)


class FeedbackOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": 1, "conversation_id": "c_9f2a1b3c4d5e6f70", "turn": 1, "rating": "up",
         "comment": None, "created": 1795000000.0}
    ]})

    id: int
    conversation_id: str
    turn: int
    rating: str
    comment: str | None = None
    created: float = Field(description="Unix time.")


class FeedbackStore:
    """Append-only feedback rows in the shared-state database; safe to share between threads."""

    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database.sqlite(db)

    def add(self, item: FeedbackIn) -> FeedbackOut:
        created = time.time()
        comment = item.comment.strip() if item.comment else None
        with self.db.begin() as conn:
            result = conn.execute(feedback.insert().values(
                conversation_id=item.conversation_id, turn=item.turn, rating=item.rating,
                comment=comment or None, created=created))
            key = result.inserted_primary_key
            row_id = int(key[0]) if key else 0
        return FeedbackOut(id=row_id, conversation_id=item.conversation_id, turn=item.turn,
                           rating=item.rating, comment=comment or None, created=created)

    def export(self, conversations: set[str] | None = None) -> list[FeedbackOut]:
        """Every row, oldest first; only those on ``conversations`` when it is given."""
        f = feedback
        with self.db.begin() as conn:
            rows = conn.execute(
                select(f.c.id, f.c.conversation_id, f.c.turn, f.c.rating, f.c.comment,
                       f.c.created).order_by(f.c.id)
            ).all()
        return [FeedbackOut(id=r[0], conversation_id=r[1], turn=r[2], rating=r[3],
                            comment=r[4], created=r[5])
                for r in rows if conversations is None or r[1] in conversations]


def _feedback_counter(app: FastAPI) -> Counter | None:
    metrics = getattr(app.state, "metrics", None)
    registry = getattr(metrics, "registry", None)
    if registry is None:
        return None
    counter = Counter("assistant_feedback", "Answer feedback received, by rating.", ["rating"],
                      registry=registry)
    for rating in ("up", "down"):
        counter.labels(rating)
    return counter


def _visible(request: Request, caller: Caller) -> set[str] | None:
    """The conversation ids whose feedback ``caller`` may read; None for all."""
    assistant: Any = getattr(request.app.state, "assistant", None)
    if caller.admin or assistant is None:
        return None
    return {c.id for c in assistant.conversations.list(1_000_000, caller)}


def _is_mounted(app: FastAPI) -> bool:
    return any(getattr(route, "path", None) == "/" for route in app.router.routes)


def mount_web(app: FastAPI, settings: Settings) -> None:
    """Serve the chat UI at ``/`` and ``/static``, and add the feedback routes.

    Calling it again on the same app does nothing.
    """
    if getattr(app.state, "web_mounted", False) or _is_mounted(app):
        return
    app.state.web_mounted = True
    app.add_middleware(SecurityHeadersMiddleware)
    store = FeedbackStore(database_for(settings))
    app.state.feedback = store
    counter = _feedback_counter(app)


    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.svg", include_in_schema=False)
    @app.get("/favicon.ico", include_in_schema=False)  # asked for by browsers unprompted
    def favicon() -> FileResponse:
        return FileResponse(WEB_DIR / "favicon.svg", media_type="image/svg+xml",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    router = APIRouter(tags=["feedback"], dependencies=[Depends(require_reader)])

    @router.post("/v1/feedback", response_model=FeedbackOut, status_code=201,
                 responses=error_responses(400, 401, 404, 413))
    def post_feedback(body: FeedbackIn, request: Request, caller: CallerDep) -> FeedbackOut:
        """Record a thumbs up or down (and an optional comment) on one of your answers."""
        validate_id(body.conversation_id)
        assistant: Any = getattr(request.app.state, "assistant", None)
        if assistant is not None and not assistant.conversations.exists(body.conversation_id,
                                                                         caller):
            raise NotFoundError(f"no conversation {body.conversation_id!r}")
        row = store.add(body)
        if counter is not None:
            counter.labels(body.rating).inc()
        return row

    @router.get("/v1/feedback/export", response_model=list[FeedbackOut],
                responses=error_responses(401))
    def export_feedback(request: Request, caller: CallerDep) -> list[FeedbackOut]:
        """Feedback on your conversations (an admin key: all), oldest first."""
        return store.export(_visible(request, caller))

    app.include_router(router)
