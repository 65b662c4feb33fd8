"""``assistant eval --url`` against the real API on a real uvicorn server (loopback)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import assistant.cli.eval  # noqa: F401  (registers the command)
from assistant.app import create_app
from assistant.cli import app
from assistant.evals.runner import HttpBackend, LocalBackend, run_suites
from assistant.evals.suite import load_suite
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings

pytestmark = pytest.mark.slow

DOC = ("The Example mine is run by Acme Metals. In 2023, the Example mine produced about "
       "12,500 tons of copper. The mine opened in March 2019 near the town of Redrock.\n")
SUITE = [
    {"id": "output", "question": "How much copper did the Example mine produce in 2023?",
     "expected": ["12,500 tons"], "evidence": "produced about 12,500 tons", "tags": ["number"]},
    {"id": "operator", "question": "Who runs the Example mine?", "expected": ["Acme Metals"],
     "evidence": "run by Acme Metals", "tags": ["name"]},
    {"id": "no-ceo", "question": "Who is the chief executive of the Zenith Bank?",
     "answerable": False, "tags": ["unanswerable"]},
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings, Path]]:
    import uvicorn

    root = tmp_path_factory.mktemp("evalhttp")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "example.txt").write_text(DOC, encoding="utf-8")
    settings = Settings(data_dir=root / "data")
    ingest([corpus], settings)
    suite = root / "suite.jsonl"
    suite.write_text("".join(json.dumps(i) + "\n" for i in SUITE), encoding="utf-8")

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", settings, suite
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_url_mode_matches_in_process(served: tuple[str, Settings, Path]) -> None:
    url, settings, suite_path = served
    suite = load_suite(suite_path)
    remote = HttpBackend(url)
    try:
        over_http = run_suites([suite], remote, target=url)
    finally:
        remote.close()
    local = LocalBackend(settings)
    try:
        in_process = run_suites([suite], local)
    finally:
        local.close()
    assert over_http.summary.quote_fidelity in (None, 1.0)
    assert over_http.summary.fabricated_numbers == 0
    assert over_http.summary.recall_at_5 is None  # n/a over HTTP
    assert in_process.summary.recall_at_5 is not None
    assert [s.passed for s in over_http.scores] == [s.passed for s in in_process.scores]
    for remote_score, local_score in zip(over_http.scores, in_process.scores, strict=True):
        assert remote_score.answer and local_score.answer
        assert remote_score.answer["answer"] == local_score.answer["answer"]


def test_cli_url(served: tuple[str, Settings, Path], tmp_path: Path) -> None:
    url, _, suite_path = served
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["eval", str(suite_path), "--url", url, "--json", str(out),
                                      "--max-fabricated-numbers", "0",
                                      "--min-quote-fidelity", "1"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["mode"] == "http" and report["metrics"]["turns"] == 3
    assert report["metrics"]["recall_at_5"] is None
    assert result.exit_code == 0, result.output
