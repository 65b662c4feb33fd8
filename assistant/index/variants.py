"""Word variants: a short word of a question meets the corpus's longer forms of it ("melt" ->
"melting", "pay" -> "payment", "hour" -> "hourly"), but only those the embedding model reads
as the same word ("gas" -> "gaslog" and "car" -> "carolina" share the letters, not the sense).

Words of five letters or more already meet their shared-stem spellings through the fuzzy
vocabulary (``bm25.FuzzyVocabulary``); for shorter ones a shared prefix alone says too little,
so each pair is confirmed by the cosine of the two words' embeddings. Found once per
generation at ingest, for every short word of the vocabulary, and stored in its catalog.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..text.words import known_words

VARIANT_LENGTHS = (3, 4)  # the short words (a letter count) that get variants
VARIANT_MAX_EXTRA = 5  # a variant is at most this many letters longer ("tax" -> "taxation")
# Chosen by reading 80 random prefix pairs of the TAT-QA dev corpus's vocabulary (words, no
# questions): at 0.7 and above nearly all are one word's forms ("ship"/"shipping" 0.71,
# "hour"/"hourly" 0.80), below it mostly not ("gas"/"gaslog" 0.68, "pre"/"preapproval" 0.62).
VARIANT_MIN_COSINE = 0.7
VARIANT_LIMIT = 4  # the closest variants kept per word

Variants = Mapping[str, tuple[str, ...]]


def prefix_pairs(vocab: Iterable[str]) -> list[tuple[str, str]]:
    """(short word, longer vocabulary word starting with it). The short words are the
    beginnings of vocabulary words, of ``VARIANT_LENGTHS`` letters, that are English words (the
    embedding model's whole words), used by the corpus or not: a question may ask "melt" of a
    corpus that only says "melting"; "zorb" of "zorblax" is no word to ask."""
    words = sorted(t for t in vocab if t.isalpha())
    english = known_words()
    shorts = sorted({
        w[:n] for w in words for n in VARIANT_LENGTHS
        if len(w) > n and (not english or w[:n] in english)
    })
    pairs: list[tuple[str, str]] = []
    for short in shorts:
        i = bisect.bisect_right(words, short)
        while i < len(words) and words[i].startswith(short):
            if len(words[i]) <= len(short) + VARIANT_MAX_EXTRA:
                pairs.append((short, words[i]))
            i += 1
    return pairs


def word_variants(
    vocab: Iterable[str], embed: Callable[[Sequence[str]], np.ndarray]
) -> dict[str, tuple[str, ...]]:
    """Each short word's variants in ``vocab``, closest first.

    Args:
        vocab: the generation's BM25 terms.
        embed: L2-normalised vectors of the given words, one row each.
    """
    pairs = prefix_pairs(vocab)
    if not pairs:
        return {}
    words = sorted({w for pair in pairs for w in pair})
    row = {w: i for i, w in enumerate(words)}
    vectors = embed(words)
    found: dict[str, list[tuple[float, str]]] = {}
    for short, long in pairs:
        cosine = float(vectors[row[short]] @ vectors[row[long]])
        if cosine >= VARIANT_MIN_COSINE:
            found.setdefault(short, []).append((cosine, long))
    return {
        short: tuple(long for _, long in sorted(close, key=lambda p: (-p[0], p[1]))[:VARIANT_LIMIT])
        for short, close in sorted(found.items())
    }


def dump_variants(variants: Variants) -> str:
    return json.dumps({short: list(longs) for short, longs in variants.items()})


def read_variants(stored: str | None) -> dict[str, tuple[str, ...]]:
    """Variants stored by ``dump_variants``; none for a generation written before them."""
    if not stored:
        return {}
    return {short: tuple(longs) for short, longs in json.loads(stored).items()}
