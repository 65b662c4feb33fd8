"""Fitting the selector's three parts, and grouped k-fold cross-validation of the whole.

- type model: scikit-learn's multinomial ``LogisticRegression`` on (question embedding, question
  word) -> the answer's entity label. The ranker is trained on *out-of-fold* type
  probabilities (``cross_val_predict``), so it does not learn to trust in-sample ones.
- ranker: LightGBM ``lambdarank``, one query per question, questions with no answering
  candidate left out (they have nothing to rank).
- calibration: ``LogisticRegression`` on the ranker's score, its gap to the question's best
  and the candidate's evidence (``selector.calibration_inputs``) -> "this candidate answers",
  fitted on out-of-fold scores of suite questions, unanswerable ones included, and of questions
  made unanswerable (``examples.made_unanswerable``): they teach it what "the answer is not
  among these" looks like.
- threshold: the out-of-fold best-candidate probability below which a share ``false_refusal``
  of the answerable questions fall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..answer.features import Entities, base_features, with_type_fit
from ..answer.selector import (
    Calibration,
    Rankers,
    Selector,
    Stated,
    TypeModel,
    calibration_inputs,
    quoted,
    type_inputs,
)
from .examples import UNKNOWN, Example

Scored = tuple[np.ndarray, np.ndarray]  # a question's candidate scores and feature matrix

RANKER_PARAMS = {
    # Chosen by grouped cross-validation on the non-holdout groups (see the model card).
    "objective": "lambdarank",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 10,
    "deterministic": True,  # with row-wise histograms: the same examples give the same trees
    "force_row_wise": True,
    "verbose": -1,
}
RANKER_ROUNDS = 300
RANKER_SEEDS = 5  # rankers averaged (``selector.Rankers``): out-of-fold, 5 chose better than 1
#   on every source (docs/evals.md); more cost training time for little
TYPE_C = 1.0  # inverse L2 strength of the type model
CALIBRATION_TOP = 5  # candidates per question the calibration is fitted on (best first)
MADE_WEIGHT = 0.2  # a made-unanswerable question's weight in the calibration: they are many, and
#   unanswerable questions are a minority of what people ask (a tenth of the seed suite)


@dataclass
class Prepared:
    """An example with its features computed once (all but the type fit)."""

    example: Example
    base: np.ndarray
    novel: Entities  # per candidate: (label, support) of its new entities


def prepare(examples: Sequence[Example]) -> list[Prepared]:
    out = []
    for e in examples:
        assert e.index is not None
        base, novel = base_features(e.index, e.question, e.candidates)
        out.append(Prepared(e, base, novel))
    return out


def _type_rows(items: Sequence[Prepared]) -> tuple[np.ndarray, list[str]]:
    x = np.stack([type_inputs(p.example.question.vector, p.example.question.word) for p in items])
    return x, [p.example.answer_type for p in items]


def fit_type_model(items: Sequence[Prepared], seed: int) -> TypeModel:
    """Fit the answer-type model on the examples that have an answering candidate."""
    from sklearn.linear_model import LogisticRegression

    known = [p for p in items if p.example.has_answer]
    x, y = _type_rows(known)
    classes = sorted(set(y))
    if len(classes) < 2:  # one kind of answer only: it is certain
        return TypeModel(tuple(classes) or ("NONE",), np.zeros((1, x.shape[1] if len(x) else 396)),
                         np.zeros(1))
    model = LogisticRegression(C=TYPE_C, max_iter=2000, random_state=seed)
    model.fit(x, y)
    coef, intercept = model.coef_, model.intercept_
    if len(classes) == 2:  # sklearn fits one row, for the second class; softmax wants two
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    return TypeModel(tuple(str(c) for c in model.classes_), coef, intercept)


def _oof_type_probs(items: Sequence[Prepared], folds: int, seed: int) -> list[dict[str, float]]:
    """Each example's type probabilities from a type model that did not see its group."""
    groups = np.array([p.example.group for p in items])
    out: list[dict[str, float]] = [{} for _ in items]
    for train, test in _group_folds(groups, folds, seed):
        model = fit_type_model([items[i] for i in train], seed)
        for i in test:
            out[i] = model.probabilities(items[i].example.question)
    return out


def _group_folds(groups: np.ndarray, folds: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """Folds that never split a group (groups shuffled by ``seed``, then dealt round-robin by
    size so folds are about the same size)."""
    rng = np.random.default_rng(seed)
    unique = list(dict.fromkeys(groups.tolist()))
    rng.shuffle(unique)
    sizes = {g: int((groups == g).sum()) for g in unique}
    load = [0] * folds
    fold_of: dict[str, int] = {}
    for g in sorted(unique, key=lambda g: -sizes[g]):
        k = int(np.argmin(load))
        fold_of[g] = k
        load[k] += sizes[g]
    index = [fold_of[g] for g in groups.tolist()]
    return [
        ([i for i, f in enumerate(index) if f != k], [i for i, f in enumerate(index) if f == k])
        for k in range(folds)
    ]


def fold_of_groups(groups: Sequence[str], folds: int, seed: int) -> dict[str, int]:
    """group -> fold, as ``cross_validate`` deals them."""
    array = np.array(list(groups))
    out: dict[str, int] = {}
    for k, (_, test) in enumerate(_group_folds(array, folds, seed)):
        for i in test:
            out[str(array[i])] = k
    return out


def fit_ranker(matrices: Sequence[np.ndarray], labels: Sequence[np.ndarray],
               weights: Sequence[float], seed: int) -> Rankers:
    """``RANKER_SEEDS`` LightGBM lambdarank rankers over the questions that have an answering
    candidate, seeded ``seed``, ``seed + 1``, …"""
    import lightgbm

    xs, ys, sizes, ws = [], [], [], []
    for m, y, w in zip(matrices, labels, weights, strict=True):
        keep = y != UNKNOWN
        if not (y[keep] == 1).any() or keep.sum() < 2:
            continue
        xs.append(m[keep])
        ys.append(y[keep])
        sizes.append(int(keep.sum()))
        ws.append(w)
    rows, targets, row_weights = np.vstack(xs), np.concatenate(ys), np.repeat(ws, sizes)
    return Rankers(tuple(  # a Dataset each: its sampling seed is fixed once it is built
        lightgbm.train({**RANKER_PARAMS, "seed": seed + n},
                       lightgbm.Dataset(rows, targets, group=sizes, weight=row_weights),
                       num_boost_round=RANKER_ROUNDS)
        for n in range(RANKER_SEEDS)
    ))


def _calibration_rows(scored: Sequence[tuple[np.ndarray, np.ndarray]],
                      items: Sequence[Prepared]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ws = [], [], []
    for (scores, matrix), item in zip(scored, items, strict=True):
        if scores.size == 0:
            continue
        y = item.example.labels
        inputs = calibration_inputs(scores, matrix)
        for i in np.argsort(-scores, kind="stable")[:CALIBRATION_TOP]:
            if y[i] != UNKNOWN:
                xs.append(inputs[i])
                ys.append(int(y[i] == 1))
                ws.append(MADE_WEIGHT if item.example.made else 1.0)
    return np.array(xs), np.array(ys), np.array(ws)


def fit_calibration(scored: Sequence[tuple[np.ndarray, np.ndarray]],
                    items: Sequence[Prepared]) -> Calibration:
    """Logistic calibration on out-of-fold (scores, feature matrix) pairs of ``items``."""
    from sklearn.linear_model import LogisticRegression

    x, y, w = _calibration_rows(scored, items)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / scale, y, sample_weight=w)
    return Calibration(tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]),
                       tuple(float(m) for m in mean), tuple(float(v) for v in scale))


def choose_threshold(best: np.ndarray, answerable: np.ndarray, false_refusal: float) -> float:
    """The probability below which ``false_refusal`` of the answerable questions fall."""
    values = np.sort(best[answerable])
    if values.size == 0:
        return 0.5
    return float(np.quantile(values, false_refusal, method="lower"))


@dataclass(frozen=True)
class Parts:
    """A fitted type model and ranker (the selector before calibration)."""

    types: TypeModel
    ranker: Rankers

    def scores(self, item: Prepared) -> Scored:
        """The ranker's scores of ``item``'s candidates, and the features they came from."""
        if not len(item.base):
            return np.zeros(0), item.base
        probs = self.types.probabilities(item.example.question)
        matrix = with_type_fit(item.base, item.novel, probs)
        return self.ranker.predict(matrix), matrix


def fit_parts(items: Sequence[Prepared], folds: int, seed: int) -> Parts:
    """Type model and ranker on ``items``; the ranker sees out-of-fold type probabilities."""
    probs = _oof_type_probs(items, folds, seed)
    matrices = [with_type_fit(p.base, p.novel, q) for p, q in zip(items, probs, strict=True)]
    ranker = fit_ranker(matrices, [p.example.labels for p in items],
                        [p.example.weight for p in items], seed)
    return Parts(fit_type_model(items, seed), ranker)


def finish(parts: Parts, scores: Sequence[Scored], items: Sequence[Prepared],
           false_refusal: float) -> Selector:
    """Calibrate ``parts`` on out-of-fold ``scores`` of ``items`` and choose the threshold.

    Only suite questions count here: generated ones are easier than what people ask and
    would make the selector overconfident.
    """
    real = [(p, s) for p, s in zip(items, scores, strict=True) if not p.example.generated]
    items, scores = [p for p, _ in real], [s for _, s in real]
    calibration = fit_calibration(scores, items)
    best = np.array([calibration.probabilities(s, m).max() if s.size else 0.0
                     for s, m in scores])
    answerable = np.array([p.example.answerable for p in items])
    threshold = choose_threshold(best, answerable, false_refusal)
    return Selector(parts.ranker, parts.types, calibration, threshold,
                    stated=fit_stated(calibration, scores, items))


def fit_stated(calibration: Calibration, scores: Sequence[Scored],
               items: Sequence[Prepared]) -> Stated:
    """Platt scaling of the chosen candidate's probability against whether it answers, on
    out-of-fold ``scores`` of suite questions (each weighted as in the ranker, so every source
    counts alike). Identity when there is too little to fit or the fit would not be increasing
    (a map that reversed the order would change what "more confident" means)."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for (s, m), p in zip(scores, items, strict=True):
        if not s.size or p.example.made:
            continue
        top, probability = quoted(calibration, (s, m))
        xs.append(probability)
        ys.append(bool(p.example.answerable and p.example.answers[top]))
        ws.append(p.example.weight)
    if len(set(ys)) < 2:
        return Stated()
    x = np.clip(np.array(xs), 1e-6, 1 - 1e-6)
    logit = np.log(x / (1 - x)).reshape(-1, 1)
    model = LogisticRegression(C=100.0, max_iter=1000).fit(logit, ys, sample_weight=ws)
    slope = float(model.coef_[0][0])
    return Stated(slope, float(model.intercept_[0])) if slope > 0 else Stated()


@dataclass(frozen=True)
class CrossValidation:
    fold: np.ndarray  # each item's fold
    scores: list[Scored]  # each item's ranker scores from the fold model that left it out
    parts: list[Parts]  # one per fold


def cross_validate(items: Sequence[Prepared], folds: int, seed: int) -> CrossValidation:
    """Grouped k-fold: each fold's parts are fitted on the other folds and score this one."""
    groups = np.array([p.example.group for p in items])
    fold = np.zeros(len(items), dtype=int)
    scores: list[Scored] = [(np.zeros(0), p.base) for p in items]
    parts: list[Parts] = []
    for k, (train, test) in enumerate(_group_folds(groups, folds, seed)):
        fitted = fit_parts([items[i] for i in train], folds, seed)
        for i in test:
            fold[i] = k
            scores[i] = fitted.scores(items[i])
        parts.append(fitted)
    return CrossValidation(fold, scores, parts)


def in_holdout(group: str, share: float, seed: int) -> bool:
    """Whether ``group`` is held out: a fixed pseudo-random ``share`` of the groups."""
    import hashlib

    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share
