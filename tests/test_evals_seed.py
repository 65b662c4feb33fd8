"""The shipped seed suite: well-formed, covers every kind of question, and every expectation
stands in the source (so a failure is the assistant's, not the suite's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evals.judge import contains
from assistant.evals.suite import Suite, load_suite
from assistant.ingest.loaders import load_file

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "evals" / "seed.jsonl"
ARTICLE = ROOT / "corpus" / "000_fa04363b0b6fbf05.txt"
TAGS = {"number", "name", "date", "paraphrase", "misspelling", "hyphen", "unanswerable",
        "conversation", "conflict"}


@pytest.fixture(scope="module")
def seed() -> Suite:
    return load_suite(SEED)


@pytest.fixture(scope="module")
def article() -> str:
    return load_file(ARTICLE).text  # the cleaned text citations point into


def test_size_and_tags(seed: Suite) -> None:
    assert len(seed.items) >= 80
    used: set[str] = set()
    for item in seed.items:
        assert item.tags, f"{item.id} has no tags"
        assert set(item.tags) <= TAGS, f"{item.id}: unknown tags {set(item.tags) - TAGS}"
        used |= set(item.tags)
    assert used == TAGS


def test_conversations(seed: Suite) -> None:
    conversations = [i for i in seed.items if i.conversation]
    assert sum(1 for c in conversations if len(c.turns) == 3) >= 3
    assert all("conversation" in c.tags for c in conversations)


def test_unanswerable_items_are_tagged(seed: Suite) -> None:
    for item in seed.items:
        if not item.conversation:
            assert (not item.turns[0].answerable) == ("unanswerable" in item.tags), item.id


def test_misspellings_and_hyphen_variants_are_asked(seed: Suite) -> None:
    questions = " ".join(t.question for i in seed.items for t in i.turns)
    for variant in ("Katappar", "Almonti", "Baku Tau", "Bakutau"):
        assert variant in questions


def test_conflicts_expect_every_figure(seed: Suite) -> None:
    conflicts = {i.id: i for i in seed.items if "conflict" in i.tags}
    expected = [{alt for entry in i.turns[0].expected for alt in entry}
                for i in conflicts.values()]
    assert any({"8 million tons", "282 million tons"} <= e for e in expected)
    assert any({"50%", "80%", "83%"} <= e for e in expected)


def test_expectations_stand_in_the_article(seed: Suite, article: str) -> None:
    for item in seed.items:
        for n, turn in enumerate(item.turns, start=1):
            where = f"{item.id} turn {n}"
            if turn.evidence:
                assert turn.evidence in article, f"{where}: evidence is not verbatim"
                assert contains(article, turn.evidence), f"{where}: evidence splits a word"
            for entry in turn.expected:
                assert any(contains(article, alt) for alt in entry), f"{where}: {entry}"
            if turn.answerable:
                assert turn.evidence, f"{where}: an answerable turn needs evidence"
