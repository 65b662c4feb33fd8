"""Tables read as a person reads them: each row one quotable line that names its row and
columns, each numeric cell a fact whose subject is the row header and whose attribute and unit
come from the column header — so number checks work on tables as on prose."""

from __future__ import annotations

from assistant.ingest.sentences import sentence_objects
from assistant.ingest.structure import Heading, Paragraph, Table, render
from assistant.ingest.table_facts import split_header, table_facts, with_table_facts
from assistant.text.quantities import find_quantities, same_quantity

BERTHS = Table((
    ("Berth", "Length (m)", "Depth (m)", "Operator"),
    ("North Quay", "310", "14.5", "Pelling Ports"),
    ("South Quay", "245", "n/a", ""),
))


def _page():
    return render([Heading("Berths"), Paragraph("Two berths take ships."), BERTHS])


def test_rows_are_lines_whose_cells_point_into_the_text() -> None:
    page = _page()
    lines = page.text.split("\n")
    assert "Berth | Length (m) | Depth (m) | Operator" in lines
    assert "North Quay — Length (m): 310; Depth (m): 14.5; Operator: Pelling Ports" in lines
    assert "South Quay — Length (m): 245; Depth (m): n/a" in lines  # empty cells are left out
    for cell in page.cells:
        value = page.text[cell.start : cell.end]
        assert value and value in dict(zip(BERTHS.rows[0], BERTHS.rows[cell.row], strict=True)
                                       ).values()
        assert page.text[cell.header_start : cell.header_end] == cell.column_header
    kinds = [b.kind for b in page.blocks]
    assert kinds == ["heading", "paragraph", "table_header", "table_row", "table_row"]


def test_header_units() -> None:
    assert split_header("Length (m)") == ("Length", "m")
    assert split_header("Annual fuel cost [EUR]") == ("Annual fuel cost", "EUR")
    assert split_header("On-time rate (%)") == ("On-time rate", "%")
    assert split_header("Vessels handled") == ("Vessels handled", "")


def test_numeric_cells_become_facts_named_by_their_headers() -> None:
    page = _page()
    sentences = sentence_objects("d", page.text)
    facts = table_facts("d", page.text, page.cells, sentences)
    got = {(f.subject, f.attribute, f.text, f.unit) for f in facts}
    assert got == {("North Quay", "Length", "310", "m"), ("North Quay", "Depth", "14.5", "m"),
                   ("South Quay", "Length", "245", "m")}  # names and "n/a" are no facts
    for fact in facts:
        assert page.text[fact.start : fact.end] == fact.text
        row = page.text[fact.sentence_start : fact.sentence_end]
        assert row.startswith(fact.subject) and "\n" not in row
        # an answer quoting the row states the number as the fact holds it: it verifies
        stated = [q for q in find_quantities(row) if q.text == fact.text]
        assert stated and same_quantity(stated[0], fact)


def test_table_facts_replace_prose_guesses_inside_cells() -> None:
    from assistant.ingest.facts import extract_facts

    page = _page()
    sentences = sentence_objects("d", page.text)
    prose = extract_facts("d", page.text, sentences)
    merged = with_table_facts(prose, table_facts("d", page.text, page.cells, sentences),
                              page.cells)
    in_cells = [f for f in merged if any(c.start <= f.start < c.end for c in page.cells)]
    assert in_cells and all(f.fact_id.startswith("d:t") for f in in_cells)
    assert len({f.start for f in in_cells}) == len(in_cells)  # one fact per number
