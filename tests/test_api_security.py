"""API keys on and off, anonymous writes, CORS."""

from __future__ import annotations

from typing import Any

import openai
import pytest

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

OPEN = ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]
READS = ["/v1/documents", "/v1/conversations", "/v1/facts?limit=1",
         "/v1/documents/kazakhstan-tungsten-2025-11-21/text"]
UPLOAD = {"file": ("note.txt", b"Plain words.\n", "text/plain")}


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_no_keys_reads_open_writes_forbidden(http: Any) -> None:
    for path in READS + OPEN:
        assert http.get(path).status_code == 200, path
    assert_error(http.post("/v1/documents", files=UPLOAD), 403, "forbidden")
    assert_error(http.delete("/v1/documents/kazakhstan-tungsten-2025-11-21"), 403, "forbidden")
    assert "ASSISTANT_API_KEYS" in http.post("/v1/documents", files=UPLOAD).json()["error"][
        "message"]


def test_keys_guard_every_v1_route(api_settings: Any, start_server: Any, tmp_path: Any) -> None:
    from api_fixtures import copy_index

    settings = copy_index(api_settings, tmp_path / "data", api_keys=["k-one", "k-two"])
    server = start_server(settings)
    with server.client() as http:
        for path in OPEN:
            assert http.get(path).status_code == 200, path
        for path in READS:
            missing = http.get(path)
            assert_error(missing, 401, "unauthorized")
            assert missing.headers["www-authenticate"].startswith("Bearer")
            assert_error(http.get(path, headers={"Authorization": "Bearer nope"}), 401,
                         "unauthorized")
            assert_error(http.get(path, headers={"X-API-Key": "k-on"}), 401, "unauthorized")
            assert http.get(path, headers={"Authorization": "Bearer k-one"}).status_code == 200
            assert http.get(path, headers={"X-API-Key": "k-two"}).status_code == 200
        assert_error(http.post("/v1/ask", json={"question": "Who wants the Kazakh tungsten?"}),
                     401, "unauthorized")
        assert_error(http.post("/v1/chat/completions",
                               json={"messages": [{"role": "user", "content": "hi"}]}),
                     401, "unauthorized")
        assert http.post("/v1/ask", json={"question": "Who wants the Kazakh tungsten?"},
                         headers={"X-API-Key": "k-one"}).status_code == 200
        # Write routes need a key too, and accept one.
        assert_error(http.post("/v1/documents", files=UPLOAD), 401, "unauthorized")
        assert_error(http.delete("/v1/documents/no-such-doc"), 401, "unauthorized")
        assert_error(http.delete("/v1/documents/no-such-doc",
                                 headers={"Authorization": "Bearer k-two"}), 404, "not_found")
        created = http.post("/v1/documents", files=UPLOAD, headers={"X-API-Key": "k-one"})
        assert created.status_code == 201, created.text

    client = openai.OpenAI(base_url=server.url + "/v1", api_key="k-two", max_retries=0)
    reply = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": "Who wants the Kazakh tungsten?"}])
    assert reply.choices[0].message.content
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.url + "/v1", api_key="wrong", max_retries=0) \
            .chat.completions.create(model="assistant",
                                     messages=[{"role": "user", "content": "hi"}])


def test_anonymous_writes_with_keys(api_settings: Any, start_server: Any, tmp_path: Any) -> None:
    from api_fixtures import copy_index

    settings = copy_index(api_settings, tmp_path / "data", api_keys=["k-one"],
                          allow_anonymous_writes=True)
    with start_server(settings).client() as http:
        assert_error(http.get("/v1/documents"), 401, "unauthorized")
        assert http.post("/v1/documents", files=UPLOAD).status_code == 201
        # A key that is sent must still be a valid one.
        assert_error(http.post("/v1/documents", files=UPLOAD, headers={"X-API-Key": "bad"}),
                     401, "unauthorized")


def test_cors(api_settings: Any, start_server: Any) -> None:
    settings = api_settings.model_copy(update={"cors_origins": ["https://ui.example"]})
    with start_server(settings).client() as http:
        ok = http.options("/v1/ask", headers={
            "Origin": "https://ui.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization"})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == "https://ui.example"
        simple = http.get("/v1/documents", headers={"Origin": "https://ui.example"})
        assert simple.headers["access-control-allow-origin"] == "https://ui.example"
        refused = http.options("/v1/ask", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert_error(refused, 400, "cors_refused")
        other = http.get("/v1/documents", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
