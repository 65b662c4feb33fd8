"""Which fact a numeric answer is about, before its rivals are looked for.

The answer-type model spreads a question like "How reliant is X on imports?" over several
number kinds (a percentage, a quantity, a count), each less likely alone than "no entity";
read by its likeliest kind alone, the question was not about a number, so the source's other
figures for the same measure were never compared and the conflict went unsaid.
"""

from __future__ import annotations

from types import SimpleNamespace

from assistant.answer.conflicts import answer_fact
from assistant.types import Fact


def _fact(text: str, kind: str, value: float, unit: str) -> Fact:
    return Fact("d:f1", "d", text, 10, 10 + len(text), 0, 60, kind, value, value, value, unit,
                "Veltria", "import dependence")


PERCENT = _fact("50%", "percent", 50.0, "%")
PASSAGE = SimpleNamespace(facts=(PERCENT,))
QUESTION = SimpleNamespace(numerals=frozenset())


def test_number_kinds_together_make_a_numeric_question() -> None:
    spread = {"NONE": 0.19, "QUANTITY": 0.14, "PERCENT": 0.13, "CARDINAL": 0.13, "MONEY": 0.1,
              "PERSON": 0.12, "ORG": 0.11, "DATE": 0.08}
    assert answer_fact(PASSAGE, QUESTION, spread) == PERCENT


def test_a_question_likelier_about_something_else_has_no_answering_fact() -> None:
    named = {"PERSON": 0.3, "ORG": 0.25, "NONE": 0.15, "PERCENT": 0.12, "QUANTITY": 0.1,
             "DATE": 0.08}
    assert answer_fact(PASSAGE, QUESTION, named) is None


def test_the_likeliest_kind_alone_still_decides_when_it_is_a_number() -> None:
    assert answer_fact(PASSAGE, QUESTION, {"PERCENT": 0.3, "PERSON": 0.25, "ORG": 0.25,
                                           "NONE": 0.2}) == PERCENT
