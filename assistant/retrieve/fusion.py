"""Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): a pure function."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def fuse(rankings: Sequence[Sequence[K]], k: int = 60) -> list[tuple[K, float]]:
    """Fuse rankings by RRF: ``score(d) = sum over rankings of 1 / (k + rank(d))``, rank from 1.

    Args:
        rankings: each a sequence of ids, best first; an id absent from a ranking adds nothing.
        k: the RRF constant (60 in the paper).

    Returns:
        (id, score) pairs, best first; ties keep the order of first appearance.
    """
    if k <= 0:
        raise ValueError(f"k must be positive, got {k}")
    scores: dict[K, float] = {}
    for ranking in rankings:
        seen: set[K] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    order = {key: i for i, key in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
