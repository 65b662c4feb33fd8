"""What routes are given through ``Depends``: the app's settings, the shared Assistant, …

Everything lives on ``app.state`` (set by ``create_app``), so a test builds an app with its own
``Settings`` and ``Assistant`` instead of patching modules.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Annotated, cast

from fastapi import Depends, Path, Request

from ..conversation.store import ID_PATTERN
from ..errors import InputError
from ..ingest.sources import DOC_ID_PATTERN, is_doc_id
from ..library import Library
from ..security import ApiError, SettingsDep, get_settings  # noqa: F401 - re-exported
from ..service import Assistant
from ..settings import REPO_ROOT, Settings
from .metrics import Metrics


@dataclass
class Readiness:
    """Start-up progress: the model loads in a thread so /healthz answers at once."""

    model_warm: bool = False
    failure: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def get_assistant(request: Request) -> Assistant:
    return cast(Assistant, request.app.state.assistant)


def get_metrics(request: Request) -> Metrics:
    return cast(Metrics, request.app.state.metrics)


def get_library(request: Request) -> Library:
    return cast(Library, request.app.state.library)


def get_readiness(request: Request) -> Readiness:
    return cast(Readiness, request.app.state.readiness)


def valid_doc_id(doc_id: str) -> str:
    """``doc_id`` if it is a well-formed document id (no path tricks), else InputError (400)."""
    if not is_doc_id(doc_id):
        raise InputError(
            f"invalid document id {doc_id[:140]!r}: use 1-128 lower-case letters, digits, "
            "'.', '_' or '-', starting and ending with a letter or digit (see GET /v1/documents)"
        )
    return doc_id


def scrub_paths(message: str, settings: Settings) -> str:
    """``message`` without this server's directories: a message a client reads names no path.

    The domain's own messages name none; this is the net for ones that come from libraries
    (an ``OSError``'s text, a parser's).
    """
    roots = {FilePath(settings.data_dir): "<data dir>", FilePath(settings.corpus_dir): "<corpus>",
             FilePath(tempfile.gettempdir()): "<tmp>", REPO_ROOT: "<app>"}
    for root, label in sorted(roots.items(), key=lambda item: -len(str(item[0]))):
        for form in {str(root), str(root.resolve())}:
            if len(form) > 1:
                message = message.replace(form, label)
    return message


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
LibraryDep = Annotated[Library, Depends(get_library)]
ReadinessDep = Annotated[Readiness, Depends(get_readiness)]

# The patterns are stated in the schema but checked by the routes (``valid_doc_id``,
# ``validate_id``), so a bad id is a 400 ``bad_input`` naming the rule, as documented.
DocIdPath = Annotated[str, Path(description="A document id, as listed by GET /v1/documents.",
                                examples=["example-mining-report-2024"],
                                json_schema_extra={"pattern": DOC_ID_PATTERN})]
ConversationIdPath = Annotated[str, Path(description="A conversation id returned by POST /v1/ask.",
                                         examples=["c_9f2a61b0c4d7e813"],
                                         json_schema_extra={"pattern": ID_PATTERN})]
