"""Acronyms a corpus defines are found by shape and let a question match either form."""

from __future__ import annotations

from assistant.answer.question import defined_forms
from assistant.text.definitions import corpus_definitions, find_definitions, read_definitions
from assistant.text.tokens import tokenize


def test_both_orders_are_found_and_non_definitions_are_not() -> None:
    text = (
        "Herd health is tracked with the somatic cell count (SCC), measured daily. Traffic is "
        "counted in twenty-foot equivalent units (TEU). The NPV (net present value) was high. "
        "Output rose (by 5%) last year. Tungsten (W) is hard. The firm (Acme Corp) grew. "
        "A plan (IPM) with no long form before it."
    )
    assert find_definitions(text) == [
        ("SCC", "somatic cell count"),
        ("TEU", "twenty-foot equivalent units"),
        ("NPV", "net present value"),
    ]


def test_a_question_in_either_form_matches_the_other() -> None:
    table = read_definitions(corpus_definitions(
        ["Its levelised cost of energy (LCOE) is estimated at 41 euros."]))
    long_asked = tokenize("What is the levelised cost of energy of the farm?")
    forms = defined_forms(long_asked, table)
    lcoe = tokenize("LCOE")[0]
    assert all(lcoe in forms[t] for t in tokenize("levelised cost of energy"))
    short_asked = tokenize("What is the LCOE of the farm?")
    assert defined_forms(short_asked, table)[lcoe] == {tokenize("levelised")[0]}
    assert defined_forms(tokenize("What did it cost?"), table) == {}  # one word is no form
