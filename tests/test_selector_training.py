"""`assistant train-selector` end to end on a small slice: examples, generated questions, folds,
the artefact and its card, and an out-of-fold evaluation with the fold selectors."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from assistant.training.config import TrainingConfigError, read_config
from assistant.training.generate import generate_questions

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def test_generated_questions_ask_for_what_the_sentence_states() -> None:
    made = list(generate_questions(
        "Maria Okonkwo won the Lakeside Marathon in April 2031, the organisers said.",
        random.Random(0),
    ))
    by_answer = {m.answer: m for m in made}
    assert "Maria Okonkwo" in by_answer and by_answer["Maria Okonkwo"].kind == "PERSON"
    assert by_answer["Maria Okonkwo"].question.startswith("Who ")
    assert "Maria Okonkwo" not in by_answer["Maria Okonkwo"].question
    assert all(m.question.endswith("?") for m in made)
    dated = [m for m in made if m.kind == "DATE"]
    assert dated and "2031" not in dated[0].question


@pytest.mark.parametrize(("content", "message"), [
    ('[[source]]\nname = "x"\nsuite = "s.jsonl"\ncorpus = "c"\ngroup_by = "chapter"\n',
     "group_by"),
    ("[training]\nfolds = 1\n", "source"),
    (None, "no such"),
])
def test_a_bad_training_file_says_what_to_fix(tmp_path, content, message) -> None:
    path = tmp_path / "t.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(TrainingConfigError, match=message):
        read_config(path)


def _slice(tmp_path: Path, n: int) -> Path:
    lines = (ROOT / "evals" / "seed.jsonl").read_text(encoding="utf-8").splitlines()
    items = [line for line in lines if line.strip()][:n]
    suite = tmp_path / "evals" / "slice.jsonl"
    suite.parent.mkdir(parents=True)
    suite.write_text("\n".join(items) + "\n", encoding="utf-8")
    config = tmp_path / "evals" / "train.toml"
    config.write_text(
        "[training]\nfolds = 2\nholdout = 0.25\nseed = 3\n\n"
        f'[[source]]\nname = "slice"\nsuite = "evals/slice.jsonl"\ncorpus = "{ROOT / "corpus"}"'
        '\ngroup_by = "item"\ngenerate = 3\n',
        encoding="utf-8",
    )
    return config


def test_training_on_a_slice_writes_a_selector_that_answers(tmp_path, embedder) -> None:
    from assistant.answer.selector import load_selector
    from assistant.evals.crossfit import CrossFit, suite_digest
    from assistant.evals.runner import LocalBackend, run_suites
    from assistant.evals.suite import load_suite
    from assistant.index.loaded import IndexHolder
    from assistant.service import Assistant
    from assistant.settings import Settings
    from assistant.training.card import write_card
    from assistant.training.pipeline import corpus_slug, train

    config = read_config(_slice(tmp_path, 24))
    settings = Settings(data_dir=tmp_path / "data")
    out, folds = tmp_path / "model", tmp_path / "folds"
    report = train(config, settings, tmp_path / "work", out, folds)
    write_card(report, config, out)

    figures = report.sources[0]
    assert figures.generated > 0 and figures.questions >= 24
    assert 0.0 <= figures.selected <= figures.reachable <= 1.0
    assert report.calibration.count == figures.questions
    assert "slice" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")

    selector = load_selector(out)
    work = Settings(data_dir=tmp_path / "work" / corpus_slug(config.sources[0].corpus))
    assistant = Assistant(work, IndexHolder(work, embedder), selector)
    answer = assistant.answer("What was the global tungsten output in 2024?")
    assert answer.refused or answer.citations
    assert answer.confidence is not None and 0.0 <= answer.confidence <= 1.0

    mapping = json.loads((folds / "folds.json").read_text(encoding="utf-8"))
    suite = load_suite(config.sources[0].suite)
    assert {item.id for item in suite.items} == set(mapping["items"]["slice"])
    assert set(mapping["items"]["slice"].values()) <= {"fold-0", "fold-1", "holdout"}
    assert mapping["digests"]["slice"] == suite_digest(config.sources[0].suite)
    backend = LocalBackend(work, embedder, cross_fit=CrossFit(folds))
    try:
        result = run_suites([suite], backend)
    finally:
        backend.close()
    assert result.summary.errors == 0 and result.summary.quote_fidelity in (None, 1.0)
    assert result.summary.fabricated_numbers == 0
    confidences = [s.confidence for s in result.scores if s.confidence is not None]
    assert confidences and np.all((np.array(confidences) >= 0) & (np.array(confidences) <= 1))


def test_a_cross_fit_knows_a_moved_suite_by_its_content(tmp_path) -> None:
    from assistant.errors import CrossFitError
    from assistant.evals.crossfit import CrossFit, suite_digest

    suite = tmp_path / "a" / "suite.jsonl"
    suite.parent.mkdir()
    suite.write_text('{"id": "q1", "question": "Who?", "expected": ["X"]}\n', encoding="utf-8")
    folds = tmp_path / "folds"
    folds.mkdir()
    (folds / "folds.json").write_text(json.dumps({
        "suites": {"mine": str(suite)}, "digests": {"mine": suite_digest(suite)},
        "items": {"mine": {"q1": "fold-1"}},
    }), encoding="utf-8")
    moved = tmp_path / "elsewhere" / "suite.jsonl"
    moved.parent.mkdir()
    moved.write_bytes(suite.read_bytes())
    cross = CrossFit(folds)
    assert cross.fold(str(suite), "q1") == cross.fold(str(moved), "q1") == "fold-1"
    moved.write_text('{"id": "q1", "question": "Who else?", "expected": ["Y"]}\n',
                     encoding="utf-8")
    with pytest.raises(CrossFitError, match="not part of this training"):
        CrossFit(folds).fold(str(moved), "q1")


def test_training_twice_gives_the_same_selector(tmp_path) -> None:
    """The command is reproducible: two runs, in processes whose string hashing differs, each
    ingesting the corpus afresh, write byte-identical rankers and the same selector file."""
    import os
    import subprocess
    import sys

    config = _slice(tmp_path, 12)
    outs = []
    for run in (1, 2):
        out = tmp_path / f"model-{run}"
        env = {**os.environ, "PYTHONHASHSEED": str(run), "ASSISTANT_DATA_DIR": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-c", "from assistant.cli import main; main()", "train-selector",
             str(config), "--out", str(out), "--work", str(tmp_path / f"work-{run}")],
            env=env, capture_output=True, text=True, timeout=900,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        outs.append(out)
    first, second = (sorted(p.name for p in out.iterdir()) for out in outs)
    assert first == second and "ranker-0.txt" in first
    for name in first:
        if name.startswith("ranker-"):
            assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    selectors = [json.loads((out / "selector.json").read_text(encoding="utf-8")) for out in outs]
    for selector in selectors:
        selector["card"].pop("seconds")  # how long the run took: the one field that may differ
    assert selectors[0] == selectors[1]
