"""Dense search: exact (every vector scored) against Chroma's HNSW graph.

    .venv/bin/python benchmarks/dense.py --data-dir DIR [--queries 300] [--depth 50]
    .venv/bin/python benchmarks/dense.py --synthetic 20000 50000 [--queries 300]

Both searches run in this process over the same collection and the same query vectors.
``--data-dir`` uses an index's own chunk vectors (queries: chunk vectors with noise);
``--synthetic`` builds collections of clustered random vectors of each size (500 centres, so
neighbourhoods are not the near-ties of uniform random vectors). Printed: the one-off cost of
reading the vectors for exact search, each search's p50 / p95, the ratio of the exact p50 to
HNSW's, and HNSW's recall of the exact top ``--depth``. ``ASSISTANT_DENSE_EXACT_MAX`` chooses
between them in the product (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def _read(exact: Any) -> tuple[np.ndarray, float]:
    """Every vector of the exact store (its one-off read), and the seconds it took."""
    start = time.perf_counter()
    _, matrix = exact.vectors()
    return matrix, time.perf_counter() - start


def _compare(label: str, hnsw: Any, exact: Any, queries: np.ndarray, depth: int,
             load_s: float) -> None:
    """Time both stores on ``queries`` (alternating) and print the figures."""
    hnsw.query(queries[0], depth)
    exact.query(queries[0], depth)
    times: dict[str, list[float]] = {"hnsw": [], "exact": []}
    recall = []
    for query in queries:
        found = {}
        for name, store in (("hnsw", hnsw), ("exact", exact)):
            start = time.perf_counter()
            found[name] = {cid for cid, _ in store.query(query, depth)}
            times[name].append((time.perf_counter() - start) * 1000)
        recall.append(len(found["hnsw"] & found["exact"]) / max(1, len(found["exact"])))
    print(f"{label}: reading the vectors for exact search {load_s:.2f} s")
    for name, values in times.items():
        print(f"  {name:<6} p50 {statistics.median(values):7.3f} ms   p95 {_p95(values):7.3f} ms")
    ratio = statistics.median(times["exact"]) / statistics.median(times["hnsw"])
    print(f"  exact / hnsw p50 {ratio:.2f}x; HNSW recall of the exact top {depth}: "
          f"{statistics.mean(recall):.4f}")


def _noisy(rows: np.ndarray, n: int, scale: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picked = rows[rng.integers(0, len(rows), n)]
    return (picked + rng.normal(0, scale, picked.shape)).astype(np.float32)


def _index(data_dir: Path, queries: int, depth: int) -> None:
    from assistant.index.loaded import IndexHolder
    from assistant.settings import Settings

    # keep both indexes referenced: a dropped one closes the store both share
    indexes = [IndexHolder(Settings(data_dir=data_dir, dense_exact_max=limit)).get()
               for limit in (0, 1 << 40)]
    hnsw, exact = (index.dense for index in indexes)
    matrix, load_s = _read(exact)
    _compare(f"{data_dir} ({len(matrix)} vectors)", hnsw, exact,
             _noisy(matrix, queries, 0.05), depth, load_s)


def _synthetic(size: int, queries: int, depth: int) -> None:
    from assistant.index.dense import DenseStore

    rng = np.random.default_rng(1)
    centres = rng.normal(size=(500, 384))
    vectors = (centres[rng.integers(0, 500, size)]
               + rng.normal(0, 0.6, (size, 384))).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        hnsw = DenseStore(None, Path(tmp), "bench-dense", exact_max=0)
        hnsw.create()
        hnsw.add([f"c{i:07d}" for i in range(size)], vectors)
        exact = DenseStore(None, Path(tmp), "bench-dense", exact_max=1 << 40)
        _, load_s = _read(exact)
        _compare(f"synthetic, {size} vectors", hnsw, exact, _noisy(vectors, queries, 0.3),
                 depth, load_s)
        exact.close()
        hnsw.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--synthetic", type=int, nargs="*", default=[])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--depth", type=int, default=50)
    args = parser.parse_args()
    if args.data_dir is None and not args.synthetic:
        parser.error("give --data-dir, --synthetic SIZE…, or both")
    if args.data_dir is not None:
        _index(args.data_dir, args.queries, args.depth)
    for size in args.synthetic:
        _synthetic(size, args.queries, args.depth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
