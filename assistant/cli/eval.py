"""``assistant eval``: run evaluation suites, print the metrics, gate on thresholds.

Exit codes: 0 all thresholds hold; 1 a threshold was missed (each one named) or the run could not
go on; 2 a bad suite file, thresholds file or option.
"""

from __future__ import annotations

import json
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
    from ..evals.runner import RunResult

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


@app.command("eval")
def eval_command(
    suites: Annotated[list[Path], typer.Argument(help="Suite files (JSONL, CONTRACT.md §2).")],
    url: Annotated[str | None, typer.Option(
        "--url", help="Evaluate a running server (e.g. http://127.0.0.1:8000) instead of the "
        "local index.")] = None,
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Write the machine-readable report here.")] = None,
    report_path: Annotated[Path | None, typer.Option(
        "--report", help="Write the self-contained HTML report here.")] = None,
    thresholds_path: Annotated[Path | None, typer.Option(
        "--thresholds", help="TOML file whose `thresholds` table sets min_/max_ limits, e.g. "
        "evals/thresholds.toml; the options below override it.")] = None,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", envvar="ASSISTANT_EVAL_API_KEY",
        help="Sent as X-API-Key with --url, for a server that requires keys.")] = None,
    min_accuracy: Annotated[float | None, typer.Option(
        min=0, max=1, help="Fail below this answer accuracy (0..1).")] = None,
    max_fabricated_numbers: Annotated[int | None, typer.Option(
        min=0, help="Fail above this many numbers found in no source.")] = None,
    min_citation_hit_rate: Annotated[float | None, typer.Option(
        min=0, max=1, help="Fail below this citation hit rate.")] = None,
    min_refusal_recall: Annotated[float | None, typer.Option(
        min=0, max=1, help="Fail below this share of unanswerable questions refused.")] = None,
    max_false_refusal_rate: Annotated[float | None, typer.Option(
        min=0, max=1, help="Fail above this share of answerable questions refused.")] = None,
    min_quote_fidelity: Annotated[float | None, typer.Option(
        min=0, max=1, help="Fail below this share of exact quotes.")] = None,
    cross_fit: Annotated[Path | None, typer.Option(
        "--cross-fit", help="Answer each item with the selector of its fold (written by "
        "`assistant train-selector --folds-out DIR`): out-of-fold accuracy.")] = None,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", help="Answer with an untrained baseline selector instead (cosine: the "
        "passage most similar in meaning; coverage: most of the question's idf weight), "
        "for comparison.")] = None,
    show_failures: Annotated[int, typer.Option(
        "--show-failures", min=0, help="List at most this many failed questions.")] = 50,
) -> None:
    """Run evaluation suites against the local index (or --url) and report the metrics."""
    from ..answer.selector import Selector, baseline_selector
    from ..evals.report import render_html, to_json
    from ..evals.runner import (
        Backend,
        HttpBackend,
        LocalBackend,
        check_thresholds,
        load_thresholds,
        run_suites,
    )
    from ..evals.suite import load_suites
    from ..settings import get_settings

    chosen: Selector | None = None
    try:
        chosen = baseline_selector(baseline) if baseline else None
    except ValueError as exc:
        raise fail(InputError(str(exc))) from None
    try:
        loaded = load_suites(suites)
        thresholds = load_thresholds(thresholds_path) if thresholds_path else {}
    except AssistantError as exc:
        raise fail(exc) from None
    overrides = {
        "min_accuracy": min_accuracy, "max_fabricated_numbers": max_fabricated_numbers,
        "min_citation_hit_rate": min_citation_hit_rate, "min_refusal_recall": min_refusal_recall,
        "max_false_refusal_rate": max_false_refusal_rate, "min_quote_fidelity": min_quote_fidelity,
    }
    thresholds.update({k: float(v) for k, v in overrides.items() if v is not None})

    total = sum(s.turn_count for s in loaded)
    backend: Backend
    try:
        if url and (cross_fit or baseline):
            raise InputError("--cross-fit and --baseline answer in process; drop --url")
        if cross_fit and baseline:
            raise InputError("choose --cross-fit or --baseline, not both")
        if url:
            err.print(f"waiting for {url} to be ready…", style="dim")
            backend = HttpBackend(url, api_key=api_key)
            target = url
        else:
            settings = get_settings()
            err.print("loading the index and the model…", style="dim")
            from ..evals.crossfit import CrossFit

            folds = CrossFit(cross_fit) if cross_fit else None
            backend = LocalBackend(settings, cross_fit=folds)
            if chosen is not None:
                backend.assistant.selector = chosen
            target = str(settings.data_dir)
        try:
            with Progress(
                TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=err, transient=True,
            ) as progress:
                task = progress.add_task("asking", total=total)

                def advance(score: TurnScore) -> None:
                    mark = "✓" if score.passed else "✗"
                    progress.update(task, advance=1,
                                    description=escape(f"{mark} {score.key}"[:28]))

                result = run_suites(loaded, backend, target=target, on_turn=advance)
        finally:
            backend.close()
    except AssistantError as exc:
        raise fail(exc) from None

    checks = check_thresholds(result.summary, thresholds)
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
    if json_path:
        _write(json_path, json.dumps(to_json(result, checks), ensure_ascii=False, indent=2))
        err.print(f"wrote {json_path}", style="dim")
    if report_path:
        _write(report_path, render_html(result, checks))
        err.print(f"wrote {report_path}", style="dim")
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
