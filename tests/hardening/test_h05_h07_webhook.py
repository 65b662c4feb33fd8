"""Issue 17, items 5-7: webhook and Slack requests are answered once (no replay), malformed
timestamps are a 401 (not an OverflowError 500), and a callback URL with CR/LF is refused
instead of accepted and silently dropped; background failures are logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hardening_helpers import (
    QUESTION,
    Recorder,
    bots_server,
    hook_headers,
    slack_event,
    slack_headers,
)

from assistant.bots.callbacks import CallbackPolicy
from assistant.bots.webhook import _Hooks

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(api_settings: Any, embedder: Any, slack: Recorder,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from bots_server(api_settings, embedder, slack, tmp_path_factory, "h05",
                           hook_callback_allow=["127.0.0.1/32"])


def test_item5_a_replayed_webhook_request_is_answered_once(http: httpx.Client, server: Any,
                                                          slack: Recorder) -> None:
    body = json.dumps({"text": QUESTION, "user": "U5", "thread": "t-replay",
                       "callback_url": slack.url + "/replay"}).encode()
    headers = hook_headers(body)
    first = http.post("/v1/hooks/ask", content=body, headers=headers)
    assert first.status_code == 202, first.text
    for _ in range(2):
        again = http.post("/v1/hooks/ask", content=body, headers=headers)
        assert again.status_code == 409 and again.json()["error"]["code"] == "replayed"
    slack.wait_for("/replay")
    conversation = server.app.state.assistant.conversations.get(first.json()["conversation_id"])
    assert len(conversation.turns) == 1
    assert slack.paths().count("/replay") == 1
    # Signed anew (another timestamp), the same question is a new request.
    fresh = http.post("/v1/hooks/ask", content=body,
                      headers=hook_headers(body, str(int(headers["X-Assistant-Timestamp"]) + 1)))
    assert fresh.status_code == 202


def test_item5_a_replayed_slack_request_is_not_answered_again(http: httpx.Client,
                                                             slack: Recorder) -> None:
    body = slack_event(QUESTION, "EvReplay")
    headers = slack_headers(body)
    assert http.post("/slack/events", content=body, headers=headers).status_code == 200
    slack.wait_for("/api/chat.postMessage")
    posted = slack.paths().count("/api/chat.postMessage")
    replay = http.post("/slack/events", content=body, headers=headers)
    assert replay.status_code == 200 and replay.content == b""
    assert slack.paths().count("/api/chat.postMessage") == posted


@pytest.mark.parametrize("timestamp", ["9" * 400, "-" + "9" * 400, "1e400", "99999999999999"])
def test_item6_huge_timestamps_are_401_not_500(http: httpx.Client, timestamp: str) -> None:
    body = json.dumps({"text": QUESTION}).encode()
    hook = http.post("/v1/hooks/ask", content=body, headers=hook_headers(body, timestamp))
    assert hook.status_code == 401 and "Unix time" in hook.json()["error"]["message"]
    event = slack_event(QUESTION, "EvHuge")
    response = http.post("/slack/events", content=event, headers=slack_headers(event, timestamp))
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("url", ["http://127.0.0.1/cb\r\nX-Injected: 1", "http://127.0.0.1/a b",
                                 "http://127.0.0.1/\ncb", "http://127.0.0.1/\x00",
                                 "http://user:pw@127.0.0.1/cb"])
def test_item7_a_callback_url_with_control_characters_is_refused(http: httpx.Client,
                                                                 url: str) -> None:
    body = json.dumps({"text": QUESTION, "callback_url": url}).encode()
    response = http.post("/v1/hooks/ask", content=body, headers=hook_headers(body))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_callback_url"
    assert "callback_url" in response.json()["error"]["message"]


def test_item7_background_failures_are_logged(api_settings: Any,
                                              caplog: pytest.LogCaptureFixture) -> None:
    hooks = _Hooks(api_settings, lambda: None, None, CallbackPolicy())  # type: ignore[arg-type]

    def explode() -> None:
        raise RuntimeError("the callback machinery broke")

    with caplog.at_level(logging.ERROR, logger="assistant.bots.webhook"):
        hooks.submit(explode, "a test task")
        assert hooks._executor is not None
        hooks._executor.shutdown(wait=True)
    assert "a test task failed" in caplog.text and "the callback machinery broke" in caplog.text
