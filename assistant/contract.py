"""The answer on the wire (docs/contract.md §1) and the error body: one shape for every face.

The HTTP API, the CLI's ``ask --json``, the Slack and webhook bots and the evaluators' suites
all send or read these models; ``AskResponse.from_answer`` maps the domain's typed ``Answer``
to them in one place, so internals can move while the JSON stays still.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .text.unicode import unicode_problem
from .types import Answer, NumberCheck

UNICODE_ERROR = "malformed_unicode"
# Validation error types that mean "not well-formed Unicode": ours, and pydantic's own (raised
# instead of ours for some constrained strings).
UNICODE_ERRORS = frozenset({UNICODE_ERROR, "string_unicode"})


def malformed_text(errors: list[Any]) -> tuple[str, str] | None:
    """(field, message) for the first validation error that is malformed Unicode, or None."""
    for error in errors:
        if error.get("type") in UNICODE_ERRORS:
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            value = error.get("input")
            problem = unicode_problem(value, where) if isinstance(value, str) else None
            return where, problem or f"{where} is not well-formed Unicode; send UTF-8 text"
    return None


def _well_formed(value: str) -> str:
    if unicode_problem(value, "the text"):
        raise PydanticCustomError(UNICODE_ERROR, "not well-formed Unicode")
    return value


# Every text a client sends: a lone surrogate (JSON's "\ud800") is refused at the edge with a
# 400 (``app._on_validation_error``) instead of failing in SQLite, the tokenizer or the encoder.
Text = Annotated[str, AfterValidator(_well_formed)]


# -- shared examples --------------------------------------------------------------------

_CITATION: dict[str, Any] = {
    "id": 1,
    "doc_id": "example-mining-report-2024",
    "title": "Example Mining Annual Report 2024",
    "quote": "In 2023, the Example mine produced about 12,500 tons of copper.",
    "start": 10412,
    "end": 10470,
}
_NUMBER: dict[str, Any] = {
    "text": "12,500 tons", "value": 12500.0, "low": 12500.0, "high": 12500.0, "unit": "t",
    "status": "verified", "citation": 1, "fact_id": "example-mining-report-2024#f12",
    "note": "Example mine · copper production",
}
_ANSWER: dict[str, Any] = {
    "conversation_id": "c_9f2a61b0c4d7e813",
    "answer": "In 2023, the Example mine produced about 12,500 tons of copper [1].",
    "refused": False,
    "citations": [_CITATION],
    "numbers": [_NUMBER],
    "standalone_question": "How much copper did the Example mine produce in 2023?",
    "conflict": False,
    "related": [],
    "composer": "extractive",
    "fallback_reason": None,
    "timings_ms": {"dense": 7.1, "bm25": 1.2, "fuse": 0.1, "build": 2.4, "total": 11.3},
}


def finite(value: float | None) -> float | None:
    """JSON has no infinities: an open bound (``inf``) or NaN travels as null."""
    if value is None or not math.isfinite(value):
        return None
    return value


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, machine-readable error code.", examples=["not_found"])
    message: str = Field(description="What went wrong and the way out, for a person.")


class ErrorResponse(BaseModel):
    """Every error, whatever its status: ``{"error": {"code", "message"}}``."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": {"code": "not_found", "message": "no document 'annual-report-2031'"}}
    ]})
    error: ErrorBody


class Citation(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CITATION]})
    id: int = Field(description="The n of the [n] marker in the answer.")
    doc_id: str
    title: str
    quote: str = Field(description="Exactly text[start:end] of GET /v1/documents/{doc_id}/text.")
    start: int = Field(description="Offset in Unicode code points, inclusive.")
    end: int = Field(description="Offset in Unicode code points, exclusive.")


class RelatedPassage(BaseModel):
    """A passage shown with a refusal; never cited."""

    doc_id: str
    title: str
    quote: str
    start: int
    end: int


class Number(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_NUMBER]})
    text: str = Field(description="The number as written in the answer.")
    value: float | None = Field(description="Point value; null for a range.")
    low: float | None = None
    high: float | None = None
    unit: str = Field(description='Normalised unit: "t", "USD", "%", "count", "year", …')
    status: str = Field(description="verified | conflict | unverified")
    citation: int | None = Field(description="The citation that grounds it, if any.")
    fact_id: str | None = None
    note: str | None = None
    subject: str | None = Field(default=None, description="What the matched fact is about.")


class AskResponse(BaseModel):
    """docs/contract.md §1: the answer, its citations and its checked numbers."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ANSWER]})
    conversation_id: str
    answer: str = Field(description="Every [n] marker refers to the citation with id n.")
    refused: bool = Field(description="True when the sources do not support an answer.")
    citations: list[Citation]
    numbers: list[Number]
    standalone_question: str = Field(description="What was searched (a follow-up, rewritten).")
    conflict: bool = False
    related: list[RelatedPassage] = Field(default_factory=list)
    composer: str = "extractive"
    fallback_reason: str | None = None
    confidence: float | None = Field(
        default=None, ge=0, le=1,
        description="The selector's calibrated probability that the chosen passage answers "
        "the question (for a refusal: that the closest passage would have).",
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)

    @classmethod
    def from_answer(cls, answer: Answer) -> AskResponse:
        """The wire form of ``answer`` (the CLI, the API and the bots all send this one)."""
        return cls(
            conversation_id=answer.conversation_id or "",
            answer=answer.answer,
            refused=answer.refused,
            citations=[Citation(**asdict(c)) for c in answer.citations],
            numbers=[_number(n) for n in answer.numbers],
            standalone_question=answer.standalone_question or answer.question,
            conflict=answer.conflict,
            related=[RelatedPassage(doc_id=c.doc_id, title=c.title, quote=c.quote,
                                    start=c.start, end=c.end) for c in answer.related],
            composer=answer.composer,
            fallback_reason=answer.fallback_reason,
            confidence=None if answer.confidence is None else round(answer.confidence, 4),
            timings_ms={k: round(v, 2) for k, v in answer.timings_ms.items()},
        )


def _number(n: NumberCheck) -> Number:
    return Number(text=n.text, value=finite(n.value), low=finite(n.low), high=finite(n.high),
                  unit=n.unit, status=n.status, citation=n.citation, fact_id=n.fact_id,
                  note=n.note, subject=n.subject)


# -- documented error responses ---------------------------------------------------------

_ERROR_DESCRIPTIONS = {
    400: "Bad input (bad_question, bad_input, unreadable_file, …).",
    401: "An API key is needed or the key is not valid.",
    403: "Writes are disabled on this server.",
    404: "No such document, conversation or route.",
    409: "The change cannot be made now (another ingest is running, …).",
    413: "Request body or upload too large.",
    415: "Unsupported file type.",
    422: "The request does not match the schema.",
    500: "Unexpected server error (no traceback is sent).",
    502: "An upstream service (LLM endpoint, Chroma server) failed.",
    503: "No index has been built yet, or the service is still starting.",
}


def error_responses(*statuses: int, json_route: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for these statuses, all in the error shape.

    A route whose success is not JSON (text, event stream) passes ``json_route=False``: FastAPI
    would otherwise document its errors under the route's own media type.
    """
    if json_route:
        return {
            status: {"model": ErrorResponse, "description": _ERROR_DESCRIPTIONS[status]}
            for status in (*statuses, 422, 500)
        }
    schema = {"$ref": "#/components/schemas/ErrorResponse"}
    return {
        status: {"description": _ERROR_DESCRIPTIONS[status],
                 "content": {"application/json": {"schema": schema}}}
        for status in (*statuses, 422, 500)
    }
