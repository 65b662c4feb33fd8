"""The dense store's exact search: the same hits as Chroma's HNSW graph (which it replaces on
small generations), scored alike, and the same every time."""

from __future__ import annotations

import numpy as np

from assistant.index.dense import DenseStore, nearest


def test_nearest_breaks_ties_by_row_and_caps_n() -> None:
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    hits = nearest(matrix, np.array([2.0, 0.0], dtype=np.float32), 10)
    assert [row for row, _ in hits] == [0, 2, 3, 1]
    assert hits[0][1] == 1.0 and abs(hits[2][1] - 0.6) < 1e-6
    assert nearest(matrix, np.zeros(2, dtype=np.float32), 2) == [(0, 0.0), (1, 0.0)]
    assert nearest(matrix, matrix[1], 0) == []


def _store(tmp_path, exact_max: int) -> DenseStore:
    return DenseStore(None, tmp_path / "chroma", "dense-test", exact_max=exact_max)


def test_exact_search_agrees_with_hnsw_and_repeats(tmp_path) -> None:
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(5000, 48)).astype(np.float32)  # more than one page of 4096
    ids = [f"c{i:05d}" for i in range(len(vectors))]
    built = _store(tmp_path, 0)
    built.create()
    built.add(ids, vectors)
    queries = vectors[rng.integers(0, len(vectors), 40)] + rng.normal(0, 0.3, (40, 48))
    hnsw = [built.query(q.astype(np.float32), 10) for q in queries]
    built.close()

    exact = _store(tmp_path, 10_000)
    found = [exact.query(q.astype(np.float32), 10) for q in queries]
    again = _store(tmp_path, 10_000)
    assert [again.query(q.astype(np.float32), 10) for q in queries] == found
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    overlap = []
    for query, approximate, hits in zip(queries, hnsw, found, strict=True):
        truth = np.argsort(-(unit @ (query / np.linalg.norm(query))))[:10]
        assert [cid for cid, _ in hits] == [ids[i] for i in truth]
        scores = dict(approximate)
        for cid, score in hits:
            if cid in scores:
                assert abs(scores[cid] - score) < 1e-4  # both are cosine similarity
        overlap.append(len(scores.keys() & {cid for cid, _ in hits}) / 10)
    assert np.mean(overlap) >= 0.9
    exact.close()
    again.close()
