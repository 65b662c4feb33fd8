"""What a question asks: its content terms (weighted by how rare they are in the corpus), the
spellings of each that the corpus uses, its question word, its own numbers and entities.

General English only (question words); what a kind of question wants is learned by the
selector (``selector.py``), not written here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..index.loaded import Index
from ..text.entities import Entity, find_entities
from ..text.tokens import fold, tokenize

# The question word, most specific first ("how many" before "how"). Position matters little:
# "The merger was approved when?" asks the same as "When was the merger approved?".
QUESTION_WORDS = (
    "how many", "how much", "who", "whom", "whose", "when", "where", "which", "what", "why",
    "how",
)
_QUESTION_WORD_RE = tuple(
    (word, re.compile(r"\b" + word.replace(" ", r"\s+") + r"\b", re.I)) for word in QUESTION_WORDS
)
NO_QUESTION_WORD = "none"
_NUMERAL_RE = re.compile(r"\d+(?:\.\d+)?")
_YEAR_RE = re.compile(r"(?:1[5-9]|2[0-2])\d\d")
_CAPITALISED_RE = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’.-]*")


@dataclass(frozen=True)
class Question:
    """A standalone question, analysed against one index generation."""

    text: str
    terms: tuple[str, ...]  # BM25 tokens of its content words, first occurrence order
    weights: tuple[float, ...]  # each term's idf in the corpus (the highest idf if absent)
    forms: tuple[frozenset[str], ...]  # each term's spellings that count as a match
    absent: tuple[str, ...]  # terms the corpus never uses, in any spelling
    word: str  # its question word ("how many", "who", …) or "none"
    numerals: frozenset[str]  # numerals it states ("2024", "3.5"), separators dropped
    entities: tuple[Entity, ...]  # named entities, offsets into ``text``
    vector: np.ndarray  # its embedding (L2-normalised)
    names: frozenset[str] = frozenset()  # terms of capitalised words past the first word

    @property
    def years(self) -> frozenset[str]:
        return frozenset(n for n in self.numerals if _YEAR_RE.fullmatch(n))

    @property
    def total_weight(self) -> float:
        return float(sum(self.weights)) or 1.0

    def matched(self, tokens: frozenset[str] | set[str]) -> tuple[bool, ...]:
        """For each term, whether one of its spellings is among ``tokens``."""
        return tuple(bool(forms & tokens) for forms in self.forms)

    def coverage(self, tokens: frozenset[str] | set[str]) -> float:
        """Share of the question's term weight that ``tokens`` hold (idf-weighted)."""
        got = sum(w for w, hit in zip(self.weights, self.matched(tokens), strict=True) if hit)
        return got / self.total_weight


def question_word(text: str) -> str:
    """The question word of ``text`` ("how many", "who", …), or ``"none"``."""
    for word, pattern in _QUESTION_WORD_RE:
        if pattern.search(text):
            return word
    return NO_QUESTION_WORD


def name_terms(text: str) -> frozenset[str]:
    """Terms of the capitalised words of ``text`` that do not start it (likely names)."""
    found: set[str] = set()
    for match in _CAPITALISED_RE.finditer(text.strip()):
        found.update(tokenize(match.group()))
    return frozenset(found)


def numerals(text: str) -> frozenset[str]:
    """Numerals in ``text`` with thousands separators dropped ("81,000" -> "81000")."""
    return frozenset(_NUMERAL_RE.findall(re.sub(r"(?<=\d),(?=\d{3})", "", fold(text))))


# One thread runs spaCy over questions: the request thread hands it the question first
# (``entities_later``), embeds and searches meanwhile (ONNX Runtime and Chroma release the
# GIL), and collects the entities in ``analyse``. Same entities, found in the shadow of the
# retrieval instead of after it; and spaCy never runs a question on two threads at once.
_ENTITY_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="question-entities")


@lru_cache(maxsize=2048)
def entities_later(text: str) -> Future[tuple[Entity, ...]]:
    """The entities of the question ``text``, being found on the entity thread; recent
    questions' are remembered."""
    return _ENTITY_WORKER.submit(find_entities, text)


def _entities(text: str) -> tuple[Entity, ...]:
    return entities_later(text).result()


def defined_forms(terms: Sequence[str], definitions: Mapping[str, Sequence[Sequence[str]]]
                  ) -> dict[str, frozenset[str]]:
    """Other spellings the corpus's own acronym definitions give the question's terms.

    Asked by its long form ("somatic cell count"), each of its words also matches the short
    form ("scc"), which a passage may use alone; asked by its short form, it also matches the
    long form's words all present, counted as the long form's first word (so "cost" alone
    never stands in for "levelised cost of energy")."""
    asked = set(terms)
    out: dict[str, set[str]] = {}
    for short, longs in definitions.items():
        for long in longs:
            if long and set(long) <= asked and short not in asked:
                for word in long:
                    out.setdefault(word, set()).add(short)
            if short in asked and long:
                out.setdefault(short, set()).add(long[0])
    return {term: frozenset(found) for term, found in out.items()}


def analyse(text: str, index: Index, vector: np.ndarray) -> Question:
    """Analyse the standalone question ``text`` against ``index``.

    Args:
        text: the question (already cleaned and, for a follow-up, made standalone).
        index: the generation whose vocabulary and idf weigh the terms.
        vector: the question's embedding from retrieval.
    """
    vocab, idf = index.bm25.vocab, index.bm25.idf
    top = float(idf.max()) if idf.size else 1.0
    terms = tuple(dict.fromkeys(tokenize(text)))
    defined = defined_forms(terms, index.definitions)
    forms, weights, absent = [], [], []
    for term in terms:
        spellings = frozenset({term} | {m for m, _ in index.fuzzy.similar(term)}
                              | defined.get(term, frozenset()))
        known = [float(idf[vocab[f]]) for f in spellings if f in vocab]
        forms.append(spellings)
        weights.append(max(known) if known else top)
        if not known:
            absent.append(term)
    return Question(
        text=text,
        terms=terms,
        weights=tuple(weights),
        forms=tuple(forms),
        absent=tuple(absent),
        word=question_word(text),
        numerals=numerals(text),
        entities=_entities(text),
        vector=vector,
        names=name_terms(text),
    )
