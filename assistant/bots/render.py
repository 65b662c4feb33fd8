"""An ``Answer`` as chat messages: Slack Block Kit blocks, and plain text for any other bot.

Both keep the answer's ``[n]`` markers and show each quote with its document and offsets, so a
reader can check it against ``GET /v1/documents/{doc_id}/text``; numbers show their status.
Pure functions: an ``Answer`` in, blocks or text out.
"""

from __future__ import annotations

from typing import Any

from ..types import Answer, Citation

# Block Kit limits: a section's or context element's text is at most 3000 characters, a
# message at most 50 blocks; a context block at most 10 elements.
_TEXT_MAX = 3000
_BLOCKS_MAX = 50
_STATUS_EMOJI = {"verified": ":white_check_mark:", "conflict": ":warning:",
                 "unverified": ":grey_question:"}
_STATUS_MARK = {"verified": "verified", "conflict": "CONFLICT", "unverified": "unverified"}

Block = dict[str, Any]


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup: ``&``, ``<`` and ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _source_line(c: Citation) -> str:
    return f"{c.title} ({c.doc_id}, chars {c.start}-{c.end})"


def render_text(answer: Answer) -> str:
    """A plain-text message for any chat: answer, numbered sources with quotes, numbers."""
    lines = [answer.answer]
    if answer.standalone_question and answer.standalone_question != answer.question:
        lines.append(f"(searched: {answer.standalone_question})")
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            lines.append(f"[{c.id}] {_source_line(c)}")
            lines.append(f"    “{c.quote}”")
    if answer.numbers:
        lines += ["", "Numbers:"]
        for n in answer.numbers:
            cited = f" [{n.citation}]" if n.citation else ""
            lines.append(f"  {n.text}: {n.status}{cited}")
    if answer.refused and answer.related:
        lines += ["", "Related passages (not an answer):"]
        for r in answer.related:
            lines.append(f"  - {r.title}: “{clip(r.quote, 300)}”")
    return "\n".join(lines)


def render_blocks(answer: Answer) -> list[Block]:
    """Block Kit blocks: the answer with its ``[n]``, each quote as a context block naming its
    document, the numbers with their status, and what was searched for a follow-up."""
    blocks: list[Block] = [_section(answer.answer)]
    if answer.standalone_question and answer.standalone_question != answer.question:
        blocks.append(_context(f"_Searched:_ {escape_mrkdwn(answer.standalone_question)}"))
    if answer.conflict:
        blocks.append(_context(":warning: The sources give different values; see the numbers."))
    if answer.citations:
        blocks.append({"type": "divider"})
        for c in answer.citations:
            blocks.append(_context(
                f"*[{c.id}]* {escape_mrkdwn(_source_line(c))}\n"
                f"“{escape_mrkdwn(c.quote)}”"
            ))
    if answer.numbers:
        rows = []
        for n in answer.numbers:
            emoji = _STATUS_EMOJI.get(n.status, ":grey_question:")
            cited = f" [{n.citation}]" if n.citation else ""
            rows.append(f"{emoji} {escape_mrkdwn(n.text)}: {_STATUS_MARK.get(n.status, n.status)}"
                        f"{cited}")
        blocks.append(_context("*Numbers*\n" + "\n".join(rows)))
    if answer.refused and answer.related:
        blocks.append({"type": "divider"})
        blocks.append(_context("_Related passages (not an answer):_"))
        for r in answer.related:
            blocks.append(_context(
                f"{escape_mrkdwn(r.title)} ({escape_mrkdwn(r.doc_id)}): "
                f"“{escape_mrkdwn(clip(r.quote, 300))}”"
            ))
    if len(blocks) > _BLOCKS_MAX:
        blocks = blocks[: _BLOCKS_MAX - 1] + [_context("… more in the web UI or `POST /v1/ask`.")]
    return blocks


def render_fallback(answer: Answer) -> str:
    """The message's ``text``: what notifications and screen readers show beside the blocks."""
    return clip(escape_mrkdwn(answer.answer), _TEXT_MAX)


def render_error_blocks(message: str) -> list[Block]:
    """Blocks for a question that could not be answered (a bad question, no index, …)."""
    return [_section(f":warning: {message}")]


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(escape_mrkdwn(text),
                                                                      _TEXT_MAX)}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(mrkdwn, _TEXT_MAX)}]}
