"""Fixtures for the HTTP API tests: one real index per session, real uvicorn on loopback.

Loaded as a plugin (``pytest_plugins = ["api_fixtures"]`` in each ``test_api*.py``) so the
session-scoped index is built once however many API test modules run. The model comes from the
shared ``embedder`` fixture in ``conftest.py``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from assistant.app import create_app
from assistant.index.loaded import IndexHolder
from assistant.service import Assistant
from assistant.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


class LiveServer:
    """A real uvicorn serving ``app`` on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)
        self.url = ""

    def start(self, ready: bool = True) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        if ready:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        """Wait until the app's start-up (model warm-up) is over, index or not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.app.state.readiness.model_warm or self.app.state.readiness.failure:
                return
            time.sleep(0.02)
        raise RuntimeError("the app did not warm up")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)


def serve(settings: Settings, embedder: Any, ready: bool = True) -> LiveServer:
    """Start a server for ``settings`` sharing the session's model."""
    assistant = Assistant(settings, IndexHolder(settings, embedder))
    return LiveServer(create_app(settings, assistant)).start(ready=ready)


def copy_index(source: Settings, target: Path, **overrides: Any) -> Settings:
    """A writable copy of an index (without its conversations), with other settings."""
    shutil.copytree(source.data_dir, target,
                    ignore=shutil.ignore_patterns("conversations.sqlite*", "ingest.lock"))
    return source.model_copy(update={"data_dir": target, **overrides})


@pytest.fixture(scope="session")
def api_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Settings:
    """An index of corpus/, built once per session with the pipeline; serve it read-only."""
    from assistant.ingest.pipeline import ingest

    settings = Settings(data_dir=tmp_path_factory.mktemp("api-index"), api_keys=[],
                        allow_anonymous_writes=False, cors_origins=[])
    report = ingest([CORPUS], settings, embedder=embedder)
    assert report.changed and not report.errors
    return settings


@pytest.fixture(scope="session")
def api_server(api_settings: Settings, embedder: Any) -> Iterator[LiveServer]:
    """The default server: no keys, no anonymous writes."""
    server = serve(api_settings, embedder)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(api_server: LiveServer) -> LiveServer:
    """The server ``http`` talks to; a module overrides it with a server of its own."""
    return api_server


@pytest.fixture()
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def served(settings: Settings, embedder: Any) -> Iterator[LiveServer]:
    """A module fixture's body (``yield from served(...)``): a live server for ``settings``,
    stopped when the module is done."""
    live = serve(settings, embedder)
    yield live
    live.stop()


@pytest.fixture()
def start_server(embedder: Any) -> Iterator[Any]:
    """A factory: ``start_server(settings, ready=True)`` -> LiveServer, stopped at teardown."""
    servers: list[LiveServer] = []

    def start(settings: Settings, ready: bool = True) -> LiveServer:
        server = serve(settings, embedder, ready=ready)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture()
def writable_settings(api_settings: Settings, tmp_path: Path) -> Settings:
    """A copy of the session's index that a test may change (uploads, deletes)."""
    return copy_index(api_settings, tmp_path / "data", allow_anonymous_writes=True)


def free_port() -> int:
    """A TCP port nobody listens on, on loopback, for a server started as a process."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 240) -> None:
    """Return once ``url``/readyz says 200; fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)


CHROMA = Path(sys.executable).parent / "chroma"


@contextmanager
def chroma_server(directory: Path) -> Iterator[str]:
    """A real Chroma server (``chroma run``) on loopback, its data and log in ``directory``;
    yields its URL and stops it at the end."""
    # chromadb (a runtime dependency) installs the `chroma` command: missing is a broken
    # install, which must fail here, not skip.
    assert CHROMA.exists(), f"no chroma CLI at {CHROMA}: reinstall the project (make install)"
    port = free_port()
    log_path = directory / "chroma.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(directory / "chroma"), "--host", "127.0.0.1",
         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Chroma server did not start: "
                                   + log_path.read_text(errors="replace"))
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
