"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

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

    model = Embedder(batch_size=32)
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
