"""A conversation as a file a person keeps: Markdown to read, JSON to process.

Both keep what makes an answer checkable: every citation's quote with its document and
offsets, and every number's status, so an exported answer can still be verified against
``GET /v1/documents/{doc_id}/text`` later.
"""

from __future__ import annotations

import json
import time

from .models import ConversationDetail, TurnOut


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(seconds))


def _turn_markdown(turn: TurnOut) -> list[str]:
    answer = turn.answer
    lines = [f"## {turn.n}. {turn.question}", ""]
    if turn.standalone_question.strip().lower() != turn.question.strip().lower():
        lines += [f"*Searched: {turn.standalone_question}*", ""]
    lines += [("**No answer from the sources.** " if answer.refused else "") + answer.answer, ""]
    if answer.citations:
        lines += ["**Sources**", ""]
        lines += [f"- [{c.id}] **{c.title}** (`{c.doc_id}`, characters {c.start}-{c.end}): "
                  f"\u201c{c.quote}\u201d" for c in answer.citations]
        lines.append("")
    if answer.numbers:
        lines += ["**Numbers**", ""]
        lines += [f"- {n.text}: {n.status}" + (f" ({n.note})" if n.note else "")
                  for n in answer.numbers]
        lines.append("")
    return lines


def conversation_markdown(conversation: ConversationDetail) -> str:
    """The conversation as Markdown: a heading per question, the answer, its quotes."""
    lines = [f"# {conversation.title}", "",
             f"*Conversation `{conversation.id}`, started {_when(conversation.created)}, "
             f"last answer {_when(conversation.updated)}.*", ""]
    for turn in conversation.turns:
        lines += _turn_markdown(turn)
    return "\n".join(lines).rstrip() + "\n"


def conversation_json(conversation: ConversationDetail) -> str:
    """The conversation as ``GET /v1/conversations/{id}`` returns it, indented."""
    return json.dumps(conversation.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
