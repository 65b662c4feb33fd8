"""``assistant ask`` and ``search`` as clients of a running server (a real uvicorn on loopback,
the CLI in its own process): the same answer as the API, in a fraction of a model load."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_cli_exit_codes import run_cli

from assistant.cli.remote import server_for

if TYPE_CHECKING:
    from api_fixtures import LiveServer

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

QUESTION = "What was global tungsten output in 2024?"


def test_ask_and_search_use_the_server(api_server: LiveServer, tmp_path: Path) -> None:
    # An empty data dir: answering in process would fail with "no index yet" (exit 1).
    env = {"ASSISTANT_URL": api_server.url, "ASSISTANT_DATA_DIR": str(tmp_path)}
    started = time.perf_counter()
    asked = run_cli("ask", QUESTION, "--json", env=env)
    seconds = time.perf_counter() - started
    assert asked.returncode == 0, asked.stderr
    with api_server.client() as http:
        expected = http.post("/v1/ask", json={"question": QUESTION}).json()
    got = json.loads(asked.stdout)
    for key in ("answer", "refused", "citations", "numbers"):
        assert got[key] == expected[key]
    print(f"ask through the server: {seconds:.2f} s, process start included")
    assert seconds < 8

    human = run_cli("ask", QUESTION, env=env)
    assert human.returncode == 0, human.stderr
    assert expected["citations"][0]["quote"] in " ".join(human.stdout.split())  # rich wraps
    assert f"answered by {api_server.url}" in human.stderr

    found = run_cli("search", "global output", "--json", "-k", "3", env=env)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert len(hits) == 3 and all(h["doc_id"] and h["text"] for h in hits)

    missing = run_cli("ask", QUESTION, "--conversation", "c_nope", env=env)
    assert missing.returncode == 3 and "no conversation" in missing.stderr
    empty = run_cli("ask", "   ", env=env)
    assert empty.returncode == 2


def test_unreachable_server_is_an_error(tmp_path: Path) -> None:
    result = run_cli("ask", QUESTION, env={"ASSISTANT_URL": "http://127.0.0.1:9",
                                           "ASSISTANT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1 and "cannot reach the server" in result.stderr


def test_default_server_is_used_only_for_the_same_index(api_server: LiveServer,
                                                        api_settings: Any,
                                                        tmp_path: Path) -> None:
    assert server_for(api_settings, probe=api_server.url) == api_server.url
    other = api_settings.model_copy(update={"data_dir": tmp_path})
    assert server_for(other, probe=api_server.url) is None  # no index here: answer locally
    (tmp_path / "CURRENT").write_text("g-another-index\n")
    assert server_for(other, probe=api_server.url) is None  # another index: not that server
    assert server_for(api_settings, probe="http://127.0.0.1:9") is None  # nothing listening
