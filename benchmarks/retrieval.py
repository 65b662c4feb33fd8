"""Ingest throughput and fused retrieval latency at 1k, 10k and 100k chunks.

    .venv/bin/python benchmarks/retrieval.py [--sizes 1000 10000 100000] [--queries 200]

Ingest throughput runs the real pipeline with the real model on a synthetic corpus of about
``--ingest-chunks`` chunks. For the retrieval sizes the chunk vectors are random unit vectors
(embedding 100k chunks would take the model most of an hour on 2 cores); everything else is
real: the pipeline, the catalog, BM25 postings, Chroma's HNSW index, and the real model for
each query. Figures are medians/percentiles of per-query wall time, and each stage is also
given as a ratio to the query-embedding time measured in the same run (the machine is shared
and noisy, so ratios travel better than milliseconds).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.index.embeddings import DIMENSIONS, Embedder
from assistant.index.loaded import IndexHolder
from assistant.ingest.pipeline import ingest
from assistant.retrieve.hybrid import retrieve
from assistant.settings import Settings

SYLLABLES = ["ka", "ru", "to", "mi", "ne", "sa", "lo", "ve", "di", "pa", "zu", "qe", "ri", "mo"]
UNITS = ["tons", "%", "million tons", "permits", "km"]


class RandomVectors(Embedder):
    """Real tokenizer for chunking, random unit vectors instead of the model's (benchmark only)."""

    def __init__(self) -> None:
        super().__init__()
        self.rng = np.random.default_rng(0)

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None):
        v = self.rng.standard_normal((len(texts), DIMENSIONS)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        if progress:
            progress(len(texts))
        return v


def vocabulary(rng: random.Random, n: int) -> list[str]:
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def write_corpus(root: Path, chunks: int, seed: int = 1) -> list[str]:
    """About ``chunks`` chunks: documents of 30 sentences (~15 chunks each)."""
    rng = random.Random(seed)
    words = vocabulary(rng, 20_000)
    weights = [1.0 / (i + 1) ** 1.05 for i in range(len(words))]
    root.mkdir(parents=True)
    docs = max(1, chunks // 15)
    sentences_out = []
    for d in range(docs):
        paragraph = []
        for _ in range(30):
            body = rng.choices(words, weights, k=rng.randint(12, 22))
            body[0] = body[0].capitalize()
            sentence = " ".join(body) + f" reached {rng.randint(2, 9999)} {rng.choice(UNITS)}."
            paragraph.append(sentence)
        (root / f"doc-{d:06d}.txt").write_text(" ".join(paragraph) + "\n", encoding="utf-8")
        sentences_out.extend(paragraph[:2])
    return sentences_out


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_ingest(work: Path, chunks: int) -> None:
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    corpus = work / "ingest-corpus"
    write_corpus(corpus, chunks, seed=7)
    embedder = Embedder()
    embedder.warm()
    settings = Settings(data_dir=work / "ingest-data")
    t0 = time.perf_counter()
    report = ingest([corpus], settings, embedder=embedder)
    seconds = time.perf_counter() - t0
    print(
        f"ingest (real model): {report.chunks} chunks in {seconds:.1f} s = "
        f"{report.chunks / seconds:.1f} chunks/s; embedding {report.embed_seconds:.1f} s "
        f"({100 * report.embed_seconds / seconds:.0f}% of the time)"
    )


def bench_size(work: Path, chunks: int, queries: int, embedder: Embedder) -> None:
    corpus = work / f"corpus-{chunks}"
    settings = Settings(data_dir=work / f"data-{chunks}")
    if corpus.exists():  # --work DIR kept from an earlier run: reuse its index
        samples = [
            s + "."
            for p in sorted(corpus.iterdir())[: max(1, chunks // 15)]
            for s in p.read_text(encoding="utf-8").split(". ")[:2]
        ]
    else:
        samples = write_corpus(corpus, chunks)
    fake = RandomVectors()
    fake._encoder = embedder._load()  # share the tokenizer; vectors stay random
    t0 = time.perf_counter()
    ingest([corpus], settings, embedder=fake)
    build = time.perf_counter() - t0
    holder = IndexHolder(settings, embedder)
    index = holder.get()
    rng = random.Random(3)
    questions = []
    for _ in range(queries):
        words = rng.choice(samples).rstrip(".").split()
        questions.append(" ".join(rng.sample(words, min(6, len(words)))))
    for q in questions[:5]:  # warm caches
        retrieve(index, embedder, q)
    stages: dict[str, list[float]] = {"embed": [], "dense": [], "bm25": [], "fuse": []}
    totals = []
    embedder._query_cache.clear()
    for q in questions:
        t = time.perf_counter()
        result = retrieve(index, embedder, q)
        totals.append((time.perf_counter() - t) * 1000)
        for k in stages:
            stages[k].append(result.timings_ms[k])
    embed_med = statistics.median(stages["embed"])
    print(f"\n{len(index.chunks)} chunks (index built in {build:.0f} s), {queries} queries")
    print(
        f"  fused retrieval: p50 {percentile(totals, 50):.1f} ms, "
        f"p95 {percentile(totals, 95):.1f} ms"
    )
    rest = [t - e for t, e in zip(totals, stages["embed"], strict=True)]
    print(
        f"  without the query embedding: p50 {percentile(rest, 50):.1f} ms, "
        f"p95 {percentile(rest, 95):.1f} ms"
    )
    for k, values in stages.items():
        print(
            f"  {k:>6}: p50 {percentile(values, 50):6.2f} ms  p95 {percentile(values, 95):6.2f} ms"
            f"  ({statistics.median(values) / embed_med:.2f}x the query embedding)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ingest-chunks", type=int, default=300)
    parser.add_argument("--work", type=Path, help="keep corpora and indexes here for reruns")
    parser.add_argument("--skip-ingest", action="store_true", help="skip the throughput run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not args.skip_ingest:
            bench_ingest(work / "throughput", args.ingest_chunks)
        embedder = Embedder()
        embedder.warm()
        for size in args.sizes:
            bench_size(work, size, args.queries, embedder)


if __name__ == "__main__":
    main()
