"""The text model: a document as the parts a person reads, rendered to the stored text.

Every loader turns its format into a sequence of parts (``Heading``, ``Paragraph``,
``ListItem``, ``Table``); ``render`` writes them out as the stored text, the text every quote
points into, and records each line's ``Block`` and each table value's ``TableCell`` with exact
offsets. The rendering rules:

- Each part is one line: white space inside a part (hard-wrapped lines, soft breaks of
  Markdown, cell text on several lines) becomes one space, so no sentence is cut by a wrap.
- Headings and paragraphs are separated by a blank line; consecutive list items, and the lines
  of one table, by a single line break.
- A table is its caption (a paragraph), a header line (the column headers joined by `` | ``)
  and one line per row: the row header (the first cell), `` — ``, then each non-empty value
  as ``column header: value``, separated by ``; ``. A row is thus one quotable sentence that
  says what each of its numbers is; the header line stays as the rows' context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Block, Page, TableCell

ROW_HEADER_SEPARATOR = " — "
CELL_SEPARATOR = "; "
HEADER_SEPARATOR = " | "


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class ListItem:
    text: str
    level: int = 0


@dataclass(frozen=True)
class Table:
    """Rows of cell texts; the first ``header_rows`` rows hold the column headers."""

    rows: tuple[tuple[str, ...], ...]
    header_rows: int = 1
    caption: str = ""


Part = Heading | Paragraph | ListItem | Table


def flatten(text: str) -> str:
    """``text`` on one line: every run of white space (line breaks included) one space."""
    return " ".join(text.split())


def column_headers(table: Table) -> tuple[str, ...]:
    """Each column's header: the header rows' cells of that column, top to bottom, joined (a
    cell repeated across a merged span is said once)."""
    width = max((len(row) for row in table.rows), default=0)
    headers: list[str] = []
    for column in range(width):
        words: list[str] = []
        for row in table.rows[: table.header_rows]:
            cell = flatten(row[column]) if column < len(row) else ""
            if cell and (not words or words[-1] != cell):
                words.append(cell)
        headers.append(" ".join(words))
    return tuple(headers)


class _Writer:
    """Appends lines to the stored text and records where each one went."""

    def __init__(self) -> None:
        self.text = ""
        self.blocks: list[Block] = []
        self.cells: list[TableCell] = []
        self.previous: tuple[str, int | None] | None = None  # (kind, table) of the last line

    def line(self, kind: str, text: str, level: int = 0, table: int | None = None) -> int:
        tight = {"list_item", "table_header", "table_row"}
        if self.previous is not None:
            same_run = kind in tight and self.previous[0] in tight and (
                (kind == "list_item") == (self.previous[0] == "list_item")
                and self.previous[1] == table
            )
            self.text += "\n" if same_run else "\n\n"
        start = len(self.text)
        self.text += text
        self.blocks.append(Block(kind, start, len(self.text), level, table))
        self.previous = (kind, table)
        return start


def _row(writer: _Writer, table: int, number: int, cells: Sequence[str],
         headers: Sequence[str]) -> None:
    values = [flatten(c) for c in cells]
    row_header = values[0] if len(values) > 1 else ""
    pieces: list[tuple[int, str, str]] = []  # (column, header, value)
    for column, value in enumerate(values):
        if value and (column > 0 or len(values) == 1):
            pieces.append((column, headers[column] if column < len(headers) else "", value))
    if not row_header and not pieces:
        return
    line = row_header + (ROW_HEADER_SEPARATOR if row_header and pieces else "")
    spans: list[tuple[int, int, int, int | None, int | None]] = []
    for n, (column, header, value) in enumerate(pieces):
        if n:
            line += CELL_SEPARATOR
        header_at = len(line) if header else None
        if header:
            line += header + ": "
        spans.append((column, len(line), len(line) + len(value), header_at,
                      header_at + len(header) if header_at is not None else None))
        line += value
    start = writer.line("table_row", line, table=table)
    for column, a, b, ha, hb in spans:
        writer.cells.append(TableCell(
            table, number, column, start + a, start + b, row_header,
            headers[column] if column < len(headers) else "",
            None if ha is None else start + ha, None if hb is None else start + hb,
        ))


def _table(writer: _Writer, table: Table, number: int) -> None:
    rows = [row for row in table.rows if any(flatten(c) for c in row)]
    header_rows = min(table.header_rows, len(rows))
    clean = Table(tuple(rows), header_rows, table.caption)
    if table.caption.strip():
        writer.line("paragraph", flatten(table.caption))
    headers = column_headers(clean)
    shown = [h for h in headers if h]
    if shown:
        writer.line("table_header", HEADER_SEPARATOR.join(shown), table=number)
    for index, row in enumerate(rows[header_rows:], start=header_rows):
        _row(writer, number, index, row, headers)


def render(parts: Sequence[Part], title: str | None = None, published: str | None = None,
           source: str | None = None, url: str | None = None) -> Page:
    """The stored text of ``parts`` with its blocks and table cells.

    Args:
        parts: the document's parts in reading order; empty ones are skipped.
        title, published, source, url: the page's metadata, passed through; a missing title
            is the first heading's text.

    Returns:
        A ``Page`` whose ``blocks`` and ``cells`` point into its ``text`` exactly.
    """
    writer = _Writer()
    tables = 0
    for part in parts:
        if isinstance(part, Table):
            before = len(writer.blocks)
            _table(writer, part, tables)
            tables += len(writer.blocks) > before
            continue
        text = flatten(part.text)
        if not text:
            continue
        if isinstance(part, Heading):
            writer.line("heading", text, part.level)
        elif isinstance(part, ListItem):
            writer.line("list_item", text, part.level)
        else:
            writer.line("paragraph", text)
    if title is None:
        title = next((flatten(p.text) for p in parts
                      if isinstance(p, Heading) and flatten(p.text)), None)
    return Page(writer.text, title, published, source, url, tuple(writer.blocks),
                tuple(writer.cells))

