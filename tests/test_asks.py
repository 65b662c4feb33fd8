"""A sentence that asks a question is never its answer.

On RGB, "Super Bowl 2021 location" was answered with another page's heading "What is the location
and date for the Super Bowl in 2022?": it shares every word with the question and states
nothing. ``features.asks`` marks such a sentence, and the selector gives it probability 0."""

from __future__ import annotations

import pytest
from small_corpus import assistant_over, candidates_for

from assistant.answer.features import asks
from assistant.service import Assistant

FAQ = (
    "# Harbour festival\n\n"
    "Where will the Vellmark harbour festival be held this year?\n\n"
    "Crowds gather on the old quay in Dunmere again.\n\n"
    "Tickets go on sale in March, and children under twelve enter for free.\n"
)
QUESTION = "Where will the Vellmark harbour festival be held this year?"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder) -> Assistant:
    return assistant_over(tmp_path_factory.mktemp("asks"), "festival.md", FAQ, embedder)


def test_a_question_sentence_is_marked_and_a_statement_is_not(assistant: Assistant) -> None:
    candidates, _ = candidates_for(assistant, QUESTION)
    marked = {c.text: bool(a) for c, a in zip(candidates, asks(candidates), strict=True)
              if len(c.sentences) == 1}
    assert marked[QUESTION] is True
    assert not any(a for text, a in marked.items() if text != QUESTION)


def test_the_question_sentence_is_never_the_answer(assistant: Assistant) -> None:
    # Without the check the shipped selector quotes the question sentence back as the answer
    # (it holds every word asked); with it, the answer is the statement or a refusal.
    answer = assistant.answer(QUESTION)
    quoted = " ".join(c.quote for c in answer.citations)
    assert QUESTION not in quoted
    assert answer.refused or "old quay in Dunmere" in quoted
