"""Our hybrid retrieval beside a naive one, in one process, on the same corpus and queries.

    .venv/bin/python benchmarks/side_by_side.py [--chunks 10000] [--queries 200] [--work DIR]

Naive: rank-bm25's full ``get_scores`` over every chunk, the query embedded by PyTorch
(sentence-transformers), exact cosine against every chunk vector, the two top-50 lists fused by
the same RRF. Ours: ``assistant.retrieve.hybrid.retrieve`` (BM25 scored only over the postings
of the query's terms, Chroma's HNSW index, the query embedded by ONNX Runtime). Both see the
same chunk vectors (random unit vectors, as in benchmarks/retrieval.py: embedding 10k chunks
would take the model an hour on 2 cores) and the same real query embeddings' model. Printed:
medians and p95 of each, per stage, and ours/naive ratios measured in the same run; and how
often the two agree on the top 5.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi
from retrieval import RandomVectors, percentile, write_corpus

from assistant.index.catalog import Catalog
from assistant.index.embeddings import Embedder, EmbeddingCache, text_key
from assistant.index.layout import DataDir
from assistant.index.loaded import IndexHolder
from assistant.ingest.pipeline import ingest
from assistant.retrieve.fusion import fuse
from assistant.retrieve.hybrid import retrieve
from assistant.settings import Settings
from assistant.text.tokens import tokenize


class Naive:
    """The textbook pipeline over the same chunks and vectors."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        data = DataDir(settings.data_dir)
        catalog = Catalog(data.path(data.current() or "") / "catalog.sqlite", readonly=True)
        chunks = catalog.chunks()
        catalog.close()
        self.ids = [c.chunk_id for c in chunks]
        self.bm25 = BM25Okapi([tokenize(c.text) for c in chunks])
        cache = EmbeddingCache(data.embedding_cache)
        found = cache.get_many([text_key(c.text) for c in chunks])
        cache.close()
        self.matrix = np.stack([found[text_key(c.text)] for c in chunks])
        self.embedder = embedder

    def search(self, question: str, depth: int = 50) -> tuple[list[str], dict[str, float]]:
        t0 = time.perf_counter()
        vector = self.embedder.embed_query(question)
        t1 = time.perf_counter()
        dense = np.argsort(-(self.matrix @ vector))[:depth]
        t2 = time.perf_counter()
        lexical = np.argsort(-self.bm25.get_scores(tokenize(question)))[:depth]
        t3 = time.perf_counter()
        fused = fuse([[self.ids[i] for i in dense], [self.ids[i] for i in lexical]])
        t4 = time.perf_counter()
        ms = {"embed": t1 - t0, "dense": t2 - t1, "bm25": t3 - t2, "fuse": t4 - t3}
        return [cid for cid, _ in fused[:8]], {k: v * 1000 for k, v in ms.items()}


def _questions(samples: list[str], n: int) -> list[str]:
    rng = random.Random(3)
    out = []
    for _ in range(n):
        words = rng.choice(samples).rstrip(".").split()
        out.append(" ".join(rng.sample(words, min(6, len(words)))))
    return out


def _build(work: Path, chunks: int) -> tuple[Settings, list[str]]:
    corpus, settings = work / f"corpus-{chunks}", Settings(data_dir=work / f"data-{chunks}")
    samples = write_corpus(corpus, chunks) if not corpus.exists() else [
        s + "." for p in sorted(corpus.iterdir())[: max(1, chunks // 15)]
        for s in p.read_text(encoding="utf-8").split(". ")[:2]
    ]
    fake = RandomVectors()
    ingest([corpus], settings, embedder=fake)
    return settings, samples


def _report(name: str, totals: list[float], stages: dict[str, list[float]]) -> None:
    print(f"  {name:>5}: p50 {percentile(totals, 50):7.2f} ms  p95 {percentile(totals, 95):7.2f} ms"
          + "".join(f"   {k} {statistics.median(v):6.2f}" for k, v in stages.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path, help="keep the corpus and index here for reruns")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        settings, samples = _build(work, args.chunks)
        ours_model, torch_model = Embedder(backend="onnx"), Embedder(backend="torch")
        ours_model.warm(), torch_model.warm()
        index = IndexHolder(settings, ours_model).get()
        naive = Naive(settings, torch_model)
        questions = _questions(samples, args.queries)
        for q in questions[:5]:  # warm caches
            retrieve(index, ours_model, q), naive.search(q)
        ours_model._query_cache.clear(), torch_model._query_cache.clear()
        mine: dict[str, list[float]] = {"embed": [], "dense": [], "bm25": [], "fuse": []}
        theirs: dict[str, list[float]] = {k: [] for k in mine}
        ours_total, naive_total, agree = [], [], 0
        for q in questions:  # interleaved, so both meet the same machine load
            t = time.perf_counter()
            result = retrieve(index, ours_model, q)
            ours_total.append((time.perf_counter() - t) * 1000)
            for k in mine:
                mine[k].append(result.timings_ms[k])
            t = time.perf_counter()
            top, stages = naive.search(q)
            naive_total.append((time.perf_counter() - t) * 1000)
            for k in theirs:
                theirs[k].append(stages[k])
            agree += len({h.chunk.chunk_id for h in result.hits[:5]} & set(top[:5]))
        print(f"{len(naive.ids):,} chunks, {len(questions)} queries (ms; stage medians)")
        _report("ours", ours_total, mine)
        _report("naive", naive_total, theirs)
        p50 = statistics.median(ours_total) / statistics.median(naive_total)
        p95 = percentile(ours_total, 95) / percentile(naive_total, 95)
        embed = statistics.median(mine["embed"]) / statistics.median(theirs["embed"])
        print(f"  ours / naive: p50 {p50:.2f}x, p95 {p95:.2f}x; query embedding ONNX / PyTorch "
              f"{embed:.2f}x; top-5 overlap {agree / (5 * len(questions)):.0%}")


if __name__ == "__main__":
    main()
