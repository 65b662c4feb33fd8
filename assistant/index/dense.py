"""The dense store: the one module that talks to chromadb.

Embedded (``PersistentClient`` under a generation's directory) by default; a Chroma server
when ``ASSISTANT_CHROMA_URL`` is set. Every index generation gets its own collection, so a
half-built generation is never visible to readers. Chroma never embeds anything here:
collections are created with ``embedding_function=None`` and we pass vectors ourselves.
"""

from __future__ import annotations

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


class DenseStore:
    """One generation's collection of chunk vectors."""

    def __init__(self, chroma_url: str | None, path: Path | None, name: str) -> None:
        self._client = _client(chroma_url, path)
        self.name = name
        self._collection: Any = None
        self._count: int | None = None  # a generation's collection never changes once built

    def close(self) -> None:
        """Release the client (an embedded store stops once no client uses its directory)."""
        close = getattr(self._client, "close", None)
        self._collection = None
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

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """The ``n`` nearest chunk ids with cosine similarity, best first."""
        collection = self._get()
        if self._count is None:
            self._count = int(collection.count())
        total = self._count
        if total == 0:
            return []
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
