"""GET /v1/facts: the structured facts numbers are checked against, for people checking them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...contract import error_responses, finite
from ...ingest.sources import DOC_ID_PATTERN
from ...types import Fact
from ..deps import AssistantDep, valid_doc_id
from ..models import FactList, FactOut

router = APIRouter(tags=["facts"])


def _fact(f: Fact) -> FactOut:
    return FactOut(
        fact_id=f.fact_id, doc_id=f.doc_id, text=f.text, start=f.start, end=f.end, kind=f.kind,
        value=finite(f.value), low=finite(f.low), high=finite(f.high), unit=f.unit,
        subject=f.subject, attribute=f.attribute, provenance=f.provenance, iso=f.iso,
    )


@router.get("/v1/facts", response_model=FactList, responses=error_responses(400, 401, 503))
def list_facts(
    assistant: AssistantDep,
    q: Annotated[str | None, Query(
        max_length=500, description="Words that must all occur in subject, attribute or text.")
    ] = None,
    subject: Annotated[str | None, Query(max_length=500, description="Subject contains.")] = None,
    attribute: Annotated[str | None, Query(
        max_length=500, description="Attribute contains.")] = None,
    value: Annotated[float | None, Query(description="A number inside the fact's range.")] = None,
    unit: Annotated[str | None, Query(max_length=32, description='e.g. "t", "USD", "%".')] = None,
    doc_id: Annotated[str | None, Query(description="Only this document's facts.",
                                        pattern=DOC_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> FactList:
    """Query the structured facts by words, subject, attribute, value, unit or document."""
    if doc_id is not None:
        valid_doc_id(doc_id)
    index = assistant.holder.get()
    facts = index.catalog.query_facts(q=q, subject=subject, attribute=attribute, value=value,
                                      unit=unit, doc_id=doc_id, limit=limit)
    return FactList(generation=index.generation, count=len(facts),
                    facts=[_fact(f) for f in facts])
