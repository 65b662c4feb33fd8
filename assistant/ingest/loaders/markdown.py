"""Markdown through markdown-it-py: markup removed, headings, lists and tables kept as parts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...types import Page
from ..structure import Heading, ListItem, Paragraph, Part, Table, render
from .common import decode, require_text

_TAG = re.compile(r"<[^>]*>")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n(?:---|\.\.\.)\n", re.S)


def _inline(token: Any) -> str:
    """The words of an inline token: text, code and image alt text; emphasis, links and HTML
    tags dropped, soft and hard line breaks made spaces."""
    out: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


def _table(tokens: Sequence[Any], i: int) -> tuple[Table, int]:
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    header_rows = 0
    while tokens[i].type != "table_close":
        kind = tokens[i].type
        if kind == "tr_open":
            row = []
        elif kind == "inline":
            row.append(_inline(tokens[i]))
        elif kind == "tr_close":
            rows.append(tuple(row))
        elif kind == "thead_close":
            header_rows = len(rows)
        i += 1
    return Table(tuple(rows), header_rows), i


def markdown_parts(source: str) -> list[Part]:
    """The parts of a Markdown document, in order."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(
        _FRONT_MATTER.sub("", source)
    )
    parts: list[Part] = []
    lists = 0  # depth of list nesting
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif token.type == "heading_open":
            parts.append(Heading(_inline(tokens[i + 1]), int(token.tag[1:])))
            i += 1
        elif token.type == "paragraph_open":
            text = _inline(tokens[i + 1])
            parts.append(ListItem(text, lists - 1) if lists else Paragraph(text))
            i += 1
        elif token.type == "table_open":
            table, i = _table(tokens, i)
            parts.append(table)
        elif token.type in ("fence", "code_block"):
            parts.extend(Paragraph(line) for line in token.content.splitlines() if line.strip())
        elif token.type == "html_block":
            parts.append(Paragraph(_TAG.sub(" ", token.content)))
        i += 1
    return parts


def load_markdown(path: Path, data: bytes) -> Page:
    """A .md file: its title is its first top-level heading (else its first heading)."""
    parts = markdown_parts(decode(path, data))
    headings = [p for p in parts if isinstance(p, Heading) and p.text.strip()]
    top = min((h.level for h in headings), default=1)
    title = next((" ".join(h.text.split()) for h in headings if h.level == top), None)
    return require_text(path, render(parts, title), "in the Markdown")
