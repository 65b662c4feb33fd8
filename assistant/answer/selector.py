"""The learned selector: which candidate answers the question, and how likely it is right.

Three fitted parts, trained by ``assistant train-selector`` (``assistant/training/``) and shipped
as one small artefact (``model/``, with its model card):

1. A *type model*: multinomial logistic regression from the question's embedding and question
   word to the kind of entity its answer is (PERSON, DATE, MONEY, … or none).
2. A *ranker*: LightGBM (lambdarank) over each candidate's features (``features.py``), the type
   model's output among them; several, fitted with different seeds, their scores averaged.
3. A *calibration*: logistic regression from the ranker's score, its gap to the best score of
   the question and the candidate's question-level evidence to the probability that the
   candidate answers it, fitted out-of-fold on suite questions. The most probable candidate
   is the answer; the builder refuses when its probability is under ``threshold``, which was
   chosen out-of-fold for a target false-refusal rate.

Two fixed checks come after them: a passage about another thing than the one the question
names (``features.off_subject``) gets probability 0 and goes last, so "the grade of X" is never
answered with Y's grade, however alike the two sentences read; so does a sentence that is itself
a question (``features.asks``): it restates what is asked and states nothing.

Scoring is pure numpy plus one LightGBM prediction; nothing is trained or downloaded here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..index.loaded import Index
from .candidates import Candidate
from .features import FEATURES, WORDS, asks, candidate_features, off_subject
from .question import Question

MODEL_DIR = Path(__file__).resolve().parent / "model"
ARTEFACT = "selector.json"
FORMAT = 2  # 2: several rankers (``ranker-<n>.txt``), averaged


@dataclass(frozen=True)
class Rankers:
    """LightGBM rankers fitted alike but for their seed; a candidate's score is their mean.

    One ranker's choices move with its seed (which rows and features each tree samples): two
    retrains of one configuration differed by a few questions a suite. The mean of several
    does not, and chooses better out-of-fold (docs/evals.md)."""

    boosters: tuple[Any, ...]  # lightgbm.Booster

    def predict(self, matrix: np.ndarray, num_threads: int = 1) -> np.ndarray:
        scores = [np.asarray(b.predict(matrix, num_threads=num_threads), dtype=np.float64)
                  for b in self.boosters]
        mean: np.ndarray = np.mean(scores, axis=0)
        return mean

    def save(self, directory: Path) -> list[str]:
        """Write each booster as ``ranker-<n>.txt``; returns the file names."""
        names = [f"ranker-{n}.txt" for n in range(len(self.boosters))]
        for booster, name in zip(self.boosters, names, strict=True):
            booster.save_model(str(directory / name))
        return names


@dataclass(frozen=True)
class TypeModel:
    """P(answer is an entity of label L | question), a softmax over ``classes``."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, 384 + len(WORDS))
    intercept: np.ndarray  # (classes,)

    def probabilities(self, question: Question) -> dict[str, float]:
        x = type_inputs(question.vector, question.word)
        logits = self.coef @ x + self.intercept
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}


def type_inputs(vector: np.ndarray, word: str) -> np.ndarray:
    """The type model's input: the question embedding and a one-hot question word."""
    onehot = np.zeros(len(WORDS))
    onehot[WORDS.index(word) if word in WORDS else len(WORDS) - 1] = 1.0
    return np.concatenate([np.asarray(vector, dtype=np.float64), onehot])


CALIBRATION_INPUTS = ("score", "score_gap", "coverage", "missing_share", "missing_max",
                      "names_elsewhere",
                      "absent_share", "absent_names", "type_fit", "cosine")


def calibration_inputs(scores: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The calibration's inputs per candidate: the ranker's score, its gap to the question's
    best, and the candidate's question-level evidence (what it covers, what is missing)."""
    gap = scores.max() - scores if scores.size else scores
    columns = [matrix[:, FEATURES.index(name)] for name in CALIBRATION_INPUTS[2:]]
    if not scores.size:
        return np.zeros((0, len(CALIBRATION_INPUTS)))
    return np.column_stack([scores, gap, *columns])


@dataclass(frozen=True)
class Calibration:
    """Logistic map from ``calibration_inputs`` to the probability a candidate answers."""

    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]  # inputs are standardised with these before the logistic map
    scale: tuple[float, ...]

    def probabilities(self, scores: np.ndarray, matrix: np.ndarray) -> np.ndarray:
        if scores.size == 0:
            return scores
        x = (calibration_inputs(scores, matrix) - np.array(self.mean)) / np.array(self.scale)
        z = x @ np.array(self.coef) + self.intercept
        probability: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return probability


@dataclass(frozen=True)
class Stated:
    """The confidence an answer states: a monotone logistic map of its best candidate's
    probability, fitted out-of-fold on whether that candidate answers (Platt scaling).

    The calibration is fitted on each question's top candidates, to rank and to refuse; the
    best one's probability then says less than how often it is right. Being monotone, the map
    changes what is *said*, never which passage is chosen or whether the builder refuses."""

    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, probability: float) -> float:
        p = min(max(probability, 1e-6), 1 - 1e-6)
        z = self.slope * float(np.log(p / (1 - p))) + self.intercept
        return float(1.0 / (1.0 + np.exp(-z)))


@dataclass(frozen=True)
class Selector:
    """A loaded selector artefact."""

    ranker: Any  # Rankers (or a baseline's FeatureRanker): ``predict(matrix, num_threads)``
    types: TypeModel
    calibration: Calibration
    threshold: float  # refuse below this probability of the best candidate
    card: Mapping[str, Any] = field(default_factory=dict)
    stated: Stated = Stated()  # the confidence an answer states, from the best probability


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    probability: float  # calibrated probability that it answers the question
    score: float  # the ranker's raw score


def best_first(scores: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sort keys for ``np.lexsort``: the most probable candidate first, the ranker's score
    breaking ties. The calibration reads the ranker's score beside the question-level
    evidence and was fitted on suite questions only (the ranker mostly on generated ones), so
    its probability is the better judge of which candidate answers; it is also the one the
    refusal and the stated confidence read."""
    return (-scores, -probabilities)


def quoted(calibration: Calibration, scored: tuple[np.ndarray, np.ndarray]) -> tuple[int, float]:
    """The index of the candidate an answer quotes, from its ``(scores, matrix)``, and its
    probability; ``(-1, 0.0)`` when there is none."""
    scores, matrix = scored
    if not scores.size:
        return -1, 0.0
    probabilities = calibration.probabilities(scores, matrix)
    best = int(np.lexsort(best_first(scores, probabilities))[0])
    return best, float(probabilities[best])


def rank_candidates(
    selector: Selector, index: Index, question: Question, candidates: Sequence[Candidate]
) -> list[Choice]:
    """Score every candidate; the most probable first (``best_first``), a passage that is
    off the subject or only asks last."""
    if not candidates:
        return []
    types = selector.types.probabilities(question)
    matrix = candidate_features(index, question, candidates, types)
    # One thread: a question's few dozen rows cost LightGBM 0.3 ms alone, while waking its
    # OpenMP pool cost 1-7 ms a question (measured in benchmarks/selection.py).
    scores = np.asarray(selector.ranker.predict(matrix, num_threads=1), dtype=np.float64)
    probabilities = selector.calibration.probabilities(scores, matrix)
    # A passage about another thing than the one named, or one that only asks, is never the
    # answer, however close it reads.
    off = off_subject(index, question, candidates) | asks(candidates)
    probabilities = np.where(off, 0.0, probabilities)
    order = np.lexsort((*best_first(scores, probabilities), off))
    return [Choice(candidates[i], float(probabilities[i]), float(scores[i])) for i in order]


def save_selector(selector: Selector, directory: Path) -> None:
    """Write the artefact: the rankers' LightGBM text models and a JSON of the rest."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("ranker*.txt"):
        old.unlink()
    payload = {
        "format": FORMAT,
        "rankers": selector.ranker.save(directory),
        "features": list(FEATURES),
        "words": list(WORDS),
        "types": {
            "classes": list(selector.types.classes),
            "coef": np.round(selector.types.coef, 6).tolist(),
            "intercept": np.round(selector.types.intercept, 6).tolist(),
        },
        "calibration": {
            "inputs": list(CALIBRATION_INPUTS),
            "coef": list(selector.calibration.coef),
            "intercept": selector.calibration.intercept,
            "mean": list(selector.calibration.mean),
            "scale": list(selector.calibration.scale),
        },
        "threshold": selector.threshold,
        "stated": {"slope": selector.stated.slope, "intercept": selector.stated.intercept},
        "card": dict(selector.card),
    }
    (directory / ARTEFACT).write_text(json.dumps(payload, indent=1), encoding="utf-8")


def load_selector(directory: Path = MODEL_DIR) -> Selector:
    """Load an artefact written by ``save_selector``.

    Raises:
        ConfigError: missing, unreadable, or built for other features than this code computes.
    """
    import lightgbm

    retrain = "retrain it with `assistant train-selector`"
    try:
        payload = json.loads((directory / ARTEFACT).read_text(encoding="utf-8"))
        ranker = Rankers(tuple(lightgbm.Booster(model_file=str(directory / name))
                               for name in payload.get("rankers", ())))
    except (OSError, ValueError, TypeError, lightgbm.basic.LightGBMError) as exc:
        raise ConfigError(f"the answer selector in {directory.name}/ cannot be read ({exc}); "
                          f"{retrain}") from None
    if payload.get("format") != FORMAT or not ranker.boosters or (
        tuple(payload.get("features", ())) != FEATURES
    ) or (
        tuple(payload.get("words", ())) != WORDS
    ) or tuple(payload.get("calibration", {}).get("inputs", ())) != CALIBRATION_INPUTS:
        raise ConfigError(f"the answer selector in {directory.name}/ was built for other "
                          f"features than this version computes; {retrain}")
    types = payload["types"]
    calibration = payload["calibration"]
    return Selector(
        ranker=ranker,
        types=TypeModel(
            tuple(types["classes"]), np.array(types["coef"]), np.array(types["intercept"])
        ),
        calibration=Calibration(
            tuple(calibration["coef"]), float(calibration["intercept"]),
            tuple(calibration["mean"]), tuple(calibration["scale"]),
        ),
        threshold=float(payload["threshold"]),
        card=payload.get("card", {}),
        stated=Stated(**payload.get("stated", {})),
    )


_lock = threading.Lock()
_loaded: dict[Path, Selector] = {}


def shipped_selector(directory: Path = MODEL_DIR) -> Selector:
    """The selector in ``directory`` (default: the one shipped with the package), loaded once."""
    with _lock:
        if directory not in _loaded:
            _loaded[directory] = load_selector(directory)
        return _loaded[directory]


@dataclass(frozen=True)
class FeatureRanker:
    """A baseline ranker: one feature (``coverage`` ties broken by ``cosine``, say)."""

    column: str
    tie_break: str | None = None

    def predict(self, matrix: np.ndarray, num_threads: int = 1) -> np.ndarray:
        """Scores of the rows of ``matrix``; ``num_threads`` as LightGBM's, unused."""
        scores = matrix[:, FEATURES.index(self.column)].astype(np.float64)
        if self.tie_break is not None:
            scores = scores + 1e-3 * matrix[:, FEATURES.index(self.tie_break)]
        return scores


BASELINES = {
    "cosine": FeatureRanker("cosine"),  # the passage most similar in meaning to the question
    "coverage": FeatureRanker("coverage", "cosine"),  # most of the question's idf weight
}


def baseline_selector(name: str) -> Selector:
    """An untrained selector for comparison: ranks by one feature and never refuses.

    Raises:
        ValueError: ``name`` is not one of ``BASELINES``.
    """
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
    n = len(CALIBRATION_INPUTS)
    flat = Calibration((0.0,) * n, 0.0, (0.0,) * n, (1.0,) * n)  # every candidate p = 0.5
    return Selector(BASELINES[name], TypeModel(("NONE",), np.zeros((1, 396)), np.zeros(1)),
                    flat, threshold=0.0, card={"baseline": name})
