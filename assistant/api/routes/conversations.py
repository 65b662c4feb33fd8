"""Conversations: list recent ones, read one with its turns, delete one.

Each caller sees only the conversations it started (an admin key sees all); someone else's
conversation is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ...contract import AskResponse, error_responses
from ...security import CallerDep
from ..deps import AssistantDep, ConversationIdPath
from ..models import ConversationDetail, ConversationList, ConversationSummary, TurnOut

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
