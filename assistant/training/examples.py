"""Labelled examples for the selector: a question, its candidates, which of them answer it.

Suite questions are labelled by the suite's judge (a candidate answers when it contains every
``expected`` entry; a pair of sentences only when neither sentence alone does). Generated
questions are labelled by their source sentence: it answers; another candidate that also holds
the answer is left out (unknown), the rest do not. Each example belongs to a *group*, and folds
never split a group: for ``group_by = "document"``, the questions whose evidence one document
holds (and the questions generated from it) are one group; for ``"item"``, each item (a
conversation's turns together) is one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..answer.candidates import Candidate, gather_candidates
from ..answer.features import ENTITY_LABELS
from ..answer.question import Question, analyse
from ..conversation.followup import rewrite
from ..conversation.store import Turn as StoredTurn
from ..evals.judge import contains, missing_entries, normalise
from ..evals.suite import Item, load_suite
from ..index.loaded import Index, IndexHolder
from ..retrieve.hybrid import search
from ..settings import Settings
from ..types import Answer, Sentence
from .config import Source
from .generate import generate_questions

UNKNOWN = -1  # a label left out of training (a generated question's other answers)
NO_TYPE = "NONE"  # the answer is no named entity (a clause, a description)


@dataclass(frozen=True)
class Example:
    source: str
    key: str  # "<item>" or "<item>#<turn>"; generated: "gen:<doc>:<n>"
    group: str
    question: Question
    candidates: tuple[Candidate, ...]
    labels: np.ndarray  # 1 answers, 0 does not, -1 unknown (what the ranker learns)
    answers: np.ndarray  # True where the candidate holds the answer (what the judge would say)
    answerable: bool
    answer_type: str  # entity label of the answer in a positive candidate, or NONE
    generated: bool = False
    made: bool = False  # unanswerable by construction, for calibration (see below)
    weight: float = 1.0
    index: Index | None = field(default=None, compare=False, repr=False)

    @property
    def has_answer(self) -> bool:
        return bool((self.labels == 1).any())


def _label(candidates: Sequence[Candidate], expected: Sequence[Sequence[str]]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Labels (1 for a candidate holding every expected entry, a pair only when neither half
    does) and plain containment."""
    alone = {c.key: not missing_entries(c.text, expected) for c in candidates}
    labels = np.zeros(len(candidates), dtype=np.int8)
    for i, c in enumerate(candidates):
        if not alone[c.key]:
            continue
        halves = [(c.doc.doc_id, s.ordinal, s.ordinal) for s in c.sentences]
        labels[i] = 1 if len(halves) == 1 or not any(alone.get(h) for h in halves) else 0
    return labels, np.array([alone[c.key] for c in candidates], dtype=bool)


def _answer_type(candidates: Sequence[Candidate], labels: np.ndarray, answer: str) -> str:
    """The label of the entity that states ``answer`` in the first answering candidate."""
    for c, label in zip(candidates, labels, strict=True):
        if label != 1:
            continue
        at = c.doc.text.lower().find(answer.lower(), c.start, c.end)
        if at < 0:
            continue
        for e in c.entities:
            if e.start < at + len(answer) and at < e.end:
                return e.label
        return NO_TYPE
    return NO_TYPE


def _searched(index: Index, holder: IndexHolder, question: str, settings: Settings
              ) -> tuple[Question, list[Candidate]]:
    result = search(index, holder.embedder, question, top_k_hits=settings.top_k,
                    candidates=settings.candidates, rrf_k=settings.rrf_k)
    return (analyse(result.searched, index, result.query_vector),
            gather_candidates(index, result.hits))


def _turns_of(item: Item) -> Iterator[tuple[str, str, int]]:
    """(key, standalone question, turn index) for each turn; follow-ups are rewritten from the
    earlier questions alone (no answers exist yet while training)."""
    earlier: list[StoredTurn] = []
    for n, turn in enumerate(item.turns, start=1):
        standalone = rewrite(turn.question, earlier) if earlier else turn.question
        key = f"{item.id}#{n}" if item.conversation else item.id
        earlier.append(StoredTurn(n, turn.question, standalone,
                                  Answer(question=standalone, answer="", refused=True)))
        yield key, standalone, n - 1


def suite_examples(source: Source, settings: Settings, holder: IndexHolder
                   ) -> tuple[list[Example], dict[str, str]]:
    """Examples for every turn of ``source``'s suite, grouped as the source says, and each
    document's group (for the questions generated from it)."""
    index = holder.get()
    suite = load_suite(source.suite)
    out: list[Example] = []
    for item in suite.items:
        for key, standalone, n in _turns_of(item):
            turn = item.turns[n]
            question, candidates = _searched(index, holder, standalone, settings)
            labels, answers = (
                _label(candidates, turn.expected) if turn.answerable
                else (np.zeros(len(candidates), dtype=np.int8),
                      np.zeros(len(candidates), dtype=bool))
            )
            first = turn.expected[0][0] if turn.expected else ""
            out.append(Example(
                source=source.name, key=key, group=f"{source.name}:{item.id}",
                question=question, candidates=tuple(candidates), labels=labels, answers=answers,
                answerable=turn.answerable, answer_type=_answer_type(candidates, labels, first),
                weight=source.weight, index=index,
            ))
    if source.group_by == "document":
        return _group_by_document(out, index, suite.items)
    return out, {doc_id: f"doc:{doc_id}" for doc_id in index.documents}


SPECIFIC = 3  # evidence found in at most this many documents names them; more is boilerplate


def _item_documents(item: Item, texts: dict[str, str]) -> list[str]:
    """The documents an item is about: named in its meta, else those holding its evidence
    (when few enough to be specific)."""
    if item.documents:
        return list(item.documents)
    found: set[str] = set()
    for turn in item.turns:
        wanted = turn.evidence or (turn.expected[0][0] if turn.expected else None)
        if wanted:
            needle = normalise(wanted)
            holding = [d for d, text in texts.items() if needle in text]
            if len(holding) <= SPECIFIC:
                found.update(holding)
    return sorted(found)


def _group_by_document(examples: list[Example], index: Index, items: Sequence[Item]
                       ) -> tuple[list[Example], dict[str, str]]:
    """Merge the groups of items about the same document; also each document's group."""
    parent: dict[str, str] = {}

    def find(g: str) -> str:
        while parent.setdefault(g, g) != g:
            g = parent[g]
        return g

    texts = {doc_id: normalise(doc.text) for doc_id, doc in index.documents.items()}
    for item in items:
        group = f"{examples[0].source}:{item.id}"
        for doc_id in _item_documents(item, texts):
            parent[find(group)] = find(f"doc:{doc_id}")
    groups = {doc_id: find(f"doc:{doc_id}") for doc_id in index.documents}
    return [replace(e, group=find(e.group)) for e in examples], groups


def _generated_for(sentence: Sentence, index: Index, holder: IndexHolder, settings: Settings,
                   rng: random.Random) -> Iterator[tuple[Question, list[Candidate], np.ndarray,
                                                         str]]:
    for made in generate_questions(sentence.text, rng):
        question, candidates = _searched(index, holder, made.question, settings)
        labels = np.zeros(len(candidates), dtype=np.int8)
        for i, c in enumerate(candidates):
            if c.doc.doc_id == sentence.doc_id and any(
                s.ordinal == sentence.ordinal for s in c.sentences
            ):
                labels[i] = 1 if len(c.sentences) == 1 else UNKNOWN
            elif contains(c.text, made.answer):
                labels[i] = UNKNOWN
        if (labels == 1).any():
            yield question, candidates, labels, made.kind


def generated_examples(source: Source, settings: Settings, holder: IndexHolder,
                       groups: dict[str, str], seed: int) -> list[Example]:
    """Up to ``source.generate`` generated questions per document, labelled by their source."""
    if source.generate <= 0:
        return []
    index = holder.get()
    rng = random.Random(seed)
    out: list[Example] = []
    for doc_id in sorted(index.documents):
        doc = index.documents[doc_id]
        sentences = [s for s in index.catalog.sentences(doc_id, 0, 1 << 30, doc.text)
                     if len(s.text) >= 30]
        rng.shuffle(sentences)
        made = 0
        for sentence in sentences:
            for question, candidates, labels, kind in _generated_for(
                sentence, index, holder, settings, rng
            ):
                out.append(Example(
                    source=source.name, key=f"gen:{doc_id}:{made}", group=groups[doc_id],
                    question=question, candidates=tuple(candidates), labels=labels,
                    answers=labels == 1, answerable=True,
                    answer_type=kind if kind in ENTITY_LABELS else NO_TYPE,
                    generated=True, weight=source.weight * source.generated_weight, index=index,
                ))
                made += 1
                if made >= source.generate:
                    break
            if made >= source.generate:
                break
    return out


def _without_answers(e: Example) -> Example | None:
    keep = ~e.answers
    if not keep.any():
        return None
    return replace(
        e, key=f"{e.key}:ablated",
        candidates=tuple(c for c, k in zip(e.candidates, keep, strict=True) if k),
        labels=np.zeros(int(keep.sum()), dtype=np.int8),
        answers=np.zeros(int(keep.sum()), dtype=bool), answerable=False, made=True,
    )


def made_unanswerable(examples: Sequence[Example], foreign: Sequence[Example]) -> list[Example]:
    """Questions the sources cannot answer, for calibration and refusal:

    - each answerable suite question again, without the candidates that hold its answer (what
      the selector sees when the answer is nowhere in the corpus, but its topic is);
    - ``foreign``: questions about other corpora asked of this one (already searched here).
    """
    out = []
    for e in examples:
        if not e.generated and e.answerable and e.answers.any():
            made = _without_answers(e)
            if made is not None:
                out.append(made)
    return out + list(foreign)


def foreign_examples(source: Source, questions: Sequence[tuple[str, str]], settings: Settings,
                     holder: IndexHolder) -> list[Example]:
    """``questions`` (text, group) from other sources, asked of ``source``'s corpus: none of
    its candidates answers them."""
    index = holder.get()
    out = []
    for n, (text, group) in enumerate(questions):
        question, candidates = _searched(index, holder, text, settings)
        zeros = np.zeros(len(candidates), dtype=np.int8)
        out.append(Example(
            source=source.name, key=f"foreign:{n}", group=group, question=question,
            candidates=tuple(candidates), labels=zeros, answers=zeros.astype(bool),
            answerable=False, answer_type=NO_TYPE, made=True, index=index,
        ))
    return out


def training_settings(work_dir: Path, source: Source, base: Settings) -> Settings:
    """Settings whose data dir holds ``source``'s corpus (under ``work_dir``)."""
    return base.model_copy(update={"data_dir": work_dir / source.name})
