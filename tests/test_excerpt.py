"""The excerpt: a short passage is said whole; a long one is cut to its first clause and the
clauses that hold what must be said, each piece verbatim and in order."""

from __future__ import annotations

from assistant.answer.excerpt import excerpt
from assistant.answer.params import PARAMS

LONG = ("The plant, which opened in the spring after two years of building work, was sold "
        "to a new owner in March, and the buyer, a company based in another country, plans "
        "to double its output within three years, according to a statement issued on Monday "
        "by both firms, who declined to give the price.")


def test_a_passage_within_the_limit_is_said_whole_without_its_last_stop():
    text = "Intro. The committee approved the budget on Tuesday. Outro."
    start = text.index("The committee")
    end = text.index(" Outro")
    assert excerpt(text, start, end, [], max_words=40) == (
        "The committee approved the budget on Tuesday")


def test_a_long_passage_keeps_its_first_clause_and_the_clauses_asked_for():
    start = LONG.index("March")
    keep = [(start, start + len("March"))]
    said = excerpt(LONG, 0, len(LONG), keep, max_words=20)
    assert said == "The plant … was sold to a new owner in March"
    for piece in said.split(" … "):
        assert piece in LONG


def test_clauses_next_to_each_other_keep_the_text_between_them():
    first = LONG.index("which opened")
    said = excerpt(LONG, 0, len(LONG), [(first, first + 5)], max_words=20)
    assert said == "The plant, which opened in the spring after two years of building work"


def test_the_shipped_limit_says_a_two_clause_answer_whole():
    # A 45-word sentence whose answer follows the clause naming what was asked: cut at 40
    # words, the answer was lost; the shipped limit says it whole.
    words = LONG.split()[:45]
    text = " ".join(words)
    assert len(words) > 40
    assert excerpt(text, 0, len(text), [], PARAMS.excerpt_words) == text.rstrip(".;:, ")
