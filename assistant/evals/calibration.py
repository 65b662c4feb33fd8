"""Calibration: do the selector's probabilities mean what they say?

Pure functions. Confidences are binned into equal-width bins; each bin's mean confidence is set
against the share of its answers that were right. The expected calibration error (ECE) is the
count-weighted mean gap (Guo et al., 2017, "On Calibration of Modern Neural Networks").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BINS = 10


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    confidence: float  # mean predicted probability in the bin (0 when empty)
    accuracy: float  # share right in the bin (0 when empty)


@dataclass(frozen=True)
class Reliability:
    bins: tuple[Bin, ...]
    ece: float | None  # None when there is nothing to measure
    count: int


def reliability(confidences: Sequence[float], outcomes: Sequence[bool],
                bins: int = BINS) -> Reliability:
    """Bin ``confidences`` (probabilities in [0, 1]) against ``outcomes`` (right or not)."""
    if len(confidences) != len(outcomes):
        raise ValueError("confidences and outcomes must be the same length")
    table: list[Bin] = []
    total = len(confidences)
    gap = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [
            (c, o) for c, o in zip(confidences, outcomes, strict=True)
            if low <= c < high or (b == bins - 1 and c == 1.0)
        ]
        n = len(inside)
        confidence = sum(c for c, _ in inside) / n if n else 0.0
        accuracy = sum(1 for _, o in inside if o) / n if n else 0.0
        gap += n * abs(confidence - accuracy)
        table.append(Bin(low, high, n, confidence, accuracy))
    return Reliability(tuple(table), gap / total if total else None, total)
