"""Reports of a run: a JSON document for machines and one self-contained HTML page for people.

The HTML page needs nothing but itself: styles inline, charts drawn as inline SVG, no scripts,
no fonts or images fetched. Every piece of text from a suite or an answer is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .calibration import Reliability
from .metrics import Summary, TurnScore, reliability_of
from .runner import RunResult, ThresholdCheck

PERCENT_METRICS = frozenset({
    "accuracy", "citation_hit_rate", "quote_fidelity", "number_verification", "number_listing",
    "marker_consistency", "refusal_recall", "false_refusal_rate", "conflicts_surfaced",
    "recall_at_1", "recall_at_5", "recall_at_10",
})
LABELS = {
    "turns": "questions (turns)",
    "errors": "errors (asking failed)",
    "accuracy": "answer accuracy",
    "citation_hit_rate": "citation hit rate",
    "quote_fidelity": "quote fidelity",
    "fabricated_numbers": "fabricated numbers",
    "number_verification": "numbers verified or conflict",
    "number_listing": "answer numerals listed",
    "marker_consistency": "[n] markers consistent",
    "refusal_recall": "refusal recall",
    "false_refusal_rate": "false-refusal rate",
    "conflicts_surfaced": "conflicts surfaced",
    "recall_at_1": "retrieval recall@1",
    "recall_at_5": "retrieval recall@5",
    "recall_at_10": "retrieval recall@10",
    "mrr": "retrieval MRR",
    "latency_p50_ms": "latency p50",
    "latency_p95_ms": "latency p95",
    "calibration_error": "calibration error (ECE)",
    "answer_words_p50": "answer words p50",
}


def format_metric(name: str, value: float | int | None) -> str:
    """A metric value for people: percentages, milliseconds, counts; ``n/a`` for None."""
    if value is None:
        return "n/a"
    if name in PERCENT_METRICS:
        return f"{value * 100:.1f}%"
    if name.endswith("_ms"):
        return f"{value:,.0f} ms"
    if name in ("mrr", "calibration_error"):
        return f"{value:.3f}"
    return f"{value:g}"


def score_to_dict(s: TurnScore) -> dict[str, Any]:
    return {
        "suite": s.suite, "id": s.item_id, "turn": s.turn, "key": s.key, "tags": list(s.tags),
        "question": s.question, "expected": [list(e) for e in s.expected],
        "evidence": s.evidence, "answerable": s.answerable, "passed": s.passed, "why": s.why,
        "refused": s.refused, "error": s.error, "latency_ms": s.latency_ms,
        "citation_hit": s.citation_hit, "quote_errors": list(s.quote_errors),
        "fabricated_numbers": list(s.fabricated), "marker_errors": list(s.marker_errors),
        "numbers_grounded": s.numbers_grounded, "numbers_listed": s.numbers_listed,
        "numerals_listed": s.numerals_listed, "numerals": s.numerals,
        "conflict_surfaced": s.conflict_ok, "retrieval_rank": s.retrieval_rank,
        "answer": dict(s.answer) if s.answer is not None else None,
    }


def to_json(result: RunResult, checks: Sequence[ThresholdCheck] = ()) -> dict[str, Any]:
    """The machine-readable report: metrics overall and per tag, thresholds, every turn."""
    return {
        "suites": [{"name": s.name, "path": s.path, "items": len(s.items),
                    "turns": s.turn_count} for s in result.suites],
        "mode": result.mode,
        "target": result.target,
        "started": result.started,
        "seconds": round(result.seconds, 2),
        "metrics": result.summary.as_dict(),
        "by_tag": {tag: s.as_dict() for tag, s in result.by_tag.items()},
        "thresholds": [
            {"key": c.key, "metric": c.metric, "limit": c.limit, "value": c.value,
             "passed": c.passed} for c in checks
        ],
        "failures": [s.key for s in result.scores if not s.passed],
        "items": [score_to_dict(s) for s in result.scores],
    }


# ---- HTML ------------------------------------------------------------------------------------

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d1d1f}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}
th,td{border:1px solid #d0d0d5;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f3f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#0a7a2f;font-weight:600}.fail{color:#b3261e;font-weight:600}
.na{color:#777}.tag{display:inline-block;background:#eef;border-radius:3px;padding:0 4px;
margin:1px;font-size:12px}.quote{color:#333;font-size:12.5px}.small{font-size:12px;color:#555}
.verified{color:#0a7a2f}.conflict{color:#a05a00}.unverified{color:#b3261e}
tr.failed td:first-child{border-left:4px solid #b3261e}tr.passed td:first-child{border-left:4px
solid #0a7a2f}.charts{display:flex;flex-wrap:wrap;gap:24px}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _metrics_table(summary: Summary) -> str:
    rows = "".join(
        f"<tr><th>{_e(LABELS.get(k, k))}</th><td class=num>{_e(format_metric(k, v))}</td></tr>"
        for k, v in summary.as_dict().items()
    )
    return f"<table>{rows}</table>"


def _thresholds_table(checks: Sequence[ThresholdCheck]) -> str:
    if not checks:
        return "<p class=na>No thresholds were set.</p>"
    rows = []
    for c in checks:
        cls = {True: "pass", False: "fail", None: "na"}[c.passed]
        state = {True: "ok", False: "missed", None: "not measured"}[c.passed]
        op = "≥" if c.key.startswith("min_") else "≤"
        rows.append(
            f"<tr><td>{_e(LABELS.get(c.metric, c.metric))}</td>"
            f"<td class=num>{_e(format_metric(c.metric, c.value))}</td>"
            f"<td>{op} {_e(format_metric(c.metric, c.limit))}</td><td class={cls}>{state}</td></tr>"
        )
    return ("<table><tr><th>metric</th><th>value</th><th>threshold</th><th></th></tr>"
            + "".join(rows) + "</table>")


def _tag_table(by_tag: Mapping[str, Summary]) -> str:
    cols = ("turns", "accuracy", "citation_hit_rate", "quote_fidelity", "fabricated_numbers",
            "refusal_recall", "false_refusal_rate", "conflicts_surfaced", "recall_at_5",
            "latency_p50_ms")
    head = "".join(f"<th>{_e(LABELS.get(c, c))}</th>" for c in cols)
    rows = []
    for tag, s in by_tag.items():
        values = s.as_dict()
        cells = "".join(f"<td class=num>{_e(format_metric(c, values[c]))}</td>" for c in cols)
        rows.append(f"<tr><th>{_e(tag)}</th>{cells}</tr>")
    return f"<table><tr><th>tag</th>{head}</tr>{''.join(rows)}</table>"


def accuracy_chart(by_tag: Mapping[str, Summary], width: int = 520) -> str:
    """Horizontal bars: answer accuracy per tag, as an inline SVG element."""
    bar_h, gap, label_w, pad = 18, 6, 130, 40
    items = [(tag, s.accuracy or 0.0, s.turns) for tag, s in by_tag.items()]
    height = len(items) * (bar_h + gap) + 30
    plot_w = width - label_w - pad
    parts = [
        f'<svg class="chart" id="accuracy-chart" '
        f'width="{width}" height="{height}" role="img" aria-label="answer accuracy per tag">',
        '<title>Answer accuracy per tag</title>',
    ]
    for i, (tag, acc, n) in enumerate(items):
        y = i * (bar_h + gap) + 4
        w = round(plot_w * acc, 1)
        colour = "#0a7a2f" if acc >= 0.9 else "#c98a00" if acc >= 0.7 else "#b3261e"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">'
            f"{_e(tag)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#eee"/>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}">'
            f"<title>{_e(tag)}: {acc * 100:.1f}% of {n}</title></rect>"
            f'<text x="{label_w + w + 4}" y="{y + 13}" font-size="12">{acc * 100:.0f}% '
            f"(n={n})</text>"
        )
    axis_y = len(items) * (bar_h + gap) + 12
    for frac in (0, 0.5, 1):
        x = label_w + plot_w * frac
        parts.append(f'<text x="{x}" y="{axis_y + 10}" font-size="10" text-anchor="middle">'
                     f"{frac * 100:.0f}%</text>")
    parts.append("</svg>")
    return "".join(parts)


def latency_histogram(latencies: Sequence[float], width: int = 520, bins: int = 12) -> str:
    """A histogram of per-question latency (ms), as an inline SVG element."""
    height, pad_l, pad_b, top = 200, 40, 34, 10
    parts = [
        f'<svg class="chart" id="latency-chart" '
        f'width="{width}" height="{height}" role="img" aria-label="latency histogram">',
        "<title>Latency histogram (ms)</title>",
    ]
    if not latencies:
        parts.append(f'<text x="{pad_l}" y="40" font-size="12">no latencies</text></svg>')
        return "".join(parts)
    lo, hi = min(latencies), max(latencies)
    span = hi - lo or 1.0
    counts = [0] * bins
    for v in latencies:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    peak = max(counts)
    plot_w, plot_h = width - pad_l - 10, height - pad_b - top
    bw = plot_w / bins
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        x = pad_l + i * bw
        b_lo, b_hi = lo + span * i / bins, lo + span * (i + 1) / bins
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bw - 2:.1f}" '
            f'height="{h:.1f}" fill="#3b6fb6"><title>{b_lo:,.0f}–{b_hi:,.0f} ms: {c}</title>'
            "</rect>"
        )
    parts.append(f'<line x1="{pad_l}" y1="{top + plot_h}" x2="{pad_l + plot_w}" '
                 f'y2="{top + plot_h}" stroke="#555"/>')
    for frac in (0, 0.5, 1):
        x = pad_l + plot_w * frac
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" font-size="10" '
                     f'text-anchor="middle">{lo + span * frac:,.0f}</text>')
    parts.append(f'<text x="{pad_l + plot_w / 2:.1f}" y="{height - 4}" font-size="11" '
                 'text-anchor="middle">latency (ms)</text>')
    parts.append(f'<text x="4" y="{top + 10}" font-size="10">{peak}</text>')
    parts.append("</svg>")
    return "".join(parts)


def reliability_diagram(reliability: Reliability, size: int = 260) -> str:
    """Mean confidence against share right per confidence bin, as an inline SVG element: a
    calibrated selector's bars follow the diagonal."""
    pad, plot = 34, size - 44
    parts = [
        f'<svg class="chart" id="reliability-chart" width="{size}" height="{size}" role="img" '
        'aria-label="reliability diagram"><title>Reliability diagram</title>',
        f'<line x1="{pad}" y1="{10 + plot}" x2="{pad + plot}" y2="10" stroke="#999" '
        'stroke-dasharray="4 3"/>',
        f'<rect x="{pad}" y="10" width="{plot}" height="{plot}" fill="none" stroke="#555"/>',
    ]
    for b in reliability.bins:
        if not b.count:
            continue
        x, w = pad + plot * b.low, plot * (b.high - b.low)
        h = plot * b.accuracy
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{10 + plot - h:.1f}" width="{w - 2:.1f}" '
            f'height="{h:.1f}" fill="#3b6fb6" fill-opacity="0.8"><title>confidence '
            f"{b.low:.1f}–{b.high:.1f}: {b.count} answers, mean {b.confidence:.2f}, "
            f"right {b.accuracy:.2f}</title></rect>"
        )
    for frac in (0, 0.5, 1):
        parts.append(f'<text x="{pad + plot * frac:.1f}" y="{size - 18}" font-size="10" '
                     f'text-anchor="middle">{frac:g}</text>')
        parts.append(f'<text x="{pad - 4}" y="{10 + plot * (1 - frac) + 3:.1f}" '
                     f'font-size="10" text-anchor="end">{frac:g}</text>')
    parts.append(f'<text x="{pad + plot / 2:.1f}" y="{size - 4}" font-size="11" '
                 'text-anchor="middle">confidence</text></svg>')
    return "".join(parts)


def _expected_html(s: TurnScore) -> str:
    if not s.answerable:
        return "<i>a refusal stating no number</i>"
    entries = "".join(
        "<li>" + " <i>or</i> ".join(f"<code>{_e(a)}</code>" for a in alts) + "</li>"
        for alts in s.expected
    )
    evidence = (f"<div class=small>evidence: “{_e(s.evidence)}”</div>" if s.evidence else "")
    return f"<ul>{entries}</ul>{evidence}"


def _citations_html(answer: Mapping[str, Any]) -> str:
    parts = []
    for c in answer.get("citations") or ():
        parts.append(
            f"<div class=quote>[{_e(c.get('id'))}] <b>{_e(c.get('doc_id'))}</b> "
            f"<span class=small>{_e(c.get('start'))}–{_e(c.get('end'))}</span> "
            f"“{_e(c.get('quote'))}”</div>"
        )
    return "".join(parts) or "<span class=na>none</span>"


def _numbers_html(answer: Mapping[str, Any]) -> str:
    parts = []
    for n in answer.get("numbers") or ():
        status = str(n.get("status"))
        cls = status if status in ("verified", "conflict", "unverified") else "na"
        cite = f" [{_e(n.get('citation'))}]" if n.get("citation") else ""
        parts.append(f"<div><code>{_e(n.get('text'))}</code> "
                     f"<span class={cls}>{_e(status)}</span>{cite}</div>")
    return "".join(parts) or "<span class=na>none</span>"


def _flags(s: TurnScore) -> str:
    flags = []
    if s.citation_hit is False:
        flags.append("evidence not in any quote")
    if s.quote_errors:
        flags.append("quote errors: " + "; ".join(s.quote_errors))
    if s.fabricated:
        flags.append("numbers in no source: " + ", ".join(s.fabricated))
    if s.marker_errors:
        flags.append("; ".join(s.marker_errors))
    if s.conflict_ok is False:
        flags.append("conflict not surfaced")
    if s.retrieval_checked:
        flags.append(f"evidence rank: {s.retrieval_rank if s.retrieval_rank else '>10'}")
    return "".join(f"<div class=small>{_e(f)}</div>" for f in flags)


def _row(s: TurnScore) -> str:
    answer = s.answer or {}
    verdict = "pass" if s.passed else "fail"
    text = answer.get("answer") if s.answer is not None else f"(error) {s.error}"
    tags = "".join(f"<span class=tag>{_e(t)}</span>" for t in s.tags)
    latency = "n/a" if s.latency_ms is None else f"{s.latency_ms:,.0f} ms"
    return (
        f'<tr class="{"passed" if s.passed else "failed"}" id="q-{_e(s.key)}">'
        f"<td><b>{_e(s.key)}</b><div>{tags}</div></td>"
        f"<td>{_e(s.question)}</td>"
        f"<td>{_e(text)}{' <i>(refused)</i>' if s.refused else ''}</td>"
        f"<td>{_expected_html(s)}</td>"
        f"<td class={verdict}>{verdict}<div class=small>{_e(s.why)}</div>{_flags(s)}</td>"
        f"<td>{_citations_html(answer)}</td>"
        f"<td>{_numbers_html(answer)}</td>"
        f"<td class=num>{_e(latency)}</td></tr>"
    )


def render_html(result: RunResult, checks: Sequence[ThresholdCheck] = ()) -> str:
    """The whole report as one HTML page (no external resources, no scripts)."""
    suites = ", ".join(f"{s.name} ({s.turn_count} turns)" for s in result.suites)
    latencies = [s.latency_ms for s in result.scores if s.latency_ms is not None and not s.error]
    failed = [s for s in result.scores if not s.passed]
    reliability = reliability_of(result.scores)
    missed = [c for c in checks if c.passed is False]
    verdict = (f"<p class=fail>{len(missed)} threshold(s) missed.</p>" if missed
               else "<p class=pass>All thresholds hold.</p>" if checks else "")
    rows = "".join(_row(s) for s in result.scores)
    failures = ", ".join(f'<a href="#q-{_e(s.key)}">{_e(s.key)}</a>' for s in failed)
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>Evaluation: {_e(suites)}</title><style>{CSS}</style></head><body>"
        f"<h1>Evaluation report</h1>"
        f"<p>Suites: {_e(suites)}<br>Against: {_e(result.mode)} {_e(result.target)}<br>"
        f"Started {_e(result.started)}, took {result.seconds:,.1f} s.</p>{verdict}"
        "<h2>Metrics</h2>" + _metrics_table(result.summary)
        + "<h2>Thresholds</h2>" + _thresholds_table(checks)
        + "<h2>Charts</h2><div class=charts>"
        + f"<figure>{accuracy_chart(result.by_tag)}<figcaption>Answer accuracy per tag"
        "</figcaption></figure>"
        + f"<figure>{latency_histogram(latencies)}<figcaption>Latency per question, "
        f"{len(latencies)} answers</figcaption></figure>"
        + f"<figure>{reliability_diagram(reliability)}<figcaption>Reliability: share of "
        f"answers right per confidence bin ({reliability.count} rated; ECE "
        f"{format_metric('calibration_error', reliability.ece)})</figcaption></figure></div>"
        + "<h2>Per tag</h2>" + _tag_table(result.by_tag)
        + f"<h2>Questions</h2><p>{len(failed)} of {len(result.scores)} failed"
        + (f": {failures}" if failures else "") + ".</p>"
        "<table><tr><th>id</th><th>question</th><th>answer</th><th>expected</th>"
        "<th>result</th><th>citations</th><th>numbers</th><th>latency</th></tr>"
        f"{rows}</table></body></html>\n"
    )
