"""Facts from tables: a numeric cell says what it measures through its headers, not its words.

Prose facts guess subject and attribute from the words around a number; a table row
("North Quay — Length (m): 310; Depth (m): 14.5") has no such words, and the guesses are
wrong. A table cell knows them: the subject is its row header, the attribute its column
header without the unit, and the unit the header's bracketed or trailing unit ("Length (m)",
"Annual fuel cost (EUR)", "On-time rate (%)").

The cell's quantity is read from the cell's own literal (``find_quantities``), so a number
stated in an answer that quotes the row verifies against it exactly as a prose fact does;
the header's unit is kept only for a bare number, whose kind ignores units.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text.quantities import find_quantities
from ..types import Fact, Sentence, TableCell

# "Length (m)", "Cost [EUR]", "Depth, m", "Rate (%)": the unit a header names.
_HEADER_UNIT = re.compile(r"\s*(?:\(([^()]{1,16})\)|\[([^\[\]]{1,16})\]|,\s*(\S{1,8}))\s*$")
_UNITLESS = ("number", "count")


def split_header(header: str) -> tuple[str, str]:
    """A column header as (attribute, unit): "Depth (m)" -> ("Depth", "m")."""
    found = _HEADER_UNIT.search(header)
    if found is None:
        return header.strip(), ""
    unit = next(g for g in found.groups() if g is not None).strip()
    return header[: found.start()].strip() or header.strip(), unit


def _sentence_of(sentences: Sequence[Sentence], start: int) -> Sentence | None:
    return next((s for s in sentences if s.start <= start < s.end), None)


def table_facts(doc_id: str, text: str, cells: Sequence[TableCell],
                sentences: Sequence[Sentence]) -> list[Fact]:
    """One ``Fact`` per numeric table cell, with its headers as subject and attribute.

    Args:
        doc_id: the document's id; facts get ids ``{doc_id}:t{n}`` in document order.
        text: the document's stored text, which cell offsets point into.
        cells: the document's table cells (``Page.cells``).
        sentences: the document's sentences; a fact's sentence is the row's one.

    Returns:
        Facts in document order; ``text[fact.start:fact.end] == fact.text``. A cell whose
        text is not one quantity (a name, "n/a", "3 to 5 weeks") gives none.
    """
    facts: list[Fact] = []
    for cell in sorted(cells, key=lambda c: c.start):
        found = find_quantities(text[cell.start : cell.end])
        sentence = _sentence_of(sentences, cell.start)
        if len(found) != 1 or sentence is None:
            continue
        q = found[0]
        attribute, header_unit = split_header(cell.column_header)
        unit = header_unit if q.kind in _UNITLESS and header_unit and not q.unit else q.unit
        facts.append(Fact(
            fact_id=f"{doc_id}:t{len(facts) + 1}", doc_id=doc_id, text=q.text,
            start=cell.start + q.start, end=cell.start + q.end,
            sentence_start=sentence.start, sentence_end=sentence.end,
            kind=q.kind, value=q.value, low=q.low, high=q.high, unit=unit,
            subject=cell.row_header, attribute=attribute, provenance="extracted", iso=q.iso,
        ))
    return facts


def with_table_facts(facts: Sequence[Fact], tabled: Sequence[Fact],
                     cells: Sequence[TableCell]) -> list[Fact]:
    """``facts`` (read from prose) with those inside table cells replaced by ``tabled``: a
    cell's headers say what it measures better than the words around it."""
    spans = [(c.start, c.end) for c in cells]
    kept = [f for f in facts
            if f.start is None or not any(a <= f.start < b for a, b in spans)]
    return sorted([*kept, *tabled], key=lambda f: (f.start is None, f.start or 0))
