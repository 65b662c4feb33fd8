"""Issue 17, item 1: a lone UTF-16 surrogate is a clear 400 at the edge on every route that takes
text, never a 500 or a stream's error event; and a hypothesis fuzz of questions in arbitrary
Unicode (surrogates included) on every question-taking route: no response >= 500."""

from __future__ import annotations

import itertools
import json
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

LONE = '{"question": "why \\ud800 now?"}'  # JSON text: the escape, as a client sends it


@pytest.fixture(scope="module")
def server(api_settings: Any, embedder: Any, slack: Recorder,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from bots_server(api_settings, embedder, slack, tmp_path_factory, "h01")


def post_json(http: httpx.Client, path: str, text: str) -> httpx.Response:
    return http.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def assert_400(response: httpx.Response, code: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert "surrogate" in error["message"] and "U+D800" in error["message"]


def test_a_lone_surrogate_is_a_400_on_every_question_route(http: httpx.Client) -> None:
    assert_400(post_json(http, "/v1/ask", LONE), "bad_question")
    assert_400(post_json(http, "/v1/ask/stream", LONE), "bad_question")
    chat = '{"messages": [{"role": "user", "content": "why \\ud800 now?"}]}'
    assert_400(post_json(http, "/v1/chat/completions", chat), "bad_input")
    stream = '{"stream": true, "messages": [{"role": "user", "content": "why \\ud800?"}]}'
    assert_400(post_json(http, "/v1/chat/completions", stream), "bad_input")
    hook = b'{"text": "why \\ud800 now?", "user": "U1"}'
    assert_400(http.post("/v1/hooks/ask", content=hook, headers=hook_headers(hook)),
               "bad_question")
    # The raw bytes of an encoded surrogate (ED A0 80) are the same malformed text.
    raw = b'{"question": "why \xed\xa0\x80 now?"}'
    assert_400(http.post("/v1/ask", content=raw, headers={"Content-Type": "application/json"}),
               "bad_question")


def test_every_text_field_is_checked(http: httpx.Client) -> None:
    model = '{"model": "m\\ud800", "messages": [{"role": "user", "content": "hi"}]}'
    assert_400(post_json(http, "/v1/chat/completions", model), "bad_input")
    cid = '{"question": "What is it?", "conversation_id": "c_\\ud800"}'
    assert_400(post_json(http, "/v1/ask", cid), "bad_input")
    feedback = '{"conversation_id": "c_x", "turn": 1, "rating": "up", "comment": "\\ud800"}'
    assert_400(post_json(http, "/v1/feedback", feedback), "bad_input")
    for field in ("user", "thread"):
        hook = json.dumps({"text": QUESTION, field: "x\ud800"}).encode()
        assert_400(http.post("/v1/hooks/ask", content=hook, headers=hook_headers(hook)),
                   "bad_input")
    slack = slack_event("why \ud800 now?", "EvLone")
    refused = http.post("/slack/events", content=slack, headers=slack_headers(slack))
    assert refused.status_code == 400 and "surrogate" in refused.json()["error"]["message"]


# -- fuzz -----------------------------------------------------------------------------------

# Every code point, surrogates (Cs) and unassigned ones included; json.dumps escapes them.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)
_counter = itertools.count()


def _hook(http: httpx.Client, question: str) -> httpx.Response:
    body = json.dumps({"text": question, "user": "U1", "n": next(_counter)}).encode()
    return http.post("/v1/hooks/ask", content=body, headers=hook_headers(body))


def _slack(http: httpx.Client, question: str) -> httpx.Response:
    body = slack_event(question, f"EvFuzz{next(_counter)}")
    return http.post("/slack/events", content=body, headers=slack_headers(body))


def _json(http: httpx.Client, path: str, obj: Any) -> httpx.Response:
    """POST ``obj`` as JSON with every non-ASCII character escaped, so a lone surrogate
    travels as ``\\ud800`` (httpx's own encoder cannot send it)."""
    body = json.dumps(obj).encode()
    return http.post(path, content=body, headers={"Content-Type": "application/json"})


ROUTES = {
    "ask": lambda http, q: _json(http, "/v1/ask", {"question": q}),
    "ask-stream": lambda http, q: _json(http, "/v1/ask/stream", {"question": q}),
    "chat": lambda http, q: _json(http, "/v1/chat/completions", {
        "messages": [{"role": "user", "content": "What is the output?"},
                     {"role": "user", "content": q}]}),
    "chat-stream": lambda http, q: _json(http, "/v1/chat/completions", {
        "stream": True, "messages": [{"role": "user", "content": q}]}),
    "hook": _hook,
    "slack": _slack,
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_fuzzed_questions_never_get_a_5xx(server: Any, route: str) -> None:
    send = ROUTES[route]

    @given(question=ANY_TEXT)
    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(question: str) -> None:
        with server.client() as http:
            response = send(http, question)
        assert response.status_code < 500, response.text
        assert "internal_error" not in response.text  # a stream's error event is a 5xx too

    run()
