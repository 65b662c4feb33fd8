"""Our candidate-only BM25 against plain rank_bm25 scoring (the oracle)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from assistant.index.bm25 import (
    FuzzyVocabulary,
    build_bm25,
    load_bm25,
    query_weights,
    score_candidates,
    top_k,
)
from assistant.text.tokens import tokenize

WORDS = [f"w{i}" for i in range(60)]


def random_corpus(rng: random.Random, n_docs: int) -> list[list[str]]:
    # Zipf-ish: low word ids are common, so some idfs go negative and hit rank-bm25's floor.
    return [
        [
            WORDS[min(int(rng.paretovariate(1.2)) - 1, len(WORDS) - 1)]
            for _ in range(rng.randint(1, 30))
        ]
        for _ in range(n_docs)
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(2, 120),
    st.lists(st.sampled_from(WORDS + ["zz"]), min_size=1, max_size=6),
)
def test_candidate_scores_equal_rank_bm25(seed: int, n_docs: int, query: list[str]) -> None:
    corpus = random_corpus(random.Random(seed), n_docs)
    okapi = BM25Okapi(corpus)
    index = build_bm25(corpus)
    full = okapi.get_scores(query)
    ids, scores = score_candidates(index, query_weights(query))
    dense = np.zeros(n_docs)
    dense[ids] = scores
    np.testing.assert_allclose(dense, full, rtol=1e-9, atol=1e-12)
    # rank-bm25's own subset scorer agrees on the candidates
    np.testing.assert_allclose(okapi.get_batch_scores(query, ids.tolist()), scores, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=5),
    st.integers(1, 20),
)
def test_top_k_equals_full_scoring(seed: int, query: list[str], k: int) -> None:
    corpus = random_corpus(random.Random(seed), 200)
    okapi = BM25Okapi(corpus)
    full = okapi.get_scores(query)
    positive = [(i, s) for i, s in enumerate(full) if s > 0]
    expected = sorted(positive, key=lambda p: (-p[1], p[0]))[:k]
    got = top_k(build_bm25(corpus), query_weights(query), k)
    assert len(got) == len(expected)
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9)
    for i, s in got:
        assert full[i] == pytest.approx(s, rel=1e-9)
    # Every document clearly above the k-th score is in the result; only exact ties (equal up
    # to float summation order) may be broken differently.
    if expected:
        boundary = expected[-1][1]
        must = {i for i, s in positive if s > boundary * (1 + 1e-9)}
        assert must <= {i for i, _ in got}


def test_save_and_load_round_trip(tmp_path) -> None:
    corpus = random_corpus(random.Random(3), 50)
    index = build_bm25(corpus)
    from assistant.index.bm25 import save_bm25

    save_bm25(index, tmp_path)
    loaded = load_bm25(tmp_path)
    q = query_weights(["w1", "w7", "w30"])
    assert top_k(loaded, q, 10) == top_k(index, q, 10)


def test_empty_corpus_and_empty_documents() -> None:
    assert top_k(build_bm25([]), {"a": 1.0}, 5) == []
    index = build_bm25([[], ["alpha"], []])
    assert [i for i, _ in top_k(index, {"alpha": 1.0}, 5)] == [1]


def test_tokenizer_folds_hyphens_accents_subscripts_and_case() -> None:
    assert tokenize("WO₃ reserves") == ["wo3", "reserve"]
    assert tokenize("Café") == ["cafe"]
    hyphen = set(tokenize("Baku-Tau"))
    assert {"baku", "tau", "bakutau"} <= hyphen
    assert "bakutau" in tokenize("Bakutau")
    assert {"baku", "tau"} <= set(tokenize("Baku Tau"))
    assert tokenize("81,000 tons") == ["81000", "ton"]
    assert "world" in tokenize("the world's largest")


def test_fuzzy_vocabulary_finds_other_spellings() -> None:
    vocab = {t: i for i, t in enumerate(["katapar", "katpal", "deposit", "reserve", "karaganda"])}
    fuzzy = FuzzyVocabulary(vocab)
    similar = dict(fuzzy.similar("katappar"))
    assert "katapar" in similar and similar["katapar"] > 0.8
    assert "deposit" not in similar
    weights = fuzzy.expand(["katpal"])
    assert weights["katpal"] == 1.0 and 0 < weights["katapar"] < 1.0
    # short words are not expanded: too ambiguous
    assert fuzzy.similar("tau") == ()
