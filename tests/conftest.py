"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_fa04363b0b6fbf05.txt"


@pytest.fixture(scope="session")
def seed_raw() -> str:
    """The seed web page, flattened to text with its site chrome."""
    return SEED.read_text(encoding="utf-8")
