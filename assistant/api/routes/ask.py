"""POST /v1/ask (the contract) and POST /v1/ask/stream (the same answer as Server-Sent Events)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from ...contract import AskResponse, error_responses
from ...conversation.store import Caller, validate_id
from ...errors import AssistantError
from ...security import CallerDep
from ...service import Assistant, clean_question
from ...settings import Settings
from ...types import Answer
from ..deps import AssistantDep, MetricsDep, scrub_paths
from ..models import AskRequest, conversation_links

log = logging.getLogger(__name__)
router = APIRouter(tags=["ask"])

_STREAM_EXAMPLE = (
    'event: retrieval\ndata: {"conversation_id": "c_9f2a61b0c4d7e813", "standalone_question": '
    '"How much copper did the Example mine produce in 2023?", "timings_ms": {"total": 11.3}}\n\n'
    'event: answer\ndata: {"delta": "In 2023, the Example mine produced "}\n\n'
    'event: answer\ndata: {"delta": "was about 81,000 tons [1]."}\n\n'
    'event: citations\ndata: {"citations": [{"id": 1, "doc_id": "…", "quote": "…"}]}\n\n'
    'event: numbers\ndata: {"numbers": [{"text": "81,000 tons", "status": "verified"}]}\n\n'
    'event: done\ndata: {"conversation_id": "c_9f2a61b0c4d7e813", "answer": "…", …}\n\n'
)


def check_conversation(assistant: Assistant, conversation_id: str | None,
                       caller: Caller) -> None:
    """An unknown ``conversation_id`` (or someone else's) is a 404 here, not the start of a new
    conversation."""
    if conversation_id is not None:
        assistant.conversations.check(validate_id(conversation_id), caller)


def preflight(assistant: Assistant, question: str, conversation_id: str | None,
              caller: Caller) -> None:
    """The checks a stream makes before it starts, so they still get a proper HTTP status."""
    clean_question(question, assistant.settings.max_question_chars)
    check_conversation(assistant, conversation_id, caller)
    assistant.holder.get()


def pieces(text: str, size: int = 48) -> list[str]:
    """``text`` cut at white space into pieces of about ``size`` characters; they join back to
    exactly ``text``."""
    out: list[str] = []
    current = ""
    for token in re.findall(r"\S+\s*|\s+", text):
        current += token
        if len(current) >= size:
            out.append(current)
            current = ""
    if current or not out:
        out.append(current)
    return out


def error_payload(exc: BaseException, settings: Settings) -> dict[str, Any]:
    """The contract's error object for an exception raised after a stream started."""
    if isinstance(exc, AssistantError):
        return {"error": {"code": exc.code, "message": scrub_paths(exc.message, settings)}}
    log.exception("unexpected error while streaming", exc_info=exc)
    return {"error": {"code": "internal_error",
                      "message": "unexpected server error; the details are in the server log"}}


@router.post("/v1/ask", response_model=AskResponse,
             responses={200: {"links": conversation_links()},
                        **error_responses(400, 401, 404, 409, 413, 502, 503)})
def ask(body: AskRequest, assistant: AssistantDep, metrics: MetricsDep,
        caller: CallerDep) -> AskResponse:
    """Answer a question from the sources, with quotes at exact offsets and checked numbers."""
    answer = assistant.ask(body.question, body.conversation_id, caller=caller, start=False)
    metrics.observe_answer(answer)
    return AskResponse.from_answer(answer)


@router.post(
    "/v1/ask/stream",
    response_class=EventSourceResponse,
    responses={
        200: {"description": "Events: retrieval, answer (deltas), citations, numbers, done; "
                             "or error.",
              "content": {"text/event-stream": {"example": _STREAM_EXAMPLE}}},
        **error_responses(400, 401, 404, 409, 413, 503, json_route=False),
    },
)
def ask_stream(body: AskRequest, assistant: AssistantDep, metrics: MetricsDep,
               caller: CallerDep) -> EventSourceResponse:
    """Answer a question as Server-Sent Events; the `done` event carries the whole answer."""
    preflight(assistant, body.question, body.conversation_id, caller)

    def run() -> Answer:
        return assistant.ask(body.question, body.conversation_id, caller=caller, start=False)

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            answer = await run_in_threadpool(run)
            metrics.observe_answer(answer)
            contract = AskResponse.from_answer(answer).model_dump(
                mode="json"
            )
        except Exception as exc:  # the stream has started: errors travel as an event
            yield ServerSentEvent(json.dumps(error_payload(exc, assistant.settings)),
                                  event="error")
            return
        yield ServerSentEvent(json.dumps({
            "conversation_id": contract["conversation_id"],
            "standalone_question": contract["standalone_question"],
            "timings_ms": contract["timings_ms"],
        }), event="retrieval")
        for piece in pieces(contract["answer"]):
            yield ServerSentEvent(json.dumps({"delta": piece}, ensure_ascii=False),
                                  event="answer")
        yield ServerSentEvent(json.dumps({"citations": contract["citations"]},
                                         ensure_ascii=False), event="citations")
        yield ServerSentEvent(json.dumps({"numbers": contract["numbers"]}, ensure_ascii=False),
                              event="numbers")
        yield ServerSentEvent(json.dumps(contract, ensure_ascii=False), event="done")

    return EventSourceResponse(events(), sep="\n")
