"""A loaded, read-only index generation, and the holder that swaps in new generations.

Everything is loaded once and shared by request threads; nothing is loaded at import time.
A loaded ``Index`` holds a lease on its generation (``DataDir.lease``) until it is
garbage-collected, so an ingest never deletes a generation that a request is still reading;
the last reference gone, its Chroma client is closed and the lease released.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import IndexNotReadyError
from ..settings import Settings
from ..text.definitions import read_definitions
from ..text.outline import Outline, outline
from ..text.tokens import tokenize
from ..types import Chunk, Document, Sentence
from .bm25 import Bm25Index, FuzzyVocabulary, load_bm25
from .catalog import Catalog
from .dense import DenseStore
from .embeddings import Embedder
from .layout import DataDir, Lease
from .variants import read_variants


def collection_name(prefix: str, generation: str) -> str:
    return f"{prefix}-{generation}"


def dense_store(settings: Settings, generation_path: Path, generation: str) -> DenseStore:
    """The dense store of a generation, embedded or on the configured Chroma server."""
    path = None if settings.chroma_url else generation_path / "chroma"
    return DenseStore(
        settings.chroma_url, path, collection_name(settings.collection_prefix, generation),
        exact_max=settings.dense_exact_max,
    )


@dataclass
class Index:
    """One generation, loaded: catalog, BM25 postings, the dense collection and chunk table."""

    generation: str
    catalog: Catalog
    bm25: Bm25Index
    fuzzy: FuzzyVocabulary
    dense: DenseStore
    chunks: list[Chunk]
    chunk_index: dict[str, int]
    documents: dict[str, Document]
    sentence_vectors: np.ndarray  # float16, one row per sentence (memory-mapped)
    sentence_base: dict[str, int]  # doc_id -> row of its sentence 0

    # acronyms the corpus defines: short-form token -> each long form's tokens
    definitions: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    token_cache: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)
    span_cache: dict[tuple[str, int, int], frozenset[str]] = field(default_factory=dict)
    outline_cache: dict[str, Outline] = field(default_factory=dict)

    def sentence_tokens(self, sentence: Sentence) -> frozenset[str]:
        """BM25 tokens of a sentence, memoised (the answer builder asks for them often)."""
        key = (sentence.doc_id, sentence.ordinal)
        tokens = self.token_cache.get(key)
        if tokens is None:
            if len(self.token_cache) > 200_000:
                self.token_cache.clear()
            tokens = self.token_cache[key] = frozenset(tokenize(sentence.text))
        return tokens

    def span_tokens(self, doc_id: str, start: int, end: int) -> frozenset[str]:
        """BM25 tokens of a document's text between two offsets, memoised by the offsets (a
        paragraph up to a passage, read again for the same passage by later questions)."""
        key = (doc_id, start, end)
        tokens = self.span_cache.get(key)
        if tokens is None:
            if len(self.span_cache) > 20_000:
                self.span_cache.clear()
            text = self.documents[doc_id].text[start:end]
            tokens = self.span_cache[key] = frozenset(tokenize(text))
        return tokens

    def sentence_vector(self, doc_id: str, ordinal: int) -> np.ndarray:
        row: np.ndarray = self.sentence_vectors[self.sentence_base[doc_id] + ordinal]
        return row

    def outline(self, doc_id: str) -> Outline:
        """A document's lines and the headings above each, memoised."""
        found = self.outline_cache.get(doc_id)
        if found is None:
            if len(self.outline_cache) > 10_000:
                self.outline_cache.clear()
            found = self.outline_cache[doc_id] = outline(
                self.documents[doc_id].text, self.catalog.blocks(doc_id))
        return found

    def text(self, doc_id: str) -> str:
        return self.documents[doc_id].text


def load_index(settings: Settings) -> Index:
    """Load the serving generation of ``settings.data_dir``.

    Raises:
        IndexNotReadyError: nothing has been ingested into that data dir yet.
    """
    data = DataDir(settings.data_dir)
    generation, lease = _lease_current(data)
    path = data.path(generation)
    catalog: Catalog | None = None
    dense: DenseStore | None = None
    try:
        if not (path / "sentences.npy").exists():
            raise IndexNotReadyError(
                "the index was built by an older version; run `assistant ingest` to rebuild it"
            )
        catalog = Catalog(path / "catalog.sqlite", readonly=True)
        bm25 = load_bm25(path)
        chunks = catalog.chunks()
        dense = dense_store(settings, path, generation)
        index = Index(
            generation=generation,
            catalog=catalog,
            bm25=bm25,
            fuzzy=FuzzyVocabulary(bm25.vocab, read_variants(catalog.get_meta("variants"))),
            dense=dense,
            chunks=chunks,
            chunk_index={c.chunk_id: i for i, c in enumerate(chunks)},
            documents={d.doc_id: d for d in catalog.documents()},
            sentence_vectors=np.load(path / "sentences.npy", mmap_mode="r"),
            sentence_base=catalog.sentence_bases(),
            definitions=read_definitions(catalog.get_meta("definitions")),
        )
    except BaseException:
        if catalog is not None:
            catalog.close()
        _release(dense, lease)
        raise
    # Not the catalog: a caller may still hold it alone (``load_index(s).catalog``); its
    # connection closes when it is collected, and reads an unlinked file safely until then.
    weakref.finalize(index, _release, dense, lease)
    return index


def _lease_current(data: DataDir) -> tuple[str, Lease]:
    """The serving generation's name and a lease on it (retrying if it switches meanwhile)."""
    for _ in range(5):
        generation = data.current()
        if generation is None:
            raise IndexNotReadyError(
                "no index yet: run `assistant ingest` (or upload a document), or set "
                "ASSISTANT_DATA_DIR to a data dir that has one"
            )
        lease = data.lease(generation)
        if lease is not None:
            return generation, lease
    raise IndexNotReadyError("the index kept changing while loading; retry in a moment")


def _release(dense: DenseStore | None, lease: Lease) -> None:
    """Close an Index's Chroma client, then release its lease: its generation may go now."""
    if dense is not None:
        dense.close()
    lease.release()


class IndexHolder:
    """The shared embedder and the current index; reloads when an ingest commits.

    ``get()`` costs one ``stat`` of CURRENT, so every worker process notices a new generation
    written by another process (an upload, a CLI ingest) on its next request.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.for_settings(settings)
        self._data = DataDir(settings.data_dir)
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._stamp = -1.0

    def get(self) -> Index:
        stamp = self._data.current_stamp()
        index = self._index
        if index is not None and stamp == self._stamp:
            return index
        with self._lock:
            if self._index is None or stamp != self._stamp:
                fresh = load_index(self.settings)
                self._index, self._stamp = fresh, stamp
                # Requests in flight keep the old Index, and with it the lease on its generation.
            return self._index
