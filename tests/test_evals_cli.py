"""``assistant eval`` end to end over --url, and the runner with its HTTP backend.

Where the real app can produce the condition (a refused question, a server with no index) the
real app serves it. The scoring tests keep a small HTTP server with canned contract answers:
they need answers the real app never gives (a number in no source, markup in an answer) to
check that the metrics catch them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import assistant.cli.eval  # noqa: F401  (registers the command)
from assistant.cli import app
from assistant.evals.runner import (
    EvalError,
    HttpBackend,
    ThresholdsError,
    check_thresholds,
    load_thresholds,
    run_suites,
)
from assistant.evals.suite import load_suite

pytest_plugins = ["api_fixtures"]

DOC_ID = "mine-report"
TEXT = ("In 2023, the Example mine produced about 12,500 tons of copper. "
        "Acme Metals operates the mine. It opened in March 2019.")


def _cite(sentence: str, n: int = 1) -> dict[str, Any]:
    start = TEXT.index(sentence)
    return {"id": n, "doc_id": DOC_ID, "title": "Mine report", "quote": sentence,
            "start": start, "end": start + len(sentence)}


ANSWERS: dict[str, dict[str, Any]] = {
    "How much copper did the Example mine produce in 2023?": {
        "answer": "In 2023, the Example mine produced about 12,500 tons of copper [1].",
        "refused": False,
        "citations": [_cite("In 2023, the Example mine produced about 12,500 tons of copper.")],
        "numbers": [{"text": "2023", "status": "verified", "citation": 1},
                    {"text": "12,500 tons", "status": "verified", "citation": 1}],
    },
    "Which company operates the Example mine?": {
        "answer": "Acme Metals operates the mine [1].", "refused": False,
        "citations": [_cite("Acme Metals operates the mine.")], "numbers": [],
    },
    "When did it open?": {
        "answer": "It opened in March 2019 [1].", "refused": False,
        "citations": [_cite("It opened in March 2019.")],
        "numbers": [{"text": "March 2019", "status": "verified", "citation": 1}],
    },
    "Who runs the Example mine's canteen?": {
        "answer": "I can't answer that from the sources.", "refused": True, "citations": [],
        "numbers": [],
    },
    "What is the <script>alert(1)</script> grade?": {
        "answer": "The grade is 0.9% <script>alert(x)</script> [1].", "refused": False,
        "citations": [_cite("Acme Metals operates the mine.")], "numbers": [],
    },
}


class ContractServer(ThreadingHTTPServer):
    """Serves canned contract answers; checks follow-ups carry the conversation id."""

    daemon_threads = True
    asked: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: ContractServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path == "/readyz":
            self._send(200, {"status": "ready"})
        elif self.path == "/v1/documents":
            self._send(200, {"count": 1, "documents": [{"id": DOC_ID, "title": "Mine report"}]})
        elif self.path == f"/v1/documents/{DOC_ID}/text":
            self._send(200, TEXT, "text/plain; charset=utf-8")
        else:
            self._send(404, {"error": {"code": "not_found", "message": "no such thing"}})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.asked.append(body)
        question = body["question"]
        if question == "When did it open?" and body.get("conversation_id") != "c-1":
            self._send(400, {"error": {"code": "bad_input", "message": "lost the conversation"}})
            return
        if question not in ANSWERS:
            self._send(400, {"error": {"code": "bad_question", "message": "unknown question"}})
            return
        self._send(200, {"conversation_id": body.get("conversation_id") or "c-1",
                         **ANSWERS[question]})


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = ContractServer(("127.0.0.1", 0), Handler)
    httpd.asked = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def write_suite(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


GOOD_ITEMS: list[dict[str, Any]] = [
    {"id": "output", "question": "How much copper did the Example mine produce in 2023?",
     "expected": ["12,500 tons"], "evidence": "produced about 12,500 tons", "tags": ["number"]},
    {"id": "canteen", "question": "Who runs the Example mine's canteen?", "answerable": False,
     "tags": ["unanswerable"]},
    {"id": "mine", "tags": ["conversation"], "turns": [
        {"question": "Which company operates the Example mine?", "expected": ["Acme Metals"]},
        {"question": "When did it open?", "expected": ["March 2019"]}]},
]
BAD_ITEM = {"id": "grade", "question": "What is the <script>alert(1)</script> grade?",
            "expected": ["0.8%"], "tags": ["<b>tag</b>"]}


def test_runner_over_http(server: str, tmp_path: Path) -> None:
    suite = load_suite(write_suite(tmp_path / "s.jsonl", GOOD_ITEMS + [BAD_ITEM]))
    backend = HttpBackend(server)
    try:
        result = run_suites([suite], backend, target=server)
    finally:
        backend.close()
    keys = {s.key: s for s in result.scores}
    assert set(keys) == {"output", "canteen", "mine#1", "mine#2", "grade"}
    assert keys["mine#2"].passed, keys["mine#2"].why  # follow-up kept the conversation id
    assert not keys["grade"].passed
    assert keys["grade"].fabricated == ("0.9",)  # in no source document
    s = result.summary
    assert s.accuracy == 0.8 and s.quote_fidelity == 1.0 and s.fabricated_numbers == 1
    assert s.refusal_recall == 1.0 and s.false_refusal_rate == 0.0
    assert s.citation_hit_rate == 1.0
    assert s.recall_at_5 is None and s.mrr is None  # retrieval is not visible over HTTP
    assert s.latency_p50_ms is not None


def test_cli_passes_and_writes_reports(server: str, tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", GOOD_ITEMS)
    json_path, html_path = tmp_path / "out" / "r.json", tmp_path / "r.html"
    result = CliRunner().invoke(app, [
        "eval", str(suite), "--url", server, "--json", str(json_path), "--report", str(html_path),
        "--min-accuracy", "1", "--max-fabricated-numbers", "0"])
    assert result.exit_code == 0, result.output
    assert "answer accuracy" in result.stdout and "100.0%" in result.stdout
    assert "conversation" in result.stdout  # per-tag table
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert report["metrics"]["accuracy"] == 1.0
    assert {c["key"] for c in report["thresholds"]} == {"min_accuracy", "max_fabricated_numbers"}
    assert [i["key"] for i in report["items"]] == ["output", "canteen", "mine#1", "mine#2"]
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_exits_1_naming_the_missed_threshold(server: str, tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", GOOD_ITEMS + [BAD_ITEM])
    result = CliRunner().invoke(app, ["eval", str(suite), "--url", server,
                                      "--min-accuracy", "0.9", "--min-refusal-recall", "1"])
    assert result.exit_code == 1
    assert "threshold(s) missed" in result.stderr
    assert "accuracy 0.8 (needs >= 0.9)" in result.stderr
    assert "refusal_recall" not in result.stderr  # that one holds
    assert "Traceback" not in result.output


def test_cli_thresholds_file_and_overrides(server: str, tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", GOOD_ITEMS + [BAD_ITEM])
    toml = tmp_path / "t.toml"
    toml.write_text("[thresholds]\nmin_accuracy = 0.9\nmax_fabricated_numbers = 0\n"
                    "min_recall_at_5 = 0.5\n", encoding="utf-8")
    strict = CliRunner().invoke(app, ["eval", str(suite), "--url", server,
                                      "--thresholds", str(toml)])
    assert strict.exit_code == 1
    assert "accuracy" in strict.stderr and "fabricated_numbers 1 (needs <= 0)" in strict.stderr
    assert "recall_at_5 n/a (needs >= 0.5): not measured" in strict.stdout
    loose = CliRunner().invoke(app, ["eval", str(suite), "--url", server, "--thresholds",
                                     str(toml), "--min-accuracy", "0.5",
                                     "--max-fabricated-numbers", "1"])
    assert loose.exit_code == 0, loose.output


def test_cli_bad_suite_exits_2_without_traceback(tmp_path: Path) -> None:
    suite = tmp_path / "bad.jsonl"
    suite.write_text('{"id": "a", "question": "q", "expected": ["x"]}\n{"id": "b"\n',
                     encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(suite)])
    assert result.exit_code == 2
    assert f"{suite}:2: not valid JSON" in result.stderr.replace("\n", "")
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(app, ["eval", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "no such suite file" in missing.stderr


def test_cli_bad_thresholds_exit_2(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", GOOD_ITEMS)
    toml = tmp_path / "t.toml"
    toml.write_text("[thresholds]\nmin_acuracy = 0.9\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(suite), "--thresholds", str(toml)])
    assert result.exit_code == 2
    assert "unknown threshold 'min_acuracy'" in result.stderr.replace("\n", "")


def test_cli_unreachable_server(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", GOOD_ITEMS)
    result = CliRunner().invoke(app, ["eval", str(suite), "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9" in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_failed_question_is_scored_not_fatal(api_server: Any, tmp_path: Path) -> None:
    """The real app refuses a question over its length limit (400 bad_question)."""
    suite = load_suite(write_suite(tmp_path / "s.jsonl", [
        {"id": "long", "question": "Why " + "really " * 800 + "?", "expected": ["x"]}]))
    backend = HttpBackend(api_server.url)
    try:
        result = run_suites([suite], backend)
    finally:
        backend.close()
    score = result.scores[0]
    assert not score.passed and score.error and "HTTP 400 bad_question" in score.error
    assert result.summary.errors == 1


@pytest.mark.parametrize(("content", "message"), [
    ("min_accuracy = 0.9\n", r"expected a \[thresholds\] table"),
    ("[thresholds]\nmin_accuracy = 'high'\n", "must be a number"),
    ("[thresholds\n", "not valid TOML"),
    (None, "no such thresholds file"),
])
def test_thresholds_file_validation(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "t.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ThresholdsError, match=message):
        load_thresholds(path)


def test_shipped_thresholds_file_is_valid() -> None:
    path = Path(__file__).resolve().parent.parent / "evals" / "thresholds.toml"
    thresholds = load_thresholds(path)
    assert thresholds["max_fabricated_numbers"] == 0
    assert {"min_accuracy", "min_citation_hit_rate", "min_refusal_recall",
            "max_false_refusal_rate", "min_quote_fidelity"} <= set(thresholds)
    assert check_thresholds  # used by the gate test


@pytest.mark.slow
def test_http_backend_refuses_a_server_that_is_not_ready(api_settings: Any, start_server: Any,
                                                         tmp_path: Path) -> None:
    """The real app over a data dir with nothing ingested answers /readyz with 503."""
    empty = api_settings.model_copy(update={"data_dir": tmp_path / "empty"})
    server = start_server(empty)
    with pytest.raises(EvalError, match="is not ready: HTTP 503 index_not_ready"):
        HttpBackend(server.url, ready_timeout_s=1)
