"""Features of each candidate for the selector: pure functions, candidates in, a matrix out.

Each feature is a general property of a (question, passage) pair: how much of the question's
term weight the passage holds in its setting (BM25 idf, other spellings allowed; the document's
title, the headings above the passage and the sentence a leading pronoun points back to count,
``text/outline.py``), how much it holds alone, which of the names the question asks about
other passages state and it does not, how close their meanings are
(cosine of the embeddings), where retrieval ranked it, whether it states the question's own
numbers, and whether it holds an entity of the kind the question asks for (the question's
answer-type distribution comes from the selector's learned type model). Nothing here names a
corpus, a subject or an answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..index.loaded import Index
from ..text.tokens import cached_tokens
from ..text.words import known_words
from .candidates import Candidate
from .question import QUESTION_WORDS, Question, numerals

# spaCy's entity labels a candidate's entities are counted by (OntoNotes).
ENTITY_LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
    "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
)
WORDS = (*QUESTION_WORDS, "none")

FEATURES: tuple[str, ...] = (
    "cosine", "cosine_gap", "cosine_rank",
    "coverage", "coverage_gap", "coverage_rank", "coverage_own", "coverage_context",
    "coverage_previous", "table_row", "list_item", "refers_back",
    "missing_share", "missing_max", "missing_own_max", "names_missing_own", "names_elsewhere",
    "absent_share", "absent_names", "terms",
    "hit_rank", "dense_rank", "bm25_rank", "fused",
    "length", "novel_share", "restates", "is_question", "ordinal", "pair",
    "numerals_asked", "numerals_found", "novel_numerals", "other_year",
    "question_word", "type_fit", "type_fit_sum", "novel_entities", "full_date",
    "support", "support_typed",
    *(f"entities_{label}" for label in ENTITY_LABELS),
)
# The evidence features, each also given as its distance to the question's best candidate
# (``<name>_gap``): the ranker's trees score one row at a time, and "holds more of the question
# than any other passage" is a comparison no single row shows. Measured out-of-fold against
# the selector without them (docs/evals.md); the passage's kind flags and entity counts were
# left out, adding their gaps scored lower.
RELATIVE: tuple[str, ...] = (
    "coverage_own", "coverage_context", "coverage_previous",
    "missing_share", "missing_max", "missing_own_max", "names_missing_own", "names_elsewhere",
    "fused", "length", "novel_share", "numerals_found",
    "type_fit", "type_fit_sum", "novel_entities", "full_date", "support", "support_typed",
)
FEATURES += tuple(f"{name}_gap" for name in RELATIVE)
INDEX = {name: i for i, name in enumerate(FEATURES)}
MISSING_RANK = 99.0  # a ranking that did not list the chunk


def _tokens(index: Index, candidate: Candidate) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for sentence in candidate.sentences:
        out |= index.sentence_tokens(sentence)
    return out


def _text_tokens(text: str) -> frozenset[str]:
    return frozenset(cached_tokens(text))


def _setting_tokens(index: Index, candidate: Candidate) -> frozenset[str]:
    """What the reader knows around the passage: the document's title, the headings above it,
    and the sentence a leading pronoun points back to."""
    out = _text_tokens(candidate.doc.title)
    for heading in candidate.section:
        out |= _text_tokens(heading)
    if candidate.antecedent is not None:
        out |= index.sentence_tokens(candidate.antecedent)
    return out


Read = tuple[frozenset[str], frozenset[str]]  # a candidate's own tokens, and with its setting


def _read(index: Index, candidate: Candidate) -> Read:
    own = _tokens(index, candidate)
    return own, own | _setting_tokens(index, candidate)


def _names_elsewhere(question: Question, reads: Sequence[Read]) -> np.ndarray:
    """Per candidate, the question's name weight that other candidates state but this one
    does not, even in its setting: a passage about something else than the one asked about."""
    named = [t in question.names for t in question.terms]
    if not any(named):
        return np.zeros(len(reads))
    own = [question.matched(tokens) for tokens, _ in reads]
    setting = [question.matched(around) for _, around in reads]
    stated = [any(o[j] for o in own) for j in range(len(named))]
    weight = question.total_weight
    return np.array([
        sum(w for j, w in enumerate(question.weights) if named[j] and stated[j] and not s[j])
        / weight for s in setting
    ])


def _asked_names(question: Question) -> list[int]:
    """Indices of the question's terms that name something specific: a capitalised word past
    its first that English does not use at large (a capitalised common word, "the Company's",
    names nothing in particular)."""
    common = known_words()
    return [j for j, t in enumerate(question.terms)
            if t in question.names and t.isalpha() and t not in common]


def _paragraph_tokens(index: Index, candidate: Candidate) -> frozenset[str]:
    """Tokens of the passage's paragraph, from its start to the passage's end."""
    start = candidate.doc.text.rfind("\n", 0, candidate.start) + 1
    return index.span_tokens(candidate.doc.doc_id, start, candidate.end)


def off_subject(index: Index, question: Question, candidates: Sequence[Candidate]) -> np.ndarray:
    """Per candidate, whether it is about something else than the question asks: every name
    the question asks about is stated by some retrieved passage, and none of them by this one,
    its setting (title, headings, a leading pronoun's antecedent) or its paragraph."""
    names = _asked_names(question)
    off = np.zeros(len(candidates), dtype=bool)
    if not names:
        return off
    tokens = [_tokens(index, c) for c in candidates]
    own = [question.matched(t) for t in tokens]
    stated = [sum(o[j] for o in own) for j in names]
    if not all(stated):
        return off  # a name no passage states: the learned refusal decides
    if max(stated) * 2 > len(candidates):
        return off  # a name most passages state says little about which one is meant

    def names_asked_in(words: frozenset[str]) -> bool:
        matched = question.matched(words)
        return any(matched[j] for j in names)

    for i, c in enumerate(candidates):
        off[i] = not (names_asked_in(tokens[i] | _setting_tokens(index, c))
                      or names_asked_in(_paragraph_tokens(index, c)))
    return off


def asks(candidates: Sequence[Candidate]) -> np.ndarray:
    """Per candidate, whether it is one sentence that asks a question ("What is the location of
    the final in 2022?"): it states nothing, so it answers nothing, however close it reads. A
    pair may still hold a question and the sentence that answers it."""
    return np.array([len(c.sentences) == 1 and c.text.rstrip().endswith("?")
                     for c in candidates], dtype=bool)


def _cosine(index: Index, candidate: Candidate, question: Question) -> float:
    return max(
        float(index.sentence_vector(s.doc_id, s.ordinal).astype(np.float32) @ question.vector)
        for s in candidate.sentences
    )


def _question_tokens(question: Question) -> frozenset[str]:
    out: set[str] = set()
    for forms in question.forms:
        out |= forms
    return frozenset(out)


Novel = tuple[str, str]  # an entity the question does not name: (label, its folded words)


def _novel_entities(candidate: Candidate, asked: frozenset[str]) -> list[Novel]:
    """The candidate's entities that the question does not already name."""
    found = []
    for entity in candidate.entities:
        words = cached_tokens(candidate.entity_text(entity))
        if not words or set(words) <= asked:
            continue
        found.append((entity.label, " ".join(words)))
    return found


def _support(candidates: Sequence[Candidate], novel: Sequence[Sequence[Novel]]
             ) -> list[dict[str, int]]:
    """For each candidate, each of its new entities -> how many other documents among the
    candidates name it too (an answer the sources repeat is likelier)."""
    docs: dict[str, set[str]] = {}
    for candidate, found in zip(candidates, novel, strict=True):
        for _, key in found:
            docs.setdefault(key, set()).add(candidate.doc.doc_id)
    return [{key: len(docs[key]) - 1 for _, key in found} for found in novel]


def _coverage(question: Question, tokens: frozenset[str], setting: frozenset[str],
              context: frozenset[str], previous: frozenset[str]) -> dict[str, float]:
    """How much of the question's term weight the passage holds: in its setting, alone, with
    its paragraph's earlier sentences; and how much is missing or never in the corpus."""
    around = question.matched(context)
    weight = question.total_weight
    pairs = list(zip(question.weights, around, strict=True))
    absent = [(t in question.names, w) for t, w in zip(question.terms, question.weights,
                                                        strict=True) if t in question.absent]
    return {
        "coverage": question.coverage(setting),
        "coverage_own": question.coverage(tokens),
        "coverage_context": question.coverage(context),
        "coverage_previous": question.coverage(previous),
        "missing_share": sum(w for w, a in pairs if not a) / weight,
        "missing_max": max((w for w, a in pairs if not a), default=0.0) / weight,
        "missing_own_max": max((w for w, a in zip(question.weights, question.matched(tokens),
                                                  strict=True) if not a), default=0.0) / weight,
        "names_missing_own": sum(w for t, w, a in zip(question.terms, question.weights,
                                                      question.matched(tokens), strict=True)
                                 if t in question.names and not a) / weight,
        "absent_share": sum(w for _, w in absent) / weight,
        "absent_names": sum(w for name, w in absent if name) / weight,
    }


def _row(
    index: Index, question: Question, candidate: Candidate, asked: frozenset[str], read: Read,
    novel: Sequence[Novel],
) -> dict[str, float]:
    tokens, setting = read
    context = setting
    for sentence in candidate.context:
        context |= index.sentence_tokens(sentence)
    previous = index.sentence_tokens(candidate.context[-1]) if candidate.context else frozenset()
    stated = numerals(candidate.text)
    years = {n for n in stated if len(n) == 4 and n[:2] in ("19", "20")}
    hit = candidate.hit
    row = _coverage(question, tokens, setting, context, previous)
    row.update({
        "cosine": _cosine(index, candidate, question),
        "table_row": float(candidate.kind == "table_row"),
        "list_item": float(candidate.kind == "list_item"),
        "refers_back": float(candidate.antecedent is not None),
        "terms": float(len(question.terms)),
        "hit_rank": float(candidate.hit_rank),
        "dense_rank": float(hit.dense_rank or MISSING_RANK),
        "bm25_rank": float(hit.bm25_rank or MISSING_RANK),
        "fused": hit.score,
        "length": float(len(tokens)),
        "novel_share": len(tokens - asked) / max(1, len(tokens)),
        "restates": float(not tokens - asked),
        "is_question": float(candidate.text.rstrip().endswith("?")),
        "ordinal": float(candidate.sentences[0].ordinal),
        "pair": float(len(candidate.sentences) > 1),
        "numerals_asked": float(len(question.numerals)),
        "numerals_found": len(question.numerals & stated) / len(question.numerals)
        if question.numerals else -1.0,
        "novel_numerals": float(len(stated - question.numerals)),
        "other_year": float(bool(question.years) and bool(years) and not years & question.years),
        "question_word": float(WORDS.index(question.word)),
        "novel_entities": float(len(novel)),
        "full_date": float(any(
            e.label == "DATE" and _is_full_date(candidate.entity_text(e))
            for e in candidate.entities
        )),
    })
    labels = [label for label, _ in novel]
    for label in ENTITY_LABELS:
        row[f"entities_{label}"] = float(labels.count(label))
    return row


def _is_full_date(text: str) -> bool:
    """A date naming a day or month as well as digits ("May 29, 2020"), not only a year."""
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def _gap(matrix: np.ndarray, name: str) -> None:
    """Fill ``<name>_gap``: how far each candidate is behind the question's best."""
    column = matrix[:, INDEX[name]]
    matrix[:, INDEX[f"{name}_gap"]] = column.max() - column


def _relative(matrix: np.ndarray, name: str) -> None:
    """Fill ``<name>_gap`` (distance to the best) and ``<name>_rank`` (0 = best)."""
    _gap(matrix, name)
    column = matrix[:, INDEX[name]]
    order = np.argsort(-column, kind="stable")
    ranks = np.empty(len(column))
    ranks[order] = np.arange(len(column))
    matrix[:, INDEX[f"{name}_rank"]] = ranks


Entities = list[list[tuple[str, int]]]  # per candidate: (label, support) of its new entities


def base_features(
    index: Index, question: Question, candidates: Sequence[Candidate]
) -> tuple[np.ndarray, Entities]:
    """Every feature but those that need the answer-type probabilities, and each candidate's
    new entities with their support (for ``with_type_fit``)."""
    matrix = np.zeros((len(candidates), len(FEATURES)), dtype=np.float64)
    if not candidates:
        return matrix, []
    asked = _question_tokens(question)
    novel = [_novel_entities(c, asked) for c in candidates]
    support = _support(candidates, novel)
    reads = [_read(index, c) for c in candidates]
    for i, candidate in enumerate(candidates):
        for name, value in _row(index, question, candidate, asked, reads[i], novel[i]).items():
            matrix[i, INDEX[name]] = value
        matrix[i, INDEX["support"]] = max(support[i].values(), default=0)
    matrix[:, INDEX["names_elsewhere"]] = _names_elsewhere(question, reads)
    _relative(matrix, "cosine")
    _relative(matrix, "coverage")
    return matrix, [[(label, support[i][key]) for label, key in found]
                    for i, found in enumerate(novel)]


def with_type_fit(
    matrix: np.ndarray, entities: Entities, type_probs: Mapping[str, float]
) -> np.ndarray:
    """``matrix`` with the features that weigh each new entity by the probability that the
    answer is of its kind: ``type_fit`` (the likeliest), ``type_fit_sum``, and
    ``support_typed`` (support weighted by that probability); then every ``RELATIVE`` gap."""
    out = matrix.copy()
    if not len(out):
        return out
    for i, found in enumerate(entities):
        fits = [type_probs.get(label, 0.0) for label, _ in found]
        out[i, INDEX["type_fit"]] = max(fits, default=0.0)
        out[i, INDEX["type_fit_sum"]] = sum(fits)
        out[i, INDEX["support_typed"]] = max(
            (type_probs.get(label, 0.0) * n for label, n in found), default=0.0
        )
    for name in RELATIVE:
        _gap(out, name)
    return out


def candidate_features(
    index: Index,
    question: Question,
    candidates: Sequence[Candidate],
    type_probs: Mapping[str, float],
) -> np.ndarray:
    """The feature matrix: one row per candidate, columns in ``FEATURES`` order.

    Args:
        index: the generation the candidates come from (token and vector caches).
        question: the analysed question.
        candidates: from ``gather_candidates``.
        type_probs: entity label -> probability that the answer is such an entity.
    """
    matrix, novel = base_features(index, question, candidates)
    return with_type_fit(matrix, novel, type_probs)
