"""Spreadsheets: .xlsx through openpyxl (each sheet a heading and a table) and .csv through
the csv module (one table).

A sheet's first non-empty row holds the column headers; each later row is a table row whose
first cell is its row header (``structure.render`` writes it as one quotable line). The title
is the workbook's property unless junk, else the file name's words; it is written as the first
heading, because a table's rows never name the document they belong to and a question does.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from ...types import Page
from ..structure import Heading, Part, Table, render
from .common import broken, decode, good_title, require_text

_DEFAULT_SHEET = re.compile(r"^sheet\s*\d*$", re.IGNORECASE)


def _cell(value: Any) -> str:
    """A cell as a person reads it: whole floats without ``.0``, empty for None."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(rows: list[tuple[str, ...]]) -> Table:
    kept = [row for row in rows if any(c.strip() for c in row)]
    return Table(tuple(kept), 1 if len(kept) > 1 else 0)


def file_title(path: Path) -> str:
    """A title from a file name: its stem's words ("q3_budget-2025" -> "q3 budget 2025")."""
    return " ".join(re.split(r"[\s_-]+", path.stem)).strip() or path.stem


def load_xlsx(path: Path, data: bytes) -> Page:
    """An .xlsx workbook: every sheet with data, in order; a sheet not named by default
    ("Sheet1") gets its name as a heading."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, lxml errors
        raise broken(path, "Excel (.xlsx)", exc) from None
    parts: list[Part] = []
    for sheet in book.worksheets:
        rows = [tuple(_cell(v) for v in row) for row in sheet.iter_rows(values_only=True)]
        table = _table(rows)
        if not table.rows:
            continue
        if not _DEFAULT_SHEET.match(sheet.title.strip()):
            parts.append(Heading(sheet.title, 2))
        parts.append(table)
    title = good_title(book.properties.title, file_title(path)) or path.stem
    book.close()
    if not parts:
        return require_text(path, render(parts, title), "in any sheet of the workbook")
    return render([Heading(title, 1), *parts], title)


def load_csv(path: Path, data: bytes) -> Page:
    """A .csv file (the delimiter sniffed: comma, semicolon, tab or pipe)."""
    text = decode(path, data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [tuple(row) for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise broken(path, "CSV", exc) from None
    table = _table(rows)
    if not table.rows:
        return require_text(path, render([table]), "in the CSV")
    return render([Heading(file_title(path), 1), table], file_title(path))
