"""Each metric scores a known-bad answer as bad (and a good one as good).

Answers are hand-made contract objects (docs/contract.md §1); no index, no model.
"""

from __future__ import annotations

from typing import Any

import pytest

from assistant.evals.judge import numeral_values
from assistant.evals.metrics import (
    citation_hit,
    conflict_surfaced,
    evidence_rank,
    fabricated_numbers,
    judge_answer,
    marker_errors,
    mean_reciprocal_rank,
    number_grounding,
    numerals_listed,
    percentile,
    quote_errors,
    recall_at,
    score_turn,
    summarise,
    summarise_by_tag,
)
from assistant.evals.suite import Turn

DOC = ("In 2024, the global tungsten output was approximately 81,000 tons. "
       "Its total tungsten import dependence is 50%. Other data show 80% and 83%.")
QUOTE = "In 2024, the global tungsten output was approximately 81,000 tons."


def answer(text: str = "In 2024, the global tungsten output was approximately 81,000 tons [1].",
           *, refused: bool = False, citations: list[dict[str, Any]] | None = None,
           numbers: list[dict[str, Any]] | None = None, conflict: bool = False) -> dict[str, Any]:
    if citations is None:
        citations = [] if refused else [
            {"id": 1, "doc_id": "d", "title": "t", "quote": QUOTE, "start": 0, "end": len(QUOTE)}
        ]
    if numbers is None:
        numbers = [] if refused else [
            {"text": "2024", "value": 2024, "unit": "year", "status": "verified", "citation": 1},
            {"text": "81,000 tons", "value": 81000, "unit": "t", "status": "verified",
             "citation": 1},
        ]
    return {"conversation_id": "c1", "answer": text, "refused": refused,
            "citations": citations, "numbers": numbers, "conflict": conflict}


OUTPUT = Turn("What was the output in 2024?", (("81,000 tons",),),
              "output was approximately 81,000 tons")
UNANSWERABLE = Turn("Who runs the mine?", answerable=False)


# ---- answer accuracy ---------------------------------------------------------------------

def test_accuracy_passes_a_good_answer() -> None:
    assert judge_answer(answer(), OUTPUT).passed


def test_accuracy_fails_a_wrong_number() -> None:
    verdict = judge_answer(answer("Output was about 18,000 tons [1]."), OUTPUT)
    assert not verdict.passed and "81,000 tons" in verdict.why


def test_accuracy_fails_a_refusal_of_an_answerable_question() -> None:
    verdict = judge_answer(answer("I can't answer: no passage mentions 81,000 tons.",
                                  refused=True), OUTPUT)
    assert not verdict.passed and "refused" in verdict.why


def test_accuracy_needs_every_entry() -> None:
    turn = Turn("q", (("50%",), ("80%",), ("83%",)))
    verdict = judge_answer(answer("Dependence is 50% [1]."), turn)
    assert not verdict.passed and "'80%'" in verdict.why and "'83%'" in verdict.why


def test_accuracy_unanswerable_must_be_refused() -> None:
    assert not judge_answer(answer("Acme runs it [1]."), UNANSWERABLE).passed
    assert judge_answer(answer("I can't answer that from the sources.", refused=True),
                        UNANSWERABLE).passed


def test_accuracy_unanswerable_refusal_must_state_no_number() -> None:
    bad = answer("The sources only give 81,000 tons for 2024.", refused=True)
    verdict = judge_answer(bad, UNANSWERABLE)
    assert not verdict.passed and "number" in verdict.why
    listed = answer("I can't answer that.", refused=True,
                    numbers=[{"text": "81,000 tons", "status": "unverified"}])
    assert not judge_answer(listed, UNANSWERABLE).passed


# ---- citation hit rate -------------------------------------------------------------------

def test_citation_hit() -> None:
    assert citation_hit(answer(), "output was  approximately 81000 tons")
    off_topic = answer(citations=[{"id": 1, "doc_id": "d", "quote": "Other data show 80%.",
                                   "start": 0, "end": 1}])
    assert not citation_hit(off_topic, "output was approximately 81,000 tons")
    assert not citation_hit(answer(refused=True), "81,000 tons")


# ---- quote fidelity ----------------------------------------------------------------------

def test_quote_fidelity_accepts_exact_quotes() -> None:
    assert quote_errors(answer(), {"d": DOC}) == []


@pytest.mark.parametrize(
    ("citation", "problem"),
    [
        ({"quote": QUOTE, "start": 1, "end": len(QUOTE) + 1}, "differs"),
        ({"quote": QUOTE.upper(), "start": 0, "end": len(QUOTE)}, "differs"),
        ({"quote": QUOTE, "start": 0, "end": len(DOC) + 5}, "past the end"),
        ({"quote": QUOTE, "start": 10, "end": 2}, "bad offsets"),
        ({"quote": QUOTE, "start": "0", "end": len(QUOTE)}, "bad offsets"),
        ({"quote": QUOTE, "start": 0, "end": len(QUOTE), "doc_id": "gone"}, "not available"),
    ],
)
def test_quote_fidelity_flags_bad_quotes(citation: dict[str, Any], problem: str) -> None:
    bad = answer(citations=[{"id": 1, "doc_id": "d", "title": "t", **citation}])
    errors = quote_errors(bad, {"d": DOC, "gone": None})
    assert len(errors) == 1 and problem in errors[0]


# ---- fabricated numbers ------------------------------------------------------------------

def test_fabricated_numbers_are_found() -> None:
    sources = numeral_values([DOC])
    assert fabricated_numbers("Output was 81000 tons in 2024 [1].", sources) == []
    assert fabricated_numbers("Output was 82,500 tons in 2024 [1].", sources) == ["82,500"]
    assert fabricated_numbers("Dependence is 51% [3].", sources) == ["51"]


def test_fabricated_numbers_ignore_markers_but_not_scaled_values() -> None:
    sources = numeral_values(["about 8 million tons"])
    assert fabricated_numbers("About 8,000,000 tons [12].", sources) == []
    assert fabricated_numbers("About 9 million tons [1].", sources) == ["9"]


# ---- number verification coverage -------------------------------------------------------

def test_number_grounding_counts_unverified_as_bad() -> None:
    bad = answer(numbers=[{"text": "81,000 tons", "status": "unverified"},
                          {"text": "2024", "status": "verified"},
                          {"text": "50%", "status": "conflict"}])
    assert number_grounding(bad) == (2, 3)


def test_numerals_listed_counts_unlisted_numbers() -> None:
    bad = answer("In 2024 output was 81,000 tons, up 5% [1].",
                 numbers=[{"text": "81,000 tons", "status": "verified"}])
    assert numerals_listed(bad) == (1, 3)
    assert numerals_listed(answer()) == (2, 2)


# ---- refusal recall and false refusals ---------------------------------------------------

def test_refusal_metrics() -> None:
    refused = answer("I can't answer that from the sources.", refused=True)
    scores = [
        score_turn(OUTPUT, refused, item_id="a"),  # false refusal
        score_turn(OUTPUT, answer(), item_id="b"),
        score_turn(UNANSWERABLE, answer("Acme runs it [1]."), item_id="c"),  # missed refusal
        score_turn(UNANSWERABLE, refused, item_id="d"),
    ]
    summary = summarise(scores)
    assert summary.refusal_recall == 0.5
    assert summary.false_refusal_rate == 0.5
    assert summary.accuracy == 0.5


# ---- conflicts surfaced -------------------------------------------------------------------

def test_conflict_surfaced_needs_flag_and_every_value() -> None:
    expected = (("8 million tons",), ("282 million tons",))
    both = "Estimated at about 8 million tons, and reported reaching 282 million tons [1]."
    assert not conflict_surfaced(answer(both), expected)  # no flag: silently picked both
    assert conflict_surfaced(answer(both, conflict=True), expected)
    flagged_number = answer(both, numbers=[{"text": "8 million tons", "status": "conflict"}])
    assert conflict_surfaced(flagged_number, expected)
    one = answer("Reserves reach 282 million tons [1].", conflict=True)
    assert not conflict_surfaced(one, expected)


def test_conflict_metric_only_counts_conflict_items() -> None:
    turn = Turn("q", (("8 million tons",), ("282 million tons",)))
    silent = answer("About 8 million tons, or 282 million tons [1].")
    scores = [score_turn(turn, silent, tags=["conflict"]), score_turn(OUTPUT, answer())]
    assert summarise(scores).conflicts_surfaced == 0.0
    assert summarise(scores[1:]).conflicts_surfaced is None


# ---- citation markers ---------------------------------------------------------------------

def test_marker_errors() -> None:
    assert marker_errors(answer()) == []
    assert marker_errors(answer("Output was 81,000 tons [2].")) == [
        "[2] names no citation", "citation 1 is never referred to"]


# ---- retrieval ----------------------------------------------------------------------------

def test_retrieval_rank_recall_and_mrr() -> None:
    chunks = ["Unrelated text.", "More noise.", "the global tungsten output was "
              "approximately 81000 tons"]
    assert evidence_rank(chunks, "output was approximately 81,000 tons") == 3
    assert evidence_rank(chunks[:2], "output was approximately 81,000 tons") is None
    ranks = [1, 3, None, 12]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 5) == 0.5
    assert recall_at(ranks, 10) == 0.5
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 1 / 12) / 4)
    assert recall_at([], 5) is None and mean_reciprocal_rank([]) is None


def test_retrieval_measured_only_with_chunks() -> None:
    far = score_turn(OUTPUT, answer(), chunk_texts=["noise"] * 10)
    unmeasured = score_turn(OUTPUT, answer())
    assert far.retrieval_checked and far.retrieval_rank is None
    summary = summarise([far, unmeasured])
    assert summary.recall_at_10 == 0.0 and summary.mrr == 0.0
    assert summarise([unmeasured]).recall_at_1 is None


# ---- latency -------------------------------------------------------------------------------

def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, 0)


def test_slow_answers_show_in_p95() -> None:
    scores = [score_turn(OUTPUT, answer(), latency_ms=100.0) for _ in range(18)]
    scores += [score_turn(OUTPUT, answer(), latency_ms=9000.0) for _ in range(2)]
    summary = summarise(scores)
    assert summary.latency_p50_ms == 100.0 and summary.latency_p95_ms == 9000.0


# ---- whole turns ---------------------------------------------------------------------------

def test_failed_ask_scores_as_failure() -> None:
    score = score_turn(OUTPUT, None, error="HTTP 500: boom", tags=["number"])
    assert not score.passed and "HTTP 500" in score.why and score.citation_hit is False
    summary = summarise([score])
    assert summary.errors == 1 and summary.accuracy == 0.0 and summary.citation_hit_rate == 0.0


def test_score_turn_gathers_every_problem() -> None:
    bad = answer("Output was 91,000 tons [2].",
                 numbers=[{"text": "91,000 tons", "status": "unverified"}])
    score = score_turn(OUTPUT, bad, texts={"d": DOC}, source_values=numeral_values([DOC]),
                       tags=["number"])
    assert not score.passed
    assert score.fabricated == ("91,000",)
    assert score.marker_errors
    summary = summarise([score])
    assert summary.fabricated_numbers == 1
    assert summary.number_verification == 0.0


def test_summary_by_tag() -> None:
    scores = [score_turn(OUTPUT, answer(), tags=["number", "date"]),
              score_turn(OUTPUT, answer("No idea [1]."), tags=["number"]),
              score_turn(OUTPUT, answer())]
    by_tag = summarise_by_tag(scores)
    assert by_tag["number"].accuracy == 0.5
    assert by_tag["date"].accuracy == 1.0
    assert by_tag["(untagged)"].turns == 1
