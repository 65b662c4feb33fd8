"""POST /v1/chat/completions: OpenAI-compatible, so any OpenAI client or chat UI can ask.

Only the last user message is answered (and stored as a turn). The earlier user messages are
context: the newest ``chat_context_messages`` of them rewrite a follow-up the way ``/v1/ask``
rewrites one from earlier turns, but none is asked again, so a long history costs one answer.
System and assistant messages are ignored: they are not sources. A conversation made for a
message list is remembered by its caller and user messages, so the next request (the same list
plus one exchange) continues it; the extension field ``conversation_id`` continues a given
conversation (the caller's own) directly.

Chat UIs show only the content, so the citations travel there too, as a short Sources footer
(``sources_footer``, default ``ASSISTANT_CHAT_SOURCES_FOOTER``). Their background requests
about the chat itself (titles, tags, follow-ups: ``chores``) get a brief reply and are not
stored. A stream sends its first chunk before the answer is composed, so a client sees the
reply start at once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from ...contract import AskResponse, Citation, error_responses
from ...conversation.store import Caller
from ...errors import InputError
from ...security import CallerDep
from ...service import Assistant, clean_question
from ...settings import Settings
from ...types import Answer
from .. import chores
from ..deps import AssistantDep, MetricsDep
from ..metrics import Metrics
from ..models import (
    ChatChoice,
    ChatCompletion,
    ChatRequest,
    ChatResponseMessage,
    ChatUsage,
    conversation_links,
)
from .ask import check_conversation, error_payload, pieces

router = APIRouter(tags=["chat"])

_STREAM_EXAMPLE = (
    'data: {"id": "chatcmpl-3b1f", "object": "chat.completion.chunk", "created": 1763712000, '
    '"model": "assistant", "choices": [{"index": 0, "delta": {"role": "assistant", '
    '"content": ""}, "finish_reason": null}]}\n\n'
    'data: {"id": "chatcmpl-3b1f", "object": "chat.completion.chunk", …, "choices": [{"index": '
    '0, "delta": {"content": "In 2023, the Example mine produced "}, "finish_reason": null}]}'
    '\n\n'
    'data: {"id": "chatcmpl-3b1f", "object": "chat.completion.chunk", …, "choices": [{"index": '
    '0, "delta": {}, "finish_reason": "stop"}], "citations": […], "numbers": […]}\n\n'
    "data: [DONE]\n\n"
)


class ChatSessions:
    """Which conversation a caller's list of user messages was answered in (bounded, per
    process).

    A hit is trusted only if the conversation is still the caller's and its last turn is the
    last of those messages, so a branch in the history (an edited message) starts afresh.
    """

    def __init__(self, size: int = 4096) -> None:
        self._map: OrderedDict[str, str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    @staticmethod
    def _key(caller: Caller, questions: list[str]) -> str:
        return hashlib.sha256(json.dumps([caller.owner, questions]).encode()).hexdigest()

    def find(self, assistant: Assistant, caller: Caller, questions: list[str]) -> str | None:
        with self._lock:
            found = self._map.get(self._key(caller, questions))
        if found is None or not assistant.conversations.exists(found, caller):
            return None
        turns = assistant.conversations.turns(found)
        return found if turns and turns[-1].question == questions[-1] else None

    def remember(self, caller: Caller, questions: list[str], conversation_id: str) -> None:
        key = self._key(caller, questions)
        with self._lock:
            self._map[key] = conversation_id
            self._map.move_to_end(key)
            while len(self._map) > self._size:
                self._map.popitem(last=False)


def get_sessions(request: Request) -> ChatSessions:
    return cast(ChatSessions, request.app.state.chat_sessions)


def user_questions(body: ChatRequest, max_chars: int) -> list[str]:
    """The user messages' texts, cleaned; the last one is the question."""
    questions = [
        clean_question(m.text(), max_chars)
        for m in body.messages
        if m.role == "user" and m.text().strip()
    ]
    if not questions:
        raise InputError("messages has no user message with text; the last user message is the "
                         "question")
    return questions


def answer_chat(assistant: Assistant, sessions: ChatSessions, body: ChatRequest,
                questions: list[str], caller: Caller) -> Answer:
    """Answer the last question: in the conversation the earlier messages were answered in, or
    in a new one with the newest earlier messages as context (never answered again)."""
    *earlier, question = questions
    if body.conversation_id is not None:
        return assistant.ask(question, body.conversation_id, caller=caller, start=False)
    conversation_id = sessions.find(assistant, caller, earlier) if earlier else None
    keep = assistant.settings.chat_context_messages
    context = earlier[-keep:] if conversation_id is None and keep else []
    answer = assistant.ask(question, conversation_id, caller=caller, context=context,
                           start=False)
    if answer.conversation_id:
        sessions.remember(caller, questions, answer.conversation_id)
    return answer


QUOTE_CHARS = 200


def sources_footer(citations: Sequence[Citation]) -> str:
    """The citations as text after the answer: ``Sources:`` then ``- [n] Title: “quote”``.

    Markdown renders it as a list and plain text reads as well; a long quote is cut.
    """
    if not citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in citations:
        quote = c.quote if len(c.quote) <= QUOTE_CHARS else c.quote[:QUOTE_CHARS - 1].rstrip()
        quote += "" if quote == c.quote else "…"
        lines.append(f"- [{c.id}] {c.title}: \u201c{quote}\u201d")
    return "\n".join(lines)


def wants_footer(body: ChatRequest, settings: Settings) -> bool:
    return settings.chat_sources_footer if body.sources_footer is None else body.sources_footer


def chore_of(body: ChatRequest) -> chores.Chore | None:
    """The request's chore when its last instruction (user or system message) is about the
    chat itself, else None."""
    for message in reversed(body.messages):
        if message.role in ("user", "system", "developer") and message.text().strip():
            return chores.recognise(message.text())
    return None


def _usage(body: ChatRequest, answer: str) -> ChatUsage:
    prompt = sum(len(m.text().split()) for m in body.messages)
    completion = len(answer.split())
    return ChatUsage(prompt_tokens=prompt, completion_tokens=completion,
                     total_tokens=prompt + completion)


@dataclass(frozen=True)
class Reply:
    """What one chat request answered: the content and the extension fields."""

    content: str
    contract: AskResponse | None = None  # None for a chore: nothing was asked or stored

    def extensions(self) -> dict[str, Any]:
        c = self.contract
        return {
            "citations": [x.model_dump(mode="json") for x in c.citations] if c else [],
            "numbers": [x.model_dump(mode="json") for x in c.numbers] if c else [],
            "refused": c.refused if c else False,
            "conversation_id": c.conversation_id if c else None,
        }


def reply_to(assistant: Assistant, sessions: ChatSessions, body: ChatRequest,
             questions: list[str], caller: Caller, metrics: Metrics) -> Reply:
    """Answer the question; the content carries the Sources footer when it is wanted."""
    answer = answer_chat(assistant, sessions, body, questions, caller)
    metrics.observe_answer(answer)
    contract = AskResponse.from_answer(answer)
    footer = sources_footer(contract.citations) if wants_footer(body, assistant.settings) else ""
    return Reply(contract.answer + footer, contract)


@dataclass(frozen=True)
class Chunks:
    """The chat.completion.chunk events of one streamed completion."""

    completion_id: str
    created: int
    model: str

    def event(self, delta: dict[str, Any], finish: str | None = None,
              **extra: object) -> ServerSentEvent:
        obj = {"id": self.completion_id, "object": "chat.completion.chunk",
               "created": self.created, "model": self.model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return ServerSentEvent(json.dumps(obj, ensure_ascii=False))

    def rest(self, body: ChatRequest, reply: Reply) -> list[ServerSentEvent]:
        """After the role chunk: the content in pieces, the final chunk, ``[DONE]``."""
        out = [self.event({"content": piece}) for piece in pieces(reply.content)]
        out.append(self.event({}, "stop", **reply.extensions(),
                              usage=_usage(body, reply.content).model_dump()))
        out.append(ServerSentEvent("[DONE]"))
        return out


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={
        200: {"description": "A chat.completion, or with `stream: true` chat.completion.chunk "
                             "events ending with `data: [DONE]`.",
              "content": {"text/event-stream": {"example": _STREAM_EXAMPLE}},
              "links": conversation_links()},
        **error_responses(400, 401, 404, 409, 413, 502, 503),
    },
)
def chat_completions(
    body: ChatRequest,
    assistant: AssistantDep,
    sessions: Annotated[ChatSessions, Depends(get_sessions)],
    metrics: MetricsDep,
    caller: CallerDep,
) -> ChatCompletion | EventSourceResponse:
    """OpenAI-compatible chat: answers the last user message, with its sources in the content
    and in extension fields; a request about the chat itself gets a brief reply, not stored."""
    chore = chore_of(body)
    questions = [] if chore else user_questions(body, assistant.settings.max_question_chars)
    chunks = Chunks("chatcmpl-" + secrets.token_hex(12), int(time.time()), body.model)
    if not body.stream:
        reply = Reply(chores.reply(chore)) if chore else reply_to(
            assistant, sessions, body, questions, caller, metrics)
        return ChatCompletion(
            id=chunks.completion_id, created=chunks.created, model=body.model,
            choices=[ChatChoice(message=ChatResponseMessage(content=reply.content))],
            usage=_usage(body, reply.content), **reply.extensions(),
        )
    if not chore:
        check_conversation(assistant, body.conversation_id, caller)
        assistant.holder.get()

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield chunks.event({"role": "assistant", "content": ""})  # before the answer exists
        try:
            reply = Reply(chores.reply(chore)) if chore else await run_in_threadpool(
                reply_to, assistant, sessions, body, questions, caller, metrics)
        except Exception as exc:  # headers are sent: the error travels as a data event
            yield ServerSentEvent(json.dumps(error_payload(exc, assistant.settings)))
            return
        for event in chunks.rest(body, reply):
            yield event

    return EventSourceResponse(events(), sep="\n")
