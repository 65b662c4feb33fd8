"""The words an answer says: a chosen passage, or for a long one the clauses that matter.

Pure string work on document offsets. An excerpt is made of verbatim pieces of the passage in
order, joined by " … " where clauses were skipped, so it never says anything the quote does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SEGMENT_RE = re.compile(r",\s+|;\s*|:\s*|\s+[\u2013\u2014]\s+")
_WORD_RE = re.compile(r"\S+")


def _segments(text: str) -> list[tuple[int, int]]:
    """``text`` cut at commas, semicolons, colons and dashes: (start, end) of each piece."""
    bounds = [0]
    for m in _SEGMENT_RE.finditer(text):
        bounds += [m.start(), m.end()]
    bounds.append(len(text))
    return [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]


def excerpt(text: str, start: int, end: int, keep: Sequence[tuple[int, int]],
            max_words: int) -> str:
    """The passage ``text[start:end]``, or when it has more than ``max_words`` words, its first
    clause and every clause overlapping a ``keep`` span (document offsets).

    Args:
        text: the document text.
        start, end: the passage's offsets.
        keep: spans that must be said (the answer's entity, the question's words).
        max_words: the longest passage said whole.
    """
    passage = text[start:end].strip()
    lead = text[start:end].find(passage[:1]) if passage else 0
    if len(_WORD_RE.findall(passage)) <= max_words:
        return passage.rstrip(".;:, ")
    segments = _segments(passage)
    chosen = {0}
    for a, b in keep:
        rel_a, rel_b = a - start - lead, b - start - lead
        chosen |= {j for j, (s, e) in enumerate(segments) if s < rel_b and rel_a < e}
    parts: list[str] = []
    previous: int | None = None
    for j in sorted(chosen):
        s, e = segments[j]
        piece = passage[s:e].strip()
        if not piece:
            continue
        if previous is not None:
            parts.append(passage[segments[previous][1] : s] if j == previous + 1 else " … ")
        parts.append(piece)
        previous = j
    return "".join(parts).rstrip(".;:, ")
