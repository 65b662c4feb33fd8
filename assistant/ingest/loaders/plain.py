"""Plain text: site chrome stripped by line shape, hard-wrapped lines joined, lists kept."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ...types import Block, Page
from ..clean import clean_page
from .common import decode, require_text

_BULLET = re.compile(r"^\s*(?:[-•*·▪‣◦–—]|\d{1,3}[.)])\s+\S")


def text_blocks(text: str) -> tuple[Block, ...]:
    """Each non-empty line of ``text`` as a block: a list item when it starts with a bullet or
    a list number, else a paragraph."""
    blocks: list[Block] = []
    start = 0
    for line in text.split("\n"):
        if line.strip():
            kind = "list_item" if _BULLET.match(line) else "paragraph"
            blocks.append(Block(kind, start, start + len(line)))
        start += len(line) + 1
    return tuple(blocks)


def page_from_text(raw: str) -> Page:
    """A flattened page (plain text, a PDF's text) cleaned, with its line structure."""
    page = clean_page(raw)
    return replace(page, blocks=text_blocks(page.text))


def load_text(path: Path, data: bytes) -> Page:
    """A .txt file."""
    page = page_from_text(decode(path, data))
    return require_text(path, page, "after removing page furniture (menus, copyright lines)")
