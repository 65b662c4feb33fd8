"""Issue 17, item 14: a conversation belongs to whoever started it (an API key, a Slack user,
a webhook caller) and is listed, read, continued, rated and deleted only by its owner or an
admin key; to anyone else it does not exist. A conversation holds at most ``max_turns`` turns.
"""

from __future__ import annotations

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

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

ALICE, BOB, ADMIN = "k-alice", "k-bob", "k-admin"


def key(k: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {k}"}


@pytest.fixture(scope="module")
def server(api_settings: Any, embedder: Any, slack: Recorder,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from bots_server(api_settings, embedder, slack, tmp_path_factory, "h14",
                           api_keys=[ALICE, BOB], admin_keys=[ADMIN], max_turns=3)


def ids(http: httpx.Client, k: str) -> set[str]:
    listed = http.get("/v1/conversations", params={"limit": 1000}, headers=key(k))
    assert listed.status_code == 200
    return {c["id"] for c in listed.json()["conversations"]}


def test_a_conversation_is_its_owners(http: httpx.Client) -> None:
    mine = http.post("/v1/ask", json={"question": QUESTION}, headers=key(ALICE)).json()
    cid = mine["conversation_id"]
    assert cid in ids(http, ALICE) and cid not in ids(http, BOB) and cid in ids(http, ADMIN)
    assert http.get(f"/v1/conversations/{cid}", headers=key(ALICE)).status_code == 200
    for attempt in (
        http.get(f"/v1/conversations/{cid}", headers=key(BOB)),
        http.post("/v1/ask", json={"question": QUESTION, "conversation_id": cid},
                  headers=key(BOB)),
        http.post("/v1/ask/stream", json={"question": QUESTION, "conversation_id": cid},
                  headers=key(BOB)),
        http.post("/v1/chat/completions", headers=key(BOB), json={
            "conversation_id": cid, "messages": [{"role": "user", "content": QUESTION}]}),
        http.post("/v1/feedback", json={"conversation_id": cid, "turn": 1, "rating": "up"},
                  headers=key(BOB)),
        http.delete(f"/v1/conversations/{cid}", headers=key(BOB)),
    ):
        assert attempt.status_code == 404, attempt.text  # as if it did not exist
    assert http.post("/v1/feedback", json={"conversation_id": cid, "turn": 1, "rating": "up"},
                     headers=key(ALICE)).status_code == 201
    assert [r["conversation_id"] for r in
            http.get("/v1/feedback/export", headers=key(BOB)).json()] == []
    assert cid in [r["conversation_id"] for r in
                   http.get("/v1/feedback/export", headers=key(ADMIN)).json()]
    assert http.get(f"/v1/conversations/{cid}", headers=key(ADMIN)).status_code == 200
    assert http.delete(f"/v1/conversations/{cid}", headers=key(ALICE)).status_code == 204


def test_bot_conversations_are_not_listed_to_api_keys(http: httpx.Client,
                                                      slack: Recorder) -> None:
    body = json.dumps({"text": QUESTION, "user": "U7", "thread": "t-private"}).encode()
    hooked = http.post("/v1/hooks/ask", content=body, headers=hook_headers(body)).json()
    event = slack_event(QUESTION, "EvPrivate", user="U8")
    assert http.post("/slack/events", content=event,
                     headers=slack_headers(event)).status_code == 200
    slack.wait_for("/api/chat.postMessage")
    everyone = ids(http, ADMIN)
    assert hooked["conversation_id"] in everyone
    assert not everyone <= (ids(http, ALICE) | ids(http, BOB))
    for k in (ALICE, BOB):
        assert hooked["conversation_id"] not in ids(http, k)
        assert http.get(f"/v1/conversations/{hooked['conversation_id']}",
                        headers=key(k)).status_code == 404


def test_a_conversation_has_a_turn_limit(http: httpx.Client) -> None:
    cid = None
    for _ in range(3):
        body: dict[str, Any] = {"question": QUESTION, "conversation_id": cid}
        answer = http.post("/v1/ask", json=body, headers=key(ALICE))
        assert answer.status_code == 200, answer.text
        cid = answer.json()["conversation_id"]
    full = http.post("/v1/ask", json={"question": QUESTION, "conversation_id": cid},
                     headers=key(ALICE))
    assert full.status_code == 409
    error = full.json()["error"]
    assert error["code"] == "conversation_full" and "ASSISTANT_MAX_TURNS" in error["message"]
    assert len(http.get(f"/v1/conversations/{cid}", headers=key(ALICE)).json()["turns"]) == 3
