"""Requests about the chat itself: a title, tags, follow-ups or search queries for a
conversation whose history the request embeds.

Chat front-ends (open-webui, LibreChat, …) send these "background tasks" to the same
``/v1/chat/completions`` as the questions. They are not questions about the sources: answered
as questions they come back as refusals and are stored as conversations in the caller's list.
So they are recognised by one general rule, not by any front-end's exact wording:

    a message that **embeds a transcript** (a ``<chat_history>``-like block, or lines that
    start with a user role *and* lines that start with an assistant role: ``USER:`` /
    ``ASSISTANT:``, ``||>User:`` / ``||>Response:``, ``Human:`` / ``AI:``) and whose own words
    (outside the transcript) **speak of the chat** (chat, conversation, dialogue, thread).

Such a request is answered at once from the transcript, briefly and without retrieval, and
nothing is stored. What to return follows the instruction: the JSON keys it shows
(``{"title": …}``, ``{"tags": […]}``, ``{"follow_ups": […]}``, ``{"queries": […]}``) are
filled; an instruction with no JSON gets a plain title. The title is the first question of the
transcript, cut to a few words: it is what the conversation asked, and needs no model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# A transcript block: <chat_history>…</chat_history>, <conversation>…, <history>…, <messages>…
_BLOCK = re.compile(r"<(chat_history|chat-history|conversation|history|messages|dialogue)>"
                    r"(.*?)</\1>", re.S | re.I)
# A line that opens one message of an embedded transcript.
_ROLE_LINE = re.compile(
    r"^\s*(?:\|\|>|<|\*\*|#+\s*)?(user|human|question|assistant|ai|bot|response|answer|model)"
    r"(?:>|\*\*)?\s*:\s?(.*)$", re.I | re.M)
_USER_ROLES = {"user", "human", "question"}
_CHAT_WORDS = re.compile(r"\b(chat|chats|conversation|conversations|dialog|dialogue|thread)\b",
                         re.I)
# A JSON key the instruction shows, and whether its value is a list or a string.
_JSON_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_]{0,40})"\s*:\s*(\[|")')
_QUERY_KEYS = {"queries", "query", "search_queries"}
TITLE_WORDS = 6


@dataclass(frozen=True)
class Chore:
    """A request about the chat: the instruction's own words and the transcript's questions."""

    instruction: str
    questions: tuple[str, ...]


def _transcript(text: str) -> tuple[str, str]:
    """``text`` split into (the instruction's own words, the embedded transcript)."""
    blocks = [m.group(2) for m in _BLOCK.finditer(text)]
    if blocks:
        return _BLOCK.sub(" ", text), "\n".join(blocks)
    lines = list(_ROLE_LINE.finditer(text))
    if not lines:
        return text, ""
    start = lines[0].start()
    return text[:start] + " " + _after_transcript(text, lines[-1].end()), text[start:]


def _after_transcript(text: str, end: int) -> str:
    """Words after the transcript's last message that are an instruction again (a line such as
    ``||>Title:`` or ``### Output``), not part of that message."""
    rest = text[end:]
    cue = re.search(r"^\s*(?:\|\|>|#+)", rest, re.M)
    return rest[cue.start():] if cue else ""


def _messages(transcript: str) -> list[tuple[str, str]]:
    """(role, text) of each message of a transcript; a message runs to the next role line."""
    found = list(_ROLE_LINE.finditer(transcript))
    out = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(transcript)
        body = (m.group(2) + transcript[m.end():end]).strip()
        out.append((m.group(1).lower(), body.strip().strip('"').strip()))
    return out


def recognise(text: str) -> Chore | None:
    """The chore ``text`` asks for, or None when it is not about the chat itself."""
    instruction, transcript = _transcript(text)
    messages = _messages(transcript)
    roles = {role in _USER_ROLES for role, _ in messages}
    embeds = bool(_BLOCK.search(text)) or roles == {True, False}
    if not embeds or not _CHAT_WORDS.search(instruction):
        return None
    questions = tuple(body for role, body in messages if role in _USER_ROLES and body)
    return Chore(instruction=instruction, questions=questions)


def title(questions: tuple[str, ...]) -> str:
    """A short title: the first question's first words, without closing punctuation."""
    if not questions:
        return "New chat"
    words = " ".join(questions[0].split()).split(" ")[:TITLE_WORDS]
    text = " ".join(words).rstrip("?.!,;:…")
    return text[:1].upper() + text[1:] if text else "New chat"


def reply(chore: Chore) -> str:
    """The brief answer: the JSON the instruction shows, filled, or a plain title."""
    keys = {key: kind for key, kind in _JSON_KEY.findall(chore.instruction)}
    if not keys:
        return title(chore.questions)
    filled: dict[str, object] = {}
    for key, kind in keys.items():
        if kind == '"':
            filled[key] = title(chore.questions)
        elif key.lower() in _QUERY_KEYS:
            filled[key] = list(chore.questions[-1:])
        else:  # tags, follow-ups, …: nothing the sources vouch for
            filled[key] = []
    return json.dumps(filled, ensure_ascii=False)
