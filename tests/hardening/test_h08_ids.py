"""Issue 17, item 8: document ids are validated exactly as they are stored: no trailing newline
through ``$``, no id ending in '-', '.' or '_' (stored under another id), no control
characters in an upload's file name; the id an upload returns is the id it can be read by.
Also the pipeline's own id handling: invalid and duplicate ``doc_id`` in a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.ingest.pipeline import ingest
from assistant.ingest.sources import is_doc_id, make_doc_id
from assistant.settings import Settings

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

TEXT = b"The Qorvex plant shipped 40 crates of widgets in 2020.\n"


def raw_upload(filename: bytes) -> bytes:
    """A multipart body by hand: clients escape odd file names, a hostile one need not."""
    return (b'--b\r\nContent-Disposition: form-data; name="file"; filename="' + filename
            + b'"\r\nContent-Type: text/plain\r\n\r\n' + TEXT + b"\r\n--b--\r\n")


@pytest.mark.parametrize("doc_id", ["trail2\n", "trail2-", "trail2.", "trail2_", "-x", "Ab",
                                    "a/b", "", "a" * 129])
def test_ids_that_would_be_stored_otherwise_are_refused(doc_id: str) -> None:
    assert not is_doc_id(doc_id)


@pytest.mark.parametrize("name", ["Notes (draft) .txt", "--x--.md", "a" * 300 + ".txt",
                                  "Report v2.0_.txt", "___.txt"])
def test_a_derived_id_is_always_valid(name: str) -> None:
    assert is_doc_id(make_doc_id(Path(name)))


def test_the_returned_id_reads_back(writable_settings: Any, start_server: Any) -> None:
    uploads = Path(writable_settings.data_dir) / "uploads"
    with start_server(writable_settings).client() as http:
        for doc_id in ("trail2-", "trail2\n", "trail2."):
            refused = http.post("/v1/documents", files={"file": ("t.txt", TEXT)},
                                data={"doc_id": doc_id})
            assert refused.status_code == 400, (doc_id, refused.text)
            assert "ending with a letter or digit" in refused.json()["error"]["message"]
        for name in (b"a\x01b.txt", b"a\x1bb.txt", b"a\x7fb.txt"):
            named = http.post("/v1/documents", content=raw_upload(name), headers={
                "Content-Type": "multipart/form-data; boundary=b"})
            assert named.status_code == 400, named.text
            assert "control" in named.json()["error"]["message"]
        for name, expected in (("Notes (draft)-.txt", "notes-draft"), ("v2.0.txt", "v2.0")):
            created = http.post("/v1/documents", files={"file": (name, TEXT)})
            assert created.status_code in (200, 201), created.text
            assert created.json()["doc_id"] == expected
            assert http.get(f"/v1/documents/{expected}").status_code == 200
        assert http.get("/v1/documents/trail2%0A").status_code == 400
    stored = sorted(p.name for p in uploads.iterdir())
    assert stored == ["notes-draft.txt", "v2.0.txt"]  # no file with a newline in its name


def test_manifest_ids_invalid_or_duplicate_are_refused(tmp_path: Path, embedder: Any) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(TEXT)
    (corpus / "b.txt").write_bytes(TEXT.replace(b"40", b"41"))
    (corpus / "c.txt").write_bytes(TEXT.replace(b"40", b"42"))
    (corpus / "corpus.yaml").write_text(
        "documents:\n  a.txt: {doc_id: plant}\n  b.txt: {doc_id: plant}\n"
        "  c.txt: {doc_id: 'Bad Id-'}\n", encoding="utf-8")
    report = ingest([corpus], Settings(data_dir=tmp_path / "data"), embedder=embedder)
    assert report.added == ("plant",)
    reasons = {Path(e.path).name: e.message for e in report.errors}
    assert set(reasons) == {"b.txt", "c.txt"}
    assert "already used" in reasons["b.txt"] and "invalid doc_id" in reasons["c.txt"]
