"""With a Chroma server (ASSISTANT_CHROMA_URL) the API gives the same answers as embedded."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).parent / "chroma"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUESTIONS = [
    "What are the two core tungsten mine projects in Kazakhstan?",
    "How much tungsten ore does the mine plan to process in 2025?",
    "How much will the deep processing complex cost?",
    "How much did demand for photovoltaic tungsten filaments grow?",
    "Who won the 1998 football world cup?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server on loopback, stopped at the end."""
    # chromadb (a runtime dependency) installs the `chroma` command: missing is a broken
    # install, which must fail here, not skip.
    assert CHROMA.exists(), f"no chroma CLI at {CHROMA}: reinstall the project (make install)"
    port = free_port()
    log = open(tmp_path / "chroma.log", "wb")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
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
                                   + (tmp_path / "chroma.log").read_text(errors="replace"))
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


def test_chroma_server_gives_the_embedded_answers(
    chroma_url: str, tmp_path: Path, api_settings: Any, http: httpx.Client, embedder: Any,
    start_server: Any,
) -> None:
    from assistant.ingest.pipeline import ingest

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(Path(api_settings.data_dir) / "embeddings.sqlite", data / "embeddings.sqlite")
    settings = api_settings.model_copy(update={"data_dir": data, "chroma_url": chroma_url})
    report = ingest([CORPUS], settings, embedder=embedder)
    assert report.changed and not report.errors
    assert not (data / "generations" / report.generation / "chroma").exists()

    with start_server(settings).client() as remote:
        assert remote.get("/readyz").status_code == 200
        for question in QUESTIONS:
            embedded = http.post("/v1/ask", json={"question": question}).json()
            served = remote.post("/v1/ask", json={"question": question}).json()
            for key in ("answer", "refused", "citations", "numbers"):
                assert served[key] == embedded[key], (question, key)
