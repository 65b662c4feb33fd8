"""Shared fixtures."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# A developer's ASSISTANT_* variables (an LLM URL, API keys, another data dir) would change
# what the tests test: they are dropped before any test module builds a Settings, for this
# process and the subprocesses tests start.
ENV_PREFIX = "ASSISTANT_"
for _name in [n for n in os.environ if n.upper().startswith(ENV_PREFIX)]:
    del os.environ[_name]
# All data dirs of the session, and the servers and CLIs it starts, share one ONNX export of
# the embedding model (made once, on first use) instead of exporting per data dir.
MODEL_CACHE = Path(tempfile.gettempdir()) / f"assistant-test-models-{os.getuid()}"
os.environ["ASSISTANT_MODEL_CACHE_DIR"] = str(MODEL_CACHE)


@pytest.fixture(autouse=True)
def _no_assistant_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts without ASSISTANT_* variables and a fresh ``get_settings()``."""
    from assistant.settings import get_settings

    for name in [n for n in os.environ if n.upper().startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ASSISTANT_MODEL_CACHE_DIR", str(MODEL_CACHE))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_fa04363b0b6fbf05.txt"


@pytest.fixture(scope="session")
def seed_raw() -> str:
    """The seed web page, flattened to text with its site chrome."""
    return SEED.read_text(encoding="utf-8")


CORPUS = SEED.parent


@pytest.fixture(scope="session")
def embedder():
    """The real packaged model, loaded once per test session."""
    from assistant.index.embeddings import Embedder

    model = Embedder(batch_size=32, export_dir=MODEL_CACHE)
    model.warm()
    return model


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory, embedder):
    """Settings whose data dir holds an index of corpus/, built once per session."""
    from assistant.ingest.pipeline import ingest
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("seed-index"))
    report = ingest([CORPUS], settings, embedder=embedder)
    assert report.changed and not report.errors
    return settings


@pytest.fixture(scope="session")
def seed_holder(seed_settings, embedder):
    from assistant.index.loaded import IndexHolder

    return IndexHolder(seed_settings, embedder)


@pytest.fixture(scope="session")
def seed_assistant(seed_settings, seed_holder):
    from assistant.service import Assistant

    return Assistant(seed_settings, seed_holder)
