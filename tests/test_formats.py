"""The format suite: one invented document per supported format, written by the libraries
people's tools use (tests/formats/build.py), read back with the right title, no markup, every
table cell offset-exact, and answered through the real pipeline (evals/formats.jsonl)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from assistant.errors import UnreadableFileError
from assistant.evals.runner import LocalBackend, check_thresholds, load_thresholds, run_suites
from assistant.evals.suite import load_suite
from assistant.ingest.loaders import SUPPORTED, load_file
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings
from assistant.types import Page

sys.path.insert(0, str(Path(__file__).resolve().parent))
from formats.build import build_corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "evals" / "formats.jsonl"
TITLES = {
    "field-report.txt": "Brackwater Dairy Cooperative",
    "harbour-notes.md": "Pelling Harbour Authority: Quarterly Notes",
    "ridership.html": "Ridgeway Transit ridership report 2025",
    "solar-brief.pdf": "Kestrel Ridge Solar Farm: Project Brief",  # metadata says about:blank
    "water-notice.pdf": "Notice of Water Main Works",  # a scan: read by OCR
    "orchard-memo.docx": "Almsbury Orchard Trust: Harvest Memo",  # property says Document1
    "clinic-review.pptx": "Northbrook Community Clinic: 2025 Review",
    "fleet-budget.xlsx": "Calder Council Fleet Budget 2026",
    "library-loans.csv": "library loans",
}
MARKUP = re.compile(r"\*\*|__|<[a-z/][^>]*>|\|\s*-{3}|^#+\s|about:blank|Page \d+ of \d+", re.M)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("formats")
    build_corpus(directory)
    return directory


@pytest.fixture(scope="module")
def pages(corpus: Path) -> dict[str, Page]:
    return {path.name: load_file(path) for path in sorted(corpus.iterdir())}


def test_every_supported_format_is_in_the_corpus(pages: dict[str, Page]) -> None:
    used = {Path(name).suffix for name in pages}
    assert used >= set(SUPPORTED) - {".markdown", ".htm"}


def test_titles(pages: dict[str, Page]) -> None:
    assert {name: page.title for name, page in pages.items()} == TITLES


def test_no_markup_no_furniture_no_broken_sentence(pages: dict[str, Page]) -> None:
    for name, page in pages.items():
        assert not MARKUP.search(page.text), (name, MARKUP.search(page.text))
        for line in page.text.split("\n"):  # a wrap never leaves a line ending mid-sentence
            assert not re.search(r"\b(?:the|of|and|to|a|in)$", line), (name, line)
    txt = pages["field-report.txt"].text
    assert "48,200 litres of milk per day in 2025, up from 44,900 litres in 2024." in txt
    assert "- Linmoor cheese works, which makes hard cheese\n" in txt  # list items stay lines
    assert "12,400 tonnes of grain" in pages["harbour-notes.md"].text  # emphasis gone
    assert "3.2 kilometres of water main" in pages["water-notice.pdf"].text  # OCR


def test_structure_points_into_the_text(pages: dict[str, Page]) -> None:
    tables = 0
    for name, page in pages.items():
        ends = [b.end for b in page.blocks]
        assert ends == sorted(ends), name
        for block in page.blocks:
            line = page.text[block.start : block.end]
            assert line and "\n" not in line and line == line.strip(), (name, block)
        for cell in page.cells:
            row = next(b for b in page.blocks if b.start <= cell.start < b.end)
            assert row.kind == "table_row" and page.text[row.start:].startswith(cell.row_header)
            assert page.text[cell.header_start : cell.header_end] == cell.column_header
        tables += len({c.table for c in page.cells})
    assert tables >= 6  # md, html, pdf, docx, pptx, xlsx, csv: only the PDF's may be missed


def test_evidence_stands_in_the_stored_text(pages: dict[str, Page]) -> None:
    suite = load_suite(SUITE)
    assert len(suite.items) >= 40
    texts = " ".join(page.text for page in pages.values())
    for item in suite.items:
        evidence = item.turns[0].evidence
        assert evidence and evidence in texts, item.id


def test_broken_files_of_the_new_formats_say_why(tmp_path: Path) -> None:
    for suffix, kind in ((".docx", "Word"), (".pptx", "PowerPoint"), (".xlsx", "Excel")):
        path = tmp_path / f"broken{suffix}"
        path.write_bytes(b"PK\x03\x04 truncated")
        with pytest.raises(UnreadableFileError, match=f"not a readable {kind}"):
            load_file(path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\n\n")
    with pytest.raises(UnreadableFileError, match="empty"):
        load_file(empty)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_format_suite_holds_its_thresholds(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    report = ingest([corpus], settings)
    assert not report.errors and report.documents == len(TITLES)
    backend = LocalBackend(settings)
    try:
        result = run_suites([load_suite(SUITE)], backend)
    finally:
        backend.close()
    checks = check_thresholds(result.summary,
                              load_thresholds(ROOT / "evals" / "thresholds-formats.toml"))
    missed = [c.describe() for c in checks if c.passed is not True]
    failures = [f"{s.key}: {s.why}" for s in result.scores if not s.passed]
    assert not missed, "format suite below its thresholds:\n  " + "\n  ".join(
        missed + ["failed questions:"] + failures)
