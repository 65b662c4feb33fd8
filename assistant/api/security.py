"""API keys, the request-body limit and CORS.

Keys come from ``ASSISTANT_API_KEYS`` and travel as ``Authorization: Bearer KEY`` or
``X-API-Key: KEY``.

=====================  ===========================  =====================================
                       read routes (/v1/…)          write routes (POST/DELETE /v1/documents)
=====================  ===========================  =====================================
keys set               a valid key, else 401        a valid key, else 401
no keys set            open                         403 (no one could be trusted to write)
allow_anonymous_writes (unchanged)                  open, whether keys are set or not; a
                                                    key that is sent must still be valid
=====================  ===========================  =====================================

``/healthz``, ``/readyz``, ``/metrics`` and the OpenAPI pages are always open.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .deps import ApiError, SettingsDep

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: KEY")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="assistant"'}


def _presented_key(bearer: HTTPAuthorizationCredentials | None, api_key: str | None) -> str | None:
    if bearer is not None and bearer.credentials:
        return bearer.credentials
    return api_key or None


def _check(key: str | None, keys: list[str]) -> None:
    if key is None:
        raise ApiError(401, "unauthorized",
                       "this server needs an API key: send `Authorization: Bearer KEY` "
                       "or `X-API-Key: KEY`", _CHALLENGE)
    # Compare against every key in constant time, so timing does not reveal a prefix.
    matched = False
    for known in keys:
        matched |= hmac.compare_digest(key.encode(), known.encode())
    if not matched:
        raise ApiError(401, "unauthorized", "the API key is not valid; check ASSISTANT_API_KEYS",
                       _CHALLENGE)


def require_reader(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    """Read routes: open when no keys are configured, else a valid key."""
    if settings.api_keys:
        _check(_presented_key(bearer, api_key), settings.api_keys)


def require_writer(
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    """Write routes: a valid key; with no keys configured, refused unless anonymous writes are
    allowed."""
    key = _presented_key(bearer, api_key)
    if settings.allow_anonymous_writes:
        if key is not None and settings.api_keys:
            _check(key, settings.api_keys)
        return
    if not settings.api_keys:
        raise ApiError(403, "forbidden",
                       "writes are disabled: no API keys are configured. Set ASSISTANT_API_KEYS "
                       "and send one, or set ASSISTANT_ALLOW_ANONYMOUS_WRITES=true (development "
                       "only)")
    _check(key, settings.api_keys)


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413, before any route parses them.

    The body is read up front (declared ``Content-Length`` checked first, chunked bodies
    counted), so a route never sees half a body. Uploads get their own, larger limit.
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
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = None
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > limit:
            await self._refuse(send, f"request body is {declared} bytes", limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._refuse(send, f"request body is over {limit} bytes", limit)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        whole = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

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
