"""The Slack bot end to end: a real uvicorn serving the app with ``mount_bots``, signed requests
exactly as Slack signs them, and Slack's Web API stood in for by a loopback HTTP server that
records ``chat.postMessage`` calls and ``response_url`` posts, reached by the real
``slack_sdk.WebClient``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from fastapi import FastAPI

from assistant.bots import mount_bots
from assistant.bots.render import escape_mrkdwn
from assistant.bots.slack import question_from_slack, thread_key
from assistant.service import Assistant
from assistant.settings import Settings

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow


def _live_server(app: Any) -> Any:
    from api_fixtures import LiveServer  # after pytest_plugins loaded it (assertion rewriting)

    return LiveServer(app)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T1"
QUESTION = "What is the average grade of the North Katpal deposit?"
QUOTE_PART = "The North Katapar Deposit(in Karaganda)"


class FakeSlack:
    """Slack's Web API (``/api/<method>``) and response URLs (``/respond/...``) on loopback."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body = json.loads(raw) if raw else {}
                else:
                    body = dict(parse_qsl(raw))
                with fake.lock:
                    fake.calls.append((self.path, body))
                    n = len(fake.calls)
                if self.path == "/api/auth.test":
                    reply: dict[str, Any] = {"ok": True, "user_id": "UBOT", "bot_id": "B1",
                                             "team_id": TEAM, "user": "assistant"}
                elif self.path.startswith("/api/"):
                    reply = {"ok": True, "ts": f"1700009999.{n:06d}",
                             "channel": body.get("channel")}
                else:
                    reply = {"ok": True}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def posts(self, path: str = "/api/chat.postMessage") -> list[dict[str, Any]]:
        with self.lock:
            return [body for p, body in self.calls if p == path]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out; Slack saw {self.calls}")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What Slack sends as X-Slack-Signature (slack_sdk.signature.SignatureVerifier's scheme)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(body: bytes, content_type: str = "application/json", *, secret: str = SECRET,
           timestamp: int | None = None, **extra: str) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": slack_signature(secret, ts, body), **extra}


def event_body(event: dict[str, Any], event_id: str) -> bytes:
    return json.dumps({
        "token": "unused", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
    }).encode()


def mention(text: str, ts: str, thread_ts: str | None = None,
            channel: str = "C1") -> dict[str, Any]:
    event = {"type": "app_mention", "user": "U1", "text": f"<@UBOT> {text}", "ts": ts,
             "channel": channel, "team": TEAM, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


@pytest.fixture(scope="module")
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def slack_settings(api_settings: Settings, fake_slack: FakeSlack,
                   tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from api_fixtures import copy_index

    return copy_index(api_settings, tmp_path_factory.mktemp("slack") / "data",
                      slack_signing_secret=SECRET, slack_bot_token="xoxb-test",
                      slack_api_url=fake_slack.url + "/api/", max_body_bytes=4096)


@pytest.fixture(scope="module")
def server(slack_settings: Settings, embedder: Any) -> Iterator[Any]:
    from api_fixtures import served

    yield from served(slack_settings, embedder)


def _unique(prefix: str) -> str:
    return f"{prefix}{time.time_ns()}"


def _ts() -> str:
    return f"{time.time():.6f}"


def test_question_from_slack_drops_mentions_and_unescapes() -> None:
    text = "<@UBOT> what about <https://x.example|the report> &amp; <#C1|general>?"
    assert question_from_slack(text) == "what about the report & general?"


def test_url_verification(http: httpx.Client) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"}).encode()
    response = http.post("/slack/events", content=body, headers=signed(body))
    assert response.status_code == 200
    assert response.json() == {"challenge": challenge}


def test_bad_signature_stale_timestamp_and_bad_bodies_get_no_reply(
    http: httpx.Client, fake_slack: FakeSlack
) -> None:
    before = len(fake_slack.posts())
    body = event_body(mention(QUESTION, _ts()), _unique("EvBad"))
    bad = http.post("/slack/events", content=body, headers=signed(body, secret="not-the-secret"))
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"
    unsigned = http.post("/slack/events", content=body,
                         headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    stale = http.post("/slack/events", content=body,
                      headers=signed(body, timestamp=int(time.time()) - 6 * 60))
    assert stale.status_code == 401
    tampered = signed(body)
    longer = body.replace(b"North", b"South")
    assert http.post("/slack/events", content=longer, headers=tampered).status_code == 401

    malformed = b'{"type": "event_callback", "event": {"type": "app_mention"'
    response = http.post("/slack/events", content=malformed, headers=signed(malformed))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"

    oversized = event_body(mention("x" * 5000, _ts()), _unique("EvBig"))
    response = http.post("/slack/events", content=oversized, headers=signed(oversized))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"

    time.sleep(1.0)  # a reply, had one been started, would have been posted by now
    assert len(fake_slack.posts()) == before


def test_mention_answered_in_thread_and_follow_up_keeps_context(
    http: httpx.Client, fake_slack: FakeSlack, server: Any
) -> None:
    ts = _ts()
    body = event_body(mention(QUESTION, ts), _unique("EvMention"))
    started = time.monotonic()
    response = http.post("/slack/events", content=body, headers=signed(body))
    assert response.status_code == 200
    assert time.monotonic() - started < 3  # acknowledged before the answer is built

    def replies() -> list[dict[str, Any]]:
        return [p for p in fake_slack.posts() if p.get("thread_ts") == ts]

    fake_slack.wait_for(lambda: len(replies()) == 1)
    first = replies()[0]
    assert first["channel"] == "C1"
    blocks = json.dumps(first["blocks"], ensure_ascii=False)
    assert "[1]" in blocks
    assert escape_mrkdwn(QUOTE_PART) in blocks
    assert "kazakhstan-tungsten-2025-11-21" in blocks
    assert "verified" in blocks
    assert first["text"]  # the notification fallback

    state = server.app.state.bots
    key = thread_key(TEAM, "C1", ts)
    conversation_id = state.lookup(key)
    assert conversation_id is not None

    follow = event_body(mention("What about its average grade?", _ts(), thread_ts=ts),
                        _unique("EvFollow"))
    assert http.post("/slack/events", content=follow, headers=signed(follow)).status_code == 200
    fake_slack.wait_for(lambda: len(replies()) == 2)
    assert state.lookup(key) == conversation_id
    assistant: Assistant = server.app.state.assistant
    turns = assistant.conversations.turns(conversation_id)
    assert [t.question for t in turns] == [QUESTION, "What about its average grade?"]
    assert "North Kat" in turns[1].standalone  # the pronoun became its antecedent
    second = json.dumps(replies()[1]["blocks"], ensure_ascii=False)
    assert "North Kat" in second and "[1]" in second


def test_retried_event_is_answered_once(http: httpx.Client, fake_slack: FakeSlack) -> None:
    ts = _ts()
    body = event_body(mention(QUESTION, ts, channel="C2"), _unique("EvRetry"))
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    fake_slack.wait_for(lambda: any(p.get("thread_ts") == ts for p in fake_slack.posts()))
    for attempt in ("1", "2"):
        retry = http.post("/slack/events", content=body, headers=signed(
            body, **{"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"}))
        assert retry.status_code == 200
    time.sleep(1.5)
    assert sum(p.get("thread_ts") == ts for p in fake_slack.posts()) == 1


def test_direct_message_answered_and_bot_messages_ignored(
    http: httpx.Client, fake_slack: FakeSlack
) -> None:
    ts = _ts()
    dm = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
          "text": QUESTION, "ts": ts, "team": TEAM}
    ignored = [
        {**dm, "ts": _ts(), "bot_id": "B9", "subtype": "bot_message"},
        {**dm, "ts": _ts(), "subtype": "message_changed"},
        {**dm, "ts": _ts(), "channel_type": "channel", "channel": "C3"},
    ]
    for event in ignored:
        body = event_body(event, _unique("EvIgnored"))
        assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    body = event_body(dm, _unique("EvDm"))
    assert http.post("/slack/events", content=body, headers=signed(body)).status_code == 200
    fake_slack.wait_for(lambda: any(p.get("thread_ts") == ts for p in fake_slack.posts()))
    time.sleep(0.5)
    channels = [p["channel"] for p in fake_slack.posts()]
    assert "D1" in channels and "C3" not in channels
    ignored_ts = {e["ts"] for e in ignored}
    assert not any(p.get("thread_ts") in ignored_ts for p in fake_slack.posts())


def _command(text: str, response_path: str, base: str) -> bytes:
    return urlencode({
        "token": "unused", "team_id": TEAM, "team_domain": "example", "channel_id": "C1",
        "channel_name": "general", "user_id": "U1", "user_name": "someone", "command": "/ask",
        "text": text, "api_app_id": "A1", "response_url": base + response_path,
        "trigger_id": "1.2.3",
    }).encode()


@pytest.mark.parametrize(("text", "response_type"), [
    (QUESTION, "ephemeral"),
    ("public " + QUESTION, "in_channel"),
])
def test_slash_command(http: httpx.Client, fake_slack: FakeSlack, text: str,
                       response_type: str) -> None:
    path = "/respond/" + _unique("cmd")
    body = _command(text, path, fake_slack.url)
    response = http.post("/slack/events", content=body,
                         headers=signed(body, "application/x-www-form-urlencoded"))
    assert response.status_code == 200
    fake_slack.wait_for(lambda: len(fake_slack.posts(path)) == 1)
    reply = fake_slack.posts(path)[0]
    assert reply["response_type"] == response_type
    blocks = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "[1]" in blocks and escape_mrkdwn(QUOTE_PART) in blocks


def test_empty_slash_command_gets_usage(http: httpx.Client) -> None:
    body = _command("  ", "/respond/unused", "http://127.0.0.1:9")
    response = http.post("/slack/events", content=body,
                         headers=signed(body, "application/x-www-form-urlencoded"))
    assert response.status_code == 200
    assert "/ask" in response.json()["text"]


def test_not_configured_answers_503(tmp_path: Path) -> None:
    app = FastAPI()
    settings = Settings(data_dir=tmp_path)
    mount_bots(app, settings, lambda: Assistant(settings))
    live = _live_server(app)
    live.start(ready=False)
    try:
        with live.client() as client:
            response = client.post("/slack/events", content=b"{}",
                                   headers={"Content-Type": "application/json"})
    finally:
        live.stop()
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "slack_not_configured"
    assert "ASSISTANT_SLACK_SIGNING_SECRET" in error["message"]
    assert "ASSISTANT_SLACK_BOT_TOKEN" in error["message"]


def test_socket_mode_command_needs_its_tokens(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_SLACK_")}
    env.update(ASSISTANT_DATA_DIR=str(tmp_path), ASSISTANT_SLACK_BOT_TOKEN="xoxb-test")
    main = "import sys; from assistant.cli import main; sys.argv = ['assistant', 'slack']; main()"
    done = subprocess.run([sys.executable, "-c", main], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "ASSISTANT_SLACK_APP_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
