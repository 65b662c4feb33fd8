"""Conversations: list recent ones, read one with its turns, rename, export or delete one.

Each caller sees only the conversations it started (an admin key sees all); someone else's
conversation is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ...contract import AskResponse, error_responses
from ...conversation.store import Caller, validate_id
from ...errors import InputError
from ...security import CallerDep
from ...service import Assistant
from ..deps import AssistantDep, ConversationIdPath
from ..export import conversation_json, conversation_markdown
from ..models import (
    ConversationDetail,
    ConversationList,
    ConversationRename,
    ConversationSummary,
    TurnOut,
)

router = APIRouter(tags=["conversations"])


@router.get("/v1/conversations", response_model=ConversationList,
            responses=error_responses(401))
def list_conversations(
    assistant: AssistantDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> ConversationList:
    """List your most recently updated conversations (an admin key: everyone's), newest first."""
    return ConversationList(conversations=[
        ConversationSummary(id=c.id, title=c.title, created=c.created, updated=c.updated)
        for c in assistant.conversations.list(limit, caller)
    ])


@router.get("/v1/conversations/{conversation_id}", response_model=ConversationDetail,
            responses=error_responses(400, 401, 404))
def get_conversation(conversation_id: ConversationIdPath, assistant: AssistantDep,
                     caller: CallerDep) -> ConversationDetail:
    """One of your conversations with every turn: the question, what was searched, the answer."""
    return _detail(assistant, conversation_id, caller)


def _detail(assistant: Assistant, conversation_id: str, caller: Caller) -> ConversationDetail:
    c = assistant.conversation(conversation_id, caller)
    return ConversationDetail(
        id=c.id, title=c.title, created=c.created, updated=c.updated,
        turns=[
            TurnOut(n=t.n, question=t.question, standalone_question=t.standalone,
                    answer=AskResponse.from_answer(t.answer),
                    created=t.created)
            for t in c.turns
        ],
    )


@router.delete("/v1/conversations/{conversation_id}", status_code=204,
               responses=error_responses(400, 401, 404))
def delete_conversation(conversation_id: ConversationIdPath, assistant: AssistantDep,
                        caller: CallerDep) -> Response:
    """Delete one of your conversations and its turns."""
    assistant.delete_conversation(conversation_id, caller)
    return Response(status_code=204)


@router.patch("/v1/conversations/{conversation_id}", response_model=ConversationSummary,
              responses=error_responses(400, 401, 404))
def rename_conversation(conversation_id: ConversationIdPath, body: ConversationRename,
                        assistant: AssistantDep, caller: CallerDep) -> ConversationSummary:
    """Rename one of your conversations (its title starts as the first question)."""
    title = " ".join(body.title.split())
    if not title:
        raise InputError("title is empty; give the conversation a name")
    assistant.conversations.rename(validate_id(conversation_id), title, caller)
    c = assistant.conversation(conversation_id, caller)
    return ConversationSummary(id=c.id, title=c.title, created=c.created, updated=c.updated)


_EXPORT_EXAMPLE = ("# How much copper did the Example mine produce in 2023?\n\n"
                   "## 1. How much copper did the Example mine produce in 2023?\n\n"
                   "In 2023, the Example mine produced about 12,500 tons of copper [1].\n\n"
                   "**Sources**\n\n- [1] **Example Mining Annual Report 2024** "
                   "(`example-mining-report-2024`, characters 10412-10470): "
                   "\u201cIn 2023, …\u201d\n")


@router.get(
    "/v1/conversations/{conversation_id}/export",
    response_class=Response,
    responses={200: {"description": "The conversation as a file (Content-Disposition: "
                                    "attachment), every answer with its quotes and citations.",
                     "content": {"text/markdown": {"example": _EXPORT_EXAMPLE},
                                 "application/json": {"example": {"id": "c_9f2a61b0c4d7e813",
                                                                  "turns": ["…"]}}}},
               **error_responses(400, 401, 404, json_route=False)},
)
def export_conversation(
    conversation_id: ConversationIdPath,
    assistant: AssistantDep,
    caller: CallerDep,
    format: Annotated[Literal["markdown", "json"], Query(  # noqa: A002 - the query's name
        description="markdown to read, json to process")] = "markdown",
) -> Response:
    """Download one of your conversations as Markdown or JSON, quotes and citations kept."""
    detail = _detail(assistant, conversation_id, caller)
    if format == "json":
        body, media, ext = conversation_json(detail), "application/json", "json"
    else:
        body, media, ext = conversation_markdown(detail), "text/markdown; charset=utf-8", "md"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{detail.id}.{ext}"'})
