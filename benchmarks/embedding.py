"""The embedding model under each backend: one query, and a corpus's sentences in batches.

    .venv/bin/python benchmarks/embedding.py [--queries 300] [--corpus evals/data/tatqa/corpus]

Query: the p50/p95 of embedding one question (cache cleared each time), ONNX Runtime and
PyTorch interleaved so both meet the same machine load. Batches: texts a second over the
sentences of ``--corpus`` (default: the shipped corpus), as ingest embeds them (batches of 64,
sorted by length). Ratios are ONNX / PyTorch, measured in the same run. On a machine with a
GPU, ``--device cuda`` measures it (fp16 under PyTorch, the CUDA provider under ONNX Runtime).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"])
    args = parser.parse_args()
    models = {b: Embedder(batch_size=64, backend=b, device=args.device) for b in ("onnx", "torch")}
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
    ratio = statistics.median(times["onnx"]) / statistics.median(times["torch"])
    print(f"  onnx / torch: query p50 {ratio:.2f}x, batch throughput "
          f"{rates['onnx'] / rates['torch']:.2f}x")


if __name__ == "__main__":
    main()
