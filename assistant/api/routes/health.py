"""Liveness, readiness and Prometheus metrics; open without an API key."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...contract import error_responses
from ...errors import AssistantError
from ...security import ApiError
from ..deps import AssistantDep, MetricsDep, ReadinessDep
from ..models import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (it answers even while the model is loading)."""
    return Health()


@router.get("/readyz", response_model=Ready, responses=error_responses(503))
def readyz(assistant: AssistantDep,
           readiness: ReadinessDep) -> Ready:
    """Ready when the index is loaded and the model is warm; 503 with the reason otherwise."""
    if readiness.failure is not None:
        raise ApiError(503, "startup_failed", readiness.failure)
    if not readiness.model_warm:
        raise ApiError(503, "starting", "loading the embedding model and the index; retry soon")
    try:
        index = assistant.holder.get()
    except AssistantError as exc:  # no index yet, or the Chroma server is unreachable
        raise ApiError(503, exc.code, exc.message) from None
    return Ready(generation=index.generation, documents=len(index.documents))


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"example": (
                '# TYPE assistant_answers_total counter\n'
                'assistant_answers_total{outcome="verified"} 12.0\n')}},
                "description": "Prometheus text exposition format."}})
def metrics(metrics: MetricsDep) -> Response:
    """Prometheus metrics: requests and latency per route, answers by outcome."""
    return Response(metrics.render(), media_type=metrics.content_type)
