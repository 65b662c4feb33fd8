"""Group consecutive whole sentences into chunks that fit the embedding model's window."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..types import Chunk, Sentence

_JOIN_ALLOWANCE = 1  # tokens allowed for the whitespace between two sentences


def make_token_counter(model_path: str) -> Callable[[str], int]:
    """Load the Hugging Face tokenizer at ``model_path`` (offline) and return a token counter.

    The counter includes the special tokens the model adds ([CLS] and [SEP] for BERT-style
    models), so it measures what the embedding model sees.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)

    def count_tokens(text: str) -> int:
        encoded = tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)
        return len(encoded["input_ids"])

    return count_tokens


def chunk_sentences(
    doc_id: str,
    text: str,
    sentences: Sequence[Sentence],
    count_tokens: Callable[[str], int],
    max_tokens: int = 200,
    overlap: int = 1,
) -> list[Chunk]:
    """Pack consecutive whole sentences into chunks of at most ``max_tokens`` tokens.

    Each sentence is counted once; a chunk's size is estimated as the fixed overhead
    (``count_tokens("")``, the special tokens) plus each sentence's own tokens plus one token per
    join, which is exact or slightly conservative for WordPiece tokenizers. Consecutive chunks
    share ``overlap`` sentences when the shared sentences and the next new one fit; otherwise
    they share fewer, so every chunk adds at least one sentence the previous one lacked.
    A sentence that alone exceeds ``max_tokens`` becomes a chunk by itself: the embedding model
    truncates it, but it stays quotable and searchable by BM25.

    Args:
        doc_id: the document's id; chunk ids are ``f"{doc_id}:{ordinal}"``.
        text: the cleaned text the sentences' offsets point into.
        sentences: the document's sentences, in order.
        count_tokens: tokens of a string, special tokens included.
        max_tokens: the chunk budget, at least 1.
        overlap: sentences shared by consecutive chunks, at least 0.

    Returns:
        Chunks numbered from 0, each with ``text == text[start:end]``.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if overlap < 0:
        raise ValueError(f"overlap must be 0 or more, got {overlap}")
    if not sentences:
        return []
    fixed = max(0, count_tokens(""))
    own = [max(0, count_tokens(s.text) - fixed) for s in sentences]
    chunks: list[Chunk] = []
    for first, last in _packed(own, fixed, max_tokens, overlap):
        start, end = sentences[first].start, sentences[last].end
        chunks.append(
            Chunk(
                chunk_id=f"{doc_id}:{len(chunks)}",
                doc_id=doc_id,
                ordinal=len(chunks),
                start=start,
                end=end,
                text=text[start:end],
                first_sentence=sentences[first].ordinal,
                last_sentence=sentences[last].ordinal,
            )
        )
    return chunks


def _packed(own: Sequence[int], fixed: int, max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """(first, last) sentence indexes, inclusive, of each chunk: sentences of ``own`` tokens
    packed greedily under ``max_tokens``, consecutive chunks sharing up to ``overlap``."""

    def size(first: int, last: int) -> int:  # inclusive, estimated as chunk_sentences says
        return fixed + sum(own[first : last + 1]) + _JOIN_ALLOWANCE * (last - first)

    spans: list[tuple[int, int]] = []
    first = 0
    while True:
        last = first
        total = size(first, last)
        while last + 1 < len(own):
            grown = total + _JOIN_ALLOWANCE + own[last + 1]
            if grown > max_tokens:
                break
            last += 1
            total = grown
        spans.append((first, last))
        if last + 1 >= len(own):
            return spans
        # The next chunk must hold sentence last + 1; give up shared sentences until it fits.
        following = max(first + 1, last + 1 - overlap)
        while following <= last and size(following, last + 1) > max_tokens:
            following += 1
        first = following
