"""The small frozen values that cross module boundaries.

Offsets are ``[start, end)`` in Unicode code points into a document's *cleaned* text, the text
that is stored and served by ``GET /v1/documents/{id}/text``; ``text[start:end]`` round-trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Span:
    """A half-open ``[start, end)`` range of code points."""

    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """One line of a document's stored text and what it is: a heading, a paragraph, a list
    item, or a table's header line or row (``table`` numbers the document's tables from 0)."""

    kind: str  # heading | paragraph | list_item | table_header | table_row
    start: int
    end: int
    level: int = 0  # a heading's level (1 = top), a list item's depth
    table: int | None = None


@dataclass(frozen=True)
class TableCell:
    """One value of a table row, with the headers that say what it is.

    ``start``/``end`` are the value in the stored text; the row's line repeats the column
    header just before it (``header_start``/``header_end``, when there is one).
    """

    table: int
    row: int
    column: int
    start: int
    end: int
    row_header: str
    column_header: str
    header_start: int | None = None
    header_end: int | None = None


@dataclass(frozen=True)
class Page:
    """What a loader produced from one file, before sentence splitting."""

    text: str  # cleaned text: what every offset points into
    title: str | None = None
    published: str | None = None  # ISO 8601 date or date-time
    source: str | None = None  # publisher or originating organisation
    url: str | None = None
    blocks: tuple[Block, ...] = ()  # the text's structure, one block per line, in order
    cells: tuple[TableCell, ...] = ()  # every table value with its row and column headers


@dataclass(frozen=True)
class Document:
    """One stored document: its metadata and its cleaned text."""

    doc_id: str
    title: str
    text: str
    content_hash: str  # sha256 of the raw file bytes (plus metadata)
    path: str | None = None
    source: str | None = None
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence (or a clause of a very long sentence) of a document."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """Consecutive whole sentences that fit the embedding model's window."""

    chunk_id: str
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    first_sentence: int  # ordinal of its first sentence
    last_sentence: int  # ordinal of its last sentence (inclusive)


@dataclass(frozen=True)
class Quantity:
    """A number found in text, normalised.

    ``kind`` is one of: quantity (a measured amount with a unit), currency, percent,
    temperature, count (a bare number of things), year, date, number (no unit found).
    ``value`` is the point value (the midpoint is *not* used: a range has ``value=None``);
    ``low``/``high`` bound a range and equal ``value`` for a point.
    ``unit`` is normalised: "t", "USD", "%", "°C", "count", "year", "date", or the noun
    being counted for counts is kept in ``counted``.
    """

    text: str
    start: int
    end: int
    kind: str
    value: float | None
    low: float
    high: float
    unit: str
    counted: str | None = None  # for counts: the noun counted ("permits")
    iso: str | None = None  # for dates: ISO form (YYYY, YYYY-MM or YYYY-MM-DD)


@dataclass(frozen=True)
class Fact:
    """One quantity as a row of the facts table, with what it measures."""

    fact_id: str
    doc_id: str
    text: str  # the literal, equal to document text[start:end] (when start is not None)
    start: int | None
    end: int | None
    sentence_start: int | None
    sentence_end: int | None
    kind: str
    value: float | None
    low: float
    high: float
    unit: str
    subject: str  # what it is about, e.g. "North Ridge Project"
    attribute: str  # what is measured, e.g. "average grade"
    provenance: str = "extracted"  # or "curated:<file>#<row>"
    iso: str | None = None


@dataclass(frozen=True)
class Hit:
    """One fused retrieval result, with each ranking's rank and score for debugging."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    dense_score: float | None = None
    bm25_rank: int | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class Citation:
    id: int
    doc_id: str
    title: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class NumberCheck:
    """A number stated in an answer and how it was grounded."""

    text: str
    value: float | None
    unit: str
    status: str  # verified | conflict | unverified
    citation: int | None
    low: float | None = None
    high: float | None = None
    fact_id: str | None = None
    note: str | None = None
    subject: str | None = None  # what the matched fact is about (from the facts table)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    numbers: tuple[NumberCheck, ...] = ()
    standalone_question: str | None = None
    conversation_id: str | None = None
    conflict: bool = False
    related: tuple[Citation, ...] = ()  # passages shown with a refusal; never cited
    composer: str = "extractive"  # extractive | llm
    fallback_reason: str | None = None
    confidence: float | None = None  # the selector's calibrated probability that it is right
    timings_ms: dict[str, float] = field(default_factory=dict, hash=False, compare=False)

    @property
    def subjects(self) -> tuple[str, ...]:
        """What the facts behind the answer's numbers are about, in order, once each."""
        return tuple(dict.fromkeys(n.subject for n in self.numbers if n.subject))


@lru_cache(maxsize=1)
def _answer_adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(Answer)


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """``answer`` as JSON-ready data; ``answer_from_json`` reads it back to an equal ``Answer``."""
    data: dict[str, Any] = _answer_adapter().dump_python(answer, mode="json")
    return data


def answer_from_json(data: Any) -> Answer:
    """The ``Answer`` that ``answer_to_json`` wrote (a stored turn, a cached answer)."""
    answer: Answer = _answer_adapter().validate_python(data)
    return answer
