"""HTML through trafilatura: the main content as headings, paragraphs, lists and tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import UnreadableFileError
from ...types import Page
from ..structure import Heading, ListItem, Paragraph, Part, Table, render
from .common import decode, good_title, require_text


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _table(element: Any) -> Table:
    rows: list[tuple[str, ...]] = []
    header_rows = 0
    for row in element.iter("row"):
        cells = row.findall("cell")
        rows.append(tuple(_text(c) for c in cells))
        if cells and all(c.get("role") == "head" for c in cells) and header_rows == len(rows) - 1:
            header_rows = len(rows)
    return Table(tuple(rows), header_rows)


def _parts(element: Any, depth: int = 0) -> list[Part]:
    parts: list[Part] = []
    for child in element:
        tag = child.tag
        if tag == "head":
            level = (child.get("rend") or "h2").lstrip("h")
            parts.append(Heading(_text(child), int(level) if level.isdigit() else 2))
        elif tag == "table":
            parts.append(_table(child))
        elif tag == "list":
            for item in child.findall("item"):
                nested = [n for n in item if n.tag == "list"]
                for n in nested:
                    item.remove(n)
                parts.append(ListItem(_text(item), depth))
                for n in nested:
                    parts.extend(_parts([n], depth + 1))
        elif tag in ("p", "quote", "code"):
            parts.append(Paragraph(_text(child)))
        elif len(child):
            parts.extend(_parts(child, depth))
        elif _text(child):
            parts.append(Paragraph(_text(child)))
    return parts


def html_page(path: Path, html: str, url: str | None = None) -> Page:
    """The main content of ``html`` (``url``: where it was fetched from, if it was)."""
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        html, output_format="xml", include_comments=False, include_tables=True,
        include_formatting=False, include_links=False, include_images=False, favor_recall=True,
    )
    if not xml:
        raise UnreadableFileError(f"{path}: no main content found in the HTML")
    root = etree.fromstring(xml.encode("utf-8"))
    main = root.find("main")
    parts = _parts(main if main is not None else root)
    meta = trafilatura.extract_metadata(html)
    first_heading = next((p.text for p in parts if isinstance(p, Heading)), None)
    title = good_title(getattr(meta, "title", None), first_heading)
    page = render(
        parts, title,
        getattr(meta, "date", None),
        getattr(meta, "sitename", None) or getattr(meta, "author", None),
        url or getattr(meta, "url", None),
    )
    return require_text(path, page, "in the HTML's main content")


def load_html(path: Path, data: bytes) -> Page:
    """An .html or .htm file."""
    return html_page(path, decode(path, data))
