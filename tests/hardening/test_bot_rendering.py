"""From the review of the suite: Slack and webhook rendering of a refusal's related passages
and of a conflict was never executed. Both run here end to end through the real bots."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hardening_helpers import Recorder, bots_server, hook_headers, slack_event, slack_headers

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

REFUSED = "What is the population of Brazil?"  # refused, with related passages
CONFLICT = "What are the rare earth reserves of the Kuyrektykol deposit?"


@pytest.fixture(scope="module")
def http(api_settings: Any, embedder: Any, slack: Recorder,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    for server in bots_server(api_settings, embedder, slack, tmp_path_factory, "render"):
        with server.client() as client:
            yield client


def hook(http: httpx.Client, question: str) -> dict[str, Any]:
    body = json.dumps({"text": question, "user": "U1"}).encode()
    response = http.post("/v1/hooks/ask", content=body, headers=hook_headers(body))
    assert response.status_code == 200, response.text
    return response.json()


def slack_blocks(http: httpx.Client, slack: Recorder, question: str, event_id: str) -> str:
    before = slack.paths().count("/api/chat.postMessage")
    body = slack_event(question, event_id)
    assert http.post("/slack/events", content=body, headers=slack_headers(body)).status_code == 200
    slack.wait_for("/api/chat.postMessage", before + 1)
    return json.dumps(slack.bodies("/api/chat.postMessage")[-1]["blocks"], ensure_ascii=False)


def test_a_refusal_shows_its_related_passages(http: httpx.Client, slack: Recorder) -> None:
    data = hook(http, REFUSED)
    assert data["refused"] and data["citations"] == [] and data["related"]
    assert "Related passages (not an answer):" in data["text"]
    assert data["related"][0]["title"] in data["text"]
    blocks = slack_blocks(http, slack, REFUSED, "EvRefused")
    assert "Related passages (not an answer):" in blocks
    assert "[1]" not in blocks  # nothing is cited


def test_a_conflict_is_shown_as_one(http: httpx.Client, slack: Recorder) -> None:
    data = hook(http, CONFLICT)
    assert data["conflict"] and not data["refused"]
    conflicting = [n["text"] for n in data["numbers"] if n["status"] == "conflict"]
    assert {"8 million tons", "282 million tons"} <= set(conflicting)
    for text in conflicting:
        assert f"{text}: conflict" in data["text"]
    blocks = slack_blocks(http, slack, CONFLICT, "EvConflict")
    assert "The sources give different values" in blocks and "CONFLICT" in blocks
