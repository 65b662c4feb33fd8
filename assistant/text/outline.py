"""Where a sentence sits, as a reader sees it: the kind of line it is on, the headings above it,
and the sentence its opening pronoun points back to.

A person reading "Its manager, Orla Penhallow, …" under a heading "Eastfold creamery" knows
whose manager it is; the sentence alone does not say. The selector weighs a passage by what it
says *in its setting*: a quote still covers only the sentence, but the question's terms that
the headings above it or the sentence before a leading "It"/"Her"/"Their" supply count as
covered. Headings and a table's header line state nothing and are never answers themselves.

Pure functions over the document's stored structure (``types.Block``, from the loaders);
general English pronouns only, nothing about any corpus.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Block

# Words that, opening a sentence, point back to something named before it.
REFERRING = frozenset(
    "it its he his him she her they their them this these those such".split()
)
NOT_ANSWERS = frozenset({"heading", "table_header"})  # lines that state nothing themselves
PARAGRAPH = "paragraph"


@dataclass(frozen=True)
class Outline:
    """A document's lines with, for each, its kind and the headings it sits under."""

    starts: tuple[int, ...]  # each block's start, ascending
    kinds: tuple[str, ...]
    sections: tuple[tuple[str, ...], ...]  # headings above each block, outermost first

    def at(self, offset: int) -> tuple[str, tuple[str, ...]]:
        """(kind, headings above) of the line holding ``offset``; a paragraph under no
        heading when the document has no stored structure."""
        i = bisect.bisect_right(self.starts, offset) - 1
        if i < 0:
            return PARAGRAPH, ()
        return self.kinds[i], self.sections[i]


def outline(text: str, blocks: Sequence[Block]) -> Outline:
    """The ``Outline`` of a document from its blocks: one forward pass keeping the nearest
    heading of each level above (a deeper heading ends where one of its level or higher
    starts)."""
    open_headings: list[tuple[int, str]] = []  # (level, text), outermost first
    starts, kinds, sections = [], [], []
    for block in blocks:
        section = tuple(t for _, t in open_headings)
        if block.kind == "heading":
            while open_headings and open_headings[-1][0] >= block.level:
                open_headings.pop()
            section = tuple(t for _, t in open_headings)
            open_headings.append((block.level, text[block.start : block.end]))
        starts.append(block.start)
        kinds.append(block.kind)
        sections.append(section)
    return Outline(tuple(starts), tuple(kinds), tuple(sections))


def refers_back(sentence: str) -> bool:
    """Whether ``sentence`` opens with a word that points to something named before it."""
    first = sentence.lstrip("\"'“‘(- ").split(maxsplit=1)
    return bool(first) and first[0].strip(",;:").casefold() in REFERRING
