"""Ingest end to end: real model, real Chroma under tmp_path."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.index.catalog import Catalog
from assistant.index.layout import DataDir
from assistant.index.loaded import load_index
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

pytestmark = pytest.mark.slow


def test_seed_is_clean_and_offsets_round_trip(seed_holder) -> None:
    index = seed_holder.get()
    (doc,) = index.documents.values()
    assert doc.title.startswith("SunSirs: U.S. Rushes to Claim Stake")
    assert doc.published == "2025-11-21T08:57:57"
    assert doc.source == "China Geological Survey"
    for chrome in ("Sign In", "Join Now", "User Name:", "Exchange Rate:", "Copyright Notice"):
        assert chrome not in doc.text
    assert "In 2024, the global tungsten output was approximately 81,000 tons." in doc.text
    for chunk in index.chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
    sentences = index.catalog.sentences(doc.doc_id, 0, 10_000, doc.text)
    assert len(sentences) > 50
    for s in sentences:
        assert doc.text[s.start : s.end] == s.text and s.text.strip() == s.text
    for fact in index.catalog.all_facts():
        assert doc.text[fact.start : fact.end] == fact.text


def test_facts_are_queryable(seed_holder) -> None:
    catalog = seed_holder.get().catalog
    grades = catalog.query_facts(subject="north katapar", attribute="grade")
    assert [(f.text, f.low, f.high, f.unit) for f in grades] == [("0.13% - 0.15%", 0.13, 0.15, "%")]
    assert any(f.text == "81,000 tons" for f in catalog.query_facts(value=81000, unit="t"))
    assert catalog.query_facts(q="no such words anywhere") == []


def _copy_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    return corpus


def test_reingest_is_a_noop_and_changes_replace(tmp_path, embedder) -> None:
    corpus = _copy_corpus(tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    first = ingest([corpus], settings, embedder=embedder)
    assert first.changed and first.added
    generation = DataDir(settings.data_dir).current()
    second = ingest([corpus], settings, embedder=embedder)
    assert not second.changed and second.generation is None
    assert DataDir(settings.data_dir).current() == generation

    (corpus / "extra.md").write_text("# Extra note\n\nThe Zorblat mine produced 12 tons of ore.\n")
    third = ingest([corpus], settings, embedder=embedder)
    assert third.added == ("extra",) and third.embedded >= 1
    index = load_index(settings)
    assert index.documents["extra"].title == "Extra note"
    # the seed's chunks came from the embedding cache, not the model
    assert third.embedded < first.embedded + 1

    (corpus / "extra.md").write_text("# Extra note\n\nThe Zorblat mine produced 15 tons of ore.\n")
    fourth = ingest([corpus], settings, embedder=embedder)
    assert fourth.replaced == ("extra",)
    facts = load_index(settings).catalog.query_facts(doc_id="extra")
    assert [f.text for f in facts] == ["15 tons"]

    (corpus / "extra.md").unlink()
    kept = ingest([corpus], settings, embedder=embedder)
    assert not kept.changed  # without --prune a deleted file stays indexed
    pruned = ingest([corpus], settings, prune=True, embedder=embedder)
    assert pruned.removed == ("extra",)
    assert "extra" not in load_index(settings).documents


def test_bad_files_are_refused_and_the_rest_ingests(tmp_path, embedder) -> None:
    corpus = _copy_corpus(tmp_path)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf")
    (corpus / "empty.txt").write_text("   \n")
    (corpus / "blob.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me costs 4 euros.".encode("latin-1"))
    (corpus / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    (corpus / "deck.key").write_bytes(b"PK\x03\x04")
    report = ingest([corpus], Settings(data_dir=tmp_path / "data"), embedder=embedder)
    reasons = {Path(e.path).name: e.message for e in report.errors}
    assert set(reasons) == {
        "broken.pdf", "empty.txt", "blob.txt", "latin1.txt", "sheet.xlsx", "deck.key"
    }
    assert "not a readable PDF" in reasons["broken.pdf"]
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["blob.txt"]
    assert "UTF-8" in reasons["latin1.txt"] and "iconv" in reasons["latin1.txt"]
    assert "not a readable Excel (.xlsx) file" in reasons["sheet.xlsx"]
    assert "unsupported file type '.key'" in reasons["deck.key"]
    assert ".docx" in reasons["deck.key"]  # the message names the types that are supported
    assert report.added == ("kazakhstan-tungsten-2025-11-21",)


def test_html_and_pdf_loaders(tmp_path, embedder) -> None:
    from pypdf import PdfWriter

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "page.html").write_text(
        "<html><head><title>Copper report</title></head><body><nav><a href='/'>Home</a>"
        "<a href='/login'>Sign in</a></nav><article><h1>Copper report</h1>"
        "<p>The Example mine produced about 12,500 tons of copper in 2023, its operator said "
        "in a statement on Tuesday.</p><p>Output is expected to rise next year as a new "
        "concentrator comes online at the site.</p></article>"
        "<footer>© 2024 Example News. All rights reserved.</footer></body></html>",
        encoding="utf-8",
    )
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with open(corpus / "blank.pdf", "wb") as fh:
        writer.write(fh)
    settings = Settings(data_dir=tmp_path / "data")
    report = ingest([corpus], settings, embedder=embedder)
    assert [Path(e.path).name for e in report.errors] == ["blank.pdf"]
    assert "no extractable text" in report.errors[0].message
    doc = load_index(settings).documents["page"]
    assert "12,500 tons of copper" in doc.text
    assert "All rights reserved" not in doc.text and "Sign in" not in doc.text


KILL_SCRIPT = """
import sys
from pathlib import Path
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings
ingest([Path(sys.argv[1])], Settings(data_dir=Path(sys.argv[2])))
"""


def test_a_killed_ingest_leaves_the_old_index_serving(tmp_path, embedder) -> None:
    corpus = _copy_corpus(tmp_path)
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], settings, embedder=embedder)
    data = DataDir(settings.data_dir)
    before = data.current()
    # Enough new text that embedding takes a while, so the kill lands mid-ingest.
    for i in range(60):
        sentences = " ".join(
            f"Plant {i}-{j} shipped {j * 7 + i} crates of widgets." for j in range(40)
        )
        (corpus / f"bulk-{i:03d}.txt").write_text(sentences + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(corpus), str(settings.data_dir)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    deadline = time.monotonic() + 120
    building = None
    while building is None:
        assert proc.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline, "no new generation was started within 120 s"
        names = [p.name for p in data.generations.iterdir() if p.name != before]
        building = names[0] if names else None  # the new generation is being built
        time.sleep(0.02)
    time.sleep(0.5)
    assert proc.poll() is None, "the ingest finished before the kill: nothing was tested"
    assert not (data.path(building) / "COMPLETE").exists()
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert data.current() == before
    index = load_index(settings)
    assert list(index.documents) == ["kazakhstan-tungsten-2025-11-21"]
    assert Catalog(data.path(before) / "catalog.sqlite", readonly=True).counts()["documents"] == 1
    # the next ingest cleans up and completes
    report = ingest([corpus], settings, embedder=embedder)
    assert report.changed and len(report.added) == 60
    assert data.current() != before
    # the interrupted generation's leftovers were removed; what remains is complete
    assert all((p / "COMPLETE").exists() for p in data.generations.iterdir())


def test_curated_facts_merge_with_provenance_and_survive_single_file_ingest(
    tmp_path, embedder
) -> None:
    corpus = _copy_corpus(tmp_path)
    (corpus / "facts.yaml").write_text(
        "- doc_id: kazakhstan-tungsten-2025-11-21\n"
        "  subject: Kazakhstan\n"
        "  attribute: exploration permits since 2018\n"
        "  text: 2,906 exploration permits\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], settings, embedder=embedder)
    curated = [f for f in load_index(settings).catalog.all_facts() if f.provenance != "extracted"]
    assert [(f.provenance, f.value, f.subject) for f in curated] == [
        ("curated:facts.yaml#1", 2906.0, "Kazakhstan")
    ]
    text = load_index(settings).documents["kazakhstan-tungsten-2025-11-21"].text
    assert text[curated[0].start : curated[0].end] == "2,906 exploration permits"
    (tmp_path / "more.txt").write_text("The Qorvex plant shipped 40 crates in 2020.\n")
    ingest([tmp_path / "more.txt"], settings, embedder=embedder)
    after = [f for f in load_index(settings).catalog.all_facts() if f.provenance != "extracted"]
    assert [f.fact_id for f in after] == [f.fact_id for f in curated]
