"""HTTP bodies: the wire contract (docs/contract.md), kept apart from the domain types.

Routes map domain values (``Answer``, ``Document``, ``Fact``…) into these models, so internals can
move while the JSON stays still. Every model carries an example for the OpenAPI page at /docs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..contract import (  # noqa: F401 - the wire models, re-exported for the routes
    _ANSWER,
    _CITATION,
    _NUMBER,
    AskResponse,
    Citation,
    ErrorBody,
    ErrorResponse,
    Number,
    RelatedPassage,
    Text,
    error_responses,
    finite,
    malformed_text,
)
from ..conversation.store import ID_PATTERN
from ..ingest.sources import DOC_ID_PATTERN

# What the routes enforce themselves (400, naming the rule), stated for clients and fuzzers.
QUESTION_SCHEMA: dict[str, Any] = {"minLength": 1, "pattern": "\\S"}
CONVERSATION_ID_SCHEMA: dict[str, Any] = {"pattern": ID_PATTERN}

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


class ConversationRename(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Copper output"}]})
    title: Text = Field(min_length=1, max_length=120, json_schema_extra={"pattern": "\\S"},
                        description="The new title, 1-120 characters; white space is collapsed.")


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


class DocumentListItem(DocumentSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_DOC, "chunks": 21}]})
    chunks: int = Field(description="Passages the document was cut into for retrieval.")


class DocumentList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"generation": "g20251121T085757-a1b2c3", "count": 1,
         "documents": [{**_DOC, "chunks": 21}]}
    ]})
    generation: str = Field(description="The index generation that was read.")
    count: int
    documents: list[DocumentListItem]


class SuggestionOut(BaseModel):
    question: str
    doc_id: str = Field(description="The document the question was drawn from.")
    title: str


class SuggestionList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"suggestions": [
        {"question": "What do the sources say about copper production?",
         "doc_id": "example-mining-report-2024", "title": "Example Mining Annual Report 2024"}
    ]}]})
    suggestions: list[SuggestionOut]


class DocumentDetail(DocumentSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_DOC, "content_hash": "5be0…", "chunks": 21, "facts": 64,
        "text_url": "/v1/documents/example-mining-report-2024/text",
    }]})
    content_hash: str
    chunks: int
    facts: int
    text_url: str = Field(description="Where the text that citation offsets point into is.")


class FetchRequest(BaseModel):
    """A document to fetch from the web and ingest like an upload."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://example.org/reports/site-visit.html"},
        {"url": "https://example.org/notes.pdf", "doc_id": "site-visit-notes"},
    ]})
    url: Text = Field(
        description="An http(s) URL whose host resolves to public addresses (or to networks "
        "ASSISTANT_FETCH_ALLOW names); redirects are followed and checked again.",
        json_schema_extra={"minLength": 1, "maxLength": 2048, "pattern": r"^https?://\S+$"},
    )
    doc_id: Text | None = Field(
        default=None, description="Default: from the URL's path.",
        json_schema_extra={"pattern": DOC_ID_PATTERN},
    )


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


# -- search -----------------------------------------------------------------------------


class SearchHit(BaseModel):
    chunk_id: str
    doc_id: str
    start: int
    end: int
    rrf: float = Field(description="The fused (reciprocal rank) score.")
    dense_rank: int | None = None
    dense_score: float | None = None
    bm25_rank: int | None = None
    bm25_score: float | None = None
    text: str


class SearchResult(BaseModel):
    """What retrieval found for a query, each ranking's rank and score kept (for debugging)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "searched": "copper output 2023", "timings_ms": {"dense": 7.1, "bm25": 1.2},
        "hits": [{"chunk_id": "example-mining-report-2024#3", "doc_id":
                  "example-mining-report-2024", "start": 9800, "end": 10900, "rrf": 0.0325,
                  "dense_rank": 1, "dense_score": 0.71, "bm25_rank": 2, "bm25_score": 11.4,
                  "text": "In 2023, the Example mine produced about 12,500 tons of copper."}],
    }]})
    searched: str = Field(description="The query as searched (misspellings corrected).")
    hits: list[SearchHit]
    timings_ms: dict[str, float]


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
    sources_footer: StrictBool | None = Field(
        default=None, description="Extension: end the content with a Sources footer (each "
        "citation's title and quote) for chat UIs that show only the content. Default: "
        "ASSISTANT_CHAT_SOURCES_FOOTER (true).",
    )


class ModelCard(BaseModel):
    """One model in OpenAI's shape."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "assistant", "object": "model", "created": 1763712000, "owned_by": "assistant"}
    ]})
    id: str = Field(description="What to pass as `model` (ASSISTANT_CHAT_MODEL).")
    object: Literal["model"] = "model"
    created: int = Field(description="Unix time the server started.")
    owned_by: str = "assistant"


class ModelList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"object": "list", "data": [
        {"id": "assistant", "object": "model", "created": 1763712000, "owned_by": "assistant"}
    ]}]})
    object: Literal["list"] = "list"
    data: list[ModelCard]


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
    extensions (the [n] markers stay in the content, followed by a Sources footer unless it is
    turned off)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "chatcmpl-3b1f0c2d9e8a7f6b", "object": "chat.completion", "created": 1763712000,
        "model": "assistant",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": _ANSWER["answer"] + "\n\nSources:\n- [1] "
            + _CITATION["title"] + ": \u201c" + _CITATION["quote"] + "\u201d"}}],
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
    conversation_id: str | None = Field(
        description="The conversation the answer was stored in; null for a request about the "
        "chat itself (a title, tags, follow-ups), which is answered but not stored.")


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


