"""A generic HTTP bot webhook: ``POST /v1/hooks/ask``, signed with a shared secret.

A chat platform (or any bot) posts ``{"text", "user", "thread", "callback_url"?}`` signed with
``ASSISTANT_HOOK_SECRET``::

    X-Assistant-Timestamp: <unix seconds>
    X-Assistant-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>

The timestamp must be within five minutes of the server's clock. The reply is the contract
answer (CONTRACT.md §1) plus ``text``, a ready-to-post plain-text rendering. ``thread`` names a
conversation (the same ``BotState`` mapping Slack threads use), so follow-ups keep their
context. With ``callback_url`` (http or https only) the route answers ``202`` at once and POSTs
the result there later, signed the same way, with up to ``CALLBACK_TRIES`` tries and exponential
backoff. Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from ..api.models import AskResponse, ErrorResponse
from ..errors import (
    AssistantError,
    ConfigError,
    IndexNotReadyError,
    InputError,
    NotFoundError,
    UpstreamError,
)
from ..service import Assistant, answer_to_contract, clean_question
from ..settings import Settings
from ..types import Answer
from .render import render_text
from .threads import AssistantProvider, BotState

log = logging.getLogger("assistant.bots.webhook")

HOOK_PATH = "/v1/hooks/ask"
TIMESTAMP_HEADER = "X-Assistant-Timestamp"
SIGNATURE_HEADER = "X-Assistant-Signature"
ATTEMPT_HEADER = "X-Assistant-Delivery-Attempt"
MAX_SKEW_S = 300
CALLBACK_TRIES = 3
CALLBACK_BACKOFF_S = 0.5  # waits 0.5 s, then 1 s, ... between tries
CALLBACK_TIMEOUT_S = 10.0
_RETRYABLE = {408, 425, 429}

_STATUS_BY_ERROR: tuple[tuple[type[AssistantError], int], ...] = (
    (InputError, 400), (NotFoundError, 404), (IndexNotReadyError, 503), (UpstreamError, 502),
    (ConfigError, 500),
)


class HookRequest(BaseModel):
    """What a bot posts."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [
        {"text": "How much copper did the Example mine produce in 2023?", "user": "U123",
         "thread": "chat-42"},
        {"text": "And in 2023?", "user": "U123", "thread": "chat-42",
         "callback_url": "https://bot.example.com/assistant-replies"},
    ]})
    text: str = Field(description="The question: 1..max_question_chars characters after trimming.")
    user: str | None = Field(default=None, max_length=200,
                             description="Who asked (echoed back; for your bot's bookkeeping).")
    thread: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Your conversation's id: the same thread continues the same conversation. "
                    "Omit for a one-off question.")
    callback_url: str | None = Field(
        default=None, max_length=2000,
        description="http(s) URL: answer 202 at once and POST the result there (signed).")

    @field_validator("callback_url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("callback_url must be an http:// or https:// URL with a host")
        return value


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


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signature_problem(secret: str, timestamp: str | None, signature: str | None, body: bytes,
                      now: float | None = None) -> str | None:
    """Why a request's signature does not hold, or None when it does."""
    if not timestamp or not signature:
        return f"sign the request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are needed"
    try:
        sent = int(timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} must be Unix time in whole seconds"
    if abs((time.time() if now is None else now) - sent) > MAX_SKEW_S:
        return f"{TIMESTAMP_HEADER} is more than {MAX_SKEW_S // 60} minutes from the server's clock"
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        return (f"{SIGNATURE_HEADER} does not match: expected v1=<hex HMAC-SHA256 of "
                "'{timestamp}.{body}'> under ASSISTANT_HOOK_SECRET")
    return None


def deliver(url: str, payload: dict[str, Any], secret: str, *, tries: int = CALLBACK_TRIES,
            backoff_s: float = CALLBACK_BACKOFF_S) -> bool:
    """POST ``payload`` to ``url``, signed, retrying network errors, 408/425/429 and 5xx with
    exponential backoff. Returns whether the callback took it (a 2xx)."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    for attempt in range(1, tries + 1):
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(secret, timestamp, body), ATTEMPT_HEADER: str(attempt)}
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=CALLBACK_TIMEOUT_S)
        except httpx.HTTPError as exc:
            log.warning("callback %s, try %d/%d: %s", url, attempt, tries, exc)
        else:
            if response.is_success:
                return True
            log.warning("callback %s, try %d/%d: HTTP %d", url, attempt, tries,
                        response.status_code)
            if response.status_code < 500 and response.status_code not in _RETRYABLE:
                return False  # the receiver refuses it; trying again will not help
        if attempt < tries:
            time.sleep(backoff_s * 2 ** (attempt - 1))
    log.error("callback %s failed after %d tries; the answer is dropped", url, tries)
    return False


def _status_for(exc: AssistantError) -> int:
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 500


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _answer_body(answer: Answer, hook: HookRequest) -> dict[str, Any]:
    contract = AskResponse.from_contract(answer_to_contract(answer)).model_dump(mode="json")
    return HookAnswer(**contract, text=render_text(answer), user=hook.user,
                      thread=hook.thread).model_dump(mode="json")


def hook_router(settings: Settings, assistant_provider: AssistantProvider,
                state: BotState) -> APIRouter:
    """The ``POST /v1/hooks/ask`` route; documented in OpenAPI only when it is switched on."""
    router = APIRouter(tags=["bots"])
    secret = settings.hook_secret
    executor: list[ThreadPoolExecutor] = []
    executor_lock = threading.Lock()

    def submit(fn: Callable[[], None]) -> None:
        with executor_lock:
            if not executor:
                executor.append(ThreadPoolExecutor(max_workers=4,
                                                   thread_name_prefix="hook-callback"))
        executor[0].submit(fn)

    def conversation_of(assistant: Assistant, hook: HookRequest) -> str:
        if hook.thread is None:
            return assistant.conversations.new_id()
        return state.conversation_for("hook:" + hook.thread, assistant.conversations.new_id)

    def ask(assistant: Assistant, hook: HookRequest, conversation_id: str) -> Answer:
        with state.thread_lock("hook:" + (hook.thread or conversation_id)):
            return assistant.ask(hook.text, conversation_id)

    def answer_later(assistant: Assistant, hook: HookRequest, conversation_id: str) -> None:
        assert secret is not None and hook.callback_url is not None
        payload: dict[str, Any]
        try:
            payload = _answer_body(ask(assistant, hook, conversation_id), hook)
        except AssistantError as exc:
            payload = {"error": {"code": exc.code, "message": exc.message}}
        except Exception:
            log.exception("answering a webhook question failed")
            payload = {"error": {"code": "internal_error",
                                 "message": "unexpected server error; details in the server log"}}
        payload.setdefault("conversation_id", conversation_id)
        payload.setdefault("user", hook.user)
        payload.setdefault("thread", hook.thread)
        deliver(hook.callback_url, payload, secret)

    def handle(hook: HookRequest) -> tuple[int, dict[str, Any]]:
        assistant = assistant_provider()
        clean_question(hook.text, settings.max_question_chars)  # a bad question: 400 at once
        conversation_id = conversation_of(assistant, hook)
        if hook.callback_url is not None:
            submit(lambda: answer_later(assistant, hook, conversation_id))
            accepted = HookAccepted(conversation_id=conversation_id, user=hook.user,
                                    thread=hook.thread, callback_url=hook.callback_url)
            return 202, accepted.model_dump(mode="json")
        return 200, _answer_body(ask(assistant, hook, conversation_id), hook)

    @router.post(
        HOOK_PATH,
        include_in_schema=secret is not None,
        response_model=None,
        responses={
            200: {"model": HookAnswer, "description": "The answer, and `text` to post as is."},
            202: {"model": HookAccepted, "description": "Accepted; the result goes to "
                                                        "`callback_url`."},
            400: {"model": ErrorResponse, "description": "Bad JSON or a bad question."},
            401: {"model": ErrorResponse, "description": "Missing, stale or wrong signature."},
            404: {"model": ErrorResponse, "description": "No such conversation."},
            413: {"model": ErrorResponse, "description": "Request body too large."},
            422: {"model": ErrorResponse, "description": "The body does not match the schema."},
            500: {"model": ErrorResponse, "description": "Unexpected server error."},
            502: {"model": ErrorResponse, "description": "An upstream service failed."},
            503: {"model": ErrorResponse, "description": "No hook secret set, or no index yet."},
        },
        openapi_extra={
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": HookRequest.model_json_schema()}}},
            "parameters": [
                {"name": TIMESTAMP_HEADER, "in": "header", "required": True,
                 "schema": {"type": "string"}, "description": "Unix time in seconds."},
                {"name": SIGNATURE_HEADER, "in": "header", "required": True,
                 "schema": {"type": "string"},
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
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > settings.max_body_bytes:
            return _too_large(settings.max_body_bytes)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.max_body_bytes:
                return _too_large(settings.max_body_bytes)
        problem = signature_problem(secret, request.headers.get(TIMESTAMP_HEADER),
                                    request.headers.get(SIGNATURE_HEADER), body)
        if problem:
            return _error(401, "unauthorized", problem)
        try:
            raw = json.loads(body)
        except ValueError as exc:
            return _error(400, "bad_request", f"the body is not valid JSON ({exc})")
        try:
            hook = HookRequest.model_validate(raw)
        except ValidationError as exc:
            problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                        for e in exc.errors()[:5]]
            return _error(422, "invalid_request", "; ".join(problems)
                          + ' (expected {"text", "user", "thread", "callback_url"?})')
        try:
            status, payload = await run_in_threadpool(handle, hook)
        except AssistantError as exc:
            return _error(_status_for(exc), exc.code, exc.message)
        return JSONResponse(payload, status_code=status)

    return router


def _too_large(limit: int) -> JSONResponse:
    return _error(413, "payload_too_large",
                  f"request body is over {limit} bytes (ASSISTANT_MAX_BODY_BYTES)")
