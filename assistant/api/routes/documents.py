"""The documents: list, metadata, the exact text citations point into, upload and delete."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.responses import PlainTextResponse

from ...contract import error_responses
from ...errors import NotFoundError
from ...index.loaded import Index
from ...ingest.pipeline import IngestReport
from ...ingest.sources import DOC_ID_PATTERN
from ...security import require_writer
from ...types import Document
from ..deps import (
    AssistantDep,
    DocIdPath,
    LibraryDep,
    valid_doc_id,
)
from ..models import (
    DocumentDetail,
    DocumentList,
    DocumentListItem,
    DocumentSummary,
    FetchRequest,
    IngestResult,
    SuggestionList,
    SuggestionOut,
    document_links,
)
from ..suggestions import suggest

router = APIRouter(tags=["documents"])
write_router = APIRouter(tags=["documents"], dependencies=[Depends(require_writer)])


def _document(index: Index, doc_id: str) -> Document:
    document = index.documents.get(valid_doc_id(doc_id))
    if document is None:
        raise NotFoundError(f"no document {doc_id!r}; GET /v1/documents lists them")
    return document


def _summary(d: Document) -> DocumentSummary:
    return DocumentSummary(id=d.doc_id, title=d.title, source=d.source, published=d.published,
                           url=d.url, chars=len(d.text))


def _result(doc_id: str, report: IngestReport) -> IngestResult:
    return IngestResult(
        doc_id=doc_id, changed=report.changed, generation=report.generation,
        added=list(report.added), replaced=list(report.replaced), removed=list(report.removed),
        documents=report.documents if report.changed else None,
        chunks=report.chunks if report.changed else None,
        facts=report.facts if report.changed else None,
        seconds=round(report.seconds, 3),
    )


@router.get("/v1/documents", response_model=DocumentList,
            responses={200: {"links": document_links("$response.body#/documents/0/id")},
                       **error_responses(401, 503)})
def list_documents(assistant: AssistantDep) -> DocumentList:
    """List the indexed documents with their metadata, text length and chunk count."""
    index = assistant.holder.get()
    chunks = Counter(c.doc_id for c in index.chunks)
    docs = [DocumentListItem(**_summary(d).model_dump(), chunks=chunks[d.doc_id])
            for d in sorted(index.documents.values(), key=lambda d: d.doc_id)]
    return DocumentList(generation=index.generation, count=len(docs), documents=docs)


@router.get("/v1/suggestions", response_model=SuggestionList,
            responses=error_responses(401, 503))
def list_suggestions(
    assistant: AssistantDep,
    limit: Annotated[int, Query(ge=1, le=20)] = 4,
) -> SuggestionList:
    """First questions to offer, drawn from the documents' headings (or titles)."""
    found = suggest(assistant.holder.get().documents.values(), limit)
    return SuggestionList(suggestions=[
        SuggestionOut(question=s.question, doc_id=s.doc_id, title=s.title) for s in found])


@router.get("/v1/documents/{doc_id}", response_model=DocumentDetail,
            responses=error_responses(400, 401, 404, 503))
def get_document(doc_id: DocIdPath, assistant: AssistantDep) -> DocumentDetail:
    """One document's metadata, with its chunk and fact counts."""
    index = assistant.holder.get()
    d = _document(index, doc_id)
    chunks = sum(1 for c in index.chunks if c.doc_id == d.doc_id)
    facts = len(index.catalog.query_facts(doc_id=d.doc_id, limit=1_000_000))
    return DocumentDetail(
        **_summary(d).model_dump(), content_hash=d.content_hash, chunks=chunks, facts=facts,
        text_url=f"/v1/documents/{d.doc_id}/text",
    )


@router.get(
    "/v1/documents/{doc_id}/text",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"example": "Example Mining Annual Report 2024 …"}},
                     "description": "Exactly the cleaned text; citation offsets index into it."},
               **error_responses(400, 401, 404, 503, json_route=False)},
)
def get_document_text(doc_id: DocIdPath, assistant: AssistantDep) -> Response:
    """The document's cleaned text: every citation's quote is text[start:end] of this."""
    document = _document(assistant.holder.get(), doc_id)
    return PlainTextResponse(document.text, media_type="text/plain; charset=utf-8")


# What adding a document answers: 201 added, 200 replaced or already there, or why not.
_INGESTED: dict[int | str, dict[str, Any]] = {
    201: {"links": document_links()},
    200: {"model": IngestResult, "description": "Replaced or already indexed.",
          "links": document_links()},
    **error_responses(400, 401, 403, 409, 413, 415),
}


@write_router.post(
    "/v1/documents",
    response_model=IngestResult,
    status_code=201,
    responses=_INGESTED,
)
def upload_document(
    response: Response,
    file: Annotated[UploadFile, File(
        description="One .txt, .md, .html, .pdf, .docx, .pptx, .xlsx or .csv file.")],
    library: LibraryDep,
    doc_id: Annotated[str | None, Form(description="Default: from the file name.",
                                       json_schema_extra={"pattern": DOC_ID_PATTERN})] = None,
) -> IngestResult:
    """Upload one document and ingest it into a new index generation (atomic)."""
    if doc_id is not None:
        valid_doc_id(doc_id)
    return _added(*library.add(file.filename or "", file.file, doc_id), response)


@write_router.post(
    "/v1/fetch",
    response_model=IngestResult,
    status_code=201,
    responses=_INGESTED,
)
def fetch_document(body: FetchRequest, response: Response, library: LibraryDep) -> IngestResult:
    """Fetch a document from a URL and ingest it as an upload (atomic). The host is checked
    after resolution and the connection pinned to the checked address (no SSRF); a refused or
    failed fetch is a 400 ``fetch_failed`` saying why."""
    if body.doc_id is not None:
        valid_doc_id(body.doc_id)
    return _added(*library.add_url(body.url, body.doc_id), response)


def _added(doc_id: str, report: IngestReport, response: Response) -> IngestResult:
    """201 when the document is new, 200 when it replaced one or was already indexed."""
    if not report.added:
        response.status_code = 200
    return _result(doc_id, report)


@write_router.delete("/v1/documents/{doc_id}", response_model=IngestResult,
                     responses=error_responses(400, 401, 403, 404, 409, 503))
def delete_document(doc_id: DocIdPath, library: LibraryDep) -> IngestResult:
    """Remove a document: builds a new index generation without it (atomic)."""
    valid_doc_id(doc_id)
    return _result(doc_id, library.remove(doc_id))
