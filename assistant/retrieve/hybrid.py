"""Hybrid retrieval: dense (Chroma) and BM25 rankings fused by reciprocal rank fusion."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..index.bm25 import top_k
from ..index.embeddings import Embedder
from ..index.loaded import Index
from ..text.tokens import tokenize
from ..types import Hit
from .fusion import fuse


@dataclass(frozen=True)
class Retrieval:
    hits: tuple[Hit, ...]
    query_vector: np.ndarray = field(compare=False)
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)
    searched: str = ""  # the question as searched (misspellings corrected)


def retrieve(
    index: Index,
    embedder: Embedder,
    question: str,
    top_k_hits: int = 8,
    candidates: int = 50,
    rrf_k: int = 60,
) -> Retrieval:
    """The ``top_k_hits`` best chunks for ``question``.

    Args:
        index: a loaded generation.
        embedder: embeds the question.
        question: free text.
        top_k_hits: how many fused hits to return.
        candidates: how deep each ranking goes before fusion.
        rrf_k: the RRF constant.
    """
    if top_k_hits < 1 or candidates < 1:
        raise ValueError("top_k_hits and candidates must be at least 1")
    t0 = time.perf_counter()
    vector = embedder.embed_query(question)
    t1 = time.perf_counter()
    dense = index.dense.query(vector, candidates)
    t2 = time.perf_counter()
    weights = index.fuzzy.expand(tokenize(question))
    sparse = top_k(index.bm25, weights, candidates)
    t3 = time.perf_counter()

    dense_ids = [cid for cid, _ in dense if cid in index.chunk_index]
    sparse_ids = [index.chunks[i].chunk_id for i, _ in sparse]
    fused = fuse([dense_ids, sparse_ids], k=rrf_k)[:top_k_hits]
    dense_pos = {cid: (rank, score) for rank, (cid, score) in enumerate(dense, start=1)}
    sparse_pos = {
        index.chunks[i].chunk_id: (rank, score) for rank, (i, score) in enumerate(sparse, start=1)
    }
    hits = []
    for cid, score in fused:
        d = dense_pos.get(cid)
        s = sparse_pos.get(cid)
        hits.append(
            Hit(
                chunk=index.chunks[index.chunk_index[cid]],
                score=score,
                dense_rank=d[0] if d else None,
                dense_score=d[1] if d else None,
                bm25_rank=s[0] if s else None,
                bm25_score=s[1] if s else None,
            )
        )
    t4 = time.perf_counter()
    timings = {
        "embed": (t1 - t0) * 1000,
        "dense": (t2 - t1) * 1000,
        "bm25": (t3 - t2) * 1000,
        "fuse": (t4 - t3) * 1000,
    }
    return Retrieval(tuple(hits), vector, timings)


def search(
    index: Index,
    embedder: Embedder,
    question: str,
    top_k_hits: int = 8,
    candidates: int = 50,
    rrf_k: int = 60,
) -> Retrieval:
    """``retrieve`` after correcting the question's misspelt words against the corpus
    (``spelling.py``); ``searched`` says what was searched."""
    from dataclasses import replace

    from .spelling import correct_spelling

    searched, _ = correct_spelling(question, index)
    result = retrieve(index, embedder, searched, top_k_hits, candidates, rrf_k)
    return replace(result, searched=searched)
