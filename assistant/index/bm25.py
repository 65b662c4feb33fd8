"""BM25 over chunks: rank-bm25's Okapi statistics, scored only on candidate documents.

rank-bm25 scores every document in Python (about 300 ms at 100k chunks). We build its
``BM25Okapi`` once at ingest for the statistics (idf with its epsilon floor, document lengths,
average length), then keep compressed postings so a query touches only the documents that hold
one of its terms. Documents without a query term score exactly 0 under Okapi BM25, so the top-k
over the candidates equals the top-k of full scoring (tests/test_bm25.py checks this against
``BM25Okapi.get_scores``).

The scoring core is pure (arrays in, arrays out); only ``save``/``load`` touch disk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

FUZZY_MIN_LEN = 5
FUZZY_CUTOFF = 75.0
FUZZY_WEIGHT = 0.8
FUZZY_LIMIT = 4
PREFIX_MIN = 4
PREFIX_SIMILARITY = 0.8


@dataclass(frozen=True)
class Bm25Index:
    """Postings in CSR form: term ``t`` holds ``doc_ids[offsets[t]:offsets[t+1]]``."""

    vocab: dict[str, int]
    idf: np.ndarray  # float64, per term
    offsets: np.ndarray  # int64, len(vocab) + 1
    doc_ids: np.ndarray  # int32
    tfs: np.ndarray  # float32
    doc_len: np.ndarray  # float64, per document
    avgdl: float
    k1: float = 1.5
    b: float = 0.75
    # Each posting's Okapi contribution, idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)):
    # it does not depend on the query, so it is computed once and a query only adds them up.
    impacts: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def size(self) -> int:
        return int(self.doc_len.shape[0])

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        t = self.vocab.get(term)
        if t is None:
            return _EMPTY_IDS, _EMPTY_TFS
        lo, hi = int(self.offsets[t]), int(self.offsets[t + 1])
        return self.doc_ids[lo:hi], self.tfs[lo:hi]


def _impacts(
    idf: np.ndarray,
    offsets: np.ndarray,
    doc_ids: np.ndarray,
    tfs: np.ndarray,
    doc_len: np.ndarray,
    avgdl: float,
    k1: float,
    b: float,
) -> np.ndarray:
    terms = np.repeat(np.arange(idf.shape[0]), np.diff(offsets))
    tf = tfs.astype(np.float64)
    norm = k1 * (1.0 - b + b * doc_len[doc_ids] / avgdl) if avgdl else np.full(tf.shape, k1)
    weights: np.ndarray = idf[terms] * (tf * (k1 + 1.0) / (tf + norm))
    return weights


def with_impacts(index: Bm25Index) -> Bm25Index:
    """``index`` with its per-posting contributions computed."""
    from dataclasses import replace

    return replace(
        index,
        impacts=_impacts(
            index.idf,
            index.offsets,
            index.doc_ids,
            index.tfs,
            index.doc_len,
            index.avgdl,
            index.k1,
            index.b,
        ),
    )


_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_TFS = np.zeros(0, dtype=np.float32)


def build_bm25(corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> Bm25Index:
    """Build the index from tokenized documents (one token list per chunk)."""
    if not corpus:
        empty = np.zeros(0)
        return Bm25Index({}, empty, np.zeros(1, dtype=np.int64), _EMPTY_IDS, _EMPTY_TFS, empty, 0.0)
    # rank-bm25 divides by zero on an all-empty corpus; a placeholder token keeps it defined.
    safe = [list(doc) if doc else ["\x00"] for doc in corpus]
    okapi = BM25Okapi(safe, k1=k1, b=b)
    vocab = {term: i for i, term in enumerate(okapi.idf)}
    postings: list[list[tuple[int, int]]] = [[] for _ in vocab]
    for doc_id, freqs in enumerate(okapi.doc_freqs):
        for term, tf in freqs.items():
            postings[vocab[term]].append((doc_id, tf))
    offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(p) for p in postings])
    flat = [pair for plist in postings for pair in plist]
    doc_ids = np.fromiter((d for d, _ in flat), dtype=np.int32, count=len(flat))
    tfs = np.fromiter((f for _, f in flat), dtype=np.float32, count=len(flat))
    idf = np.fromiter((okapi.idf[t] for t in vocab), dtype=np.float64, count=len(vocab))
    return with_impacts(
        Bm25Index(
            vocab=vocab,
            idf=idf,
            offsets=offsets,
            doc_ids=doc_ids,
            tfs=tfs,
            doc_len=np.asarray(okapi.doc_len, dtype=np.float64),
            avgdl=float(okapi.avgdl),
            k1=k1,
            b=b,
        )
    )


def score_candidates(index: Bm25Index, query: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Okapi BM25 scores of every document holding a query term.

    Args:
        index: the postings.
        query: term -> weight (1.0 for a plain query term; fuzzy expansions weigh less).
            A term repeated in the query is given as a weight of 2.0, as rank-bm25 would
            count it twice.

    Returns:
        (doc indices, scores), unordered; documents not listed score 0.
    """
    if index.size == 0:
        return _EMPTY_IDS, np.zeros(0)
    # A dense accumulator is cheaper than merging postings (np.unique) even at 100k documents;
    # a term's postings hold each document once, so plain fancy-index addition is exact.
    scores = np.zeros(index.size)
    touched = False
    for term, weight in query.items():
        t = index.vocab.get(term)
        if t is None or weight == 0:
            continue
        lo, hi = int(index.offsets[t]), int(index.offsets[t + 1])
        scores[index.doc_ids[lo:hi]] += weight * index.impacts[lo:hi]
        touched = True
    if not touched:
        return _EMPTY_IDS, np.zeros(0)
    ids = np.flatnonzero(scores).astype(np.int32)
    return ids, scores[ids]


def top_k(index: Bm25Index, query: Mapping[str, float], k: int) -> list[tuple[int, float]]:
    """The ``k`` best (doc index, score) pairs with a positive score, best first.

    Ties are broken by document index, so the result is deterministic.
    """
    ids, scores = score_candidates(index, query)
    keep = scores > 0
    ids, scores = ids[keep], scores[keep]
    if ids.shape[0] > k:
        part = np.argpartition(-scores, k - 1)[:k]
        ids, scores = ids[part], scores[part]
    order = np.lexsort((ids, -scores))
    return [(int(ids[i]), float(scores[i])) for i in order]


def query_weights(tokens: Sequence[str]) -> dict[str, float]:
    """Plain query weights: each distinct token weighs its count in the query."""
    weights: dict[str, float] = {}
    for token in tokens:
        weights[token] = weights.get(token, 0.0) + 1.0
    return weights


class FuzzyVocabulary:
    """Finds index terms spelled like a query term, so a name spelled two ways still meets.

    Uses rapidfuzz's normalised Indel similarity over terms of similar length, and shared
    stems; only alphabetic terms of at least ``FUZZY_MIN_LEN`` characters are expanded this
    way (short words are too ambiguous). With the generation's ``variants``
    (``index/variants.py``), a word the corpus uses, and any short word, meets only the forms
    the embedding model confirmed at ingest; the rapidfuzz search is left for words the corpus
    never uses, to repair a misspelling.
    """

    def __init__(self, vocab: Mapping[str, int],
                 variants: Mapping[str, Sequence[tuple[str, float]]] | None = None) -> None:
        self._vocab = vocab
        self._variants = (
            None if variants is None else {w: tuple(forms) for w, forms in variants.items()}
        )
        # Pools by first letter and length: a misspelt name nearly always keeps its first
        # letter, and this keeps each lookup to a small slice of a large vocabulary.
        self._pools: dict[tuple[str, int], list[str]] = {}
        for term in vocab:
            if len(term) >= FUZZY_MIN_LEN - 3 and term.isalpha():
                self._pools.setdefault((term[0], len(term)), []).append(term)
        self._by_prefix: dict[str, list[str]] = {}
        for term in vocab:
            if len(term) > PREFIX_MIN and term.isalpha():
                self._by_prefix.setdefault(term[:PREFIX_MIN], []).append(term)
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}

    def similar(self, term: str) -> tuple[tuple[str, float], ...]:
        """Terms like ``term`` (excluding itself) with their similarity in [0, 1]."""
        cached = self._cache.get(term)
        if cached is not None:
            return cached
        if self._variants is not None and (term in self._vocab or len(term) < FUZZY_MIN_LEN):
            return self._variants.get(term, ())
        found: list[tuple[str, float]] = []
        if len(term) >= FUZZY_MIN_LEN and term.isalpha():
            from rapidfuzz import fuzz, process

            pool: list[str] = []
            for n in range(len(term) - 3, len(term) + 4):
                pool.extend(self._pools.get((term[0], n), ()))
            for match, score, _ in process.extract(
                term, pool, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=FUZZY_LIMIT + 1
            ):
                if match != term:
                    found.append((match, score / 100.0))
            # Shared stems ("china"/"chinese", "produce"/"production") by a long common prefix.
            shared = max(PREFIX_MIN, len(term) - 3)
            for candidate in self._by_prefix.get(term[:PREFIX_MIN], ()):
                if (
                    candidate != term
                    and all(candidate != m for m, _ in found)
                    and candidate[: min(shared, len(candidate) - 1)]
                    == term[: min(shared, len(candidate) - 1)]
                    and len(candidate) >= PREFIX_MIN + 1
                ):
                    found.append((candidate, PREFIX_SIMILARITY))
        result = tuple(found[:FUZZY_LIMIT])
        if len(self._cache) < 100_000:
            self._cache[term] = result
        return result

    def expand(self, tokens: Sequence[str]) -> dict[str, float]:
        """Query weights with fuzzy neighbours added at reduced weight."""
        weights = query_weights(tokens)
        for token in list(weights):
            for match, similarity in self.similar(token):
                extra = FUZZY_WEIGHT * similarity * similarity
                if weights.get(match, 0.0) < extra:
                    weights[match] = extra
        return weights


def save_bm25(index: Bm25Index, directory: Path) -> None:
    """Write the index into ``directory`` (two files)."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(
        directory / "bm25.npz",
        idf=index.idf,
        offsets=index.offsets,
        doc_ids=index.doc_ids,
        tfs=index.tfs,
        doc_len=index.doc_len,
    )
    terms = sorted(index.vocab, key=index.vocab.__getitem__)
    meta = {"terms": terms, "avgdl": index.avgdl, "k1": index.k1, "b": index.b}
    (directory / "bm25.json").write_text(json.dumps(meta), encoding="utf-8")


def load_bm25(directory: Path) -> Bm25Index:
    """Read an index written by ``save_bm25``."""
    meta = json.loads((directory / "bm25.json").read_text(encoding="utf-8"))
    with np.load(directory / "bm25.npz") as arrays:
        return with_impacts(
            Bm25Index(
                vocab={term: i for i, term in enumerate(meta["terms"])},
                idf=arrays["idf"],
                offsets=arrays["offsets"],
                doc_ids=arrays["doc_ids"],
                tfs=arrays["tfs"],
                doc_len=arrays["doc_len"],
                avgdl=float(meta["avgdl"]),
                k1=float(meta["k1"]),
                b=float(meta["b"]),
            )
        )
