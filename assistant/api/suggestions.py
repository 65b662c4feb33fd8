"""First questions to offer on an empty chat, drawn from the corpus itself.

A fixed example question fits one corpus and misleads on every other, so the suggestions come
from what is indexed: each document's headings (short title-like lines of its stored text)
and, for a document without any, its title. No model, no retrieval: pure functions over the
documents, cheap enough for every page load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..types import Document

_HEADING_WORDS = (1, 8)
_HEADING_CHARS = (4, 70)
_LETTER = re.compile(r"[^\W\d_]", re.U)


@dataclass(frozen=True)
class Suggestion:
    question: str
    doc_id: str
    title: str


def is_heading(line: str) -> bool:
    """A short line of its own that reads like a heading: a few words, no closing punctuation,
    starting with a capital letter, mostly letters."""
    text = line.strip()
    words = text.split()
    if not (_HEADING_CHARS[0] <= len(text) <= _HEADING_CHARS[1]):
        return False
    if not (_HEADING_WORDS[0] <= len(words) <= _HEADING_WORDS[1]):
        return False
    if text[-1] in ".,;:!?)\u2026" or not text[0].isupper():
        return False
    letters = len(_LETTER.findall(text))
    return letters >= 0.7 * len(text.replace(" ", ""))


def headings(document: Document, limit: int = 3) -> list[str]:
    """The document's first ``limit`` headings, its title excluded, each once."""
    found: list[str] = []
    seen = {document.title.strip().lower()}
    for line in document.text.splitlines():
        key = line.strip().lower()
        if key not in seen and is_heading(line):
            seen.add(key)
            found.append(line.strip())
            if len(found) == limit:
                break
    return found


def suggest(documents: Iterable[Document], limit: int = 4) -> list[Suggestion]:
    """Up to ``limit`` questions, taking turns between documents so each is represented."""
    per_document = []
    for d in sorted(documents, key=lambda d: d.doc_id):
        topics = headings(d) or [d.title]
        per_document.append([Suggestion(f"What do the sources say about {t}?",
                                        d.doc_id, d.title) for t in topics])
    out: list[Suggestion] = []
    for rank in range(max((len(s) for s in per_document), default=0)):
        for options in per_document:
            if rank < len(options) and len(out) < limit:
                out.append(options[rank])
    return out

