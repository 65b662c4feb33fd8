"""Issue 17, item 9: a chat request answers only its last user message; earlier messages are
context for a follow-up (the newest ``chat_context_messages``), never asked again or stored."""

from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

FIRST = "What is the average grade of the North Katapar deposit?"


def answers(metrics: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("assistant_answers_total{"))


def test_two_hundred_messages_cost_one_answer(http: Any) -> None:
    messages = [{"role": "user", "content": f"What did plant {i} ship in 2020?"}
                for i in range(199)] + [{"role": "user", "content": FIRST}]
    before = answers(http.get("/metrics").text)
    response = http.post("/v1/chat/completions", json={"messages": messages})
    assert response.status_code == 200, response.text
    assert answers(http.get("/metrics").text) == before + 1
    turns = http.get(f"/v1/conversations/{response.json()['conversation_id']}").json()["turns"]
    assert [t["question"] for t in turns] == [FIRST]


def test_earlier_messages_rewrite_a_follow_up(http: Any) -> None:
    messages = [{"role": "user", "content": FIRST},
                {"role": "assistant", "content": "An earlier reply, not a source."},
                {"role": "user", "content": "What about its average grade?"}]
    response = http.post("/v1/chat/completions", json={"messages": messages})
    assert response.status_code == 200, response.text
    (turn,) = http.get(f"/v1/conversations/{response.json()['conversation_id']}").json()["turns"]
    assert turn["question"] == "What about its average grade?"
    assert "North Kat" in turn["standalone_question"]


def test_context_is_bounded(api_settings: Any, start_server: Any) -> None:
    settings = api_settings.model_copy(update={"chat_context_messages": 0})
    with start_server(settings).client() as http:
        messages = [{"role": "user", "content": FIRST},
                    {"role": "user", "content": "What about its average grade?"}]
        response = http.post("/v1/chat/completions", json={"messages": messages}).json()
        (turn,) = http.get(f"/v1/conversations/{response['conversation_id']}").json()["turns"]
        assert turn["standalone_question"] == "What about its average grade?"
