"""Failures inside the assistant reach clients in the error shape: never a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assistant.errors import UpstreamError
from assistant.index.loaded import IndexHolder
from assistant.service import Assistant
from assistant.types import Answer

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow


class FailingAssistant(Assistant):
    """The real Assistant, except that some questions make it fail."""

    def ask(self, question: str, conversation_id: str | None = None) -> Answer:
        if "explode" in question:
            raise RuntimeError("secret internal detail")
        if "upstream" in question:
            raise UpstreamError("the LLM endpoint at http://llm.local timed out after 20s")
        return super().ask(question, conversation_id)


@pytest.fixture()
def failing(api_settings: Any, embedder: Any) -> Any:
    from api_fixtures import LiveServer

    from assistant.api.app import create_app

    assistant = FailingAssistant(api_settings, IndexHolder(api_settings, embedder))
    server = LiveServer(create_app(api_settings, assistant)).start()
    yield server
    server.stop()


def events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        name = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), "message")
        data = "\n".join(ln[5:].lstrip() for ln in lines if ln.startswith("data:"))
        out.append((name, json.loads(data)))
    return out


def test_unexpected_and_upstream_errors(failing: Any) -> None:
    with failing.client() as http:
        boom = http.post("/v1/ask", json={"question": "please explode"})
        assert boom.status_code == 500
        assert boom.json()["error"]["code"] == "internal_error"
        assert "secret" not in boom.text and "Traceback" not in boom.text

        upstream = http.post("/v1/ask", json={"question": "upstream please"})
        assert upstream.status_code == 502
        assert upstream.json() == {"error": {
            "code": "upstream_error",
            "message": "the LLM endpoint at http://llm.local timed out after 20s"}}

        stream = http.post("/v1/ask/stream", json={"question": "please explode"})
        assert stream.status_code == 200
        assert events(stream.text) == [("error", {"error": {
            "code": "internal_error",
            "message": "unexpected server error; the details are in the server log"}})]
        stream = http.post("/v1/ask/stream", json={"question": "upstream please"})
        assert events(stream.text)[0][1]["error"]["code"] == "upstream_error"

        chat = http.post("/v1/chat/completions",
                         json={"messages": [{"role": "user", "content": "please explode"}]})
        assert chat.status_code == 500 and chat.json()["error"]["code"] == "internal_error"
        chat_stream = http.post("/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": "upstream please"}]})
        assert "upstream_error" in chat_stream.text and "[DONE]" not in chat_stream.text

        # The server still serves.
        assert http.post("/v1/ask", json={"question": "Who wants the Kazakh tungsten?"}) \
            .status_code == 200


def test_openai_client_sees_a_stream_error(failing: Any) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=failing.url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(
                model="m", stream=True,
                messages=[{"role": "user", "content": "upstream please"}]):
            pass
