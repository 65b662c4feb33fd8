"""PDF through pdfplumber: lines grouped into headings, paragraphs, list items and tables by
their font size and spacing, furniture dropped, and OCR for pages without a text layer.

- A line whose font is clearly larger than the body's is a heading. A vertical gap larger than
  the line spacing, a change of font size, or a short line that ends a sentence ends a
  paragraph; the lines of a paragraph are joined (``clean.join_wrapped``: a word hyphenated
  across the break is joined whole).
- Headers and footers: a line among a page's first or last two that recurs (digits aside) on
  at least half the pages of a document of two or more pages, and there a page number, a URL or
  a browser's "about:blank", is dropped.
- Tables with ruled cells (``find_tables``) become tables; their words leave the text.
- A page with no characters is rendered (pypdfium2, through pdfplumber) and read by Tesseract
  (pytesseract; Debian's tesseract-ocr).
- The title is the metadata title unless it is junk ("about:blank", a file name), else the
  first heading.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import UnreadableFileError
from ...types import Page
from ..clean import join_wrapped
from ..structure import Heading, ListItem, Paragraph, Part, Table, render
from .common import broken, good_title, require_text

_BULLET = re.compile(r"^(?:[-•*·▪‣◦–—]|\d{1,3}[.)])\s+\S")
_BULLET_MARK = re.compile(r"^[•·▪‣◦]\s+")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–—(]?\s*\d{1,4}\s*(?:(?:/|of)\s*\d{1,4})?\s*[-–—)]?$",
                          re.IGNORECASE)
_ADDRESS = re.compile(r"^(?:about:\w+|[a-z][\w+.-]*://\S+)$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:][\"'”’)\]]*$")
OCR_RESOLUTION = 300  # dots per inch the page is rendered at for Tesseract
HEADING_RATIO = 1.15  # a font this much larger than the body's makes a heading


@dataclass(frozen=True)
class _Line:
    text: str
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    size: float  # median character size; 0 for OCR'd text
    gap_before: bool = False  # OCR: a blank line came before it


def _text_lines(page: Any, number: int, tables: Sequence[Any]) -> list[_Line]:
    lines: list[_Line] = []
    for raw in page.extract_text_lines(return_chars=True, strip=True):
        middle = (raw["top"] + raw["bottom"]) / 2
        if any(t.bbox[1] <= middle <= t.bbox[3] for t in tables):
            continue
        sizes = sorted(round(c.get("size", 0.0), 1) for c in raw["chars"])
        size = sizes[len(sizes) // 2] if sizes else 0.0
        lines.append(_Line(raw["text"], number, raw["top"], raw["bottom"], raw["x0"],
                           raw["x1"], size))
    return lines


def _ocr_lines(page: Any, number: int, path: Path) -> list[_Line]:
    import pytesseract

    image = page.to_image(resolution=OCR_RESOLUTION).original
    try:
        text = pytesseract.image_to_string(image)
    except pytesseract.TesseractNotFoundError:
        raise UnreadableFileError(
            f"{path}: page {number + 1} is a scanned image with no text layer, and OCR is not "
            "installed; install Debian's tesseract-ocr (`make install` does) and ingest it again"
        ) from None
    lines: list[_Line] = []
    gap = False
    for y, line in enumerate(text.splitlines()):
        if not line.strip():
            gap = True
            continue
        lines.append(_Line(line.strip(), number, float(y), float(y) + 1, 0.0, 0.0, 0.0, gap))
        gap = False
    return lines


def _furniture(pages: Sequence[Sequence[_Line]]) -> set[tuple[int, float]]:
    """(page, top) of header and footer lines to drop."""
    def key(line: _Line) -> str:
        return re.sub(r"\d+", "#", line.text.casefold())

    zones = [list(lines[:2]) + list(lines[-2:]) for lines in pages]
    seen = Counter(k for zone in zones for k in {key(line) for line in zone})
    repeated = {k for k, n in seen.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    return {
        (line.page, line.top)
        for zone in zones for line in zone
        if key(line) in repeated or _PAGE_NUMBER.match(line.text) or _ADDRESS.match(line.text)
    }


def _starts_block(line: _Line, previous: _Line | None, body: float, width: float) -> bool:
    if previous is None or previous.page != line.page or line.gap_before:
        return previous is None or line.gap_before or bool(_BULLET.match(line.text))
    if _BULLET.match(line.text) or abs(line.size - previous.size) > 0.5:
        return True
    height = max(previous.bottom - previous.top, 1.0)
    if line.top - previous.bottom > 0.6 * height:
        return True
    short = width > 0 and previous.size > 0 and previous.x1 < 0.85 * width
    return short and bool(_SENTENCE_END.search(previous.text))


def _part(lines: Sequence[_Line], body: float, sizes: Sequence[float]) -> Part:
    text = lines[0].text
    for line in lines[1:]:
        text = join_wrapped(text, line.text)
    size = lines[0].size
    if body and size >= body * HEADING_RATIO and len(text) <= 200:
        return Heading(text, 1 + sum(1 for s in sizes if s > size))
    if not size and len(lines) == 1 and len(text) <= 80 and not _SENTENCE_END.search(text):
        return Heading(text, 1)  # OCR has no font sizes: a short line standing alone, unended
    if _BULLET.match(text):
        return ListItem(_BULLET_MARK.sub("", text))
    return Paragraph(text)


Placed = tuple[int, float, Part]  # (page, top, part): where a part starts, for ordering


def _parts(lines: Sequence[_Line]) -> list[Placed]:
    weights = Counter[float]()
    for line in lines:
        weights[line.size] += len(line.text)
    body = weights.most_common(1)[0][0] if weights else 0.0
    sizes = sorted({line.size for line in lines if body and line.size >= body * HEADING_RATIO})
    width = max((line.x1 for line in lines), default=0.0)
    blocks: list[list[_Line]] = []
    for line in lines:
        if not blocks or _starts_block(line, blocks[-1][-1], body, width):
            blocks.append([])
        blocks[-1].append(line)
    return [(b[0].page, b[0].top, _part(b, body, sizes)) for b in blocks]


def _table(found: Any) -> Table:
    rows = tuple(tuple(cell or "" for cell in row) for row in found.extract())
    return Table(rows, 1 if len(rows) > 1 else 0)


def _read(path: Path, pdf: Any) -> tuple[list[Part], str | None]:
    pages: list[list[_Line]] = []
    tables: list[Placed] = []
    for number, page in enumerate(pdf.pages):
        if not page.chars:
            pages.append(_ocr_lines(page, number, path))
            continue
        found = page.find_tables()
        tables.extend((number, t.bbox[1], _table(t)) for t in found)
        pages.append(_text_lines(page, number, found))
    drop = _furniture(pages)
    kept = [line for lines in pages for line in lines if (line.page, line.top) not in drop]
    placed = sorted(_parts(kept) + tables, key=lambda p: (p[0], p[1]))
    parts = [part for _, _, part in placed]
    meta = pdf.metadata or {}
    first_heading = next((p.text for p in parts if isinstance(p, Heading)), None)
    return parts, good_title(str(meta.get("Title") or ""), first_heading)


def load_pdf(path: Path, data: bytes) -> Page:
    """A .pdf file."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            parts, title = _read(path, pdf)
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        raise broken(path, "PDF", exc) from None
    return require_text(
        path, render(parts, title),
        "in the PDF: it has no extractable text, and OCR of its pages read none",
    )
