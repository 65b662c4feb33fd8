"""``assistant eval``: run evaluation suites, print the metrics, gate on thresholds.

Exit codes: 0 all thresholds hold; 1 a threshold was missed (each one named) or the run could not
go on; 2 a bad suite file, thresholds file or option.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import AssistantError, InputError
from .main import EXIT_INPUT, EXIT_OTHER, app, err, out

if TYPE_CHECKING:
    from ..evals.metrics import TurnScore
    from ..evals.runner import Backend, RunResult, ThresholdCheck
    from ..evals.suite import Suite

EXIT_THRESHOLD = 1


def fail(exc: AssistantError) -> typer.Exit:
    """The message on stderr (escaped: suite errors quote JSON and TOML brackets), and the exit
    code: 2 for bad input (suite, thresholds), 1 otherwise."""
    err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_INPUT if isinstance(exc, InputError) else EXIT_OTHER)


def _metrics_table(result: RunResult) -> Table:
    from ..evals.report import LABELS, format_metric

    table = Table(title=f"{result.summary.turns} question(s), {result.mode} {result.target}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.summary.as_dict().items():
        table.add_row(escape(LABELS.get(key, key)), format_metric(key, value))
    return table


def _tag_table(result: RunResult) -> Table:

    cols = ("turns", "accuracy", "citation_hit_rate", "refusal_recall", "false_refusal_rate",
            "conflicts_surfaced", "recall_at_5", "latency_p50_ms")
    heads = ("n", "acc.", "cite", "refuse", "false ref.", "conflict", "R@5", "p50 ms")
    table = Table(title="per tag")
    table.add_column("tag", no_wrap=True)
    for head in heads:
        table.add_column(head, justify="right", no_wrap=True)
    for tag, summary in result.by_tag.items():
        values = summary.as_dict()
        cells = [_compact(c, values[c]) for c in cols]
        table.add_row(escape(tag), *cells)
    return table


def _compact(name: str, value: float | int | None) -> str:
    from ..evals.report import PERCENT_METRICS

    if value is None:
        return "n/a"
    if name in PERCENT_METRICS:
        return f"{value * 100:.0f}%"
    return f"{value:.0f}"


# The command's options, one alias each, so the command reads as what it does.
_Suites = Annotated[list[Path], typer.Argument(help="Suite files (JSONL, docs/contract.md §2).")]
_Url = Annotated[str | None, typer.Option(
    "--url", help="Evaluate a running server (e.g. http://127.0.0.1:8000) instead of the "
    "local index.")]
_Json = Annotated[Path | None, typer.Option(
    "--json", help="Write the machine-readable report here.")]
_Report = Annotated[Path | None, typer.Option(
    "--report", help="Write the self-contained HTML report here.")]
_Thresholds = Annotated[Path | None, typer.Option(
    "--thresholds", help="TOML file whose `thresholds` table sets min_/max_ limits, e.g. "
    "evals/thresholds.toml; the options below override it.")]
_ApiKey = Annotated[str | None, typer.Option(
    "--api-key", envvar="ASSISTANT_EVAL_API_KEY",
    help="Sent as X-API-Key with --url, for a server that requires keys.")]
_MinAccuracy = Annotated[float | None, typer.Option(
    min=0, max=1, help="Fail below this answer accuracy (0..1).")]
_MaxFabricated = Annotated[int | None, typer.Option(
    min=0, help="Fail above this many numbers found in no source.")]
_MinCitation = Annotated[float | None, typer.Option(
    min=0, max=1, help="Fail below this citation hit rate.")]
_MinRefusal = Annotated[float | None, typer.Option(
    min=0, max=1, help="Fail below this share of unanswerable questions refused.")]
_MaxFalseRefusal = Annotated[float | None, typer.Option(
    min=0, max=1, help="Fail above this share of answerable questions refused.")]
_MinFidelity = Annotated[float | None, typer.Option(
    min=0, max=1, help="Fail below this share of exact quotes.")]
_CrossFit = Annotated[Path | None, typer.Option(
    "--cross-fit", help="Answer each item with the selector of its fold (written by "
    "`assistant train-selector --folds-out DIR`): out-of-fold accuracy.")]
_Baseline = Annotated[str | None, typer.Option(
    "--baseline", help="Answer with an untrained baseline selector instead (cosine: the "
    "passage most similar in meaning; coverage: most of the question's idf weight), "
    "for comparison.")]
_ShowFailures = Annotated[int, typer.Option(
    "--show-failures", min=0, help="List at most this many failed questions.")]


@app.command("eval")
def eval_command(
    suites: _Suites,
    url: _Url = None,
    json_path: _Json = None,
    report_path: _Report = None,
    thresholds_path: _Thresholds = None,
    api_key: _ApiKey = None,
    min_accuracy: _MinAccuracy = None,
    max_fabricated_numbers: _MaxFabricated = None,
    min_citation_hit_rate: _MinCitation = None,
    min_refusal_recall: _MinRefusal = None,
    max_false_refusal_rate: _MaxFalseRefusal = None,
    min_quote_fidelity: _MinFidelity = None,
    cross_fit: _CrossFit = None,
    baseline: _Baseline = None,
    show_failures: _ShowFailures = 50,
) -> None:
    """Run evaluation suites against the local index (or --url) and report the metrics."""
    from ..evals.runner import check_thresholds, load_thresholds
    from ..evals.suite import load_suites

    overrides = {
        "min_accuracy": min_accuracy, "max_fabricated_numbers": max_fabricated_numbers,
        "min_citation_hit_rate": min_citation_hit_rate, "min_refusal_recall": min_refusal_recall,
        "max_false_refusal_rate": max_false_refusal_rate, "min_quote_fidelity": min_quote_fidelity,
    }
    try:
        if url and (cross_fit or baseline):
            raise InputError("--cross-fit and --baseline answer in process; drop --url")
        if cross_fit and baseline:
            raise InputError("choose --cross-fit or --baseline, not both")
        loaded = load_suites(suites)
        thresholds = load_thresholds(thresholds_path) if thresholds_path else {}
        thresholds.update({k: float(v) for k, v in overrides.items() if v is not None})
        result = _run(loaded, url, api_key, cross_fit, baseline)
    except AssistantError as exc:
        raise fail(exc) from None
    checks = check_thresholds(result.summary, thresholds)
    _print_result(result, show_failures)
    _write_reports(result, checks, json_path, report_path)
    _print_checks(checks)


def _backend(
    url: str | None, api_key: str | None, cross_fit: Path | None, baseline: str | None
) -> tuple[Backend, str]:
    """What answers the questions (a running server, or the local index with its shipped,
    fold-wise or baseline selector), and its name for the report."""
    from ..answer.selector import baseline_selector
    from ..evals.crossfit import CrossFit
    from ..evals.runner import HttpBackend, LocalBackend
    from ..settings import get_settings

    if url:
        err.print(f"waiting for {url} to be ready…", style="dim")
        return HttpBackend(url, api_key=api_key), url
    try:
        chosen = baseline_selector(baseline) if baseline else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    settings = get_settings()
    err.print("loading the index and the model…", style="dim")
    local = LocalBackend(settings, cross_fit=CrossFit(cross_fit) if cross_fit else None)
    if chosen is not None:
        local.assistant.selector = chosen
    return local, str(settings.data_dir)


def _run(
    loaded: Sequence[Suite],
    url: str | None,
    api_key: str | None,
    cross_fit: Path | None,
    baseline: str | None,
) -> RunResult:
    """Every suite asked, with a progress bar naming the last question and whether it passed."""
    from ..evals.runner import run_suites

    backend, target = _backend(url, api_key, cross_fit, baseline)
    try:
        with Progress(
            TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err, transient=True,
        ) as progress:
            task = progress.add_task("asking", total=sum(s.turn_count for s in loaded))

            def advance(score: TurnScore) -> None:
                mark = "✓" if score.passed else "✗"
                progress.update(task, advance=1, description=escape(f"{mark} {score.key}"[:28]))

            return run_suites(loaded, backend, target=target, on_turn=advance)
    finally:
        backend.close()


def _print_result(result: RunResult, show_failures: int) -> None:
    out.print(_metrics_table(result))
    out.print(_tag_table(result))
    failed = [s for s in result.scores if not s.passed]
    if failed and show_failures:
        table = Table(title=f"{len(failed)} failed question(s)")
        table.add_column("id")
        table.add_column("why", overflow="fold")
        for s in failed[:show_failures]:
            table.add_row(escape(s.key), escape(s.why))
        out.print(table)


def _write_reports(
    result: RunResult,
    checks: Sequence[ThresholdCheck],
    json_path: Path | None,
    report_path: Path | None,
) -> None:
    from ..evals.report import render_html, to_json

    if json_path:
        _write(json_path, json.dumps(to_json(result, checks), ensure_ascii=False, indent=2))
        err.print(f"wrote {json_path}", style="dim")
    if report_path:
        _write(report_path, render_html(result, checks))
        err.print(f"wrote {report_path}", style="dim")


def _print_checks(checks: Sequence[ThresholdCheck]) -> None:
    """Each threshold in colour; exit 1 naming every one missed."""
    for check in checks:
        colour = {True: "green", False: "bold red", None: "yellow"}[check.passed]
        out.print(f"[{colour}]threshold[/] {escape(check.describe())}", highlight=False,
                  soft_wrap=True)
    missed = [c for c in checks if c.passed is False]
    if missed:
        err.print(f"[bold red]error:[/] {len(missed)} threshold(s) missed: "
                  + escape("; ".join(c.describe() for c in missed)),
                  highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_THRESHOLD)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        err.print(f"[bold red]error:[/] cannot write {path} ({exc.strerror})")
        raise typer.Exit(EXIT_OTHER) from None


__all__ = ["eval_command", "EXIT_INPUT", "EXIT_THRESHOLD"]
