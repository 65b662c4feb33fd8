"""GET /v1/models and /v1/models/{model_id}: how OpenAI clients discover what to ask.

Chat front-ends (open-webui, LibreChat) list models before they offer one; without this route
``client.models.list()`` is a 404 and the server cannot be picked. One model serves: the
assistant itself, under ``ASSISTANT_CHAT_MODEL`` (default ``assistant``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from ...contract import error_responses
from ...errors import NotFoundError
from ...security import SettingsDep
from ..models import ModelCard, ModelList

router = APIRouter(tags=["chat"])


def _card(request: Request, model_id: str) -> ModelCard:
    return ModelCard(id=model_id, created=int(request.app.state.started))


@router.get("/v1/models", response_model=ModelList, responses=error_responses(401))
def list_models(request: Request, settings: SettingsDep) -> ModelList:
    """The one model this server answers with, in OpenAI's list shape."""
    return ModelList(data=[_card(request, settings.chat_model)])


@router.get("/v1/models/{model_id}", response_model=ModelCard,
            responses=error_responses(401, 404))
def get_model(
    model_id: Annotated[str, Path(max_length=200, examples=["assistant"])],
    request: Request,
    settings: SettingsDep,
) -> ModelCard:
    """One model by id: the assistant's, else 404."""
    if model_id != settings.chat_model:
        raise NotFoundError(f"no model {model_id[:200]!r}; GET /v1/models lists the one model, "
                            f"{settings.chat_model!r}")
    return _card(request, model_id)
