"""Scoring, as pure functions: contract answer objects and texts in, numbers out.

Nothing here reads files, calls the assistant or the network; the runner gathers the answers,
the document texts and the retrieval rankings and hands them in. ``docs/evals.md`` defines
each metric; ``score_turn`` applies them to one answer and ``summarise`` aggregates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from .calibration import Reliability, reliability
from .judge import contains, find_numerals, has_number, missing_entries, strip_markers
from .suite import Turn

GROUNDED_STATUSES = frozenset({"verified", "conflict"})
RECALL_KS = (1, 5, 10)
_MARKER_RE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    why: str


def _shown(values: Sequence[str]) -> str:
    return " or ".join(repr(v) for v in values)


def judge_answer(answer: Mapping[str, Any], turn: Turn) -> Verdict:
    """Answer accuracy for one turn.

    Answerable: not refused, and every ``expected`` entry (any of its alternatives) is contained
    in the answer text. Unanswerable: refused, and no number stated (none in the text, none
    listed).
    """
    text = str(answer.get("answer") or "")
    refused = bool(answer.get("refused"))
    if not turn.answerable:
        if not refused:
            return Verdict(False, "answered a question the sources do not support")
        if has_number(text) or answer.get("numbers"):
            return Verdict(False, "refused, but the refusal states a number")
        return Verdict(True, "refused")
    if refused:
        return Verdict(False, "refused an answerable question")
    missing = missing_entries(strip_markers(text), turn.expected)
    if missing:
        return Verdict(False, "missing " + "; ".join(_shown(m) for m in missing))
    return Verdict(True, "all expected found")


def citation_hit(answer: Mapping[str, Any], evidence: str) -> bool:
    """Whether at least one cited quote contains ``evidence`` (judge normalisation)."""
    return any(contains(str(c.get("quote") or ""), evidence) for c in answer.get("citations") or ())


def quote_errors(answer: Mapping[str, Any], texts: Mapping[str, str | None]) -> list[str]:
    """Citations whose quote is not ``text[start:end]`` of the document (``texts`` by doc_id;
    ``None`` when the text could not be fetched). Empty when every quote is exact."""
    bad: list[str] = []
    for c in answer.get("citations") or ():
        ref = f"[{c.get('id')}] {c.get('doc_id')}"
        text = texts.get(str(c.get("doc_id")))
        start, end = c.get("start"), c.get("end")
        if text is None:
            bad.append(f"{ref}: document text not available")
        elif not isinstance(start, int) or not isinstance(end, int) or not 0 <= start <= end:
            bad.append(f"{ref}: bad offsets {start!r}..{end!r}")
        elif end > len(text):
            bad.append(f"{ref}: offsets {start}..{end} past the end ({len(text)} chars)")
        elif text[start:end] != c.get("quote"):
            bad.append(f"{ref}: quote differs from text[{start}:{end}]")
    return bad


def fabricated_numbers(answer_text: str, source_values: frozenset[Decimal]) -> list[str]:
    """Numerals in the answer text (``[n]`` markers aside) whose value no source states.

    ``source_values`` is ``judge.numeral_values`` of every source document's text.
    """
    return [n.text for n in find_numerals(answer_text) if not n.values & source_values]


def number_grounding(answer: Mapping[str, Any]) -> tuple[int, int]:
    """(listed numbers with status verified or conflict, listed numbers)."""
    numbers = list(answer.get("numbers") or ())
    grounded = sum(1 for n in numbers if n.get("status") in GROUNDED_STATUSES)
    return grounded, len(numbers)


def numerals_listed(answer: Mapping[str, Any]) -> tuple[int, int]:
    """(numerals in the answer text that some listed number's text states, numerals in the
    answer text)."""
    listed: set[Decimal] = set()
    for n in answer.get("numbers") or ():
        for numeral in find_numerals(str(n.get("text") or "")):
            listed |= numeral.values
    numerals = find_numerals(str(answer.get("answer") or ""))
    return sum(1 for n in numerals if n.values & listed), len(numerals)


def conflict_surfaced(answer: Mapping[str, Any], expected: Sequence[Sequence[str]]) -> bool:
    """The answer flags a conflict (``conflict`` true or a number with status ``conflict``) and
    states every expected value."""
    flagged = bool(answer.get("conflict")) or any(
        n.get("status") == "conflict" for n in answer.get("numbers") or ()
    )
    text = strip_markers(str(answer.get("answer") or ""))
    return flagged and not answer.get("refused") and not missing_entries(text, expected)


def marker_errors(answer: Mapping[str, Any]) -> list[str]:
    """Breaks of the rule that every ``[n]`` names a citation and every citation is named."""
    ids = {c.get("id") for c in answer.get("citations") or ()}
    used = {int(m) for m in _MARKER_RE.findall(str(answer.get("answer") or ""))}
    errors = [f"[{n}] names no citation" for n in sorted(used - ids)]
    errors += [f"citation {i} is never referred to" for i in sorted(ids - used, key=str)]
    return errors


def evidence_rank(chunk_texts: Sequence[str], evidence: str) -> int | None:
    """1-based rank of the first retrieved chunk containing ``evidence``; None if none does."""
    for rank, text in enumerate(chunk_texts, start=1):
        if contains(text, evidence):
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of ranks that are at most ``k`` (None: not found); None for no ranks."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """Mean of 1/rank (0 when not found); None for no ranks."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r) / len(ranks)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (0 < q <= 100); None for no values."""
    if not 0 < q <= 100:
        raise ValueError(f"percentile q must be in (0, 100], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class TurnScore:
    """Everything measured on one answered (or failed) turn."""

    suite: str
    item_id: str
    turn: int  # 1-based within a conversation; 0 for a single question
    tags: tuple[str, ...]
    question: str
    expected: tuple[tuple[str, ...], ...]
    evidence: str | None
    answerable: bool
    answer: Mapping[str, Any] | None  # the contract object; None when asking failed
    error: str | None
    latency_ms: float | None
    passed: bool
    why: str
    refused: bool
    citation_hit: bool | None  # None: no evidence to look for
    quotes: int
    quote_errors: tuple[str, ...]
    fabricated: tuple[str, ...]
    numbers_grounded: int
    numbers_listed: int
    numerals_listed: int
    numerals: int
    marker_errors: tuple[str, ...]
    conflict_ok: bool | None  # None: not tagged conflict
    retrieval_rank: int | None
    retrieval_checked: bool
    confidence: float | None = None  # the answer's stated probability of being right
    best_right: bool | None = None  # whether the passage that confidence is about answers
    words: int | None = None  # words in a non-refused answer, markers aside

    @property
    def key(self) -> str:
        return f"{self.item_id}#{self.turn}" if self.turn else self.item_id


def score_turn(
    turn: Turn,
    answer: Mapping[str, Any] | None,
    *,
    suite: str = "",
    item_id: str = "",
    turn_number: int = 0,
    tags: Sequence[str] = (),
    texts: Mapping[str, str | None] | None = None,
    source_values: frozenset[Decimal] = frozenset(),
    latency_ms: float | None = None,
    error: str | None = None,
    chunk_texts: Sequence[str] | None = None,
) -> TurnScore:
    """Score one answer (``None`` with ``error`` when asking failed).

    Args:
        turn: the question and its expectations.
        answer: the contract object the assistant returned.
        texts: cited documents' texts by doc_id, for quote fidelity.
        source_values: numeral values of all source documents, for fabricated numbers.
        chunk_texts: the retrieved chunks in rank order (None: retrieval not measured).
    """
    tags = tuple(tags)
    rank = evidence_rank(chunk_texts, turn.evidence) if chunk_texts is not None and \
        turn.evidence else None
    checked = chunk_texts is not None and turn.evidence is not None
    if answer is None:
        where = (suite, item_id, turn_number, tags)
        return _failed_score(turn, where, error, latency_ms, rank, checked)
    verdict = judge_answer(answer, turn)
    confidence, best_right = _confidence(answer, turn, verdict.passed)
    conflict_ok = conflict_surfaced(answer, turn.expected) if "conflict" in tags else None
    return TurnScore(
        suite=suite,
        item_id=item_id,
        turn=turn_number,
        tags=tags,
        question=turn.question,
        expected=turn.expected,
        evidence=turn.evidence,
        answerable=turn.answerable,
        answer=answer,
        error=None,
        latency_ms=latency_ms,
        passed=verdict.passed,
        why=verdict.why,
        refused=bool(answer.get("refused")),
        citation_hit=citation_hit(answer, turn.evidence) if turn.evidence else None,
        quotes=len(answer.get("citations") or ()),
        quote_errors=tuple(quote_errors(answer, texts or {})),
        **_number_fields(answer, source_values),
        marker_errors=tuple(marker_errors(answer)),
        conflict_ok=conflict_ok,
        retrieval_rank=rank,
        retrieval_checked=checked,
        confidence=confidence,
        best_right=best_right,
        words=None if answer.get("refused") else answer_words(str(answer.get("answer") or "")),
    )


def _number_fields(answer: Mapping[str, Any], source_values: frozenset[Decimal]) -> dict[str, Any]:
    """How the answer's numbers fare: found in no source, grounded in facts, listed."""
    grounded, listed = number_grounding(answer)
    in_list, numerals = numerals_listed(answer)
    return {
        "fabricated": tuple(fabricated_numbers(str(answer.get("answer") or ""), source_values)),
        "numbers_grounded": grounded,
        "numbers_listed": listed,
        "numerals_listed": in_list,
        "numerals": numerals,
    }


def _failed_score(
    turn: Turn,
    where: tuple[str, str, int, tuple[str, ...]],
    error: str | None,
    latency_ms: float | None,
    rank: int | None,
    checked: bool,
) -> TurnScore:
    """The score of a turn whose asking failed: wrong on every count it is scored on."""
    suite, item_id, turn_number, tags = where
    return TurnScore(
        suite, item_id, turn_number, tags, turn.question, turn.expected, turn.evidence,
        turn.answerable, None, error, latency_ms, False, f"error: {error}", False,
        False if turn.evidence else None, 0, (), (), 0, 0, 0, 0, (),
        False if "conflict" in tags else None, rank, checked,
    )


def answer_words(text: str) -> int:
    """Words an answer says, its ``[n]`` markers aside."""
    return len(strip_markers(text).split())


def _confidence(answer: Mapping[str, Any], turn: Turn, passed: bool
                ) -> tuple[float | None, bool | None]:
    """The answer's confidence and whether the passage it is about holds the answer: the
    cited one for an answer (judged as the answer is), the first related one for a refusal."""
    value = answer.get("confidence")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None, None
    if not answer.get("refused"):
        return float(value), passed and turn.answerable
    related = answer.get("related") or ()
    quote = str(related[0].get("quote") or "") if related else ""
    right = turn.answerable and bool(quote) and not missing_entries(quote, turn.expected)
    return float(value), right


@dataclass(frozen=True)
class Summary:
    """The suite's metrics (None: nothing to measure, shown as n/a)."""

    turns: int
    errors: int
    accuracy: float | None
    citation_hit_rate: float | None
    quote_fidelity: float | None
    fabricated_numbers: int
    number_verification: float | None  # listed numbers verified or conflict
    number_listing: float | None  # numerals in answers that are listed
    marker_consistency: float | None
    refusal_recall: float | None
    false_refusal_rate: float | None
    conflicts_surfaced: float | None
    recall_at_1: float | None
    recall_at_5: float | None
    recall_at_10: float | None
    mrr: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    calibration_error: float | None = None  # ECE of the answers' confidences (10 bins)
    answer_words_p50: float | None = None  # median words of an answer (refusals aside)

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


# Metric names a threshold may name, and whether higher is better.
HIGHER_IS_BETTER = {
    "accuracy": True, "citation_hit_rate": True, "quote_fidelity": True,
    "fabricated_numbers": False, "number_verification": True, "number_listing": True,
    "marker_consistency": True, "refusal_recall": True, "false_refusal_rate": False,
    "conflicts_surfaced": True, "recall_at_1": True, "recall_at_5": True, "recall_at_10": True,
    "mrr": True, "latency_p50_ms": False, "latency_p95_ms": False, "errors": False,
    "calibration_error": False, "answer_words_p50": False,
}


def summarise(scores: Iterable[TurnScore]) -> Summary:
    """Aggregate turn scores into the suite metrics (definitions in docs/evals.md)."""
    scores = list(scores)
    answered = [s for s in scores if s.answer is not None]
    evidence = [s for s in scores if s.citation_hit is not None]
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    conflicts = [s for s in scores if s.conflict_ok is not None]
    retrieval = [s for s in scores if s.retrieval_checked]
    ranks = [s.retrieval_rank for s in retrieval]
    non_refused = [s for s in answered if not s.refused]
    latencies = [s.latency_ms for s in scores if s.latency_ms is not None and s.error is None]
    quotes = sum(s.quotes for s in answered)
    return Summary(
        turns=len(scores),
        errors=len(scores) - len(answered),
        accuracy=ratio(sum(s.passed for s in scores), len(scores)),
        citation_hit_rate=ratio(sum(bool(s.citation_hit) for s in evidence), len(evidence)),
        quote_fidelity=ratio(quotes - sum(len(s.quote_errors) for s in answered), quotes),
        fabricated_numbers=sum(len(s.fabricated) for s in answered),
        number_verification=ratio(sum(s.numbers_grounded for s in answered),
                                  sum(s.numbers_listed for s in answered)),
        number_listing=ratio(sum(s.numerals_listed for s in answered),
                             sum(s.numerals for s in answered)),
        marker_consistency=ratio(sum(not s.marker_errors for s in non_refused), len(non_refused)),
        refusal_recall=ratio(sum(s.refused for s in unanswerable), len(unanswerable)),
        false_refusal_rate=ratio(sum(s.refused for s in answerable), len(answerable)),
        conflicts_surfaced=ratio(sum(bool(s.conflict_ok) for s in conflicts), len(conflicts)),
        recall_at_1=recall_at(ranks, 1),
        recall_at_5=recall_at(ranks, 5),
        recall_at_10=recall_at(ranks, 10),
        mrr=mean_reciprocal_rank(ranks),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        calibration_error=reliability_of(scores).ece,
        answer_words_p50=percentile([float(s.words) for s in answered if s.words is not None],
                                    50),
    )


def reliability_of(scores: Iterable[TurnScore]) -> Reliability:
    """How the answers' confidences match how often the passage they are about answers."""
    rated = [s for s in scores if s.confidence is not None and s.best_right is not None]
    return reliability([float(s.confidence or 0.0) for s in rated],
                       [bool(s.best_right) for s in rated])


def summarise_by_tag(scores: Iterable[TurnScore]) -> dict[str, Summary]:
    """``summarise`` over the turns carrying each tag (untagged turns under ``(untagged)``)."""
    groups: dict[str, list[TurnScore]] = {}
    for s in scores:
        for tag in s.tags or ("(untagged)",):
            groups.setdefault(tag, []).append(s)
    return {tag: summarise(group) for tag, group in sorted(groups.items())}
