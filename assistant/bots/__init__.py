"""Chat bots on top of the shared ``Assistant``: Slack (Events API and Socket Mode) and a
generic signed HTTP webhook. Like ``api/``, they only translate: messages in, ``Assistant.ask``,
rendered answers out.

``mount_bots(app, settings, assistant_provider)`` adds ``POST /slack/events`` and
``POST /v1/hooks/ask`` to a FastAPI app; ``assistant slack`` runs the Slack bot over Socket Mode.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from ..service import Assistant
from ..settings import Settings
from ..state.database import database_for
from .callbacks import CallbackPolicy
from .threads import BotState


def bot_state(settings: Settings) -> BotState:
    """The bots' state in the shared-state database (opened on first use)."""
    return BotState(database_for(settings))


def mount_bots(app: FastAPI, settings: Settings,
               assistant_provider: Callable[[], Assistant],
               callbacks: CallbackPolicy | None = None) -> None:
    """Add the bot routes to ``app``; mounting twice is a no-op.

    Args:
        app: the FastAPI app (``create_app``'s, or any other).
        settings: Slack and hook secrets, ``data_dir``, ``max_body_bytes``.
        assistant_provider: returns the shared ``Assistant`` when a question comes.
        callbacks: where webhook callbacks may go (default: ``hook_callback_allow``).

    Without Slack settings or a hook secret, the routes still exist and answer 503 with the
    setting to set. ``app.state.bots`` holds the ``BotState`` (thread mapping, seen events).
    """
    from .slack import slack_router
    from .webhook import hook_router

    if getattr(app.state, "bots", None) is not None:
        return
    state = bot_state(settings)
    app.state.bots = state
    app.include_router(slack_router(settings, assistant_provider, state))
    app.include_router(hook_router(settings, assistant_provider, state, callbacks))


__all__ = ["BotState", "CallbackPolicy", "bot_state", "mount_bots"]
