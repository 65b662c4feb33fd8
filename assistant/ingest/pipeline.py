"""Incremental, atomic ingest: files in, a new index generation out.

Each run compares files with the serving generation by content hash. Nothing changed: nothing
is written, and the report says so. Otherwise a complete new generation is built beside the
current one (unchanged documents copied, new ones processed, vectors reused from the embedding
cache) and ``CURRENT`` is switched to it in one rename. A file that cannot be read is reported
and skipped; the others still ingest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..errors import AssistantError, InputError
from ..index.bm25 import build_bm25, save_bm25
from ..index.catalog import Catalog
from ..index.embeddings import Embedder, EmbeddingCache, text_key
from ..index.layout import DataDir
from ..index.loaded import dense_store
from ..settings import Settings
from ..text.definitions import corpus_definitions
from ..text.entities import Entity, find_entities_many
from ..text.tokens import tokenize
from ..types import Chunk, Document, Fact, Sentence
from .chunking import chunk_sentences
from .facts import extract_facts, load_curated_facts
from .loaders import load_file
from .sentences import sentence_objects
from .table_facts import table_facts, with_table_facts

# Bump when cleaning, splitting, chunking or fact extraction changes, so documents re-ingest.
PIPELINE_VERSION = "5"
MANIFEST = "corpus.yaml"
CURATED = ("facts.yaml", "facts.yml", "facts.csv")
# Starts and ends with a letter or digit: ``make_doc_id`` strips the others from the ends, so an
# id like "notes-" would be stored as "notes". Matched whole (``fullmatch``: no "\n" at the end).
DOC_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$"
DOC_ID_RE = re.compile(DOC_ID_PATTERN)

log = logging.getLogger(__name__)


class Reporter(Protocol):
    """Progress callbacks; the CLI draws them with rich."""

    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, n: int) -> None: ...


class _Silent:
    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass(frozen=True)
class FileError:
    path: str
    message: str


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
class _Source:
    path: Path  # where the bytes are read
    recorded: Path  # the path the document records (its upload's final place)
    doc_id: str
    meta: dict[str, Any]
    content_hash: str
    data: bytes


def make_doc_id(path: Path) -> str:
    """A document id from a file name: lower-case, safe characters only."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower())[:128].strip("-._")
    return slug or "doc"


def is_doc_id(doc_id: str) -> bool:
    """Whether ``doc_id`` is a well-formed document id, exactly as it would be stored."""
    return DOC_ID_RE.fullmatch(doc_id) is not None


def _read_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML ({exc}); fix or remove it") from None
    docs = raw.get("documents", {}) if isinstance(raw, dict) else None
    if not isinstance(docs, dict):
        raise InputError(f"{path}: expected a mapping `documents: {{file name: {{title: …}}}}`")
    return {str(k): dict(v or {}) for k, v in docs.items()}


def _discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, dict[str, Any]]], list[Path]]:
    """(file, manifest entry) pairs to ingest, and curated facts files found."""
    files: list[tuple[Path, dict[str, Any]]] = []
    curated: list[Path] = []
    for root in paths:
        if not root.exists():
            raise InputError(f"{root}: no such file or directory")
        if root.is_file():
            files.append((root, _read_manifest(root.parent).get(root.name, {})))
            continue
        manifests: dict[Path, dict[str, dict[str, Any]]] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file() or any(p.startswith(".") for p in path.relative_to(root).parts):
                continue
            if path.name == MANIFEST:
                continue
            if path.name in CURATED:
                curated.append(path)
                continue
            if path.parent not in manifests:
                manifests[path.parent] = _read_manifest(path.parent)
            files.append((path, manifests[path.parent].get(path.name, {})))
    return files, curated


def content_hash(data: bytes, meta: dict[str, Any]) -> str:
    """What a document's ``content_hash`` is for these bytes and manifest entry."""
    h = hashlib.sha256(data)
    h.update(json.dumps(meta, sort_keys=True, default=str).encode())
    h.update(PIPELINE_VERSION.encode())
    return h.hexdigest()


def _curated_hash(paths: Sequence[Path]) -> str:
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    for path in sorted(paths):
        h.update(str(path.name).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _sentence_entities(sentences: Sequence[Sentence]) -> list[Entity]:
    """Named entities of every sentence, in document offsets."""
    found = find_entities_many([s.text for s in sentences])
    return [
        Entity(s.start + e.start, s.start + e.end, e.label)
        for s, entities in zip(sentences, found, strict=True)
        for e in entities
    ]


def _process(
    source: _Source, embedder: Embedder, settings: Settings
) -> tuple[Document, list[Sentence], list[Chunk], list[Fact], list[Entity]]:
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
    return doc, sentences, chunks, facts, _sentence_entities(sentences)


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    prune: bool = False,
    embedder: Embedder | None = None,
    reporter: Reporter | None = None,
    stored_as: Mapping[Path, Path] | None = None,
) -> IngestReport:
    """Bring the index up to date with ``paths`` (files or directories).

    Args:
        paths: what to ingest; directories are walked (hidden files skipped). A
            ``corpus.yaml`` beside files gives their metadata; ``facts.yaml``/``facts.csv``
            are curated facts merged in with their provenance.
        settings: data dir, chunking and Chroma settings.
        prune: remove indexed documents that are not among ``paths``.
        embedder: shared model (loaded lazily when something needs embedding).
        reporter: progress callbacks.
        stored_as: files read from one path but recorded (doc id, ``Document.path``) as
            another: an upload staged under a temporary name, moved into place after the
            commit.

    Returns:
        What changed; ``errors`` lists files refused, each with the reason.
    """
    started = time.perf_counter()
    reporter = reporter or _Silent()
    embedder = embedder or Embedder(settings.embed_batch_size)
    data = DataDir(settings.data_dir)
    with data.lock():
        files, curated_paths = _discover([Path(p) for p in paths])
        errors: list[FileError] = []
        sources: dict[str, _Source] = {}
        for path, meta in files:
            recorded = (stored_as or {}).get(path, path)
            doc_id = str(meta.get("doc_id") or make_doc_id(recorded))
            if not is_doc_id(doc_id):
                errors.append(
                    FileError(
                        str(path),
                        f"invalid doc_id {doc_id!r} in {MANIFEST}; use lower-case letters, "
                        "digits, '.', '_' and '-', starting and ending with a letter or digit",
                    )
                )
                continue
            if doc_id in sources:
                errors.append(
                    FileError(
                        str(path),
                        f"doc_id {doc_id!r} is already used by "
                        f"{sources[doc_id].path}; rename one of the files",
                    )
                )
                continue
            try:
                raw = path.read_bytes()
            except OSError as exc:
                errors.append(FileError(str(path), f"cannot be read ({exc.strerror})"))
                continue
            sources[doc_id] = _Source(path, recorded, doc_id, meta, content_hash(raw, meta), raw)

        current = data.current()
        old_catalog = (
            Catalog(data.path(current) / "catalog.sqlite", readonly=True) if current else None
        )
        old = old_catalog.document_hashes() if old_catalog else {}
        old_curated = old_catalog.get_meta("curated_hash") if old_catalog else None
        # Curated files found by earlier runs stay in force when this run ingests single files.
        recorded = json.loads(old_catalog.get_meta("curated_paths") or "[]") if old_catalog else []
        if old_catalog:
            old_catalog.close()
        curated_paths = sorted(
            {p.resolve() for p in curated_paths} | {Path(p) for p in recorded if Path(p).is_file()}
        )
        curated_hash = _curated_hash(curated_paths)

        unchanged = [d for d, s in sources.items() if d in old and old[d][0] == s.content_hash]
        todo = [s for d, s in sources.items() if d not in unchanged]
        removed = sorted(set(old) - set(sources)) if prune else []
        kept_old = [d for d in old if d not in sources and d not in removed]

        processed: list[
            tuple[Document, list[Sentence], list[Chunk], list[Fact], list[Entity]]
        ] = []
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

        if (
            not processed
            and not removed
            and curated_hash == (old_curated or curated_hash)
            and current is not None
        ):
            return IngestReport(
                generation=None,
                unchanged=tuple(sorted(unchanged + kept_old)),
                errors=tuple(errors),
                seconds=time.perf_counter() - started,
            )
        if current is None and not processed:
            return IngestReport(
                generation=None, errors=tuple(errors), seconds=time.perf_counter() - started
            )

        for stale in data.stale(keep=2):
            data.retire(stale)  # skipped while a reader still holds it
        generation, gpath = data.new_generation()
        catalog = Catalog(gpath / "catalog.sqlite")
        try:
            if current:
                catalog.copy_documents_from(
                    data.path(current) / "catalog.sqlite", sorted(unchanged + kept_old)
                )
            for doc, sentences, chunks, facts, entities in processed:
                catalog.add_document(doc, sentences, chunks, facts, entities)
            texts = catalog.document_texts()
            catalog.set_meta("definitions", corpus_definitions(texts.values()))
            for cpath in curated_paths:
                catalog.add_facts(load_curated_facts(cpath, texts))
            catalog.set_meta("curated_hash", curated_hash)
            catalog.set_meta("curated_paths", json.dumps([str(p) for p in curated_paths]))

            t_bm25 = time.perf_counter()
            chunk_texts = list(catalog.iter_chunk_texts())
            chunk_ids = [c.chunk_id for c in catalog.chunks()]
            save_bm25(build_bm25([tokenize(t) for t in chunk_texts]), gpath)
            bm25_seconds = time.perf_counter() - t_bm25

            # Chunks are embedded for retrieval, sentences for choosing what to quote.
            sentence_texts, _ = catalog.sentence_texts()
            all_texts = chunk_texts + sentence_texts
            keys = [text_key(t) for t in all_texts]
            cache = EmbeddingCache(data.embedding_cache)
            try:
                known = cache.get_many(keys)
                missing = sorted({k: i for i, k in enumerate(keys) if k not in known}.values())
                reporter.stage("embedding", len(missing))
                t_embed = time.perf_counter()
                if missing:
                    vectors = embedder.embed_documents(
                        [all_texts[i] for i in missing], progress=reporter.advance
                    )
                    fresh = [(keys[i], vectors[j]) for j, i in enumerate(missing)]
                    cache.put_many(fresh)
                    known.update(fresh)
                embed_seconds = time.perf_counter() - t_embed
            finally:
                cache.close()

            import numpy as np

            sentence_keys = keys[len(chunk_texts) :]
            keys = keys[: len(chunk_texts)]
            matrix = (
                np.stack([known[k] for k in sentence_keys]).astype(np.float16)
                if sentence_keys
                else np.zeros((0, 384), dtype=np.float16)
            )
            np.save(gpath / "sentences.npy", matrix)

            t_dense = time.perf_counter()
            reporter.stage("indexing", None)
            dense = dense_store(settings, gpath, generation)
            try:
                dense.create()
                if keys:
                    dense.add(chunk_ids, np.stack([known[k] for k in keys]))
            finally:
                dense.close()
            dense_seconds = time.perf_counter() - t_dense
            counts = catalog.counts()
        except BaseException:
            catalog.close()
            data.remove(generation)
            raise
        catalog.close()
        data.commit(generation)
        if settings.chroma_url:
            _drop_stale_collections(settings, data)

    added = tuple(sorted(d.doc_id for d, *_ in processed if d.doc_id not in old))
    replaced = tuple(sorted(d.doc_id for d, *_ in processed if d.doc_id in old))
    return IngestReport(
        generation=generation,
        added=added,
        replaced=replaced,
        removed=tuple(removed),
        unchanged=tuple(sorted(unchanged + kept_old)),
        errors=tuple(errors),
        documents=counts["documents"],
        chunks=counts["chunks"],
        facts=counts["facts"],
        embedded=len(missing),
        seconds=time.perf_counter() - started,
        embed_seconds=embed_seconds,
        timings={"bm25": bm25_seconds, "embed": embed_seconds, "dense": dense_seconds},
    )


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
