"""The learned selector: its artefact, its calibration, and that any question gets an answer or a
refusal that keeps the contract (property tests over random corpora and the shipped one)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.answer.features import FEATURES, INDEX, RELATIVE, with_type_fit
from assistant.answer.selector import (
    ARTEFACT,
    CALIBRATION_INPUTS,
    MODEL_DIR,
    Calibration,
    Stated,
    calibration_inputs,
    load_selector,
    quoted,
    shipped_selector,
)
from assistant.errors import ConfigError, QuestionError
from assistant.evals.calibration import reliability
from assistant.types import Answer

pytestmark = pytest.mark.slow

NUMERAL = re.compile(r"\d")


def keeps_contract(answer: Answer, texts: dict[str, str]) -> None:
    """The docs/contract.md §1 rules, checked on one answer."""
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.id for c in answer.citations}, answer.answer
    for c in answer.citations:
        assert texts[c.doc_id][c.start : c.end] == c.quote
    if answer.refused:
        assert not answer.citations and not answer.numbers
        assert not NUMERAL.search(answer.answer)
    for n in answer.numbers:
        assert n.status in ("verified", "conflict", "unverified")
    assert answer.confidence is None or 0.0 <= answer.confidence <= 1.0


def test_shipped_artefact_matches_the_features_and_has_a_card() -> None:
    selector = shipped_selector()
    payload = json.loads((MODEL_DIR / ARTEFACT).read_text(encoding="utf-8"))
    assert tuple(payload["features"]) == FEATURES
    assert 0.0 < selector.threshold < 1.0
    card = (MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "out-of-fold" in card and "## Data" in card
    assert len(selector.ranker.boosters) == len(payload["rankers"]) > 1
    assert sum((MODEL_DIR / n).stat().st_size for n in payload["rankers"]) < 5_000_000


def test_an_artefact_for_other_features_is_refused_with_the_way_out(tmp_path) -> None:
    for path in [MODEL_DIR / ARTEFACT, *MODEL_DIR.glob("ranker-*.txt")]:
        (tmp_path / path.name).write_bytes(path.read_bytes())
    payload = json.loads((tmp_path / ARTEFACT).read_text(encoding="utf-8"))
    payload["features"] = payload["features"][:-1]
    (tmp_path / ARTEFACT).write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(ConfigError, match="train-selector"):
        load_selector(tmp_path)
    with pytest.raises(ConfigError, match="cannot be read"):
        load_selector(tmp_path / "missing")


def test_relative_features_say_how_far_each_candidate_is_behind_the_best() -> None:
    matrix = np.zeros((3, len(FEATURES)))
    matrix[:, INDEX["coverage_own"]] = [0.2, 0.9, 0.5]
    novel = [[("DATE", 0)], [], [("PERSON", 2)]]
    out = with_type_fit(matrix, novel, {"PERSON": 0.7, "DATE": 0.1})
    assert out[:, INDEX["coverage_own_gap"]] == pytest.approx([0.7, 0.0, 0.4])
    assert out[:, INDEX["type_fit_gap"]] == pytest.approx([0.6, 0.7, 0.0])  # typed first
    assert out[:, INDEX["support_typed_gap"]] == pytest.approx([1.4, 1.4, 0.0])
    assert all(f"{name}_gap" in INDEX for name in RELATIVE)
    assert with_type_fit(np.zeros((0, len(FEATURES))), [], {}).shape == (0, len(FEATURES))


def test_the_stated_confidence_keeps_the_order_and_the_decisions() -> None:
    probabilities = np.linspace(0.01, 0.99, 25)
    assert [Stated()(p) for p in probabilities] == pytest.approx(list(probabilities))
    shipped = shipped_selector()
    stated = [shipped.stated(p) for p in probabilities]
    assert np.all(np.diff(stated) > 0) and all(0.0 < v < 1.0 for v in stated)
    assert shipped.stated.slope > 0


def test_calibration_is_monotone_in_the_score_and_bounded() -> None:
    calibration = shipped_selector().calibration
    matrix = np.zeros((5, len(FEATURES)))
    scores = np.linspace(-3, 3, 5)
    p = calibration.probabilities(scores, matrix)
    assert ((p > 0) & (p < 1)).all()
    assert calibration_inputs(scores, matrix).shape == (5, len(CALIBRATION_INPUTS))
    n = len(CALIBRATION_INPUTS)
    flat = Calibration((1.0,) + (0.0,) * (n - 1), 0.0, (0.0,) * n, (1.0,) * n)
    q = flat.probabilities(scores, matrix)
    assert np.all(np.diff(q) > 0)


def test_the_quoted_candidate_is_the_most_probable_not_the_best_scored() -> None:
    n = len(CALIBRATION_INPUTS)
    reads_coverage = Calibration(tuple(5.0 if name == "coverage" else 0.0
                                       for name in CALIBRATION_INPUTS), 0.0, (0.0,) * n, (1.0,) * n)
    matrix = np.zeros((3, len(FEATURES)))
    matrix[:, INDEX["coverage"]] = [0.1, 0.9, 0.9]
    scores = np.array([2.0, 0.5, 1.0])  # the ranker prefers the first, which covers little
    best, probability = quoted(reads_coverage, (scores, matrix))
    assert best == 2  # as probable as the second: the score decides
    assert probability == pytest.approx(reads_coverage.probabilities(scores, matrix)[2])
    assert probability > reads_coverage.probabilities(scores, matrix)[0]
    assert quoted(reads_coverage, (np.zeros(0), matrix[:0])) == (-1, 0.0)


def test_reliability_bins_and_expected_calibration_error() -> None:
    perfect = reliability([0.05, 0.95, 0.95], [False, True, True])
    assert perfect.ece == pytest.approx(0.05, abs=1e-9)
    overconfident = reliability([0.9] * 4, [True, False, False, False])
    assert overconfident.ece == pytest.approx(0.65)
    assert sum(b.count for b in overconfident.bins) == 4
    assert reliability([], []).ece is None
    with pytest.raises(ValueError):
        reliability([0.5], [])


WORDS = ["tungsten", "output", "Kazakhstan", "deposit", "2024", "81,000", "tons", "who", "what",
         "when", "how", "many", "much", "grade", "the", "of", "in", "?", "%", "$5", "CEO",
         "étude", "东京", "Ust-Kara", "‐", "…", "[1]", "\u200b", "0", "-1e309"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join),
    st.text(min_size=1, max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=2000),
))
def test_any_question_of_the_shipped_corpus_gets_an_answer_or_a_refusal(seed_assistant,
                                                                          question) -> None:
    texts = {d: doc.text for d, doc in seed_assistant.holder.get().documents.items()}
    try:
        answer = seed_assistant.answer(question)
    except QuestionError:
        assert not " ".join(question.split()) or len(question) > 4000 or any(
            0xD800 <= ord(c) <= 0xDFFF for c in question
        )
        return
    keeps_contract(answer, texts)


SENTENCE = st.builds(
    lambda who, verb, n, unit, year: f"{who} {verb} {n} {unit} in {year}.",
    st.sampled_from(["Acme Metals", "The Orla mine", "Veltria", "Dr. Mara Quell", "It"]),
    st.sampled_from(["produced", "sold", "reported", "lost", "hired"]),
    st.integers(0, 10**7).map(lambda v: f"{v:,}"),
    st.sampled_from(["tons", "workers", "dollars", "%", "permits"]),
    st.integers(1900, 2030),
)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    docs=st.lists(st.lists(SENTENCE, min_size=1, max_size=6).map(" ".join), min_size=1,
                  max_size=3),
    questions=st.lists(st.one_of(
        st.lists(st.sampled_from(["Who", "How many", "What", "produced", "Acme", "Orla", "in",
                                  "2024", "tons", "workers", "?"]), min_size=1, max_size=8)
        .map(" ".join),
        st.text(min_size=1, max_size=80),
    ), min_size=1, max_size=5),
)
def test_small_random_corpora_answer_or_refuse(tmp_path_factory, embedder, docs,
                                                questions) -> None:
    from assistant.index.loaded import IndexHolder
    from assistant.ingest.pipeline import ingest
    from assistant.service import Assistant
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("random")
    corpus = root / "corpus"
    corpus.mkdir()
    for i, text in enumerate(docs):
        (corpus / f"doc{i}.txt").write_text(text + "\n", encoding="utf-8")
    config = Settings(data_dir=root / "data")
    ingest([corpus], config, embedder=embedder)
    assistant = Assistant(config, IndexHolder(config, embedder))
    texts = {d: doc.text for d, doc in assistant.holder.get().documents.items()}
    for question in questions:
        try:
            answer = assistant.answer(question)
        except QuestionError:
            continue
        keeps_contract(answer, texts)
