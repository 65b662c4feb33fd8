"""The containment judge: docs/contract.md §2 normalisation, word boundaries, numerals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.evals.judge import (
    contains,
    find_numerals,
    has_number,
    missing_entries,
    normalise,
    numeral_values,
    strip_markers,
)


@pytest.mark.parametrize(
    ("haystack", "needle"),
    [
        ("Output was approximately 81000 tons.", "81,000 tons"),
        ("Output was approximately 81,000 tons.", "81000 tons"),
        ("reserves of 1,216,000 tons", "1216000 tons"),
        ("A 20 per cent rise", "20%"),
        ("A 20 percent rise", "20 %"),
        ("A 20% rise", "20 per cent"),
        ("ALMONTY   Industries\n\tInc.", "almonty industries inc."),
        ("the Idaho Ima tungsten project [1].", "Ima tungsten project"),
        ("It fell 6.45% year - on - year", "6.45%"),
        ("($4-5 billion)", "$4-5 billion"),
    ],
)
def test_contains_after_normalisation(haystack: str, needle: str) -> None:
    assert contains(haystack, needle)


@pytest.mark.parametrize(
    ("haystack", "needle"),
    [
        ("dependence is 150%", "50%"),  # not a word-boundary match
        ("reserves reaching 282 million tons", "8 million tons"),
        ("81,000 tons", "81,001 tons"),
        ("Almontyx Industries", "Almonty"),
        ("tungsten", "tungsten carbide"),
        ("20 per cents", "20%s"),
    ],
)
def test_does_not_contain(haystack: str, needle: str) -> None:
    assert not contains(haystack, needle)


def test_normalise_is_the_contract_form() -> None:
    assert normalise("  81,000   Tons\n") == "81000 tons"
    assert normalise("Twenty PER   CENT") == "twenty%"
    assert normalise("1,2,3") == "1,2,3"  # not thousands separators
    assert normalise("2020,2021") == "2020,2021"


def test_missing_entries_uses_alternatives() -> None:
    expected = (("Peru", "Perú"), ("Chile",))
    assert missing_entries("9% from Chile and 9% from Perú", expected) == []
    assert missing_entries("9% from Chile", expected) == [("Peru", "Perú")]


def test_numerals_ignore_markers_and_subscripts() -> None:
    text = "WO₃ reserves of 1.216 million tons [1] and 39,600 tons [2]."
    numerals = find_numerals(text)
    assert [n.text for n in numerals] == ["1.216", "39,600"]
    assert Decimal(1216000) in numerals[0].values
    assert Decimal("1.216") in numerals[0].values
    assert strip_markers("a [12] b").split() == ["a", "b"]
    assert not has_number("I can't answer that from the sources [1].")
    assert has_number("It states 3 things.")


def test_numeral_values_collects_every_source_value() -> None:
    values = numeral_values(["81,000 tons", "about 8 million tons"])
    assert Decimal(81000) in values and Decimal(8_000_000) in values and Decimal(8) in values
