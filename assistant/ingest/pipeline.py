"""Incremental, atomic ingest: files in, a new index generation out.

Each run compares files with the serving generation by content hash. Nothing changed: nothing
is written, and the report says so. Otherwise a complete new generation is built beside the
current one (unchanged documents copied, new ones processed, vectors reused from the embedding
cache) and ``CURRENT`` is switched to it in one rename. A file that cannot be read is reported
and skipped; the others still ingest.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AssistantError
from ..index.catalog import Catalog
from ..index.embeddings import Embedder
from ..index.layout import DataDir
from ..index.loaded import dense_store
from ..settings import Settings
from ..text.entities import Entity, find_entities_many
from ..types import Document, Sentence
from .chunking import chunk_sentences
from .facts import extract_facts
from .generation import Processed, Reporter, Silent, Written, fill_catalog, write_indexes
from .loaders import load_file
from .sentences import sentence_objects
from .sources import FileError, Source, curated_hash, discover, read_sources
from .table_facts import table_facts, with_table_facts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    generation: str | None  # the new generation, or None when nothing changed
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    errors: tuple[FileError, ...] = ()
    documents: int = 0
    chunks: int = 0
    facts: int = 0
    embedded: int = 0  # texts (chunks, sentences) embedded in this run; the rest were cached
    seconds: float = 0.0
    embed_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.generation is not None


@dataclass(frozen=True)
class _Plan:
    """What a run must do, against the serving generation ``current``."""

    current: str | None
    old: Mapping[str, tuple[str, str | None]]  # doc id -> (content hash, path) now serving
    todo: Sequence[Source]
    unchanged: Sequence[str]  # given again with the same content
    kept: Sequence[str]  # not given, not pruned: carried over as they are
    removed: Sequence[str]
    curated: Sequence[Path]
    curated_hash: str
    curated_changed: bool
    outdated: bool = False  # the serving generation lacks what this version stores (variants)


def _sentence_entities(sentences: Sequence[Sentence]) -> list[Entity]:
    """Named entities of every sentence, in document offsets."""
    found = find_entities_many([s.text for s in sentences])
    return [
        Entity(s.start + e.start, s.start + e.end, e.label)
        for s, entities in zip(sentences, found, strict=True)
        for e in entities
    ]


def _process(source: Source, embedder: Embedder, settings: Settings) -> Processed:
    page = load_file(source.path, source.data)
    meta = source.meta
    doc = Document(
        doc_id=source.doc_id,
        title=str(meta.get("title") or page.title or source.recorded.stem),
        text=page.text,
        content_hash=source.content_hash,
        path=str(source.recorded),
        source=str(meta["source"]) if meta.get("source") else page.source,
        published=str(meta["published"]) if meta.get("published") else page.published,
        url=str(meta["url"]) if meta.get("url") else page.url,
    )
    sentences = sentence_objects(doc.doc_id, doc.text)
    chunks = chunk_sentences(
        doc.doc_id,
        doc.text,
        sentences,
        embedder.count_tokens,
        max_tokens=settings.chunk_max_tokens,
        overlap=settings.chunk_overlap_sentences,
    )
    facts = extract_facts(doc.doc_id, doc.text, sentences)
    tabled = table_facts(doc.doc_id, doc.text, page.cells, sentences)
    facts = with_table_facts(facts, tabled, page.cells)
    return Processed(doc, sentences, chunks, facts, _sentence_entities(sentences), page.blocks)


def _process_all(
    todo: Sequence[Source], embedder: Embedder, settings: Settings, reporter: Reporter
) -> tuple[list[Processed], list[FileError]]:
    """Every source processed; one that fails is reported and the others go on."""
    processed: list[Processed] = []
    errors: list[FileError] = []
    reporter.stage("reading", len(todo))
    for source in todo:
        try:
            processed.append(_process(source, embedder, settings))
        except AssistantError as exc:
            errors.append(FileError(str(source.path), exc.message))
        except Exception as exc:  # a bug or a broken install: this file only, and logged
            log.exception("ingesting %s failed", source.path)
            errors.append(FileError(str(source.path), _unexpected(source.path, exc)))
        reporter.advance(1)
    return processed, errors


def _plan(
    data: DataDir, sources: Mapping[str, Source], curated: Sequence[Path], prune: bool
) -> _Plan:
    current = data.current()
    old: dict[str, tuple[str, str | None]] = {}
    old_curated: str | None = None
    recorded: list[str] = []
    outdated = False
    if current:
        catalog = Catalog(data.path(current) / "catalog.sqlite", readonly=True)
        try:
            old = catalog.document_hashes()
            old_curated = catalog.get_meta("curated_hash")
            outdated = catalog.get_meta("variants") is None
            # Curated files found by earlier runs stay in force when a run ingests single files.
            recorded = json.loads(catalog.get_meta("curated_paths") or "[]")
        finally:
            catalog.close()
    still_there = {Path(p) for p in recorded if Path(p).is_file()}
    paths = sorted({p.resolve() for p in curated} | still_there)
    digest = curated_hash(paths)
    unchanged = [d for d, s in sources.items() if d in old and old[d][0] == s.content_hash]
    removed = sorted(set(old) - set(sources)) if prune else []
    return _Plan(
        current=current,
        old=old,
        todo=[s for d, s in sources.items() if d not in unchanged],
        unchanged=unchanged,
        kept=[d for d in old if d not in sources and d not in removed],
        removed=removed,
        curated=paths,
        curated_hash=digest,
        curated_changed=digest != (old_curated or digest),
        outdated=outdated,
    )


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    prune: bool = False,
    embedder: Embedder | None = None,
    reporter: Reporter | None = None,
    stored_as: Mapping[Path, Path] | None = None,
) -> IngestReport:
    """Bring the index up to date with ``paths`` (files or directories).

    ``paths`` are walked as ``assistant.ingest.sources.discover`` says; ``prune`` removes
    indexed documents not among them; ``embedder`` is loaded only when something needs
    embedding; ``stored_as`` maps files read from one path but recorded (doc id,
    ``Document.path``) as another: an upload staged under a temporary name. Returns what
    changed; ``errors`` lists files refused, each with the reason.
    """
    started = time.perf_counter()
    reporter = reporter or Silent()
    embedder = embedder or Embedder.for_settings(settings)
    data = DataDir(settings.data_dir)
    with data.lock():
        files, curated = discover([Path(p) for p in paths])
        sources, errors = read_sources(files, stored_as or {})
        plan = _plan(data, sources, curated, prune)
        processed, failed = _process_all(plan.todo, embedder, settings, reporter)
        errors += failed
        if not (processed or plan.removed or plan.curated_changed or plan.outdated
                or plan.current is None):
            return IngestReport(
                generation=None,
                unchanged=tuple(sorted([*plan.unchanged, *plan.kept])),
                errors=tuple(errors),
                seconds=time.perf_counter() - started,
            )
        if plan.current is None and not processed:
            return IngestReport(
                generation=None, errors=tuple(errors), seconds=time.perf_counter() - started
            )
        generation, written = _write(data, plan, processed, settings, embedder, reporter)
    ids = [p.document.doc_id for p in processed]
    return IngestReport(
        generation=generation,
        added=tuple(sorted(d for d in ids if d not in plan.old)),
        replaced=tuple(sorted(d for d in ids if d in plan.old)),
        removed=tuple(plan.removed),
        unchanged=tuple(sorted([*plan.unchanged, *plan.kept])),
        errors=tuple(errors),
        documents=written.counts["documents"],
        chunks=written.counts["chunks"],
        facts=written.counts["facts"],
        embedded=written.embedded,
        seconds=time.perf_counter() - started,
        embed_seconds=written.timings["embed"],
        timings=written.timings,
    )


def _write(
    data: DataDir,
    plan: _Plan,
    processed: Sequence[Processed],
    settings: Settings,
    embedder: Embedder,
    reporter: Reporter,
) -> tuple[str, Written]:
    """A complete new generation, committed; on any failure it is removed and the serving
    generation stays as it was."""
    for stale in data.stale(keep=2):
        data.retire(stale)  # skipped while a reader still holds it
    generation, gpath = data.new_generation()
    catalog = Catalog(gpath / "catalog.sqlite")
    try:
        previous = data.path(plan.current) / "catalog.sqlite" if plan.current else None
        kept = [*plan.unchanged, *plan.kept]
        fill_catalog(catalog, previous, kept, processed, plan.curated, plan.curated_hash)
        written = write_indexes(
            catalog, gpath, generation, settings, data.embedding_cache, embedder, reporter
        )
    except BaseException:
        catalog.close()
        data.remove(generation)
        raise
    catalog.close()
    data.commit(generation)
    if settings.chroma_url:
        _drop_stale_collections(settings, data)
    return generation, written


def _unexpected(path: Path, exc: Exception) -> str:
    if isinstance(exc, ImportError):
        return (
            f"{path.name}: cannot be read: a package the {path.suffix} loader needs is missing "
            f"({exc.name or exc}); reinstall the assistant (`pip install .`)"
        )
    return (
        f"{path.name}: could not be processed ({exc.__class__.__name__}); the details are in "
        "the log; the other files were ingested"
    )


def _drop_stale_collections(settings: Settings, data: DataDir) -> None:
    """On a Chroma server, drop collections of generations no longer kept on disk."""
    from ..index.loaded import collection_name

    current = data.current() or ""
    live = {
        collection_name(settings.collection_prefix, p.name)
        for p in data.generations.iterdir()
        if p.is_dir()
    }
    store = dense_store(settings, data.path(current), current)
    try:
        store.drop_others(settings.collection_prefix + "-", live)
    finally:
        store.close()
