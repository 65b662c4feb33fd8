"""API keys and who is calling, the request-body limit, CORS.

Keys come from ``ASSISTANT_API_KEYS`` (and ``ASSISTANT_ADMIN_KEYS``, which are keys too) and
travel as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``.

=====================  ===========================  =====================================
                       read routes (/v1/…)          write routes (POST/DELETE /v1/documents)
=====================  ===========================  =====================================
keys set               a valid key, else 401        a valid key, else 401
no keys set            open                         403 (no one could be trusted to write)
allow_anonymous_writes (unchanged)                  open, whether keys are set or not; a
                                                    key that is sent must still be valid
=====================  ===========================  =====================================

``/healthz``, ``/readyz``, ``/metrics`` and the OpenAPI pages are always open; the webhook
``/v1/hooks/ask`` has its own signature. ``KeyGateMiddleware`` applies this table from the
headers alone, before a byte of the body is read; the route dependencies apply it again (they
are what documents it in OpenAPI) and name the ``Caller``: ``key:<digest>`` for a key (never
the key itself), ``anonymous`` without one, admin for an admin key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .conversation.store import ANONYMOUS, Caller
from .settings import Settings


class ApiError(Exception):
    """An HTTP-only error (401, 403, 413, 415, …) rendered in the contract's error shape."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def get_settings(request: Request) -> Settings:
    """The app's settings (on ``app.state``, so a test's app carries its own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: KEY")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="assistant"'}
UNGATED_PREFIXES = ("/v1/hooks/",)  # signed by their own scheme


def all_keys(settings: Settings) -> list[str]:
    return [*settings.api_keys, *settings.admin_keys]


def _presented_key(bearer: HTTPAuthorizationCredentials | None, api_key: str | None) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return api_key or None


def _matches(key: str, keys: list[str]) -> bool:
    # Compare against every key in constant time, so timing does not reveal a prefix.
    matched = False
    for known in keys:
        matched |= hmac.compare_digest(key.encode(), known.encode())
    return matched


def _check(key: str | None, keys: list[str]) -> None:
    if key is None:
        raise ApiError(401, "unauthorized",
                       "this server needs an API key: send `Authorization: Bearer KEY` "
                       "or `X-API-Key: KEY`", _CHALLENGE)
    if not _matches(key, keys):
        raise ApiError(401, "unauthorized", "the API key is not valid; check ASSISTANT_API_KEYS",
                       _CHALLENGE)


def check_reader(settings: Settings, key: str | None) -> None:
    """Read routes: open when no keys are configured, else a valid key."""
    if all_keys(settings):
        _check(key, all_keys(settings))


def check_writer(settings: Settings, key: str | None) -> None:
    """Write routes: a valid key; with no keys configured, refused unless anonymous writes are
    allowed."""
    keys = all_keys(settings)
    if settings.allow_anonymous_writes:
        if key is not None and keys:
            _check(key, keys)
        return
    if not keys:
        raise ApiError(403, "forbidden",
                       "writes are disabled: no API keys are configured. Set ASSISTANT_API_KEYS "
                       "and send one, or set ASSISTANT_ALLOW_ANONYMOUS_WRITES=true (development "
                       "only)")
    _check(key, keys)


def caller_for(settings: Settings, key: str | None) -> Caller:
    """Who a request is: an admin key, a key (by digest), or anonymous without one."""
    if key is None or not all_keys(settings):
        return ANONYMOUS
    admin = _matches(key, settings.admin_keys)
    return Caller("key:" + hashlib.sha256(key.encode()).hexdigest()[:24], admin=admin)


def require_reader(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    """Read routes: open when no keys are configured, else a valid key."""
    check_reader(settings, _presented_key(bearer, api_key))


def require_writer(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    """Write routes: see the module's table."""
    check_writer(settings, _presented_key(bearer, api_key))


def current_caller(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Caller:
    return caller_for(settings, _presented_key(bearer, api_key))


CallerDep = Annotated[Caller, Depends(current_caller)]


def is_write(method: str, path: str) -> bool:
    """Whether ``method path`` is a write route (upload or delete of a document)."""
    path = path.rstrip("/")
    return (method == "POST" and path == "/v1/documents") or (
        method == "DELETE" and path.startswith("/v1/documents/")
    )


def key_from_headers(headers: Headers) -> str | None:
    """The key a request presents, read the way the route dependencies read it."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials
    return headers.get("x-api-key") or None


class KeyGateMiddleware:
    """Applies the key table to ``/v1`` requests from their headers, before the body is read:
    an unauthenticated upload is refused without reading (or buffering) any of it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/") or path.startswith(
                UNGATED_PREFIXES) or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        key = key_from_headers(Headers(scope=scope))
        try:
            if is_write(scope.get("method", ""), path):
                check_writer(self.settings, key)
            else:
                check_reader(self.settings, key)
        except ApiError as exc:
            response = JSONResponse({"error": {"code": exc.code, "message": exc.message}},
                                    status_code=exc.status, headers=exc.headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a body grows past its limit; FastAPI lets an HTTPException
    through its body parsing, so it becomes a 413 in the error shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is over {limit} bytes, the limit "
                              "(ASSISTANT_MAX_BODY_BYTES, or ASSISTANT_MAX_UPLOAD_BYTES for "
                              "uploads)")


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413, without buffering them.

    A declared ``Content-Length`` over the limit is refused before anything is read; otherwise
    the body is counted as the route reads it (chunked bodies too), and reading past the limit
    raises ``BodyTooLarge``. Uploads get their own, larger limit.
    """

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int,
                 upload_paths: tuple[str, ...] = ("/v1/documents",)) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_paths = upload_paths

    def _limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path", "").rstrip("/") in self.upload_paths:
            return self.max_upload + 64 * 1024  # room for the multipart envelope
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and len(declared) < 20 and int(declared) > limit:
            await self._refuse(send, f"request body is {int(declared)} bytes", limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(send, f"request body is over {limit} bytes", limit)

    @staticmethod
    async def _refuse(send: Send, what: str, limit: int) -> None:
        body = json.dumps({"error": {
            "code": "payload_too_large",
            "message": f"{what}; the limit is {limit} bytes (ASSISTANT_MAX_BODY_BYTES, "
                       "or ASSISTANT_MAX_UPLOAD_BYTES for uploads)",
        }}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})


class ContractCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the contract's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-type")}
        reason = bytes(response.body).decode()
        return JSONResponse(
            {"error": {"code": "cors_refused",
                       "message": f"{reason}; allowed origins come from ASSISTANT_CORS_ORIGINS"}},
            status_code=response.status_code, headers=headers,
        )
