"""The CLI as a client of a running server: a question costs a request, not a model load.

``ask`` and ``search`` use a server when ``ASSISTANT_URL`` names one, or when the server on the
default address (127.0.0.1:8000) serves the same index as this data dir: its ``/readyz``
generation is this data dir's CURRENT generation (generation names are unique), so a server of
another data dir is never asked by accident. Otherwise they load the model in process.

Server errors come back as the domain's errors (400 -> InputError, 404 -> NotFoundError, ...)
so the CLI's exit codes mean the same either way.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..errors import AssistantError, InputError, NotFoundError, UpstreamError
from ..index.layout import DataDir
from ..settings import Settings

DEFAULT_URL = "http://127.0.0.1:8000"
PROBE_TIMEOUT_S = 0.3


def server_for(settings: Settings, probe: str = DEFAULT_URL) -> str | None:
    """The server to ask: ``settings.url``, else ``probe`` if it serves this data dir's index."""
    if settings.url:
        return settings.url.rstrip("/")
    local = DataDir(settings.data_dir).current()
    if local is None:
        return None
    try:
        ready = httpx.get(probe + "/readyz", timeout=PROBE_TIMEOUT_S)
        generation = ready.json().get("generation") if ready.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return probe if generation == local else None


def _error(response: httpx.Response, url: str) -> AssistantError:
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = f"HTTP {response.status_code}"
    if response.status_code in (400, 413, 415, 422):
        return InputError(message)
    if response.status_code == 404:
        return NotFoundError(message)
    return UpstreamError(f"the server at {url} answered {response.status_code}: {message}")


def call(settings: Settings, url: str, method: str, path: str, **kwargs: Any) -> Any:
    """One request to the server; its JSON, or the domain error its status stands for."""
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    try:
        response = httpx.request(method, url + path, headers=headers, timeout=120, **kwargs)
    except httpx.HTTPError as exc:
        raise UpstreamError(f"cannot reach the server at {url} ({exc.__class__.__name__}); "
                            "unset ASSISTANT_URL to answer in process") from None
    if response.status_code >= 400:
        raise _error(response, url)
    return response.json()
