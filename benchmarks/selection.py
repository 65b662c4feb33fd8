"""What the learned selector adds to each question, in process.

    .venv/bin/python benchmarks/selection.py [--data-dir DIR] [--suite evals/seed.jsonl]
                                             [--repeat 3]

Without ``--data-dir`` the seed corpus is ingested into a temporary data dir. For every
question of the suite (each standalone question, repeated ``--repeat`` times), retrieval runs
once and is not timed; then, timed separately:

* ``question``: analysing the question (terms, spellings, numerals, spaCy entities);
* ``candidates``: gathering the candidate passages of the top-k chunks (catalog reads);
* ``select (learned)``: features, the type model, LightGBM and the calibration;
* ``select (coverage)``: the same features with the untrained coverage baseline (so the
  learned model's own cost is the difference);
* ``build``: the whole ``build_answer`` (the three above, excerpt, conflicts, number checks).

Figures are p50/p95 per question in milliseconds and each p50 as a ratio to retrieval's p50
measured in the same run (the machine is shared and noisy; ratios travel better).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def _one(text: str, index: Any, holder: Any, learned: Any, coverage: Any) -> dict[str, float]:
    """Each step's wall time (ms) for one question."""
    from assistant.answer.builder import build_answer
    from assistant.answer.candidates import gather_candidates
    from assistant.answer.question import analyse
    from assistant.answer.selector import rank_candidates
    from assistant.retrieve.hybrid import search

    out: dict[str, float] = {}
    out["retrieval"], result = _timed(partial(search, index, holder.embedder, text))
    hits, vector, searched = result.hits, result.query_vector, result.searched
    out["question"], question = _timed(partial(analyse, searched, index, vector))
    out["candidates"], candidates = _timed(partial(gather_candidates, index, hits))
    for name, sel in (("select (learned)", learned), ("select (coverage)", coverage)):
        out[name], _ = _timed(partial(rank_candidates, sel, index, question, candidates))
    out["build"], _ = _timed(partial(build_answer, index, hits, searched, vector, learned))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--suite", type=Path, default=ROOT / "evals" / "seed.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from assistant.answer.builder import build_answer
    from assistant.answer.selector import baseline_selector, shipped_selector
    from assistant.evals.suite import load_suite
    from assistant.index.loaded import IndexHolder
    from assistant.ingest.pipeline import ingest
    from assistant.retrieve.hybrid import search
    from assistant.settings import Settings

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-selection-"))
    settings = Settings(data_dir=data_dir)
    if args.data_dir is None:
        ingest([ROOT / "corpus"], settings)
    holder = IndexHolder(settings)
    index = holder.get()
    learned, coverage = shipped_selector(), baseline_selector("coverage")
    questions = [t.question for item in load_suite(args.suite).items for t in item.turns]
    build_answer(index, search(index, holder.embedder, "warm up").hits, "warm up",
                 search(index, holder.embedder, "warm up").query_vector, learned)
    times: dict[str, list[float]] = {k: [] for k in (
        "retrieval", "question", "candidates", "select (learned)", "select (coverage)", "build")}
    for _ in range(args.repeat):
        for text in questions:
            holder.embedder._query_cache.clear()  # every retrieval embeds its question
            for name, ms in _one(text, index, holder, learned, coverage).items():
                times[name].append(ms)
    base = statistics.median(times["retrieval"])
    print(f"{len(questions)} questions x {args.repeat}, data dir {data_dir}")
    print(f"{'step':<20}{'p50 ms':>9}{'p95 ms':>9}{'p50 / retrieval':>17}")
    for name, values in times.items():
        p50 = statistics.median(values)
        print(f"{name:<20}{p50:>9.2f}{_percentile(values, 95):>9.2f}{p50 / base:>16.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
