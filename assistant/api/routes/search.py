"""GET /v1/search: the fused retrieval hits for a query, as ``assistant search`` shows them.

For debugging retrieval against a running server, and so the CLI's ``search`` costs a request
to a warm server instead of a model load.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...contract import Text, error_responses
from ...retrieve.hybrid import search as run_search
from ...service import clean_question
from ..deps import AssistantDep
from ..models import SearchHit, SearchResult

router = APIRouter(tags=["ask"])


@router.get("/v1/search", response_model=SearchResult, responses=error_responses(400, 401, 503))
def search(
    assistant: AssistantDep,
    q: Annotated[Text, Query(min_length=1, max_length=4000, examples=["copper output 2023"],
                             description="What to look for.")],
    k: Annotated[int, Query(ge=1, le=100, description="Hits to return.")] = 8,
) -> SearchResult:
    """The best chunks for a query with each ranking's rank and score; no answer is built."""
    settings = assistant.settings
    query = clean_question(q, settings.max_question_chars)
    result = run_search(assistant.holder.get(), assistant.holder.embedder, query, top_k_hits=k,
                        candidates=settings.candidates, rrf_k=settings.rrf_k)
    return SearchResult(searched=result.searched or query, timings_ms=result.timings_ms, hits=[
        SearchHit(chunk_id=h.chunk.chunk_id, doc_id=h.chunk.doc_id, start=h.chunk.start,
                  end=h.chunk.end, rrf=h.score, dense_rank=h.dense_rank,
                  dense_score=h.dense_score, bm25_rank=h.bm25_rank, bm25_score=h.bm25_score,
                  text=h.chunk.text)
        for h in result.hits])
