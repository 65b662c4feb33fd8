"""Candidate answers: the sentences of the retrieved chunks, each with what it holds.

A candidate is a span of one document that an answer could quote: one sentence, or a sentence
with the one after it when they sit in the same paragraph (a subject named in one and its value
in the next). It carries the facts and named entities inside it (stored at ingest), the hit it
came from, and the paragraph's earlier sentences, which often name what a sentence is about.
It also carries its setting (``text/outline.py``): the kind of line it is on, the headings it
sits under, and the sentence before it when it opens with a pronoun ("Its manager, …").
Headings and a table's header line are never candidates: they name a subject and state nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..index.loaded import Index
from ..text.entities import Entity
from ..text.outline import NOT_ANSWERS, PARAGRAPH, Outline, refers_back
from ..types import Document, Fact, Hit, Sentence

CONTEXT_SENTENCES = 3  # earlier sentences of the paragraph kept as context


@dataclass(frozen=True)
class Candidate:
    """A quotable span: one sentence, or two adjacent sentences of one paragraph."""

    doc: Document
    sentences: tuple[Sentence, ...]
    hit: Hit
    hit_rank: int  # 1 = the best fused hit
    facts: tuple[Fact, ...]  # facts whose literal lies inside the span
    entities: tuple[Entity, ...]  # named entities inside the span, document offsets
    context: tuple[Sentence, ...]  # earlier sentences of the same paragraph, nearest last
    kind: str = PARAGRAPH  # the line it starts on: paragraph, list_item, table_row
    section: tuple[str, ...] = ()  # the headings above it, outermost first
    antecedent: Sentence | None = None  # the sentence a leading pronoun points back to

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    @property
    def text(self) -> str:
        return self.doc.text[self.start : self.end]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.doc.doc_id, self.sentences[0].ordinal, self.sentences[-1].ordinal)

    def entity_text(self, entity: Entity) -> str:
        return self.doc.text[entity.start : entity.end]


def _same_paragraph(text: str, a: Sentence, b: Sentence) -> bool:
    return "\n" not in text[a.end : b.start]


def _context(text: str, sentences: Sequence[Sentence], i: int) -> tuple[Sentence, ...]:
    first = i
    while first > 0 and i - first < CONTEXT_SENTENCES and _same_paragraph(
        text, sentences[first - 1], sentences[first]
    ):
        first -= 1
    return tuple(sentences[first:i])


_Located = TypeVar("_Located", Fact, Entity)


def _inside(items: Sequence[_Located], start: int, end: int) -> tuple[_Located, ...]:
    """The items lying wholly within [start, end)."""
    return tuple(
        x for x in items if x.start is not None and x.end is not None
        and start <= x.start and x.end <= end
    )


def _antecedent(sentences: Sequence[Sentence], i: int, outline: Outline) -> Sentence | None:
    """The sentence before ``sentences[i]`` when that one opens with a pronoun pointing back,
    unless it is a heading (which is the candidate's section already)."""
    if i == 0 or not refers_back(sentences[i].text):
        return None
    previous = sentences[i - 1]
    return None if outline.at(previous.start)[0] in NOT_ANSWERS else previous


def _spans(text: str, sentences: Sequence[Sentence], i: int, pairs: bool
           ) -> list[tuple[Sentence, ...]]:
    spans: list[tuple[Sentence, ...]] = [(sentences[i],)]
    if pairs and i + 1 < len(sentences) and _same_paragraph(text, sentences[i], sentences[i + 1]):
        spans.append((sentences[i], sentences[i + 1]))
    return spans


def gather_candidates(index: Index, hits: Sequence[Hit], pairs: bool = True) -> list[Candidate]:
    """Every sentence of ``hits`` (once, under its best hit), plus adjacent pairs.

    Args:
        index: the generation the hits come from.
        hits: fused retrieval hits, best first.
        pairs: also offer each sentence together with the next one of its paragraph.
    """
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    for rank, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        doc = index.documents[chunk.doc_id]
        outline = index.outline(doc.doc_id)
        first = max(0, chunk.first_sentence - CONTEXT_SENTENCES)
        sentences = index.catalog.sentences(doc.doc_id, first, chunk.last_sentence + 1, doc.text)
        facts = index.catalog.facts_between(doc.doc_id, sentences[0].start, sentences[-1].end)
        entities = index.catalog.entities_between(
            doc.doc_id, sentences[0].start, sentences[-1].end
        )
        for i, sentence in enumerate(sentences):
            if not chunk.first_sentence <= sentence.ordinal <= chunk.last_sentence:
                continue
            kind, section = outline.at(sentence.start)
            if kind in NOT_ANSWERS:
                continue
            for span in _spans(doc.text, sentences, i, pairs):
                key = (doc.doc_id, span[0].ordinal, span[-1].ordinal)
                if key in seen:
                    continue
                seen.add(key)
                start, end = span[0].start, span[-1].end
                out.append(Candidate(
                    doc=doc, sentences=span, hit=hit, hit_rank=rank,
                    facts=_inside(facts, start, end), entities=_inside(entities, start, end),
                    context=_context(doc.text, sentences, i), kind=kind, section=section,
                    antecedent=_antecedent(sentences, i, outline),
                ))
    return out
