"""Dense search: exact (every vector scored) against Chroma's HNSW graph, on one index.

    .venv/bin/python benchmarks/dense.py --data-dir DIR [--queries 300] [--depth 50]

Both searches run in this process over the same generation and the same query vectors
(chunk vectors with noise, so each query has true neighbours). Printed: the one-off cost of
reading the vectors for exact search, each search's p50 / p95, the ratio of the exact p50 to
HNSW's, and HNSW's recall of the exact top ``--depth``. ``ASSISTANT_DENSE_EXACT_MAX`` chooses
between them in the product (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def _timed(search, queries: np.ndarray) -> tuple[list[float], list[list[str]]]:
    times, found = [], []
    for query in queries:
        start = time.perf_counter()
        hits = search(query)
        times.append((time.perf_counter() - start) * 1000)
        found.append([cid for cid, _ in hits])
    return times, found


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--depth", type=int, default=50)
    args = parser.parse_args()

    from assistant.index.embeddings import DIMENSIONS
    from assistant.index.loaded import IndexHolder
    from assistant.settings import Settings

    hnsw = IndexHolder(Settings(data_dir=args.data_dir, dense_exact_max=0)).get().dense
    exact = IndexHolder(Settings(data_dir=args.data_dir, dense_exact_max=1 << 40)).get().dense
    probe = np.ones(DIMENSIONS, np.float32)
    hnsw.query(probe, 1)  # Chroma opens the collection and loads the graph
    start = time.perf_counter()
    exact.query(probe, 1)  # the first exact search reads every vector
    load_s = time.perf_counter() - start
    ids, matrix = exact._vectors()
    rng = np.random.default_rng(0)
    queries = matrix[rng.integers(0, len(ids), args.queries)]
    queries = queries + rng.normal(0, 0.05, queries.shape).astype(np.float32)
    hnsw_ms, hnsw_found = _timed(lambda q: hnsw.query(q, args.depth), queries)
    exact_ms, exact_found = _timed(lambda q: exact.query(q, args.depth), queries)
    recall = statistics.mean(len(set(a) & set(b)) / len(b)
                             for a, b in zip(hnsw_found, exact_found, strict=True))
    print(f"{len(ids)} vectors; reading them for exact search: {load_s:.2f} s, "
          f"{matrix.nbytes / 2**20:.0f} MiB")
    print(f"{'search':<8}{'p50 ms':>9}{'p95 ms':>9}")
    for name, values in (("hnsw", hnsw_ms), ("exact", exact_ms)):
        print(f"{name:<8}{statistics.median(values):>9.3f}{_p95(values):>9.3f}")
    print(f"exact / hnsw p50: {statistics.median(exact_ms) / statistics.median(hnsw_ms):.2f}x; "
          f"HNSW recall of the exact top {args.depth}: {recall:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
