"""PowerPoint decks (.pptx) through python-pptx: each slide's title as a heading, its text
frames' paragraphs (indented ones as list items) and its tables, slide by slide."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ...types import Page
from ..structure import Heading, ListItem, Paragraph, Part, Table, render
from .common import broken, good_title, require_text


def _same(shape: Any, other: Any) -> bool:
    """Whether two shape proxies are one shape (python-pptx makes a new proxy per access)."""
    return other is not None and shape.shape_id == other.shape_id


def _shape_parts(shape: Any, title_shape: Any) -> list[Part]:
    if shape.has_text_frame and not _same(shape, title_shape):
        parts: list[Part] = []
        for paragraph in shape.text_frame.paragraphs:
            text = "".join(run.text for run in paragraph.runs) or paragraph.text
            if text.strip():
                parts.append(ListItem(text, paragraph.level - 1) if paragraph.level
                             else Paragraph(text))
        return parts
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = tuple(tuple(cell.text for cell in row.cells) for row in shape.table.rows)
        return [Table(rows, 1 if len(rows) > 1 else 0)]
    if shape.shape_type is not None and hasattr(shape, "shapes"):  # a group
        return [p for inner in shape.shapes for p in _shape_parts(inner, title_shape)]
    return []


def pptx_parts(deck: Any) -> list[Part]:
    """The parts of a python-pptx ``Presentation``, slide by slide, shapes top to bottom."""
    parts: list[Part] = []
    for slide in deck.slides:
        title_shape = slide.shapes.title
        if title_shape is not None and title_shape.text_frame.text.strip():
            parts.append(Heading(title_shape.text_frame.text, 1))
        shapes = sorted(slide.shapes, key=lambda s: ((s.top or 0), (s.left or 0)))
        for shape in shapes:
            parts.extend(_shape_parts(shape, title_shape))
    return parts


def load_pptx(path: Path, data: bytes) -> Page:
    """A .pptx file; its title is the deck's property unless junk, else the first slide's."""
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    try:
        deck = Presentation(io.BytesIO(data))
    except (PackageNotFoundError, ValueError, KeyError) as exc:
        raise broken(path, "PowerPoint (.pptx)", exc) from None
    except Exception as exc:  # zipfile.BadZipFile and lxml errors of a damaged package
        raise broken(path, "PowerPoint (.pptx)", exc) from None
    parts = pptx_parts(deck)
    first = next((p.text for p in parts if isinstance(p, Heading)), None)
    title = good_title(deck.core_properties.title, first)
    return require_text(path, render(parts, title), "on the slides")
