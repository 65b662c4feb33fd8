"""The ONNX Runtime backend gives the vectors sentence-transformers gives (issue 12, item 3):
cosine >= 0.999 on a few hundred varied texts, and the same top-5 chunks for every seed
question. Also: the export is made once and reused, batching by length keeps the order, and
bad backend or device settings are clear errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.errors import ConfigError
from assistant.evals.suite import load_suite
from assistant.index.embeddings import Embedder
from assistant.index.encoders import exported_graph

pytest_plugins = ["api_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "evals" / "seed.jsonl"


def _questions() -> list[str]:
    return [turn.question for item in load_suite(SEED).items for turn in item.turns]


def _texts() -> list[str]:
    """Sentences and clauses of the shipped corpus, the seed questions, odd shapes of text."""
    corpus = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.txt"))
    flat = corpus.replace("\n", " ")
    sentences = [s.strip() for s in flat.split(". ") if len(s.strip()) > 3]
    clauses = [c.strip() for s in sentences for c in s.split(", ") if len(c.strip()) > 3]
    odd = [
        "", "a", "42", "3.3 million tons (±5%)", "Ünïcödé façade — naïve café",
        "東京の人口は約1400万人です。", "WO₃ 0.13% - 0.15%", "https://example.org/a?b=c",
        "word " * 400,  # past the model's 256-token window: truncated alike
        "\t leading and trailing space \n",
    ]
    return list(dict.fromkeys(sentences + clauses[:150] + _questions() + odd))


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    model = Embedder(batch_size=32, backend="torch", device="cpu")
    model.warm()
    return model


def test_onnx_vectors_match_sentence_transformers(embedder: Any,
                                                   torch_embedder: Embedder) -> None:
    assert embedder.backend == "onnx" and embedder.name.startswith("onnx")
    texts = _texts()
    assert len(texts) >= 300
    onnx = embedder.embed_documents(texts)
    reference = torch_embedder.embed_documents(texts)
    cosines = (onnx * reference).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, (texts[worst][:80], float(cosines[worst]))
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)


def test_retrieval_top5_is_the_same_with_either_backend(api_settings: Any, embedder: Any,
                                                        torch_embedder: Embedder) -> None:
    from assistant.index.loaded import IndexHolder
    from assistant.retrieve.hybrid import retrieve

    index = IndexHolder(api_settings, embedder).get()
    for question in _questions():
        by_onnx = [h.chunk.chunk_id for h in retrieve(index, embedder, question).hits[:5]]
        by_torch = [h.chunk.chunk_id for h in retrieve(index, torch_embedder, question).hits[:5]]
        assert by_onnx == by_torch, question


def test_batches_by_length_keep_the_order_of_the_texts(embedder: Any) -> None:
    texts = ["a much longer sentence about the weather in the mountains", "short", "mid length"]
    together = embedder.embed_documents(texts)
    for text, row in zip(texts, together, strict=True):
        assert float(row @ embedder.embed_query(text)) > 0.9999


def test_the_export_is_made_once_and_reused(tmp_path: Path, embedder: Any) -> None:
    from assistant.index.embeddings import model_path

    cache = Path(os.environ["ASSISTANT_MODEL_CACHE_DIR"])
    first = exported_graph(model_path(), cache)  # the session's export: already there
    stamp = first.stat().st_mtime_ns
    assert exported_graph(model_path(), cache) == first
    assert first.stat().st_mtime_ns == stamp
    assert not list(cache.glob("*.partial"))


def test_the_cached_graph_is_fused(embedder: Any) -> None:
    """ONNX Runtime's BERT fusions found every layer: one Attention node a layer, no loose
    Softmax left (an export its patterns miss would still run, only slower)."""
    import onnx

    from assistant.index.embeddings import model_path
    from assistant.index.encoders import LAYERS

    cache = Path(os.environ["ASSISTANT_MODEL_CACHE_DIR"])
    graph = onnx.load(str(exported_graph(model_path(), cache)), load_external_data=False)
    ops = [node.op_type for node in graph.graph.node]
    assert ops.count("Attention") == LAYERS and "Softmax" not in ops
    assert ops.count("EmbedLayerNormalization") == 1


def test_bad_backend_and_missing_gpu_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="unknown embedding backend 'tensorflow'"):
        Embedder(backend="tensorflow")
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="ASSISTANT_DEVICE=cuda"):
        Embedder(device="cuda").warm()
