"""The embedding model under each backend: one query, and a corpus's sentences in batches.

    .venv/bin/python benchmarks/embedding.py [--queries 300] [--corpus evals/data/tatqa/corpus]

Query: the p50/p95 of embedding one question (cache cleared each time), ONNX Runtime and
PyTorch interleaved so both meet the same machine load. Batches: texts a second over the
sentences of ``--corpus`` (default: the shipped corpus), as ingest embeds them (batches of 64,
sorted by length). Ratios are ONNX / PyTorch, measured in the same run. On a machine with a
GPU, ``--device cuda`` measures it (fp16 under PyTorch, the CUDA provider under ONNX Runtime).

``--old-graph PATH`` adds a third contestant, interleaved with the others: a graph exported
before the fusion (e.g. an older ``minilm-<hash>.onnx`` from a model cache) run the way it
was run then (the transformers tokenizer wrapper), so the gain of the fused graph and the
direct tokenizer is a ratio from one run. Both sessions have ONNX Runtime's thread spinning off
(the old default was on), or the interleaved runs would disturb each other.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.index.embeddings import Embedder  # noqa: E402
from assistant.ingest.sentences import split_sentences  # noqa: E402


def _questions(n: int) -> list[str]:
    from assistant.evals.suite import load_suite

    base = [t.question for item in load_suite(ROOT / "evals" / "seed.jsonl").items
            for t in item.turns]
    return [f"{base[i % len(base)]} ({i})" for i in range(n)]


def _sentences(corpus: Path, limit: int) -> list[str]:
    out: list[str] = []
    for path in sorted(corpus.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out.extend(text[s.start : s.end] for s in split_sentences(text))
        if len(out) >= limit:
            break
    return out[:limit]


class OldOnnx:
    """The unfused graph and the tokenizer wrapper, as queries were embedded before."""

    def __init__(self, graph: Path) -> None:
        import os

        import onnxruntime as ort
        from transformers import AutoTokenizer

        from assistant.index.embeddings import model_path

        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        # Not spinning, like the default session now: interleaved, a spinning pool would
        # take the cores from the next contestant's query.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(graph), options,
                                             providers=["CPUExecutionProvider"])
        self._tokenizer = AutoTokenizer.from_pretrained(model_path())
        self.name = "onnx-cpu-unfused"

    def _run(self, texts: list[str]) -> np.ndarray:
        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=256,
                                return_tensors="np")
        feed = {k: np.asarray(batch[k], dtype=np.int64)
                for k in ("input_ids", "attention_mask", "token_type_ids")}
        out: np.ndarray = self._session.run(None, feed)[0]
        return out

    def warm(self) -> None:
        self._run(["warm up"])

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([text])[0]

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i in range(0, len(order), 64):
            rows = order[i : i + 64]
            out[rows] = self._run([texts[r] for r in rows])
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    parser.add_argument("--old-graph", type=Path, default=None)
    parser.add_argument("--no-torch", action="store_true",
                        help="leave PyTorch out (its thread pool disturbs the ONNX timings)")
    args = parser.parse_args()
    backends = ("onnx",) if args.no_torch else ("onnx", "torch")
    models: dict[str, Any] = {
        b: Embedder(batch_size=64, backend=b, device=args.device) for b in backends
    }
    if args.old_graph is not None:
        models["old"] = OldOnnx(args.old_graph)
    for model in models.values():
        model.warm()
    times: dict[str, list[float]] = {b: [] for b in models}
    for question in _questions(args.queries):
        for backend, model in models.items():
            t = time.perf_counter()
            model.embed_query(question)
            times[backend].append((time.perf_counter() - t) * 1000)
    texts = _sentences(args.corpus, args.texts)
    rates = {}
    for backend, model in models.items():
        t = time.perf_counter()
        model.embed_documents(texts)
        rates[backend] = len(texts) / (time.perf_counter() - t)
    print(f"{args.queries} queries; {len(texts)} sentences of {args.corpus}")
    for backend, model in models.items():
        p50, p95 = statistics.median(times[backend]), float(np.percentile(times[backend], 95))
        print(f"  {model.name:>16}: query p50 {p50:6.2f} ms  p95 {p95:6.2f} ms   "
              f"batches {rates[backend]:7.1f} texts/s")
    if "torch" in models:
        ratio = statistics.median(times["onnx"]) / statistics.median(times["torch"])
        print(f"  onnx / torch: query p50 {ratio:.2f}x, batch throughput "
              f"{rates['onnx'] / rates['torch']:.2f}x")
    if "old" in models:
        old = statistics.median(times["onnx"]) / statistics.median(times["old"])
        print(f"  fused / unfused onnx: query p50 {old:.2f}x, batch throughput "
              f"{rates['onnx'] / rates['old']:.2f}x")


if __name__ == "__main__":
    main()
