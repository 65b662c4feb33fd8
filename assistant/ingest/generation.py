"""Writing one index generation: catalog, BM25 postings, vectors and the dense store.

The last step of the ingest path. Everything lands in a fresh generation directory that no
reader sees until ``DataDir.commit`` switches ``CURRENT`` to it; a failure here leaves the
serving generation as it was. Vectors come from the embedding cache when a text was embedded
before, so re-ingesting an unchanged corpus embeds nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..index.bm25 import build_bm25, save_bm25
from ..index.catalog import Catalog
from ..index.embeddings import DIMENSIONS, Embedder, EmbeddingCache, text_key
from ..index.loaded import dense_store
from ..index.variants import dump_variants, word_variants
from ..settings import Settings
from ..text.definitions import corpus_definitions
from ..text.entities import Entity
from ..text.tokens import tokenize
from ..types import Block, Chunk, Document, Fact, Sentence


class Reporter(Protocol):
    """Progress callbacks; the CLI draws them with rich."""

    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, n: int) -> None: ...


class Silent:
    """A :class:`Reporter` that draws nothing."""

    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int) -> None:
        pass


@dataclass(frozen=True)
class Processed:
    """One document read, split, chunked and annotated, ready for the catalog."""

    document: Document
    sentences: Sequence[Sentence]
    chunks: Sequence[Chunk]
    facts: Sequence[Fact]
    entities: Sequence[Entity]
    blocks: Sequence[Block] = ()  # the loader's structure: headings, paragraphs, table lines


@dataclass(frozen=True)
class Written:
    """What a generation holds once written, and where the time went."""

    counts: dict[str, int]
    embedded: int  # texts embedded in this run; the rest came from the cache
    timings: dict[str, float]


def fill_catalog(
    catalog: Catalog,
    previous: Path | None,
    kept: Sequence[str],
    processed: Sequence[Processed],
    curated: Sequence[Path],
    curated_hash: str,
) -> None:
    """Documents kept from the ``previous`` catalog, the newly processed ones, and the
    curated facts (matched against every document's text)."""
    from .curated import load_curated_facts

    if previous is not None:
        catalog.copy_documents_from(previous, sorted(kept))
    for p in processed:
        catalog.add_document(p.document, p.sentences, p.chunks, p.facts, p.entities, p.blocks)
    texts = catalog.document_texts()
    catalog.set_meta("definitions", corpus_definitions(texts.values()))
    for path in curated:
        catalog.add_facts(load_curated_facts(path, texts))
    catalog.set_meta("curated_hash", curated_hash)
    catalog.set_meta("curated_paths", json.dumps([str(p) for p in curated]))


def write_indexes(
    catalog: Catalog,
    gpath: Path,
    generation: str,
    settings: Settings,
    cache_path: Path,
    embedder: Embedder,
    reporter: Reporter,
) -> Written:
    """BM25 postings over the chunks, then vectors: chunks (for retrieval) into the dense
    store, sentences (for choosing what to quote) into ``sentences.npy``; vectors already in
    the embedding cache at ``cache_path`` are not computed again."""
    t0 = time.perf_counter()
    chunk_texts = list(catalog.iter_chunk_texts())
    chunk_ids = [c.chunk_id for c in catalog.chunks()]
    bm25 = build_bm25([tokenize(t) for t in chunk_texts])
    save_bm25(bm25, gpath)
    t1 = time.perf_counter()
    sentence_texts, _ = catalog.sentence_texts()
    vectors, embedded = embed_cached(chunk_texts + sentence_texts, cache_path, embedder, reporter)
    t2 = time.perf_counter()

    def embed_words(words: Sequence[str]) -> np.ndarray:
        return embed_cached(words, cache_path, embedder, Silent())[0]

    catalog.set_meta("variants", dump_variants(word_variants(bm25.vocab, embed_words)))
    t3 = time.perf_counter()
    np.save(gpath / "sentences.npy", vectors[len(chunk_texts) :].astype(np.float16))
    reporter.stage("indexing", None)
    dense = dense_store(settings, gpath, generation)
    try:
        dense.create()
        if chunk_ids:
            dense.add(chunk_ids, vectors[: len(chunk_texts)])
    finally:
        dense.close()
    t4 = time.perf_counter()
    return Written(
        counts=catalog.counts(),
        embedded=embedded,
        timings={"bm25": t1 - t0, "embed": t2 - t1, "variants": t3 - t2, "dense": t4 - t3},
    )


def embed_cached(
    texts: Sequence[str], cache_path: Path, embedder: Embedder, reporter: Reporter
) -> tuple[np.ndarray, int]:
    """One normalised vector per text (rows in order), embedding only those the cache at
    ``cache_path`` lacks; returns the matrix and how many texts were embedded."""
    keys = [text_key(t) for t in texts]
    cache = EmbeddingCache(cache_path)
    try:
        known = cache.get_many(keys)
        missing = sorted({k: i for i, k in enumerate(keys) if k not in known}.values())
        reporter.stage("embedding", len(missing))
        if missing:
            fresh = embedder.embed_documents([texts[i] for i in missing], progress=reporter.advance)
            pairs = [(keys[i], fresh[j]) for j, i in enumerate(missing)]
            cache.put_many(pairs)
            known.update(pairs)
    finally:
        cache.close()
    if not keys:
        return np.zeros((0, DIMENSIONS), dtype=np.float32), 0
    return np.stack([known[k] for k in keys]), len(missing)
