"""Spelling: a question word the corpus never uses, and that is no common English word, is
replaced by the corpus's nearest spelling of it (rapidfuzz, through the index's fuzzy
vocabulary), so both the embedding and BM25 see the word the documents use.

"Zorblaxx" becomes "zorblax" when the corpus says "Zorblax"; "founded" stays, even if no
document uses it: it is a word, not a misspelling, and the selector weighs its absence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..index.loaded import Index
from ..text.tokens import tokenize

MIN_LENGTH = 5  # shorter words are too ambiguous to correct
MIN_SIMILARITY = 0.8  # rapidfuzz ratio / 100 of the corpus spelling to the question's
COMMON_ZIPF = 3.0  # words at least this frequent in general English are not misspellings
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


@dataclass(frozen=True)
class Correction:
    word: str  # as asked
    corrected: str  # the corpus's spelling (BM25 form: lower case, light stem)


def _is_common(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= COMMON_ZIPF


def _correction(word: str, index: Index) -> Correction | None:
    tokens = tokenize(word)
    if len(tokens) != 1 or len(word) < MIN_LENGTH or not word.isalpha():
        return None
    token = tokens[0]
    if token in index.bm25.vocab or _is_common(word):
        return None
    similar = [(m, s) for m, s in index.fuzzy.similar(token) if s >= MIN_SIMILARITY]
    if not similar:
        return None
    best, _ = max(similar, key=lambda pair: (pair[1], -abs(len(pair[0]) - len(token))))
    return Correction(word, best)


def correct_spelling(question: str, index: Index) -> tuple[str, tuple[Correction, ...]]:
    """``question`` with misspelt words replaced, and what was replaced."""
    corrections: list[Correction] = []
    out: list[str] = []
    last = 0
    for match in _WORD_RE.finditer(question):
        fixed = _correction(match.group(), index)
        if fixed is None:
            continue
        corrections.append(fixed)
        out.append(question[last : match.start()])
        out.append(fixed.corrected)
        last = match.end()
    if not corrections:
        return question, ()
    out.append(question[last:])
    return "".join(out), tuple(corrections)
