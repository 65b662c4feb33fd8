"""The dense store: the one module that talks to chromadb.

Embedded (``PersistentClient`` under a generation's directory) by default; a Chroma server
when ``ASSISTANT_CHROMA_URL`` is set. Every index generation gets its own collection, so a
half-built generation is never visible to readers. Chroma never embeds anything here:
collections are created with ``embedding_function=None`` and we pass vectors ourselves.

A collection of at most ``exact_max`` vectors is searched exactly: its vectors are read once
and every one is scored (``nearest``). Chroma's HNSW graph is approximate and, across
processes, not even repeatable (a rank-5 neighbour found in one process and missed in the
next, on the same files); exact search gives the same hits for the same question every time,
which is what makes an answer, an eval figure and a trained selector reproducible. It is
faster than the graph up to ~30k vectors and 0.6 ms slower at 50k (docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ..errors import ConfigError, UpstreamError


def _client(chroma_url: str | None, path: Path | None) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parsed = urlparse(chroma_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(
                f"ASSISTANT_CHROMA_URL={chroma_url!r} is not an http(s) URL; "
                "set it like http://127.0.0.1:8001 or unset it for the embedded store"
            )
        try:
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 80),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # chromadb raises plain exceptions on connect
            raise UpstreamError(f"cannot reach the Chroma server at {chroma_url}: {exc}") from exc
    if path is None:
        raise ConfigError("an embedded Chroma store needs a directory")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def nearest(matrix: np.ndarray, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The ``n`` rows of ``matrix`` (unit rows) most cosine-similar to ``vector``, best first,
    ties by row: (row, similarity) pairs."""
    norm = float(np.linalg.norm(vector))
    scores = matrix @ (np.asarray(vector, dtype=np.float32) / (norm or 1.0))
    n = min(n, scores.shape[0])
    if n <= 0:
        return []
    rows = np.argpartition(-scores, n - 1)[:n] if n < scores.shape[0] else np.arange(n)
    rows = rows[np.lexsort((rows, -scores[rows]))]
    return [(int(r), float(scores[r])) for r in rows]


class DenseStore:
    """One generation's collection of chunk vectors."""

    def __init__(self, chroma_url: str | None, path: Path | None, name: str,
                 exact_max: int = 0) -> None:
        self._client = _client(chroma_url, path)
        self.name = name
        self.exact_max = exact_max
        self._collection: Any = None
        self._count: int | None = None  # a generation's collection never changes once built
        self._exact: tuple[list[str], np.ndarray] | None = None  # ids, unit rows
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the client (an embedded store stops once no client uses its directory)."""
        close = getattr(self._client, "close", None)
        self._collection = None
        self._exact = None
        if close is not None:
            try:
                close()
            except Exception:  # closing twice, or a server already gone: nothing to release
                pass

    def _get(self) -> Any:
        if self._collection is None:
            self._collection = self._client.get_collection(self.name, embedding_function=None)
        return self._collection

    def create(self) -> None:
        """Create the (empty) collection, replacing a leftover of the same name."""
        try:
            self._client.delete_collection(self.name)
        except Exception:  # absent: nothing to replace
            pass
        self._count = None
        self._exact = None
        self._collection = self._client.create_collection(
            self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def add(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors in batches the server accepts."""
        collection = self._get()
        step = max(1, min(4096, self._client.get_max_batch_size()))
        for i in range(0, len(ids), step):
            collection.add(ids=list(ids[i : i + step]), embeddings=vectors[i : i + step])
        self._count = None
        self._exact = None

    def vectors(self) -> tuple[list[str], np.ndarray]:
        """Every id and its unit vector, read from the store once (ids sorted)."""
        with self._lock:
            if self._exact is None:
                collection = self._get()
                step = max(1, min(4096, self._client.get_max_batch_size()))
                ids: list[str] = []
                rows: list[np.ndarray] = []
                while True:  # page by page until a short page
                    got = collection.get(include=["embeddings"], limit=step, offset=len(ids))
                    if len(got["ids"]):
                        ids += got["ids"]
                        rows.append(np.asarray(got["embeddings"], dtype=np.float32))
                    if len(got["ids"]) < step:
                        break
                matrix = np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)
                order = sorted(range(len(ids)), key=ids.__getitem__)
                matrix = matrix[order]
                matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
                self._exact = ([ids[i] for i in order], matrix)
            return self._exact

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The ``n`` nearest chunk ids with cosine similarity, best first: exact when the
        collection holds at most ``exact_max`` vectors, else Chroma's HNSW search."""
        collection = self._get()
        if self._count is None:
            self._count = int(collection.count())
        total = self._count
        if total == 0:
            return []
        if total <= self.exact_max:
            ids, matrix = self.vectors()
            return [(ids[row], score) for row, score in nearest(matrix, vector, n)]
        result = collection.query(
            query_embeddings=[vector], n_results=min(n, total), include=["distances"]
        )
        ids = result["ids"][0]
        distances = result["distances"][0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def drop_others(self, prefix: str, keep: set[str]) -> list[str]:
        """Drop collections named ``prefix…`` that are not in ``keep``; return their names."""
        dropped = []
        for col in self._client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(prefix) and name not in keep:
                self._client.delete_collection(name)
                dropped.append(name)
        return dropped
