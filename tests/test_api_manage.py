"""The routes the chat page manages things with, against a live server: renaming and exporting
a conversation (its owner only), the document list's chunk counts, suggested first questions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from assistant.api.suggestions import headings, is_heading, suggest
from assistant.types import Document

if TYPE_CHECKING:
    from api_fixtures import LiveServer

pytest_plugins = ["api_fixtures"]

QUESTION = "What was global tungsten output in 2024?"


def start(http: httpx.Client, question: str = QUESTION) -> dict[str, Any]:
    response = http.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.slow
def test_rename_and_export(http: httpx.Client) -> None:
    answer = start(http)
    cid = answer["conversation_id"]
    renamed = http.patch(f"/v1/conversations/{cid}", json={"title": "  Output\n figures "})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Output figures"
    listed = {c["id"]: c["title"] for c in http.get("/v1/conversations").json()["conversations"]}
    assert listed[cid] == "Output figures"

    markdown = http.get(f"/v1/conversations/{cid}/export")
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.headers["content-disposition"] == f'attachment; filename="{cid}.md"'
    text = markdown.text
    assert text.startswith("# Output figures\n") and f"## 1. {QUESTION}" in text
    for c in answer["citations"]:
        assert (f"- [{c['id']}] **{c['title']}** (`{c['doc_id']}`, characters "
                f"{c['start']}-{c['end']}): \u201c{c['quote']}\u201d") in text
    for n in answer["numbers"]:
        assert f"- {n['text']}: {n['status']}" in text

    exported = http.get(f"/v1/conversations/{cid}/export", params={"format": "json"})
    assert exported.headers["content-disposition"] == f'attachment; filename="{cid}.json"'
    assert json.loads(exported.text) == http.get(f"/v1/conversations/{cid}").json()

    for bad in ({"title": "   "}, {"title": "x" * 121}, {}):
        response = http.patch(f"/v1/conversations/{cid}", json=bad)
        assert response.status_code in (400, 422) and "error" in response.json()
    assert http.get(f"/v1/conversations/{cid}/export", params={"format": "pdf"}).status_code == 422
    assert http.patch("/v1/conversations/c_nope", json={"title": "x"}).status_code == 404


@pytest.mark.slow
def test_only_the_owner_renames_or_exports(api_settings: Any, start_server: Any) -> None:
    server: LiveServer = start_server(api_settings.model_copy(update={"api_keys": ["k-a", "k-b"]}))
    with server.client(headers={"Authorization": "Bearer k-a"}) as a, \
            server.client(headers={"Authorization": "Bearer k-b"}) as b:
        cid = start(a)["conversation_id"]
        assert b.patch(f"/v1/conversations/{cid}", json={"title": "mine now"}).status_code == 404
        assert b.get(f"/v1/conversations/{cid}/export").status_code == 404
        assert a.get(f"/v1/conversations/{cid}").json()["title"] == QUESTION
        with server.client() as anonymous:
            assert anonymous.get(f"/v1/conversations/{cid}/export").status_code == 401


@pytest.mark.slow
def test_documents_list_chunks_and_suggestions(http: httpx.Client) -> None:
    documents = http.get("/v1/documents").json()["documents"]
    for d in documents:
        detail = http.get(f"/v1/documents/{d['id']}").json()
        assert d["chunks"] == detail["chunks"] > 0
    suggestions = http.get("/v1/suggestions", params={"limit": 3}).json()["suggestions"]
    assert 1 <= len(suggestions) <= 3
    ids = {d["id"] for d in documents}
    assert all(s["doc_id"] in ids and s["question"].endswith("?") for s in suggestions)
    assert http.get("/v1/suggestions", params={"limit": 0}).status_code == 422


def test_suggestions_come_from_headings_then_titles() -> None:
    text = ("Field Report\n\nSummary\nThe survey covered 12 sites.\n\nWater Quality\n"
            "Samples were taken weekly, as planned.\n\nNEXT STEPS\nA short line.")
    report = Document("report", "Field Report", text, "h")
    assert headings(report) == ["Summary", "Water Quality", "NEXT STEPS"]
    assert not is_heading("The survey covered 12 sites.") and not is_heading("2024 2025")
    bare = Document("bare", "Plain Notes", "only prose here, nothing else.", "h")
    found = suggest([report, bare], limit=3)
    assert [s.question for s in found] == [
        "What do the sources say about Plain Notes?",
        "What do the sources say about Summary?",
        "What do the sources say about Water Quality?",
    ]
