"""A passage about another thing than the one the question names is never its answer.

The follow-up "And the other one?" became "What is the average grade of <a deposit the corpus
gives no grade for>?", and a selector that reads passages in their setting offered another
deposit's grade. The guard (``features.off_subject``) demotes a passage when the question names
something specific that other retrieved passages state and this one, its paragraph and its
setting do not."""

from __future__ import annotations

import pytest
from small_corpus import assistant_over, candidates_for

from assistant.answer.features import off_subject
from assistant.answer.question import analyse
from assistant.service import Assistant
from assistant.text.words import known_words

STORY = (
    "The Zorvath Deposit, in the northern hills, holds about 1 million tons of ore with an "
    "average grade of 0.13%.\n\n"
    "The Kelmiran Deposit was found in 1990 near the river, and no drilling has been done "
    "there since.\n\n"
    "Both deposits belong to the state mining company, which plans to sell them next year.\n"
)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder) -> Assistant:
    return assistant_over(tmp_path_factory.mktemp("off-subject"), "deposits.txt", STORY, embedder)


def _off(assistant: Assistant, question: str) -> dict[str, bool]:
    index = assistant.holder.get()
    candidates, vector = candidates_for(assistant, question)
    analysed = analyse(question, index, vector)
    return {c.text: bool(o) for c, o in
            zip(candidates, off_subject(index, analysed, candidates), strict=True)}


def test_a_passage_naming_another_thing_is_off_subject(assistant: Assistant) -> None:
    off = _off(assistant, "What is the average grade of the Kelmiran Deposit?")
    zorvath = next(t for t in off if t.startswith("The Zorvath Deposit"))
    kelmiran = next(t for t in off if t.startswith("The Kelmiran Deposit"))
    assert off[zorvath] and not off[kelmiran]


def test_the_asked_thing_is_answered_and_the_other_refused(assistant: Assistant) -> None:
    right = assistant.answer("What is the average grade of the Zorvath Deposit?")
    assert not right.refused and "0.13%" in right.answer
    other = assistant.answer("What is the average grade of the Kelmiran Deposit?")
    assert "0.13" not in other.answer  # refused, or answered from the Kelmiran passage only


def test_common_words_capitalised_name_nothing(assistant: Assistant) -> None:
    # "Company" is capitalised but English at large: it does not single out a passage
    off = _off(assistant, "Which Company plans to sell the deposits?")
    assert not any(off.values())
    assert "company" in known_words() and "kelmiran" not in known_words()
