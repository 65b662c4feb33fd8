"""Failures inside the assistant reach clients in the error shape: never a traceback.

Real failures of real parts, no fake Assistant: a catalog overwritten under a loaded index
(SQLite raises its own DatabaseError on the next read: an unexpected error, 500, or an error
event once a stream has started) and a Chroma server that does not answer (502).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import openai
import pytest

from assistant.index.layout import DataDir

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

QUESTION = "Who wants the Kazakh tungsten?"
INTERNAL = {"error": {"code": "internal_error",
                      "message": "unexpected server error; the details are in the server log"}}


@pytest.fixture()
def broken(writable_settings: Any, start_server: Any) -> Any:
    """A served index whose catalog is overwritten with zeros after it was loaded."""
    server = start_server(writable_settings)
    server.app.state.assistant.holder.get()  # loaded (the warm-up did it too)
    data = DataDir(writable_settings.data_dir)
    catalog = data.path(data.current() or "") / "catalog.sqlite"
    with open(catalog, "r+b") as fh:  # in place: the open connection sees it
        fh.write(b"\0" * catalog.stat().st_size)
    return server


def events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        name = next((ln[6:].strip() for ln in lines if ln.startswith("event:")), "message")
        data = "\n".join(ln[5:].lstrip() for ln in lines if ln.startswith("data:"))
        out.append((name, json.loads(data)))
    return out


def test_unexpected_errors_are_500_or_an_error_event(broken: Any, tmp_path: Path) -> None:
    with broken.client() as http:
        boom = http.post("/v1/ask", json={"question": QUESTION})
        assert boom.status_code == 500 and boom.json() == INTERNAL
        assert "database" not in boom.text and "Traceback" not in boom.text
        assert str(tmp_path) not in boom.text

        stream = http.post("/v1/ask/stream", json={"question": QUESTION})
        assert stream.status_code == 200  # the checks before the stream all passed
        assert events(stream.text) == [("error", INTERNAL)]

        chat = http.post("/v1/chat/completions",
                         json={"messages": [{"role": "user", "content": QUESTION}]})
        assert chat.status_code == 500 and chat.json() == INTERNAL
        chat_stream = http.post("/v1/chat/completions", json={
            "stream": True, "messages": [{"role": "user", "content": QUESTION}]})
        assert "internal_error" in chat_stream.text and "[DONE]" not in chat_stream.text

        # The server still serves what does not need the dense store.
        assert http.get("/v1/documents").status_code == 200
        assert http.get("/healthz").status_code == 200


def test_openai_client_sees_a_stream_error(broken: Any) -> None:
    client = openai.OpenAI(base_url=broken.url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(
                model="m", stream=True, messages=[{"role": "user", "content": QUESTION}]):
            pass


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns: nothing listens


def test_an_unreachable_chroma_server_is_502(api_settings: Any, start_server: Any) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = api_settings.model_copy(update={"chroma_url": url})
    with start_server(settings).client() as http:
        for response in (http.post("/v1/ask", json={"question": QUESTION}),
                         http.post("/v1/ask/stream", json={"question": QUESTION}),
                         http.post("/v1/chat/completions", json={
                             "messages": [{"role": "user", "content": QUESTION}]})):
            assert response.status_code == 502, response.text
            error = response.json()["error"]
            assert error["code"] == "upstream_error" and url in error["message"]
        assert http.get("/readyz").json()["error"]["code"] == "upstream_error"
