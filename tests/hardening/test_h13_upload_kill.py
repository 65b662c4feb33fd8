"""Issue 17, item 13: an upload is staged under a temporary name and moved into uploads/ only
after its ingest commits; a server killed mid-upload leaves nothing in uploads/, and the next
start-up settles the staged file (removed, or moved into place if the ingest had committed)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.index.layout import DataDir
from assistant.index.loaded import IndexHolder
from assistant.ingest.pipeline import ingest
from assistant.library import Library

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

SERVE = """
import sys, uvicorn
from assistant.app import create_app
from assistant.settings import Settings
app = create_app(Settings(data_dir=sys.argv[1], allow_anonymous_writes=True))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def _bulk() -> bytes:
    # New text to embed, so the ingest takes a while and the kill lands inside the upload.
    return "\n\n".join(" ".join(f"Depot {i}-{j} moved {i * j + 7} pallets of tin." for j in
                                range(30)) for i in range(80)).encode()


def test_a_server_killed_mid_upload_leaves_nothing_behind(writable_settings: Any,
                                                          start_server: Any) -> None:
    from api_fixtures import free_port, wait_ready

    data = Path(writable_settings.data_dir)
    before = DataDir(data).current()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(data), str(port)],
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, server)
        deadline = time.monotonic() + 120
        upload = subprocess.Popen([sys.executable, "-c", (
            "import sys, httpx; httpx.post(sys.argv[1], timeout=300, "
            "files={'file': ('bulk.txt', open(sys.argv[2], 'rb'))})"),
            url + "/v1/documents", str(_write(data.parent / "bulk.txt", _bulk()))],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        staging = data / "staging"
        while not (staging.is_dir() and any(staging.iterdir())):
            assert time.monotonic() < deadline and upload.poll() is None, "no upload staged"
            time.sleep(0.01)
        assert server.poll() is None, "the server was alive when killed"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        upload.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    uploads = data / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []  # nothing unindexed
    assert DataDir(data).current() == before
    assert any(staging.iterdir())
    with start_server(writable_settings).client() as http:  # start-up sweeps it
        assert http.get("/readyz").status_code == 200
    assert list(staging.iterdir()) == []
    assert not uploads.exists() or list(uploads.iterdir()) == []


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_committed_upload_is_moved_into_place_at_start_up(writable_settings: Any,
                                                            embedder: Any) -> None:
    """Killed after the commit but before the move: the index already holds the file."""
    library = Library(writable_settings, IndexHolder(writable_settings, embedder))
    text = b"The Qorvex plant shipped 40 crates of widgets in 2020.\n"
    staged = library._stage(io.BytesIO(text), "qorvex", ".txt")
    target = library.uploads / "qorvex.txt"
    report = ingest([staged], writable_settings, embedder=embedder, stored_as={staged: target})
    assert report.added == ("qorvex",) and not target.exists()
    # ... and here the process died. The next start-up finds the staged file committed:
    pid = staged.name.split("-", 1)[0]
    dead = staged.with_name(staged.name.replace(pid, "999999999", 1))  # no such process
    staged.rename(dead)
    assert library.sweep() == ["moved qorvex.txt into uploads/ (its ingest had committed)"]
    assert target.read_bytes() == text and list(library.staging.iterdir()) == []


def test_a_failed_ingest_rolls_the_upload_back(writable_settings: Any, start_server: Any) -> None:
    """The ingest fails for real (the Chroma server it must write to is not there): no file
    stays in uploads/ or staging/, and the index is unchanged."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    settings = writable_settings.model_copy(update={"chroma_url": closed})
    data = Path(settings.data_dir)
    before = DataDir(data).current()
    with start_server(settings).client() as http:
        failed = http.post("/v1/documents", files={"file": ("note.txt", b"Plain words here.\n")})
        assert failed.status_code == 502, failed.text
        assert failed.json()["error"]["code"] == "upstream_error"
    assert DataDir(data).current() == before
    assert not (data / "uploads").exists() or list((data / "uploads").iterdir()) == []
    assert list((data / "staging").iterdir()) == []


def test_replicas_sharing_a_data_dir_settle_only_their_own_uploads(writable_settings: Any,
                                                                  embedder: Any) -> None:
    """Issue 13: another machine's pid says nothing here, so a replica starting up leaves the
    uploads another replica staged alone (that one settles them when it starts)."""
    mine = writable_settings.model_copy(update={"replica": "replica-a"})
    other = writable_settings.model_copy(update={"replica": "replica-b"})
    library = Library(mine, IndexHolder(mine, embedder))
    staged = library._stage(io.BytesIO(b"The Vorn depot holds 12 crates.\n"), "vorn", ".txt")
    head = staged.name.split("-", 1)[0]
    dead = staged.with_name(staged.name.replace(head.split(".")[0], "999999999", 1))
    staged.rename(dead)  # its process died (pid gone)
    assert Library(other, IndexHolder(other, embedder)).sweep() == []
    assert dead.exists()
    assert library.sweep() == ["removed the unfinished upload vorn.txt"]
    assert not dead.exists()
