"""The extractive, citation-enforcing answer builder: glue from hits to a checked ``Answer``.

1. Analyse the question (``question.py``) and gather candidate passages from the hits
   (``candidates.py``).
2. The learned selector ranks them and says how likely the best one answers (``selector.py``);
   below its calibrated threshold the builder refuses, naming the closest passages.
3. The answer quotes the chosen passage offset-exactly, says it (or its answering clauses,
   ``excerpt.py``) with a ``[1]`` marker, and reports disagreeing sources (``conflicts.py``).
4. Every number the answer states is checked against the facts table (``numbers.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..index.loaded import Index
from ..text.tokens import cached_tokens, tokenize
from ..types import Answer, Citation, Fact, Hit, NumberCheck
from .candidates import Candidate, gather_candidates
from .conflicts import (
    Rival,
    answer_fact,
    dated_otherwise,
    named_otherwise,
    numeric_rivals,
    retold_differently,
)
from .excerpt import excerpt
from .numbers import check_numbers
from .params import PARAMS, AnswerParams
from .question import Question, analyse
from .selector import Choice, Selector, rank_candidates

_WORD_RE = re.compile(r"[\w’'\-]+")


def refuse(question: str, reason: str, related: Sequence[Candidate] = (),
           confidence: float | None = None) -> Answer:
    """A refusal: a plain sentence, no numbers, no citations; related passages aside."""
    text = f"I can't answer that from the sources: {reason}."
    if re.search(r"\d", text):
        text = "I can't answer that from the sources: no passage supports an answer."
    shown: list[Candidate] = []
    for c in related:
        if all(c.key[0] != s.key[0] or c.start >= s.end or s.start >= c.end for s in shown):
            shown.append(c)
        if len(shown) == PARAMS.related:
            break
    rel = tuple(Citation(i, c.doc.doc_id, c.doc.title, c.text, c.start, c.end)
                for i, c in enumerate(shown, start=1))
    return Answer(question=question, answer=text, refused=True, related=rel,
                  confidence=confidence)


def _quoted(words: Sequence[str]) -> str:
    shown = [f"“{w}”" for w in words]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _refusal_reason(question: Question) -> str:
    """Why no passage answers: the question's words the corpus never uses, if any."""
    absent = [w for w in _WORD_RE.findall(question.text)
              if any(t in question.absent for t in tokenize(w)) and not any(c.isdigit() for c in w)]
    if absent:
        return f"no passage mentions {_quoted(list(dict.fromkeys(absent))[:3])}"
    return "no passage in them answers this question"


def _citation(n: int, c: Candidate) -> Citation:
    return Citation(n, c.doc.doc_id, c.doc.title, c.text, c.start, c.end)


def _finish(question: Question, text: str, cited: Sequence[Candidate], conflicting: set[str],
            conflict: bool, confidence: float) -> Answer:
    citations = [_citation(i, c) for i, c in enumerate(cited, start=1)]
    facts = {i: c.facts for i, c in enumerate(cited, start=1)}
    numbers: list[NumberCheck] = check_numbers(text, citations, facts, conflicting)
    return Answer(question=question.text, answer=text, refused=False,
                  citations=tuple(citations), numbers=tuple(numbers), conflict=conflict,
                  confidence=confidence)


def _keep(candidate: Candidate, question: Question, fact: Fact | None,
          types: dict[str, float]) -> list[tuple[int, int]]:
    """Spans an excerpt must say: the answering fact, entities of the likely answer kinds, and
    the words that match the question's terms."""
    keep = [(fact.start or 0, fact.end or 0)] if fact is not None else []
    likely = {label for label, p in types.items() if p >= 0.2}
    keep += [(e.start, e.end) for e in candidate.entities if e.label in likely]
    text = candidate.doc.text
    for m in _WORD_RE.finditer(text, candidate.start, candidate.end):
        words = set(cached_tokens(m.group()))  # a passage's words recur across questions
        if any(forms & words for forms in question.forms):
            keep.append((m.start(), m.end()))
    return keep


def _say(candidate: Candidate, keep: Sequence[tuple[int, int]], params: AnswerParams) -> str:
    return excerpt(candidate.doc.text, candidate.start, candidate.end, keep, params.excerpt_words)


def _numeric_conflict(question: Question, chosen: Fact, rivals: Sequence[Rival],
                      best: Choice) -> Answer:
    cited: list[Candidate] = [best.candidate]
    keep: dict[int, list[tuple[int, int]]] = {0: [(chosen.start or 0, chosen.end or 0)]}
    for rival in rivals:
        if rival.candidate.key not in [c.key for c in cited]:
            cited.append(rival.candidate)
        n = next(i for i, c in enumerate(cited) if c.key == rival.candidate.key)
        keep.setdefault(n, []).append((rival.fact.start or 0, rival.fact.end or 0))
    marker = {c.key: i + 1 for i, c in enumerate(cited)}
    values = [f"{chosen.text} [1]"] + [f"{r.fact.text} [{marker[r.candidate.key]}]" for r in rivals]
    parts = [f"{_say(c, keep[i], PARAMS)} [{i + 1}]" for i, c in enumerate(cited)]
    text = ("The sources give different figures: " + " versus ".join(values) + ". "
            + "; ".join(parts) + ".")
    conflicting = {chosen.fact_id} | {r.fact.fact_id for r in rivals}
    return _finish(question, text, cited, conflicting, True, best.probability)


def _disagree(question: Question, best: Choice, chosen: Fact | None, types: dict[str, float],
              other: Candidate, conflicting: set[str]) -> Answer:
    """"The sources disagree": the best passage, then another document's telling."""
    first = _say(best.candidate, _keep(best.candidate, question, chosen, types), PARAMS)
    second = _say(other, _keep(other, question, None, types), PARAMS)
    text = f"The sources disagree: {first} [1]; but {second} [2]."
    return _finish(question, text, [best.candidate, other], conflicting, True, best.probability)


def _answer(question: Question, choices: Sequence[Choice], types: dict[str, float],
            floor: float) -> Answer:
    best = choices[0]
    chosen = answer_fact(best.candidate, question, types)
    if chosen is not None:
        rivals = numeric_rivals(chosen, choices, PARAMS)[:3]
        if rivals:
            return _numeric_conflict(question, chosen, rivals, best)
        dated = dated_otherwise(chosen, choices, question, types, PARAMS, floor)
        if dated is not None:
            return _disagree(question, best, chosen, types, dated.candidate,
                             {chosen.fact_id, dated.fact.fact_id})
    retold = retold_differently(choices, question, PARAMS, floor)
    if retold is not None:
        other, mine, theirs = retold
        conflicting = {f.fact_id for c, only in ((best.candidate, mine), (other, theirs))
                       for f in c.facts if set(tokenize(f.text)) & only}
        return _disagree(question, best, chosen, types, other, conflicting)
    named = named_otherwise(choices, question, types, PARAMS, floor) if chosen is None else None
    if named is not None:
        return _disagree(question, best, None, types, named, set())
    said = _say(best.candidate, _keep(best.candidate, question, chosen, types), PARAMS)
    return _finish(question, said + " [1].", [best.candidate], set(), False, best.probability)


def build_answer(index: Index, hits: Sequence[Hit], question: str, query_vector: np.ndarray,
                 selector: Selector) -> Answer:
    """Answer ``question`` from ``hits``, or refuse.

    Args:
        index: the loaded generation the hits come from.
        hits: fused retrieval hits, best first.
        question: the (standalone) question.
        query_vector: the question's embedding from retrieval.
        selector: the learned selector that chooses the passage and says how sure it is.

    Returns:
        An ``Answer`` keeping the contract: every ``[n]`` resolves, quotes are exact spans,
        every number is listed with its status, refusals carry no numbers or citations.
    """
    analysed = analyse(question, index, query_vector)
    if not analysed.terms:
        return refuse(question, "the question names nothing to look for")
    candidates = gather_candidates(index, hits)
    choices = rank_candidates(selector, index, analysed, candidates)
    if not choices:
        return refuse(question, _refusal_reason(analysed))
    if choices[0].probability < selector.threshold:
        return refuse(question, _refusal_reason(analysed), [c.candidate for c in choices],
                      confidence=selector.stated(choices[0].probability))
    answer = _answer(analysed, choices, selector.types.probabilities(analysed),
                     selector.threshold)
    return replace(answer, confidence=selector.stated(choices[0].probability))
