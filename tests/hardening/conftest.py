"""Fixtures every hardening module shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hardening_helpers import Recorder


@pytest.fixture(scope="module")
def slack() -> Iterator[Recorder]:
    """A loopback HTTP server standing in for Slack's Web API (and callback receivers)."""
    recorder = Recorder()
    yield recorder
    recorder.stop()
