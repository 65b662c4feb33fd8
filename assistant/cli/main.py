"""The ``assistant`` command. It only translates: arguments in, domain calls, text out.

Domain errors become a one-line message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from ..errors import AssistantError, InputError, NotFoundError
from ..settings import Settings, get_settings

if TYPE_CHECKING:
    from ..contract import AskResponse

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Answers questions only from its sources, and proves every answer.",
)
out = Console()
err = Console(stderr=True)

# Exit codes, one meaning each (README "Exit codes"): scripts branch on them.
EXIT_OTHER = 1  # any other failure: no index yet, an upstream error, a conflict
EXIT_INPUT = 2  # bad input: a question, a file, an option or an ASSISTANT_* setting
EXIT_NOT_FOUND = 3  # no such document or conversation
EXIT_PORT_BUSY = 4  # serve: the port is taken by another process


def fail(exc: AssistantError) -> typer.Exit:
    # soft_wrap: an error is one line on stderr (README), however narrow the terminal
    err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, markup=True,
              soft_wrap=True)
    if isinstance(exc, InputError):
        return typer.Exit(EXIT_INPUT)
    if isinstance(exc, NotFoundError):
        return typer.Exit(EXIT_NOT_FOUND)
    return typer.Exit(EXIT_OTHER)


class RateColumn(ProgressColumn):
    """Items a second (texts embedded, files read), as the stage's bar fills."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f}/s" if speed else "", style="progress.data.speed")


class RichReporter:
    """Draws ingest stages as rich progress bars."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def stage(self, name: str, total: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[self.task].total or 0)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, n: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)


def _ingest_urls(urls: list[str], others: list[str]) -> None:
    """Fetch and add each URL as an upload (``Library.add_url``), then any paths given too."""
    from ..index.loaded import IndexHolder
    from ..library import Library

    if others:
        raise fail(InputError("give URLs or paths, not both, in one `assistant ingest`"))
    settings = get_settings()
    library = Library(settings, IndexHolder(settings))
    for url in urls:
        try:
            doc_id, report = library.add_url(url)
        except AssistantError as exc:
            raise fail(exc) from None
        state = "added" if doc_id in report.added else (
            "replaced" if doc_id in report.replaced else "unchanged")
        out.print(f"{escape(url)}: {state} as {doc_id} (generation {report.generation}).",
                  highlight=False)


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Files or folders (default corpus/), or http(s) URLs to fetch."),
    ] = None,
    prune: Annotated[bool, typer.Option(help="Remove indexed documents not in PATHS.")] = False,
) -> None:
    """Index documents: clean, chunk, extract facts, embed; atomic and incremental. A URL is
    fetched (public addresses only, unless ASSISTANT_FETCH_ALLOW names one) and kept as an
    upload."""
    from ..ingest.fetch import is_url
    from ..ingest.pipeline import ingest as run_ingest

    settings = get_settings()
    urls = [p for p in paths or [] if is_url(p)]
    if urls:
        if prune:
            raise fail(InputError("--prune takes folders, not URLs"))
        _ingest_urls(urls, [p for p in paths or [] if not is_url(p)])
        return
    targets = [Path(p) for p in paths] if paths else [settings.corpus_dir]
    try:
        with Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as progress:
            report = run_ingest(targets, settings, prune=prune, reporter=RichReporter(progress))
    except AssistantError as exc:
        raise fail(exc) from None
    for error in report.errors:
        err.print(f"[red]refused[/] {escape(error.message)}", highlight=False, soft_wrap=True)
    if not report.changed:
        out.print(
            f"Index is up to date: {len(report.unchanged)} document(s) unchanged, nothing written."
        )
    else:
        out.print(
            f"Ingested into {settings.data_dir} (generation {report.generation}): "
            f"{len(report.added)} added, {len(report.replaced)} replaced, "
            f"{len(report.removed)} removed, {len(report.unchanged)} unchanged; "
            f"{report.documents} documents, {report.chunks} chunks, {report.facts} facts; "
            f"{report.embedded} texts (chunks, sentences) embedded in {report.embed_seconds:.1f}s "
            f"of {report.seconds:.1f}s."
        )
    if report.errors:
        raise typer.Exit(EXIT_INPUT)


def _local_hits(settings: Settings, query: str, k: int) -> dict[str, Any]:
    """Hits as ``GET /v1/search`` returns them, from an index loaded in this process."""
    from ..index.loaded import IndexHolder
    from ..retrieve.hybrid import retrieve

    holder = IndexHolder(settings)
    result = retrieve(holder.get(), holder.embedder, query, top_k_hits=k,
                      candidates=settings.candidates, rrf_k=settings.rrf_k)
    hits = [{"chunk_id": h.chunk.chunk_id, "doc_id": h.chunk.doc_id, "start": h.chunk.start,
             "end": h.chunk.end, "rrf": h.score, "dense_rank": h.dense_rank,
             "dense_score": h.dense_score, "bm25_rank": h.bm25_rank,
             "bm25_score": h.bm25_score, "text": h.chunk.text} for h in result.hits]
    return {"hits": hits, "timings_ms": result.timings_ms}


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="Hits to show.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show fused hits with each ranking's rank and score, for debugging retrieval.

    Asks a running server when there is one (ASSISTANT_URL, or 127.0.0.1:8000 serving this
    data dir's index), else loads the index and the model here."""
    from .remote import call, server_for

    settings = get_settings()
    try:
        url = server_for(settings)
        if url:
            found = call(settings, url, "GET", "/v1/search", params={"q": query, "k": k})
            found = {"hits": found["hits"], "timings_ms": found["timings_ms"]}
        else:
            found = _local_hits(settings, query, k)
    except AssistantError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps(found, indent=2))
        return
    _print_hits(query, found)
    if url:
        err.print(f"answered by {url}", style="dim", highlight=False)


def _print_hits(query: str, found: dict[str, Any]) -> None:
    table = Table(title=f"fused hits for {query!r}", show_lines=True)
    for col in ("#", "rrf", "dense", "bm25", "chunk", "text"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(found["hits"], start=1):
        dense = f"#{h['dense_rank']} {h['dense_score']:.3f}" if h["dense_rank"] else "-"
        bm25 = f"#{h['bm25_rank']} {h['bm25_score']:.2f}" if h["bm25_rank"] else "-"
        text = h["text"]
        snippet = text if len(text) < 240 else text[:237] + "…"
        table.add_row(str(i), f"{h['rrf']:.4f}", dense, bm25,
                      f"{h['chunk_id']}\n[{h['start']}, {h['end']})", snippet)
    out.print(table)
    timings = ", ".join(f"{k} {v:.1f} ms" for k, v in found["timings_ms"].items())
    err.print(f"timings: {timings}")


@app.command()
def facts(
    q: Annotated[
        str | None, typer.Argument(help="Words in the subject, attribute or text.")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Subject contains.")] = None,
    attribute: Annotated[str | None, typer.Option(help="Attribute contains.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
) -> None:
    """List structured facts, for people checking numbers."""
    from ..index.loaded import load_index

    try:
        index = load_index(get_settings())
    except AssistantError as exc:
        raise fail(exc) from None
    rows = index.catalog.query_facts(q=q, subject=subject, attribute=attribute, limit=limit)
    table = Table(title=f"{len(rows)} fact(s)")
    for col in ("fact", "subject", "attribute", "text", "value", "unit", "span"):
        table.add_column(col, overflow="fold")
    for f in rows:
        value = f"{f.value:g}" if f.value is not None else f"{f.low:g}..{f.high:g}"
        if f.iso:
            value = f.iso
        table.add_row(
            f.fact_id, f.subject, f.attribute, f.text, value, f.unit, f"[{f.start}, {f.end})"
        )
    out.print(table)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract object.")] = False,
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Continue this conversation.")
    ] = None,
) -> None:
    """Answer a question from the sources, with numbered quotes and checked numbers.

    Asks a running server when there is one (ASSISTANT_URL, or 127.0.0.1:8000 serving this
    data dir's index): milliseconds instead of a model load. Else answers in process."""
    from ..contract import AskResponse
    from ..service import Assistant
    from .remote import call, server_for

    settings = get_settings()
    try:
        url = server_for(settings)
        if url:
            body = {"question": question, "conversation_id": conversation}
            response = AskResponse.model_validate(call(settings, url, "POST", "/v1/ask",
                                                       json=body))
        else:
            response = AskResponse.from_answer(Assistant(settings).ask(question, conversation))
    except AssistantError as exc:
        raise fail(exc) from None
    if as_json:
        print(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    print_answer(response, question)
    if url:
        err.print(f"answered by {url}", style="dim", highlight=False)


def print_answer(answer: AskResponse, question: str) -> None:
    """Render an answer for a person."""
    style = "yellow" if answer.refused else "bold"
    out.print(answer.answer, style=style, highlight=False, markup=False)
    if answer.standalone_question and answer.standalone_question != question:
        out.print(f"(searched: {answer.standalone_question})", style="dim", markup=False)
    for c in answer.citations:
        out.print(
            f"\n[{c.id}] {c.title} ({c.doc_id}, chars {c.start}-{c.end})",
            style="cyan",
            markup=False,
            highlight=False,
        )
        out.print(f"    “{c.quote}”", markup=False, highlight=False)
    if answer.numbers:
        out.print()
        table = Table(title="numbers")
        for col in ("number", "status", "cited", "fact"):
            table.add_column(col, overflow="fold")
        colours = {"verified": "green", "conflict": "yellow", "unverified": "red"}
        for n in answer.numbers:
            table.add_row(
                n.text,
                f"[{colours.get(n.status, 'white')}]{n.status}[/]",
                f"[{n.citation}]" if n.citation else "-",
                n.note or "",
            )
        out.print(table)
    if answer.refused and answer.related:
        out.print("\nrelated passages (not an answer):", style="dim")
        for r in answer.related:
            out.print(f"  - {r.title}: “{r.quote[:200]}”", style="dim", markup=False)
    out.print(f"conversation: {answer.conversation_id}", style="dim", markup=False)


def _register_command_modules() -> None:
    """Commands that live in their own modules register themselves on ``app``."""
    import importlib

    for name in ("serve", "eval", "slack", "train"):
        try:
            importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise


def main() -> None:
    """Entry point of the console script."""
    _register_command_modules()
    try:
        app()
    except AssistantError as exc:  # pragma: no cover - commands catch their own
        err.print(f"error: {escape(exc.message)}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_OTHER)


if __name__ == "__main__":
    main()
