"""Issue 17, item 15: the OpenAPI schema states every constraint the API enforces, a 405 lists
every method of its path, and schemathesis with ``--checks all`` passes against the real app on
loopback: with a key (write routes and uploads exercised), positive and negative data, the
webhook signed, stateful links followed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hardening_helpers import HOOK_SECRET, RecordingTransport, offline_resolver

from assistant.app import create_app
from assistant.bots.callbacks import CallbackPolicy
from assistant.index.loaded import IndexHolder
from assistant.ingest.fetch import fetch_policy
from assistant.service import Assistant
from assistant.settings import Settings

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
KEY = "schemathesis-key"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def spec() -> dict[str, Any]:
    return create_app(Settings(data_dir="/nonexistent")).openapi()


def test_the_schema_states_what_the_routes_enforce() -> None:
    schemas = spec()["components"]["schemas"]
    question = schemas["AskRequest"]["properties"]["question"]
    assert question["minLength"] == 1 and question["pattern"] == "\\S"
    assert schemas["AskRequest"]["properties"]["conversation_id"]["pattern"]
    assert schemas["ChatRequest"]["properties"]["stream"]["type"] == "boolean"
    assert schemas["ChatRequest"]["properties"]["messages"]["contains"]["properties"]["role"] \
        == {"const": "user"}
    paths = spec()["paths"]
    doc_id = paths["/v1/documents/{doc_id}"]["get"]["parameters"][0]["schema"]
    assert doc_id["pattern"].endswith("[a-z0-9])?$")
    assert paths["/v1/conversations/{conversation_id}"]["get"]["parameters"][0]["schema"][
        "pattern"]
    links = paths["/v1/documents"]["post"]["responses"]["201"]["links"]
    assert set(links) == {"GetDocument", "GetDocumentText", "DeleteDocument"}


def test_stream_must_be_a_boolean_and_405_lists_every_method(http: httpx.Client) -> None:
    for stream in (0, 1, "true", None):
        response = http.post("/v1/chat/completions", json={
            "stream": stream, "messages": [{"role": "user", "content": "What is tungsten?"}]})
        assert response.status_code == 422, (stream, response.text)
    put = http.put("/v1/documents/kazakhstan-tungsten-2025-11-21")
    assert put.status_code == 405
    assert put.headers["allow"] == "DELETE, GET"  # it listed only GET
    assert http.put("/v1/documents").headers["allow"] == "GET, POST"
    assert http.put("/v1/conversations/c_x").headers["allow"] == "DELETE, GET, PATCH"
    assert "DELETE, GET" in put.json()["error"]["message"]


@pytest.fixture(scope="module")
def fuzzed(api_settings: Settings, embedder: Any,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real app with keys (writes allowed to the key), the webhook on, and callbacks that
    touch no network: names are not resolved, deliveries are recorded, not sent."""
    from api_fixtures import LiveServer, copy_index

    settings = copy_index(api_settings, tmp_path_factory.mktemp("schemathesis") / "data",
                          api_keys=[KEY], hook_secret=HOOK_SECRET)
    policy = CallbackPolicy(resolve=offline_resolver, transport=RecordingTransport())
    app = create_app(settings, Assistant(settings, IndexHolder(settings, embedder)), policy)
    # Document URLs likewise: names are not looked up, fetches are recorded, not sent.
    app.state.library.fetch_policy = fetch_policy(settings, resolve=offline_resolver,
                                                  transport=RecordingTransport())
    server = LiveServer(app).start()
    yield server
    server.stop()


def test_schemathesis_all_checks_pass(fuzzed: Any, tmp_path: Path) -> None:
    command = [
        str(SCHEMATHESIS), "--config-file", str(HERE / "schemathesis.toml"), "--no-color",
        "run", fuzzed.url + "/openapi.json", "--checks", "all", "--mode", "all",
        "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "60",
        "--seed", "17", "--workers", "1", "--continue-on-failure",
        "--header", f"Authorization: Bearer {KEY}", "--report", "junit",
        "--report-dir", str(tmp_path),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "HOOK_SECRET": HOOK_SECRET,
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "Tested: " in run.stdout and "Stateful" in run.stdout
    uploads = Path(fuzzed.app.state.settings.data_dir) / "uploads"
    assert uploads.is_dir() and any(uploads.iterdir()), "uploads were exercised, some accepted"
