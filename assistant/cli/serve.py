"""``assistant serve``: the HTTP API under uvicorn (registers itself on the CLI's ``app``)."""

from __future__ import annotations

import errno
import os
import socket
from typing import Annotated

import typer

from ..settings import Settings
from .main import EXIT_INPUT, EXIT_OTHER, EXIT_PORT_BUSY, app, err, out


def port_taken(host: str, port: int) -> bool:
    """Whether another process listens on ``host:port``: binding it fails with EADDRINUSE.

    Checked before uvicorn starts, whose own failure is a generic exit 1 after start-up logs.
    """
    if port == 0:
        return False
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def _check_database(settings: Settings) -> None:
    """Reach and migrate the shared-state database before any worker starts: a wrong
    ASSISTANT_DATABASE_URL is one line and exit 2 (unusable) or 1 (unreachable)."""
    from ..errors import AssistantError, ConfigError
    from ..state.database import check_database

    try:
        check_database(settings)
    except AssistantError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT if isinstance(exc, ConfigError) else EXIT_OTHER) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (POST /v1/ask, OpenAI-compatible /v1/chat/completions, docs at /docs)."""
    import uvicorn

    from ..settings import get_settings

    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic's ValidationError / SettingsError: a bad ASSISTANT_*
        err.print(f"[bold red]error:[/] invalid settings: {exc}", highlight=False)
        raise typer.Exit(EXIT_INPUT) from None
    if port_taken(host, port):
        err.print(f"[bold red]error:[/] port {port} on {host} is already in use; stop the other "
                  f"server or pick another port (--port, or make run PORT=…)", highlight=False)
        raise typer.Exit(EXIT_PORT_BUSY)
    _check_database(settings)
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    out.print(f"Serving http://{shown}:{port}  (API docs: http://{shown}:{port}/docs; "
              f"data dir {settings.data_dir}; {workers} worker(s))", highlight=False,
              soft_wrap=True)
    if not settings.api_keys:
        message = ("No API keys set (ASSISTANT_API_KEYS): read routes are open; uploads and "
                   "deletes are refused")
        if settings.allow_anonymous_writes:
            message = "No API keys set and ASSISTANT_ALLOW_ANONYMOUS_WRITES: anyone can write"
        err.print(message + ".", style="yellow", highlight=False, soft_wrap=True)
    if workers > 1:  # /metrics must be the sum over the workers, not whichever answered
        from ..api.metrics import share_across_workers

        # Named for the replica too: replicas may share one data dir (docs/deploy.md).
        share_across_workers(
            settings.data_dir / "metrics" / f"serve-{settings.replica}-{os.getpid()}")
    # An import string and factory=True, so each worker process builds its own app.
    uvicorn.run("assistant.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="info")
