"""The HTML report is one self-contained page: no network, no scripts, charts inline, text
escaped; the JSON report carries every metric and turn."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from assistant.evals.judge import numeral_values
from assistant.evals.report import (
    accuracy_chart,
    format_metric,
    latency_histogram,
    render_html,
    to_json,
)
from assistant.evals.runner import RunResult, TurnFailed, check_thresholds, run_suites
from assistant.evals.suite import load_suite

TEXT = "Acme Metals operates the mine. It produced 12,500 tons in 2023."


class CannedBackend:
    """A small real backend: answers from a dict, one document, no retrieval."""

    mode = "canned"

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str | None]] = []

    def ask(self, question: str, conversation_id: str | None) -> dict[str, Any]:
        self.asked.append((question, conversation_id))
        if question not in self.answers:
            raise TurnFailed("HTTP 400 bad_question: <unknown>")
        return {"conversation_id": conversation_id or f"c{len(self.asked)}",
                **self.answers[question]}

    def begin_item(self, suite: Any, item: Any) -> None:
        pass

    def document_text(self, doc_id: str) -> str | None:
        return TEXT if doc_id == "d" else None

    def source_values(self) -> frozenset[Decimal] | None:
        return numeral_values([TEXT])

    def ranked_chunks(self, question: str) -> list[str] | None:
        return ["noise", TEXT]

    def close(self) -> None:
        pass


EVIL = '<script>alert("x")</script>'
ANSWERS = {
    "Who operates the mine?": {
        "answer": f"Acme Metals operates the mine [1]. {EVIL}", "refused": False,
        "citations": [{"id": 1, "doc_id": "d", "title": f"T {EVIL}",
                       "quote": "Acme Metals operates the mine.", "start": 0, "end": 30}],
        "numbers": [], "confidence": 0.9,
    },
    f"What is {EVIL}?": {
        "answer": "It produced 12,500 tons in 2023 [1].", "refused": False,
        "citations": [{"id": 1, "doc_id": "d", "title": "T", "quote": "It produced 12,500 tons "
                       "in 2023.", "start": 31, "end": 63}],
        "numbers": [{"text": "12,500 tons", "status": "verified", "citation": 1},
                    {"text": "2023", "status": "unverified", "citation": 1}],
        "confidence": 0.35,
    },
    "And then?": {"answer": "I can't answer that.", "refused": True, "citations": [],
                  "numbers": []},
}


def make_result(tmp_path: Path) -> tuple[RunResult, CannedBackend]:
    suite_path = tmp_path / "evil.jsonl"
    items = [
        {"id": "op", "question": "Who operates the mine?", "expected": ["Acme Metals"],
         "evidence": "Acme Metals operates", "tags": [EVIL, "name"]},
        {"id": f"id-{EVIL}", "question": f"What is {EVIL}?", "expected": [EVIL],
         "tags": ["number"]},
        {"id": "conv", "tags": ["conversation"], "turns": [
            {"question": "Who operates the mine?", "expected": ["Acme"]},
            {"question": "And then?", "answerable": False},
            {"question": "Unknown?", "expected": ["x"]}]},
    ]
    suite_path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    backend = CannedBackend(ANSWERS)
    result = run_suites([load_suite(suite_path)], backend, target="canned://")
    return result, backend


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    result, _ = make_result(tmp_path)
    checks = check_thresholds(result.summary, {"min_accuracy": 0.99, "max_fabricated_numbers": 0})
    html = render_html(result, checks)
    assert html.startswith("<!DOCTYPE html>")
    # nothing fetched: no URLs in src/href, no script, link, img, iframe or @import
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    parser = _Collector()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags
    for _, attrs in parser.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#")
    # the charts, inline
    assert 'id="accuracy-chart"' in html and 'id="latency-chart"' in html
    assert 'id="reliability-chart"' in html and "ECE" in html  # confidences were given
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        ET.fromstring(svg)  # well-formed
    # per-question rows, failures and thresholds
    assert html.count("<tr class=") == len(result.scores) == 5
    assert "missed" in html and "HTTP 400 bad_question: &lt;unknown&gt;" in html
    assert "unverified" in html


def test_charts_draw_one_bar_per_tag_and_bins() -> None:
    from assistant.evals.metrics import summarise

    svg = accuracy_chart({"a": summarise([]), "b&c": summarise([])})
    assert svg.count("<rect") == 4 and "b&amp;c" in svg
    ET.fromstring(svg)
    hist = latency_histogram([10.0, 20.0, 20.0, 500.0], bins=5)
    assert hist.count("<rect") == 5
    ET.fromstring(hist)
    ET.fromstring(latency_histogram([]))
    ET.fromstring(latency_histogram([5.0, 5.0]))


def test_json_report(tmp_path: Path) -> None:
    result, backend = make_result(tmp_path)
    checks = check_thresholds(result.summary, {"min_accuracy": 0.5})
    report = json.loads(json.dumps(to_json(result, checks)))
    assert report["suites"] == [{"name": "evil", "path": str(tmp_path / "evil.jsonl"),
                                 "items": 3, "turns": 5}]
    assert set(report["metrics"]) >= {"accuracy", "citation_hit_rate", "quote_fidelity",
                                      "fabricated_numbers", "refusal_recall",
                                      "false_refusal_rate", "recall_at_1", "mrr",
                                      "latency_p95_ms"}
    assert report["thresholds"][0]["key"] == "min_accuracy"
    keys = [i["key"] for i in report["items"]]
    assert keys == ["op", f"id-{EVIL}", "conv#1", "conv#2", "conv#3"]
    assert report["failures"] == [f"id-{EVIL}", "conv#3"]
    assert report["items"][0]["retrieval_rank"] == 2
    # the conversation's turns share its id; single questions start their own
    assert [cid for _, cid in backend.asked] == [None, None, None, "c3", "c3"]
    assert report["metrics"]["number_verification"] == 0.5


def test_format_metric() -> None:
    assert format_metric("accuracy", 0.8125) == "81.2%"
    assert format_metric("latency_p50_ms", 1234.4) == "1,234 ms"
    assert format_metric("fabricated_numbers", 0) == "0"
    assert format_metric("mrr", 0.5) == "0.500"
    assert format_metric("recall_at_5", None) == "n/a"
