"""Issue 17, item 3: keys and size limits are checked before the body is read, so an
unauthenticated upload is refused without reading (or buffering) any of it.

The real app is driven through httpx's ASGI transport, whose request body is a generator we
count: the count is how much of the body the server pulled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx

from assistant.app import create_app

pytest_plugins = ["api_fixtures"]

CHUNK = 64 * 1024
MIB_19 = 19 * 1024 * 1024


HEAD = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n")


class CountedBody:
    """A multipart upload of one file, ``size`` bytes, that counts the chunks pulled from it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield HEAD
        for _ in range(self.size // CHUNK):
            self.pulled += 1
            yield b"x" * CHUNK
        yield b"\r\n--b--\r\n"


def send(settings: Any, path: str, body: CountedBody, headers: dict[str, str]) -> httpx.Response:
    app = create_app(settings)  # no lifespan: nothing is loaded, only the HTTP edge runs

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.post(path, content=body, headers=headers)

    return asyncio.run(run())


def post(settings: Any, body: CountedBody, headers: dict[str, str]) -> httpx.Response:
    return send(settings, "/v1/documents", body,
                {"Content-Type": "multipart/form-data; boundary=b", **headers})


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(api_settings: Any) -> None:
    settings = api_settings.model_copy(update={"api_keys": ["k-one"]})
    body = CountedBody(MIB_19)
    response = post(settings, body, {})
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert body.pulled == 0
    wrong = CountedBody(MIB_19)
    assert post(settings, wrong, {"X-API-Key": "nope"}).status_code == 401
    assert wrong.pulled == 0
    # No keys at all: writes are forbidden, also before reading.
    closed = CountedBody(MIB_19)
    assert post(api_settings, closed, {}).status_code == 403 and closed.pulled == 0


def test_a_declared_oversized_body_is_refused_unread(api_settings: Any) -> None:
    settings = api_settings.model_copy(update={"api_keys": ["k-one"],
                                               "max_upload_bytes": 1024 * 1024})
    body = CountedBody(4 * 1024 * 1024)
    response = post(settings, body, {"X-API-Key": "k-one",
                                     "Content-Length": str(body.size)})
    assert response.status_code == 413 and body.pulled == 0


def test_a_chunked_oversized_body_is_read_only_up_to_the_limit(api_settings: Any) -> None:
    limit = 1024 * 1024
    settings = api_settings.model_copy(update={"api_keys": ["k-one"], "max_upload_bytes": limit})
    body = CountedBody(MIB_19)
    response = post(settings, body, {"X-API-Key": "k-one"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert body.pulled * CHUNK <= limit + 64 * 1024 + 2 * CHUNK  # not the 19 MiB


def test_json_routes_are_bounded_too(api_settings: Any) -> None:
    settings = api_settings.model_copy(update={"api_keys": ["k-one"]})
    body = CountedBody(MIB_19)
    assert send(settings, "/v1/ask", body, {}).status_code == 401 and body.pulled == 0
    body = CountedBody(MIB_19)
    big = send(settings, "/v1/ask", body, {"X-API-Key": "k-one",
                                          "Content-Type": "application/json"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
    assert body.pulled * CHUNK <= settings.max_body_bytes + 2 * CHUNK
