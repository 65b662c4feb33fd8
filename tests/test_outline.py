"""A passage read in its setting: the headings above it and the sentence a leading pronoun
points back to count for what it covers; headings and a table's header line are never answers.
Structure is stored at ingest, so it survives into the loaded index."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.answer.candidates import gather_candidates
from assistant.answer.features import INDEX, base_features
from assistant.answer.question import analyse
from assistant.index.loaded import IndexHolder
from assistant.ingest.pipeline import ingest
from assistant.ingest.structure import Heading, Paragraph, Table, render
from assistant.retrieve.hybrid import search
from assistant.settings import Settings
from assistant.text.outline import outline, refers_back


def test_outline_keeps_the_nearest_heading_of_each_level() -> None:
    page = render([
        Heading("Annual report", 1), Paragraph("Opening words."),
        Heading("Berths", 2), Paragraph("Two berths take ships."),
        Heading("People", 2), Paragraph("Her name is Ines Carrow."),
        Table((("Berth", "Length (m)"), ("North Quay", "310"))),
    ])
    shape = outline(page.text, page.blocks)
    at = {page.text[b.start : b.end]: shape.at(b.start) for b in page.blocks}
    assert at["Opening words."] == ("paragraph", ("Annual report",))
    assert at["Two berths take ships."] == ("paragraph", ("Annual report", "Berths"))
    assert at["Her name is Ines Carrow."] == ("paragraph", ("Annual report", "People"))
    assert at["People"] == ("heading", ("Annual report",))  # a heading is not under itself
    assert at["North Quay — Length (m): 310"] == ("table_row", ("Annual report", "People"))
    assert outline("plain text", ()).at(3) == ("paragraph", ())  # no stored structure


def test_refers_back() -> None:
    assert refers_back("Its manager, Orla Penhallow, plans a second churn.")
    assert refers_back("“Her name is Ines Carrow,” the notice said.")
    assert refers_back("They opened in May.")
    assert not refers_back("Italy won the cup.")  # a word starting with "It" is not "It"
    assert not refers_back("The clinic opened in May.")
    assert not refers_back("")


def test_headings_are_context_not_answers(tmp_path: Path, embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.md").write_text(
        "# Pelling Harbour Authority\n\n"
        "Grain traffic rose in the first quarter.\n\n"
        "## Staff\n\n"
        "The authority appointed a new harbour master in March. Her name is Ines Carrow.\n\n"
        "## Berths\n\n"
        "| Berth | Length (m) |\n|---|---|\n| North Quay | 310 |\n",
        encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], settings, embedder=embedder)
    holder = IndexHolder(settings, embedder)
    index = holder.get()
    question = "What is the name of the Pelling Harbour Authority's new harbour master?"
    result = search(index, embedder, question, top_k_hits=5, candidates=20, rrf_k=60)
    candidates = gather_candidates(index, result.hits)
    texts = [c.text for c in candidates]
    assert "Pelling Harbour Authority" not in texts and "Staff" not in texts
    assert "Berth | Length (m)" not in texts  # a table's header line states nothing
    her = next(c for c in candidates if c.text == "Her name is Ines Carrow.")
    assert her.section == ("Pelling Harbour Authority", "Staff")
    assert her.antecedent is not None and "harbour master" in her.antecedent.text
    row = next(c for c in candidates if c.text.startswith("North Quay"))
    assert row.kind == "table_row" and row.section == ("Pelling Harbour Authority", "Berths")
    analysed = analyse(question, index, result.query_vector)
    matrix, _ = base_features(index, analysed, candidates)
    i = texts.index("Her name is Ines Carrow.")
    own, setting = matrix[i, INDEX["coverage_own"]], matrix[i, INDEX["coverage"]]
    assert own < 0.3 and setting > 0.9  # the heading and the sentence before say whose name
    assert matrix[i, INDEX["refers_back"]] == 1.0
    assert np.all(matrix[:, INDEX["coverage"]] >= matrix[:, INDEX["coverage_own"]])
    assert matrix[texts.index(row.text), INDEX["table_row"]] == 1.0
