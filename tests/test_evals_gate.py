"""CI gate: the seed suite, run in process against a freshly built index of corpus/, must hold
the thresholds in evals/thresholds.toml, so an answer regression cannot land."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evals.runner import LocalBackend, check_thresholds, load_thresholds, run_suites
from assistant.evals.suite import load_suite
from assistant.ingest.pipeline import ingest
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_seed_suite_holds_its_thresholds(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    report = ingest([ROOT / "corpus"], settings)
    assert report.documents >= 1 and not report.errors
    thresholds = load_thresholds(ROOT / "evals" / "thresholds.toml")
    backend = LocalBackend(settings)
    try:
        result = run_suites([load_suite(ROOT / "evals" / "seed.jsonl")], backend)
    finally:
        backend.close()
    checks = check_thresholds(result.summary, thresholds)
    failures = [f"{s.key}: {s.why}" for s in result.scores if not s.passed]
    missed = [c.describe() for c in checks if c.passed is not True]
    assert not missed, "seed suite below its thresholds:\n  " + "\n  ".join(
        missed + ["failed questions:"] + failures)
    # the evaluation itself must leave the data dir's conversations alone
    assert not (tmp_path / "data" / "conversations.sqlite").exists()
