"""The one ASGI app: the HTTP API, the bots and the web UI, assembled here.

``api/``, ``bots/`` and ``web/`` are siblings that depend on the service below them, never on
each other; this module is the floor above that puts them together. ``assistant serve`` runs
``assistant.app:create_app`` under uvicorn.
"""

from __future__ import annotations

from fastapi import FastAPI

from .api.app import add_middleware, build_api
from .bots import CallbackPolicy, mount_bots
from .service import Assistant
from .settings import Settings, get_settings
from .web import mount_web


def create_app(settings: Settings | None = None, assistant: Assistant | None = None,
               callbacks: CallbackPolicy | None = None) -> FastAPI:
    """Build the whole app.

    Args:
        settings: defaults to ``assistant.settings`` or the process's ``get_settings()``.
        assistant: the shared Assistant; built from ``settings`` when omitted.
        callbacks: where webhook callbacks may go and how they travel (default: from
            ``settings``); tests pass a resolver and transport that touch no network.

    Returns:
        The app; the model and index load in its lifespan, not here.
    """
    if settings is None:
        settings = assistant.settings if assistant is not None else get_settings()
    if assistant is None:
        assistant = Assistant(settings)
    app = build_api(settings, assistant)
    mount_bots(app, settings, lambda: assistant, callbacks)
    mount_web(app, settings)
    add_middleware(app, settings, app.state.metrics)
    return app
