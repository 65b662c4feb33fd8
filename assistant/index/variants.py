"""Word variants: the other forms of a word that a question's word may meet in the corpus,
each confirmed by the embedding model reading the two as one word.

Two kinds, found once per generation at ingest and stored in its catalog:

- **Spellings** of a corpus word of five letters or more: the fuzzy vocabulary's near spellings
  and shared-stem words (``bm25.FuzzyVocabulary``: "provided" -> "provide", "award" ->
  "awarded"). Letters alone also pair "company" with "compensation", "expense" with "expose"
  and "interest" with "internet": half of the pairs the TAT-QA questions met that way read as
  unrelated words to the model, and each counted as the asked word in every passage holding it.
  An English word's spellings are kept only when the model agrees; a name's (a word outside
  the model's whole-word vocabulary) all stay, since its vector says little.
- **Longer forms of a short word** (three or four letters, an English word, used by the corpus
  or not): "melt" -> "melting", "pay" -> "payment". The fuzzy rule leaves such words alone, so
  "At what temperature does X melt?" met no passage saying "melting point".

A word the corpus never uses (a misspelt name) still gets the fuzzy vocabulary's spellings at
question time: there is no vector of it to confirm them with, and repairing it is their job.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..text.words import known_words
from .bm25 import FUZZY_MIN_LEN, PREFIX_SIMILARITY, FuzzyVocabulary

SHORT_LENGTHS = (3, 4)  # the short words (a letter count) that get longer forms
SHORT_MAX_EXTRA = 5  # a longer form is at most this many letters longer ("tax" -> "taxation")
# Chosen by reading 80 random prefix pairs of the TAT-QA dev corpus's vocabulary (words, no
# questions): at 0.7 and above nearly all are one word's forms ("ship"/"shipping" 0.71,
# "hour"/"hourly" 0.80), below it mostly not ("gas"/"gaslog" 0.68, "pre"/"preapproval" 0.62).
SHORT_MIN_COSINE = 0.7
# Chosen by reading the 1,307 fuzzy pairs the TAT-QA dev questions' words met: under 0.5
# nearly all are other words ("interest"/"internet" 0.37, "increase"/"incremental" 0.43),
# from 0.5 mostly forms of one ("provided"/"provide" 0.54, "caused"/"cause" 0.63). Lower
# than the short words' bar: these pairs already share most of their letters.
SPELLING_MIN_COSINE = 0.5
VARIANT_LIMIT = 4  # the closest variants kept per word

Variant = tuple[str, float]  # (the other form, its similarity as the fuzzy vocabulary gives it)
Variants = Mapping[str, tuple[Variant, ...]]
_Pair = tuple[str, str, float, float]  # (word, form, similarity, the cosine it needs)


def short_pairs(vocab: Iterable[str]) -> list[_Pair]:
    """(short word, longer vocabulary word starting with it, …). The short words are the
    beginnings of vocabulary words, of ``SHORT_LENGTHS`` letters, that are English words (the
    embedding model's whole words), used by the corpus or not: a question may ask "melt" of a
    corpus that only says "melting"; "zorb" of "zorblax" is no word to ask."""
    words = sorted(t for t in vocab if t.isalpha())
    english = known_words()
    shorts = sorted({
        w[:n] for w in words for n in SHORT_LENGTHS
        if len(w) > n and (not english or w[:n] in english)
    })
    pairs: list[_Pair] = []
    for short in shorts:
        i = bisect.bisect_right(words, short)
        while i < len(words) and words[i].startswith(short):
            if len(words[i]) <= len(short) + SHORT_MAX_EXTRA:
                pairs.append((short, words[i], PREFIX_SIMILARITY, SHORT_MIN_COSINE))
            i += 1
    return pairs


def spelling_pairs(vocab: Iterable[str]) -> list[_Pair]:
    """(vocabulary word, a spelling the fuzzy vocabulary finds for it, …), for every word
    the fuzzy vocabulary expands. Only an English word's spellings need the model's
    agreement: a name ("Morpal", spelt "Morapar" elsewhere in the same document) is cut into
    sub-word pieces whose vector says little about it, so its spellings stay the letters'."""
    terms = list(vocab)
    english = known_words()
    fuzzy = FuzzyVocabulary(dict.fromkeys(terms, 0))
    return [
        (term, form, similarity, SPELLING_MIN_COSINE if term in english else -1.0)
        for term in terms if len(term) >= FUZZY_MIN_LEN and term.isalpha()
        for form, similarity in fuzzy.similar(term)
    ]


def word_variants(
    vocab: Iterable[str], embed: Callable[[Sequence[str]], np.ndarray]
) -> dict[str, tuple[Variant, ...]]:
    """Each word's confirmed variants in ``vocab``, closest first.

    Args:
        vocab: the generation's BM25 terms.
        embed: L2-normalised vectors of the given words, one row each.
    """
    terms = list(vocab)
    pairs = short_pairs(terms) + spelling_pairs(terms)
    if not pairs:
        return {}
    words = sorted({w for word, form, _, _ in pairs for w in (word, form)})
    row = {w: i for i, w in enumerate(words)}
    vectors = embed(words)
    found: dict[str, list[tuple[float, str, float]]] = {}
    for word, form, similarity, needed in pairs:
        cosine = float(vectors[row[word]] @ vectors[row[form]])
        if cosine >= needed:
            found.setdefault(word, []).append((cosine, form, similarity))
    return {
        word: tuple((form, similarity) for _, form, similarity
                    in sorted(close, key=lambda p: (-p[0], p[1]))[:VARIANT_LIMIT])
        for word, close in sorted(found.items())
    }


def dump_variants(variants: Variants) -> str:
    return json.dumps({word: [list(v) for v in forms] for word, forms in variants.items()})


def read_variants(stored: str | None) -> dict[str, tuple[Variant, ...]] | None:
    """Variants stored by ``dump_variants``; None for a generation written before them."""
    if stored is None:
        return None
    return {word: tuple((str(f), float(s)) for f, s in forms)
            for word, forms in json.loads(stored).items()}
