"""Word documents (.docx) through python-docx: the body's paragraphs and tables in order.

A paragraph styled "Title" or "Heading N" is a heading; one styled as a list, or numbered, is a
list item. The title is the document property unless it is junk, else the first "Title" or
top heading.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ...types import Page
from ..structure import Heading, ListItem, Paragraph, Part, Table, render
from .common import broken, good_title, require_text

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def _paragraph(paragraph: Any) -> Part:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    text = paragraph.text
    found = _HEADING_STYLE.match(style.strip())
    if style.strip().lower() == "title":
        return Heading(text, 0)
    if found:
        return Heading(text, int(found.group(1)))
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if numbered or style.lower().startswith("list"):
        return ListItem(text)
    return Paragraph(text)


def _table(table: Any) -> Table:
    rows: list[tuple[str, ...]] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            cells.append(cell.text)
        rows.append(tuple(cells))
    return Table(tuple(rows), 1 if len(rows) > 1 else 0)


def docx_parts(document: Any) -> list[Part]:
    """The parts of a python-docx ``Document``, in body order."""
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph

    parts: list[Part] = []
    for item in document.iter_inner_content():
        if isinstance(item, DocxParagraph):
            parts.append(_paragraph(item))
        elif isinstance(item, DocxTable):
            parts.append(_table(item))
    return parts


def load_docx(path: Path, data: bytes) -> Page:
    """A .docx file."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, ValueError, KeyError) as exc:
        raise broken(path, "Word (.docx)", exc) from None
    except Exception as exc:  # zipfile.BadZipFile and lxml errors of a damaged package
        raise broken(path, "Word (.docx)", exc) from None
    parts = docx_parts(document)
    headings = [p for p in parts if isinstance(p, Heading) and p.text.strip()]
    top = min((h.level for h in headings), default=0)
    first = next((h.text for h in headings if h.level == top), None)
    title = good_title(document.core_properties.title, first)
    return require_text(path, render(parts, title), "in the Word document")
