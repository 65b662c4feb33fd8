"""What the hardening tests share: signing as the webhook and Slack expect, a loopback stand-in
for Slack's Web API, and a real server with the bots switched on."""

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

from assistant.errors import CallbackURLError

HOOK_SECRET = "hook-secret-for-hardening"
SLACK_SECRET = "slack-secret-for-hardening"
TEAM = "T1"
QUESTION = "Who wants the Kazakh tungsten?"
SEED_ID = "kazakhstan-tungsten-2025-11-21"


def hook_headers(body: bytes, timestamp: str | None = None,
                 secret: str = HOOK_SECRET) -> dict[str, str]:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Assistant-Timestamp": ts,
            "X-Assistant-Signature": "v1=" + mac}


def slack_headers(body: bytes, timestamp: str | None = None,
                  content_type: str = "application/json") -> dict[str, str]:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    mac = hmac.new(SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + mac}


def slack_event(text: str, event_id: str, user: str = "U1") -> bytes:
    ts = f"{time.time():.6f}"
    event = {"type": "app_mention", "user": user, "text": f"<@UBOT> {text}", "ts": ts,
             "channel": "C1", "team": TEAM, "event_ts": ts}
    return json.dumps({
        "token": "unused", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
    }).encode()


class Recorder:
    """A loopback HTTP server that records every POST and answers like Slack's Web API."""

    def __init__(self, status: int = 200, location: str | None = None) -> None:
        self.calls: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with recorder.lock:
                    recorder.calls.append((self.path, dict(self.headers), body))
                reply = json.dumps({"ok": True, "ts": f"{time.time():.6f}", "user_id": "UBOT",
                                    "bot_id": "B1", "team_id": TEAM}).encode()
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _, _ in self.calls]

    def bodies(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(b) for p, _, b in self.calls if p == path and b]

    def wait_for(self, path: str, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.paths().count(path) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"{path} was called {self.paths().count(path)} times, not {count}")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def bots_settings(api_settings: Any, data: Path, slack: Recorder, **overrides: Any) -> Any:
    """A writable copy of the session's index with the webhook and Slack switched on."""
    from api_fixtures import copy_index

    return copy_index(api_settings, data, hook_secret=HOOK_SECRET,
                      slack_signing_secret=SLACK_SECRET, slack_bot_token="xoxb-test",
                      slack_api_url=slack.url + "/api/", **overrides)


class RecordingTransport(httpx.BaseTransport):
    """Records every request it is asked to send; connects to nothing."""

    def __init__(self, status: int = 200, location: str | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.location = location

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers = {"Location": self.location} if self.location else {}
        return httpx.Response(self.status, headers=headers)


def offline_resolver(host: str, port: int) -> list[str]:
    """Numeric hosts resolve to themselves; names are not looked up (no DNS traffic)."""
    import ipaddress

    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        raise CallbackURLError(f"callback_url host {host!r} does not resolve (the tests look "
                               "up no names)") from None


def bots_server(api_settings: Any, embedder: Any, slack: Recorder,
                tmp_path_factory: pytest.TempPathFactory, name: str,
                **overrides: Any) -> Iterator[Any]:
    """A live server over a copy of the session's index with both bots on (a module fixture's
    body: ``yield from bots_server(...)``); stopped when the module is done."""
    from api_fixtures import served

    settings = bots_settings(api_settings, tmp_path_factory.mktemp(name) / "data", slack,
                             **overrides)
    yield from served(settings, embedder)
