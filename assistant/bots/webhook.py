"""A generic HTTP bot webhook: ``POST /v1/hooks/ask``, signed with a shared secret.

A chat platform (or any bot) posts ``{"text", "user", "thread", "callback_url"?}`` signed with
``ASSISTANT_HOOK_SECRET``::

    X-Assistant-Timestamp: <unix seconds>
    X-Assistant-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

The timestamp must be within five minutes of the server's clock, and each signed request is
answered once: its signature is remembered (``BotState``) for longer than that window, so a
replay of it is refused with 409 ``replayed``. The reply is the contract answer (docs/contract.md
§1) plus ``text``, a ready-to-post plain-text rendering. ``thread`` names a conversation (the
same ``BotState`` mapping Slack threads use), so follow-ups keep their context; a conversation
the webhook starts is owned by ``hook:<user>``. With ``callback_url`` the route answers ``202``
at once and POSTs the result there later, signed the same way, with up to ``CALLBACK_TRIES``
tries and exponential backoff, to a checked public address only (``callbacks.py``: no SSRF).
Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ..contract import AskResponse, ErrorResponse, Text, malformed_text
from ..conversation.store import Caller
from ..errors import AssistantError, error_body, http_status
from ..service import Assistant, clean_question
from ..settings import Settings
from ..types import Answer
from .callbacks import (
    ATTEMPT_HEADER,
    CALLBACK_BACKOFF_S,
    CALLBACK_TRIES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CallbackPolicy,
    deliver,
    resolve_target,
    sign,
)
from .render import render_text
from .threads import AssistantProvider, BotState

log = logging.getLogger("assistant.bots.webhook")

__all__ = ["ATTEMPT_HEADER", "CALLBACK_BACKOFF_S", "CALLBACK_TRIES", "CallbackPolicy",
           "HOOK_PATH", "deliver", "hook_router", "sign", "signature_problem"]

HOOK_PATH = "/v1/hooks/ask"
MAX_SKEW_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # bounded: a 400-digit number is not a time
_SIGNATURE_MAX = 128

class HookRequest(BaseModel):
    """What a bot posts."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"text": "How much copper did the Example mine produce in 2023?", "user": "U123",
         "thread": "chat-42"},
        {"text": "And in 2023?", "user": "U123", "thread": "chat-42",
         "callback_url": "https://bot.example.com/assistant-replies"},
    ]})
    text: Text = Field(description="The question: 1..max_question_chars characters after "
                                   "trimming.")
    user: Text | None = Field(default=None, max_length=200,
                              description="Who asked (echoed back; owns the conversation).")
    thread: Text | None = Field(
        default=None, min_length=1, max_length=200,
        description="Your conversation's id: the same thread continues the same conversation. "
                    "Omit for a one-off question.")
    callback_url: Text | None = Field(
        default=None, max_length=2000, json_schema_extra={"pattern": "^https?://[^/?#\\s]+"},
        description="http(s) URL of a public address: answer 202 at once and POST the result "
                    "there (signed). A malformed URL, or one whose host resolves to a loopback, "
                    "private, link-local or reserved address, is a 400 bad_callback_url (unless "
                    "ASSISTANT_HOOK_CALLBACK_ALLOW names the address).")

    def owner(self) -> Caller:
        """Who the conversation belongs to; the webhook may continue the threads it maps."""
        return Caller(f"hook:{self.user}" if self.user else "hook", admin=True)


class HookAnswer(AskResponse):
    """The contract answer plus a plain-text rendering and the request's user and thread."""

    text: str = Field(description="The answer, its numbered quotes and numbers as plain text.")
    user: str | None = None
    thread: str | None = None


class HookAccepted(BaseModel):
    """The 202 for a request with ``callback_url``: the result comes later."""

    status: Literal["accepted"] = "accepted"
    conversation_id: str
    user: str | None = None
    thread: str | None = None
    callback_url: str


def signature_problem(secret: str, timestamp: str | None, signature: str | None, body: bytes,
                      now: float | None = None) -> str | None:
    """Why a request's signature does not hold, or None when it does."""
    if not timestamp or not signature:
        return f"sign the request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are needed"
    if not _TIMESTAMP.fullmatch(timestamp):
        return f"{TIMESTAMP_HEADER} must be Unix time in whole seconds (at most 12 digits)"
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW_S:
        return f"{TIMESTAMP_HEADER} is more than {MAX_SKEW_S // 60} minutes from the server's clock"
    if len(signature) > _SIGNATURE_MAX or not hmac.compare_digest(
            sign(secret, timestamp, body).encode(), signature.encode("utf-8", "replace")):
        return (f"{SIGNATURE_HEADER} does not match: expected v1=<hex HMAC-SHA256 of "
                "'{timestamp}.{body}'> under ASSISTANT_HOOK_SECRET")
    return None


def _error(status: int, code: str, message: str) -> Response:
    # ASCII-escaped JSON: a message may quote a client's malformed text.
    body = json.dumps(error_body(code, message)).encode("ascii")
    return Response(body, status_code=status, media_type="application/json")


def _answer_body(answer: Answer, hook: HookRequest) -> dict[str, Any]:
    contract = AskResponse.from_answer(answer).model_dump(mode="json")
    return HookAnswer(**contract, text=render_text(answer), user=hook.user,
                      thread=hook.thread).model_dump(mode="json")


def _parse(body: bytes) -> HookRequest | Response:
    """The request body as a ``HookRequest``, or the error response saying why it is not."""
    try:
        raw = json.loads(body)
    except ValueError as exc:
        return _error(400, "bad_request", f"the body is not valid JSON ({exc})")
    try:
        return HookRequest.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        malformed = malformed_text(list(errors))
        if malformed:
            where, message = malformed
            return _error(400, "bad_question" if where == "text" else "bad_input", message)
        problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                    for e in errors[:5]]
        return _error(422, "invalid_request", "; ".join(problems)
                      + ' (expected {"text", "user", "thread", "callback_url"?})')


async def _read(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes (stops reading there)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and len(declared) < 20 and int(declared) > limit:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


def _logged(fn: Callable[[], None], what: str) -> Callable[[], None]:
    """``fn`` for a background thread: a failure is logged, not lost in a future."""
    def run() -> None:
        try:
            fn()
        except Exception:
            log.exception("%s failed", what)

    return run


class _Hooks:
    """The webhook's work off the event loop: answering, and later delivering."""

    def __init__(self, settings: Settings, assistant_provider: AssistantProvider,
                 state: BotState, callbacks: CallbackPolicy) -> None:
        self.settings = settings
        self.assistant_provider = assistant_provider
        self.state = state
        self.callbacks = callbacks
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], None], what: str) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=4,
                                                    thread_name_prefix="hook-callback")
        self._executor.submit(_logged(fn, what))

    def conversation_of(self, assistant: Assistant, hook: HookRequest) -> str:
        if hook.thread is None:
            return assistant.conversations.new_id()
        return self.state.conversation_for("hook:" + hook.thread,
                                           assistant.conversations.new_id)

    def ask(self, assistant: Assistant, hook: HookRequest, conversation_id: str) -> Answer:
        with self.state.thread_lock("hook:" + (hook.thread or conversation_id)):
            return assistant.ask(hook.text, conversation_id, caller=hook.owner(), start=True)

    def answer_later(self, assistant: Assistant, hook: HookRequest, conversation_id: str) -> None:
        secret = self.settings.hook_secret
        assert secret is not None and hook.callback_url is not None
        payload: dict[str, Any]
        try:
            payload = _answer_body(self.ask(assistant, hook, conversation_id), hook)
        except AssistantError as exc:
            payload = {"error": {"code": exc.code, "message": exc.message}}
        except Exception:
            log.exception("answering a webhook question failed")
            payload = {"error": {"code": "internal_error",
                                 "message": "unexpected server error; details in the server log"}}
        payload.setdefault("conversation_id", conversation_id)
        payload.setdefault("user", hook.user)
        payload.setdefault("thread", hook.thread)
        deliver(hook.callback_url, payload, secret, self.callbacks)

    def handle(self, hook: HookRequest) -> tuple[int, dict[str, Any]]:
        assistant = self.assistant_provider()
        clean_question(hook.text, self.settings.max_question_chars)  # a bad question: 400 now
        if hook.callback_url is not None:  # a malformed or refused URL: 400 now, not dropped
            resolve_target(hook.callback_url, self.callbacks)
        conversation_id = self.conversation_of(assistant, hook)
        if hook.callback_url is not None:
            self.submit(lambda: self.answer_later(assistant, hook, conversation_id),
                        f"the webhook callback to {hook.callback_url}")
            accepted = HookAccepted(conversation_id=conversation_id, user=hook.user,
                                    thread=hook.thread, callback_url=hook.callback_url)
            return 202, accepted.model_dump(mode="json")
        return 200, _answer_body(self.ask(assistant, hook, conversation_id), hook)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": HookAnswer, "description": "The answer, and `text` to post as is."},
    202: {"model": HookAccepted, "description": "Accepted; the result goes to `callback_url`."},
    400: {"model": ErrorResponse, "description": "Bad JSON, a bad question, or a refused "
                                                 "callback_url (`bad_callback_url`)."},
    401: {"model": ErrorResponse, "description": "Missing, stale or wrong signature."},
    404: {"model": ErrorResponse, "description": "No such conversation."},
    409: {"model": ErrorResponse, "description": "This signed request was already received "
                                                 "(`replayed`), or the conversation is full."},
    413: {"model": ErrorResponse, "description": "Request body too large."},
    422: {"model": ErrorResponse, "description": "The body does not match the schema."},
    500: {"model": ErrorResponse, "description": "Unexpected server error."},
    502: {"model": ErrorResponse, "description": "An upstream service failed."},
    503: {"model": ErrorResponse, "description": "No hook secret set, or no index yet."},
}


def hook_router(settings: Settings, assistant_provider: AssistantProvider, state: BotState,
                callbacks: CallbackPolicy | None = None) -> APIRouter:
    """The ``POST /v1/hooks/ask`` route; documented in OpenAPI only when it is switched on.

    ``callbacks`` (default: from ``settings``) says where callbacks may go and how.
    """
    router = APIRouter(tags=["bots"])
    secret = settings.hook_secret
    hooks = _Hooks(settings, assistant_provider, state,
                   callbacks or CallbackPolicy.from_settings(settings))

    @router.post(
        HOOK_PATH, include_in_schema=secret is not None, response_model=None,
        responses=_RESPONSES,
        openapi_extra={
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": HookRequest.model_json_schema()}}},
            "parameters": [
                {"name": TIMESTAMP_HEADER, "in": "header", "required": True,
                 "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
                 "description": "Unix time in seconds."},
                {"name": SIGNATURE_HEADER, "in": "header", "required": True,
                 "schema": {"type": "string", "maxLength": _SIGNATURE_MAX},
                 "description": 'v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>'},
            ],
        },
    )
    async def hook_ask(request: Request) -> Response:
        """Answer a bot's signed question; with `callback_url`, answer 202 and POST it later."""
        if not secret:
            return _error(503, "hook_not_configured",
                          "the webhook is off on this server: set ASSISTANT_HOOK_SECRET "
                          "(see docs/slack.md)")
        body = await _read(request, settings.max_body_bytes)
        if body is None:
            return _error(413, "payload_too_large", f"request body is over "
                          f"{settings.max_body_bytes} bytes (ASSISTANT_MAX_BODY_BYTES)")
        signature = request.headers.get(SIGNATURE_HEADER)
        problem = signature_problem(secret, request.headers.get(TIMESTAMP_HEADER), signature,
                                    body)
        if problem:
            return _error(401, "unauthorized", problem)
        hook = _parse(body)
        if isinstance(hook, Response):
            return hook
        if not await run_in_threadpool(state.first_sighting, f"hook-signature:{signature}"):
            return _error(409, "replayed", "this signed request was already received; sign "
                          "each request anew (a fresh timestamp) to ask again")
        try:
            status, payload = await run_in_threadpool(hooks.handle, hook)
        except AssistantError as exc:
            return _error(http_status(exc), exc.code, exc.message)
        return JSONResponse(payload, status_code=status)

    return router
