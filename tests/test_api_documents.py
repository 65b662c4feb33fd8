"""Uploads and deletes: atomic new generations, refused files leave the index unchanged."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

SEED_ID = "kazakhstan-tungsten-2025-11-21"
NOTE = (
    "Zeltrava Smelter Annual Note\n\n"
    "The Zeltrava smelter in Norvik produced 4,250 tonnes of refined cobalt in 2023. "
    "The smelter employs 310 people and runs two electric furnaces.\n\n"
    "Its owner, Brannock Metals, plans a third furnace for 2026.\n"
)
QUESTION = "How much refined cobalt did the Zeltrava smelter produce in 2023?"


def generation(http: Any) -> str:
    return http.get("/v1/documents").json()["generation"]


def assert_error(response: Any, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_upload_then_ask_then_delete(writable_settings: Any, start_server: Any) -> None:
    uploads = Path(writable_settings.data_dir) / "uploads"
    with start_server(writable_settings).client() as http:
        before = generation(http)
        created = http.post("/v1/documents",
                            files={"file": ("Zeltrava Note.txt", NOTE.encode(), "text/plain")})
        assert created.status_code == 201, created.text
        result = created.json()
        assert result["doc_id"] == "zeltrava-note" and result["added"] == ["zeltrava-note"]
        assert result["changed"] and result["documents"] == 2
        assert result["generation"] != before
        assert (uploads / "zeltrava-note.txt").read_bytes() == NOTE.encode()
        ids = [d["id"] for d in http.get("/v1/documents").json()["documents"]]
        assert ids == sorted([SEED_ID, "zeltrava-note"])

        answer = http.post("/v1/ask", json={"question": QUESTION}).json()
        assert not answer["refused"], answer
        assert "4,250 tonnes" in answer["answer"]
        cited = {c["doc_id"] for c in answer["citations"]}
        assert "zeltrava-note" in cited
        text = http.get("/v1/documents/zeltrava-note/text").text
        for c in answer["citations"]:
            if c["doc_id"] == "zeltrava-note":
                assert text[c["start"]:c["end"]] == c["quote"]

        again = http.post("/v1/documents",
                          files={"file": ("Zeltrava Note.txt", NOTE.encode(), "text/plain")})
        assert again.status_code == 200 and again.json()["changed"] is False

        deleted = http.delete("/v1/documents/zeltrava-note")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["removed"] == ["zeltrava-note"]
        assert deleted.json()["documents"] == 1
        assert not (uploads / "zeltrava-note.txt").exists()
        assert_error(http.get("/v1/documents/zeltrava-note"), 404, "not_found")
        after = http.post("/v1/ask", json={"question": QUESTION}).json()
        assert "zeltrava-note" not in {c["doc_id"] for c in after["citations"]}
        assert "4,250" not in after["answer"]
        # The seed document survived with its text unchanged.
        assert http.get(f"/v1/documents/{SEED_ID}").status_code == 200


def test_refused_uploads_leave_the_index_unchanged(writable_settings: Any,
                                                   start_server: Any) -> None:
    uploads = Path(writable_settings.data_dir) / "uploads"
    settings = writable_settings.model_copy(update={"max_upload_bytes": 4096})
    with start_server(settings).client() as http:
        before = generation(http)
        exe = http.post("/v1/documents", files={
            "file": ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" * 64, "application/octet-stream")})
        error = assert_error(exe, 415, "unsupported_file")
        assert "setup.exe" in error["message"] and ".txt" in error["message"]

        binary = http.post("/v1/documents", files={
            "file": ("data.txt", b"abc\x00\x01\x02" * 100, "text/plain")})
        error = assert_error(binary, 400, "unreadable_file")
        assert "data.txt" in error["message"] and "binary" in error["message"]
        assert str(writable_settings.data_dir) not in error["message"]

        empty = http.post("/v1/documents", files={"file": ("empty.md", b"", "text/markdown")})
        assert_error(empty, 400, "unreadable_file")

        latin1 = http.post("/v1/documents", files={"file": ("old.txt", "café".encode("latin-1"))})
        assert_error(latin1, 400, "unreadable_file")

        big = http.post("/v1/documents", files={"file": ("big.txt", b"word " * 2000)})
        assert_error(big, 413, "payload_too_large")
        huge = http.post("/v1/documents", files={"file": ("huge.txt", b"word " * 40000)})
        assert_error(huge, 413, "payload_too_large")

        bad_id = http.post("/v1/documents", files={"file": ("a.txt", b"Some text.")},
                           data={"doc_id": "../../etc"})
        assert_error(bad_id, 400, "bad_input")
        assert_error(http.post("/v1/documents", data={"x": "y"}), 422, "invalid_request")

        assert generation(http) == before
        assert [d["id"] for d in http.get("/v1/documents").json()["documents"]] == [SEED_ID]
        assert not uploads.exists() or not any(uploads.iterdir())


def test_delete_errors(writable_settings: Any, start_server: Any) -> None:
    with start_server(writable_settings).client() as http:
        assert_error(http.delete("/v1/documents/no-such-doc"), 404, "not_found")
        assert_error(http.delete("/v1/documents/Bad_ID"), 400, "bad_input")
        last = assert_error(http.delete(f"/v1/documents/{SEED_ID}"), 409, "conflict")
        assert "only document" in last["message"]


def test_no_index_yet(tmp_path: Path, api_settings: Any, start_server: Any) -> None:
    settings = api_settings.model_copy(update={"data_dir": tmp_path / "empty",
                                               "allow_anonymous_writes": True})
    with start_server(settings).client() as http:
        assert http.get("/healthz").status_code == 200
        ready = assert_error(http.get("/readyz"), 503, "index_not_ready")
        assert "assistant ingest" in ready["message"]
        assert_error(http.post("/v1/ask", json={"question": QUESTION}), 503, "index_not_ready")
        assert_error(http.post("/v1/ask/stream", json={"question": QUESTION}), 503,
                     "index_not_ready")
        assert_error(http.get("/v1/documents"), 503, "index_not_ready")

        created = http.post("/v1/documents", files={"file": ("zeltrava.md", NOTE.encode())})
        assert created.status_code == 201, created.text
        assert http.get("/readyz").json()["documents"] == 1
        answer = http.post("/v1/ask", json={"question": QUESTION}).json()
        assert [c["doc_id"] for c in answer["citations"]] == ["zeltrava"]


def test_curated_facts_survive_uploads_and_deletes(tmp_path: Path, api_settings: Any,
                                                   start_server: Any) -> None:
    from assistant.ingest.pipeline import ingest

    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus)
    (corpus / "facts.yaml").write_text(
        f"- doc_id: {SEED_ID}\n  subject: deep processing complex\n"
        "  attribute: additional investment\n  text: $150 million\n", encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(Path(api_settings.data_dir) / "embeddings.sqlite", data / "embeddings.sqlite")
    settings = api_settings.model_copy(update={
        "data_dir": data, "corpus_dir": corpus, "allow_anonymous_writes": True})
    server = start_server(settings)
    report = ingest([corpus], settings, embedder=server.app.state.assistant.holder.embedder)
    assert report.changed and not report.errors

    def curated(http: Any) -> list[dict]:
        facts = http.get("/v1/facts", params={"doc_id": SEED_ID, "limit": 1000}).json()["facts"]
        return [f for f in facts if f["provenance"].startswith("curated:")]

    with server.client() as http:
        assert [f["provenance"] for f in curated(http)] == ["curated:facts.yaml#1"]
        upload = http.post("/v1/documents", files={"file": ("zeltrava.txt", NOTE.encode())})
        assert upload.status_code == 201, upload.text
        assert [f["provenance"] for f in curated(http)] == ["curated:facts.yaml#1"]
        assert http.delete("/v1/documents/zeltrava").status_code == 200
        assert [f["provenance"] for f in curated(http)] == ["curated:facts.yaml#1"]
        # With a second document present, the curated row naming the seed is what blocks.
        assert http.post("/v1/documents",
                         files={"file": ("zeltrava.txt", NOTE.encode())}).status_code == 201
        conflict = assert_error(http.delete(f"/v1/documents/{SEED_ID}"), 409, "conflict")
        assert re.search(r"facts\.yaml", conflict["message"])
