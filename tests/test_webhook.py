"""The generic bot webhook end to end: a real uvicorn serving the app with ``mount_bots``,
requests signed with ``ASSISTANT_HOOK_SECRET``, and callback receivers on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from assistant.bots import mount_bots
from assistant.bots.callbacks import CallbackPolicy
from assistant.bots.webhook import deliver, signature_problem
from assistant.service import Assistant
from assistant.settings import Settings

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

SECRET = "hook-secret-for-tests"
QUESTION = "What is the average grade of the North Katpal deposit?"
QUOTE_PART = "The North Katapar Deposit(in Karaganda)"


def _live_server(app: Any) -> Any:
    from api_fixtures import LiveServer  # after pytest_plugins loaded it (assertion rewriting)

    return LiveServer(app)


def hook_headers(body: bytes, *, secret: str = SECRET,
                 timestamp: int | None = None) -> dict[str, str]:
    """The documented scheme: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Assistant-Timestamp": ts,
            "X-Assistant-Signature": "v1=" + mac}


class Receiver:
    """A callback endpoint on loopback; ``/flaky`` answers 503 to its first ``failures`` POSTs."""

    def __init__(self, failures: int = 1) -> None:
        self.hits: list[tuple[str, dict[str, str], bytes, int]] = []
        self.failures = failures
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    earlier = sum(1 for p, *_ in receiver.hits if p == self.path)
                    status = 503 if self.path == "/flaky" and earlier < receiver.failures else 200
                    status = 410 if self.path == "/gone" else status
                    receiver.hits.append((self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for_ok(self, path: str, timeout: float = 30) -> tuple[dict[str, str], bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                ok = [(h, b) for p, h, b, s in self.hits if p == path and s == 200]
            if ok:
                return ok[0]
            time.sleep(0.05)
        raise AssertionError(f"no successful callback to {path}; saw {self.hits}")

    def attempts(self, path: str) -> list[int]:
        with self.lock:
            return [s for p, _, _, s in self.hits if p == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def server(api_settings: Settings, embedder: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from api_fixtures import copy_index, served

    # Callbacks go to the loopback receivers only because the allow-list names 127.0.0.1.
    settings = copy_index(api_settings, tmp_path_factory.mktemp("hook") / "data",
                          hook_secret=SECRET, max_body_bytes=4096,
                          hook_callback_allow=["127.0.0.1/32"])
    yield from served(settings, embedder)


def post(http: httpx.Client, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
    body = json.dumps(payload).encode()
    return http.post("/v1/hooks/ask", content=body, headers=hook_headers(body, **kwargs))


def test_signed_question_gets_contract_answer_and_text(http: httpx.Client, server: Any) -> None:
    response = post(http, {"text": QUESTION, "user": "U1", "thread": "t-sync"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["refused"] is False
    assert "[1]" in data["answer"]
    assert any(QUOTE_PART in c["quote"] for c in data["citations"])
    assert data["numbers"] and all(n["status"] for n in data["numbers"])
    assert data["user"] == "U1" and data["thread"] == "t-sync"
    text = data["text"]
    assert text.startswith(data["answer"])
    assert "[1] " in text and QUOTE_PART in text and "verified" in text

    follow = post(http, {"text": "What about its average grade?", "user": "U1",
                         "thread": "t-sync"})
    assert follow.status_code == 200
    assert follow.json()["conversation_id"] == data["conversation_id"]
    assert "North Kat" in follow.json()["standalone_question"]
    assert server.app.state.bots.lookup("hook:t-sync") == data["conversation_id"]

    other = post(http, {"text": QUESTION, "user": "U1", "thread": "t-other"})
    assert other.json()["conversation_id"] != data["conversation_id"]


@pytest.mark.parametrize("case", ["wrong-secret", "stale", "future", "unsigned", "tampered",
                                  "bad-timestamp"])
def test_bad_signatures_are_refused(http: httpx.Client, case: str) -> None:
    body = json.dumps({"text": QUESTION, "user": "U1", "thread": "t-bad"}).encode()
    now = int(time.time())
    headers = {
        "wrong-secret": hook_headers(body, secret="nope"),
        "stale": hook_headers(body, timestamp=now - 301 - 5),
        "future": hook_headers(body, timestamp=now + 400),
        "unsigned": {"Content-Type": "application/json"},
        "tampered": hook_headers(body),
        "bad-timestamp": {**hook_headers(body), "X-Assistant-Timestamp": "yesterday"},
    }[case]
    if case == "tampered":
        body = body.replace(b"North", b"South")
    response = http.post("/v1/hooks/ask", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_bad_bodies(http: httpx.Client) -> None:
    body = b'{"text": "unterminated'
    response = http.post("/v1/hooks/ask", content=body, headers=hook_headers(body))
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    response = post(http, {"user": "U1"})
    assert response.status_code == 422
    assert "text" in response.json()["error"]["message"]
    response = post(http, {"text": "   "})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_question"
    for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", "not a url", "http:///nohost"):
        response = post(http, {"text": QUESTION, "callback_url": url})
        assert response.status_code == 400, url
        assert response.json()["error"]["code"] == "bad_callback_url"
        assert "callback_url" in response.json()["error"]["message"]
    big = json.dumps({"text": "x" * 5000}).encode()
    response = http.post("/v1/hooks/ask", content=big, headers=hook_headers(big))
    assert response.status_code == 413


def test_callback_gets_the_signed_answer(http: httpx.Client, receiver: Receiver) -> None:
    url = receiver.url + "/ok"
    started = time.monotonic()
    response = post(http, {"text": QUESTION, "user": "U2", "thread": "t-cb", "callback_url": url})
    assert response.status_code == 202
    assert time.monotonic() - started < 3
    accepted = response.json()
    assert accepted["status"] == "accepted" and accepted["callback_url"] == url
    headers, raw = receiver.wait_for_ok("/ok")
    data = json.loads(raw)
    assert data["conversation_id"] == accepted["conversation_id"]
    assert data["thread"] == "t-cb" and data["user"] == "U2"
    assert "[1]" in data["answer"] and QUOTE_PART in data["text"]
    headers = {k.lower(): v for k, v in headers.items()}
    assert signature_problem(SECRET, headers["x-assistant-timestamp"],
                             headers["x-assistant-signature"], raw) is None


def test_failing_callback_is_retried(http: httpx.Client, receiver: Receiver) -> None:
    response = post(http, {"text": QUESTION, "thread": "t-flaky",
                           "callback_url": receiver.url + "/flaky"})
    assert response.status_code == 202
    data = json.loads(receiver.wait_for_ok("/flaky")[1])
    assert receiver.attempts("/flaky") == [503, 200]
    assert "[1]" in data["answer"]


LOOPBACK = CallbackPolicy.from_settings(Settings(hook_callback_allow=["127.0.0.1/32"]))


def test_deliver_gives_up_after_three_tries_and_on_a_refusal(receiver: Receiver) -> None:
    dead = Receiver(failures=10)
    try:
        assert deliver(dead.url + "/flaky", {"x": 1}, SECRET, LOOPBACK, backoff_s=0.01) is False
        assert dead.attempts("/flaky") == [503, 503, 503]
    finally:
        dead.stop()
    assert deliver(receiver.url + "/gone", {"x": 1}, SECRET, LOOPBACK, backoff_s=0.01) is False
    assert receiver.attempts("/gone") == [410]  # a refusal is final
    assert deliver("http://127.0.0.1:9/nothing-listens", {"x": 1}, SECRET, LOOPBACK,
                   backoff_s=0.01) is False


def test_no_secret_answers_503(tmp_path: Path) -> None:
    app = FastAPI()
    settings = Settings(data_dir=tmp_path)
    mount_bots(app, settings, lambda: Assistant(settings))
    live = _live_server(app).start(ready=False)
    try:
        with live.client() as client:
            body = b'{"text": "hi"}'
            response = client.post("/v1/hooks/ask", content=body, headers=hook_headers(body))
            schema = client.get("/openapi.json").json()
    finally:
        live.stop()
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "hook_not_configured"
    assert "ASSISTANT_HOOK_SECRET" in error["message"]
    assert "/v1/hooks/ask" not in schema["paths"]  # documented only when switched on
