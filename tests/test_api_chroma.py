"""With a Chroma server (ASSISTANT_CHROMA_URL) the API gives the same answers as embedded."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from seed_questions import SEED_QUESTIONS

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUESTIONS = SEED_QUESTIONS


@pytest.fixture()
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server on loopback, stopped at the end."""
    from api_fixtures import chroma_server

    with chroma_server(tmp_path) as url:
        yield url


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
