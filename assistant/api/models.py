"""HTTP bodies: the wire contract (shared CONTRACT.md), kept apart from the domain types.

Routes map domain values (``Answer``, ``Document``, ``Fact``…) into these models, so internals can
move while the JSON stays still. Every model carries an example for the OpenAPI page at /docs.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from ..conversations import ID_PATTERN
from ..service import unicode_problem

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
# What the routes enforce themselves (400, naming the rule), stated for clients and fuzzers.
QUESTION_SCHEMA: dict[str, Any] = {"minLength": 1, "pattern": "\\S"}
CONVERSATION_ID_SCHEMA: dict[str, Any] = {"pattern": ID_PATTERN}

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


# -- errors -----------------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str = Field(description="Stable, machine-readable error code.", examples=["not_found"])
    message: str = Field(description="What went wrong and the way out, for a person.")


class ErrorResponse(BaseModel):
    """Every error, whatever its status: ``{"error": {"code", "message"}}``."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": {"code": "not_found", "message": "no document 'annual-report-2031'"}}
    ]})
    error: ErrorBody


# -- ask --------------------------------------------------------------------------------


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"question": "How much copper did the Example mine produce in 2023?"},
        {"question": "And in 2023?", "conversation_id": "c_9f2a61b0c4d7e813"},
    ]})
    question: Text = Field(
        description="1..max_question_chars (default 4000) characters after trimming white space; "
        "longer or empty questions get 400 bad_question.", json_schema_extra=QUESTION_SCHEMA,
    )
    conversation_id: Text | None = Field(
        default=None,
        description="Omit to start a conversation; pass a returned id to ask a follow-up "
        "(404 when no such conversation exists, or it is someone else's).",
        json_schema_extra=CONVERSATION_ID_SCHEMA,
    )


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
    """CONTRACT.md §1: the answer, its citations and its checked numbers."""

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
    def from_contract(cls, obj: dict[str, Any]) -> AskResponse:
        """Map ``service.answer_to_contract``'s object (the CLI prints the same one)."""
        numbers = [
            {**n, "value": finite(n.get("value")), "low": finite(n.get("low")),
             "high": finite(n.get("high"))}
            for n in obj.get("numbers", [])
        ]
        return cls(
            conversation_id=obj.get("conversation_id") or "",
            answer=obj["answer"],
            refused=obj["refused"],
            citations=[Citation(**c) for c in obj.get("citations", [])],
            numbers=[Number(**n) for n in numbers],
            standalone_question=obj.get("standalone_question") or "",
            conflict=bool(obj.get("conflict", False)),
            related=[RelatedPassage(**r) for r in obj.get("related", [])],
            composer=obj.get("composer") or "extractive",
            fallback_reason=obj.get("fallback_reason"),
            confidence=finite(obj.get("confidence")),
            timings_ms=obj.get("timings_ms") or {},
        )


# -- conversations ----------------------------------------------------------------------


class ConversationSummary(BaseModel):
    id: str
    title: str = Field(description="The first question, cut at 120 characters.")
    created: float = Field(description="Unix time.")
    updated: float = Field(description="Unix time of the latest turn.")


class ConversationList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"conversations": [
        {"id": "c_9f2a61b0c4d7e813",
         "title": "How much copper did the Example mine produce in 2023?",
         "created": 1763712000.0, "updated": 1763712042.5}
    ]}]})
    conversations: list[ConversationSummary]


class TurnOut(BaseModel):
    n: int = Field(description="1 for the first turn.")
    question: str = Field(description="As asked.")
    standalone_question: str = Field(description="As searched.")
    answer: AskResponse
    created: float


class ConversationDetail(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "c_9f2a61b0c4d7e813",
        "title": "How much copper did the Example mine produce in 2023?",
        "created": 1763712000.0, "updated": 1763712000.0,
        "turns": [{"n": 1, "question": "How much copper did the Example mine produce in 2023?",
                   "standalone_question": "How much copper did the Example mine produce in 2023?",
                   "answer": _ANSWER, "created": 1763712000.0}],
    }]})
    id: str
    title: str
    created: float
    updated: float
    turns: list[TurnOut]


# -- documents --------------------------------------------------------------------------

_DOC: dict[str, Any] = {
    "id": "example-mining-report-2024",
    "title": "Example Mining Annual Report 2024",
    "source": "China Geological Survey", "published": "2025-11-21T08:57:57",
    "url": None, "chars": 14250,
}


class DocumentSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DOC]})
    id: str
    title: str
    source: str | None = None
    published: str | None = Field(default=None, description="ISO 8601 date or date-time.")
    url: str | None = None
    chars: int = Field(description="Length of the cleaned text in code points.")


class DocumentList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"generation": "g20251121T085757-a1b2c3", "count": 1, "documents": [_DOC]}
    ]})
    generation: str = Field(description="The index generation that was read.")
    count: int
    documents: list[DocumentSummary]


class DocumentDetail(DocumentSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "content_hash": "5be0…", "chunks": 21, "facts": 64,
        "text_url": "/v1/documents/example-mining-report-2024/text",
    }]})
    content_hash: str
    chunks: int
    facts: int
    text_url: str = Field(description="Where the text that citation offsets point into is.")


class IngestResult(BaseModel):
    """What an upload or a delete changed in the index."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "doc_id": "site-visit-notes", "changed": True, "generation": "g20251121T090102-d4e5f6",
        "added": ["site-visit-notes"], "replaced": [], "removed": [],
        "documents": 2, "chunks": 25, "facts": 70, "seconds": 0.41,
    }]})
    doc_id: str
    changed: bool = Field(description="False when the index already held exactly this.")
    generation: str | None = Field(description="The new generation; null when unchanged.")
    added: list[str]
    replaced: list[str]
    removed: list[str]
    documents: int | None = Field(description="Documents in the new generation.")
    chunks: int | None = None
    facts: int | None = None
    seconds: float


# -- facts ------------------------------------------------------------------------------


_FACT: dict[str, Any] = {
    "fact_id": "example-mining-report-2024#f12",
    "doc_id": "example-mining-report-2024", "text": "$150 million", "start": 9107,
    "end": 9119, "kind": "currency", "value": 150000000.0, "low": 150000000.0,
    "high": 150000000.0, "unit": "USD", "subject": "deep processing complex",
    "attribute": "investment", "provenance": "extracted", "iso": None,
}


class FactOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_FACT]})
    fact_id: str
    doc_id: str
    text: str = Field(description="The literal; equals text[start:end] when start is set.")
    start: int | None
    end: int | None
    kind: str
    value: float | None
    low: float | None = Field(description="null for an open lower bound.")
    high: float | None = Field(description="null for an open upper bound.")
    unit: str
    subject: str
    attribute: str
    provenance: str = Field(description='"extracted" or "curated:<file>#<row>".')
    iso: str | None = None


class FactList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"generation": "g20251121T085757-a1b2c3", "count": 1, "facts": [_FACT]}
    ]})
    generation: str
    count: int
    facts: list[FactOut]


# -- health -----------------------------------------------------------------------------


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ready", "generation": "g20251121T085757-a1b2c3", "documents": 1}
    ]})
    status: Literal["ready"] = "ready"
    generation: str
    documents: int


# -- OpenAI-compatible chat -------------------------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Text
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Text = Field(description="system | developer | user | assistant | tool")
    content: Text | list[ContentPart] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return " ".join(p.text for p in self.content if p.type == "text" and p.text)


# What the route enforces (400 otherwise): some user message has text to answer.
_USER_MESSAGE: dict[str, Any] = {
    "type": "object", "required": ["role", "content"],
    "properties": {"role": {"const": "user"}, "content": {"type": "string", **QUESTION_SCHEMA}},
}


class ChatRequest(BaseModel):
    """OpenAI's chat.completions request. The messages ARE the conversation."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "model": "assistant",
        "messages": [
            {"role": "user", "content": "How much copper did the Example mine produce in 2023?"},
        ],
    }, {
        "model": "assistant", "stream": True,
        "messages": [
            {"role": "user", "content": "Which company operates the Example mine?"},
            {"role": "assistant", "content": "Acme Metals operates it [1]."},
            {"role": "user", "content": "Who is bidding for them?"},
        ],
    }]})
    model: Text = Field(default="assistant", max_length=200,
                        description="Accepted and echoed; one model serves.")
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=200, json_schema_extra={"contains": _USER_MESSAGE},
        description="The last user message is the question; the earlier user messages (the "
        "newest ASSISTANT_CHAT_CONTEXT_MESSAGES of them) are context for a follow-up, never "
        "answered again. System and assistant messages are not sources.",
    )
    stream: StrictBool = False
    conversation_id: Text | None = Field(
        default=None, description="Extension: continue this conversation (yours) instead of "
        "starting one.", json_schema_extra=CONVERSATION_ID_SCHEMA,
    )


class ChatResponseMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatResponseMessage
    finish_reason: Literal["stop"] = "stop"


class ChatUsage(BaseModel):
    """Approximate: white-space separated words, not model tokens."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """A chat.completion; ``citations``, ``numbers``, ``refused`` and ``conversation_id`` are
    extensions (the [n] markers stay in the content)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "chatcmpl-3b1f0c2d9e8a7f6b", "object": "chat.completion", "created": 1763712000,
        "model": "assistant",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": _ANSWER["answer"]}}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 10, "total_tokens": 19},
        "citations": [_CITATION], "numbers": [_NUMBER], "refused": False,
        "conversation_id": "c_9f2a61b0c4d7e813",
    }]})
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: ChatUsage
    citations: list[Citation]
    numbers: list[Number]
    refused: bool
    conversation_id: str


# -- OpenAPI links: how one response's ids feed the next requests (clients, stateful fuzzers) --


def _link(path: str, method: str, **parameters: str) -> dict[str, Any]:
    ref = "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method
    return {"operationRef": ref, "parameters": parameters}


def conversation_links(source: str = "$response.body#/conversation_id") -> dict[str, Any]:
    """Links from a response carrying a conversation id to reading and deleting it."""
    path = "/v1/conversations/{conversation_id}"
    return {"GetConversation": _link(path, "get", conversation_id=source),
            "DeleteConversation": _link(path, "delete", conversation_id=source)}


def document_links(source: str = "$response.body#/doc_id") -> dict[str, Any]:
    """Links from a response carrying a document id to reading and deleting it."""
    path = "/v1/documents/{doc_id}"
    return {"GetDocument": _link(path, "get", doc_id=source),
            "GetDocumentText": _link(path + "/text", "get", doc_id=source),
            "DeleteDocument": _link(path, "delete", doc_id=source)}


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
