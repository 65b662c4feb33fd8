"""RRF against a brute-force computation on random rankings."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.retrieve.fusion import fuse


def brute_force_rrf(rankings: list[list[str]], k: int) -> dict[str, float]:
    ids = {d for r in rankings for d in r}
    scores = {}
    for d in ids:
        total = 0.0
        for r in rankings:
            if d in r:
                total += 1.0 / (k + r.index(d) + 1)
        scores[d] = total
    return scores


@given(
    st.lists(
        st.lists(st.sampled_from([f"d{i}" for i in range(40)]), unique=True, max_size=30),
        min_size=1,
        max_size=4,
    ),
    st.integers(min_value=1, max_value=100),
)
def test_rrf_equals_brute_force(rankings: list[list[str]], k: int) -> None:
    fused = fuse(rankings, k=k)
    expected = brute_force_rrf(rankings, k)
    assert {d for d, _ in fused} == set(expected)
    for d, score in fused:
        assert score == pytest.approx(expected[d], rel=1e-12)
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True)


def test_rrf_rewards_agreement() -> None:
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(20)]
    a = rng.sample(docs, len(docs))
    b = [a[5]] + [d for d in rng.sample(docs, len(docs)) if d != a[5]]
    fused = fuse([a, b], k=60)
    # a[5] is 6th in one ranking and 1st in the other: it beats a[0] unless a[0] is high in b.
    assert fused[0][0] in {a[0], a[5]}
    assert fused[0][1] == pytest.approx(max(brute_force_rrf([a, b], 60).values()))


def test_rrf_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be positive"):
        fuse([["a"]], k=0)
