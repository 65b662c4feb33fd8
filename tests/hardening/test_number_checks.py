"""A property test of ``check_numbers`` against an oracle of its own: answers are built from
amounts this test formats, facts from amounts it chooses, and which numbers must verify is
decided by value and unit here, not by the code's quantity parser.

Properties: every numeral an answer states (found by ``numerals``, an independent finder) is
in some check; a number verifies exactly when a cited passage holds a fact with its value
and unit, and then names that fact and a citation that holds it; with no facts nothing
verifies; citation markers are never numbers.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from numerals import numerals

from assistant.answer.numbers import check_numbers, mask_markers
from assistant.types import Citation, Fact

UNITS = {"tons": ("quantity", "t"), "%": ("percent", "%")}
WORDS = ["Plant", "Depot", "Mill", "Quarry", "Works"]


def fact(fact_id: str, amount: int, unit_word: str) -> Fact:
    kind, unit = UNITS[unit_word]
    text = f"{amount:,} {unit_word}" if unit_word == "tons" else f"{amount}%"
    return Fact(fact_id, "doc", text, None, None, None, None, kind, float(amount),
                float(amount), float(amount), unit, "subject", "attribute")


statement = st.tuples(st.integers(1, 99_999), st.sampled_from(sorted(UNITS)),
                      st.integers(1, 2), st.sampled_from(WORDS))


@given(statements=st.lists(statement, min_size=1, max_size=5),
       known=st.dictionaries(st.integers(1, 2),
                             st.lists(st.tuples(st.integers(1, 99_999),
                                                st.sampled_from(sorted(UNITS))), max_size=4)),
       reuse=st.lists(st.booleans(), min_size=5, max_size=5))
@settings(max_examples=300, deadline=None)
def test_check_numbers_against_an_independent_oracle(statements: list[Any],
                                                     known: dict[int, list[Any]],
                                                     reuse: list[bool]) -> None:
    # Some stated amounts are made to exist as facts, so both outcomes are exercised.
    known = {cid: list(rows) for cid, rows in known.items()}
    for (amount, unit_word, cid, _), copy in zip(statements, reuse, strict=False):
        if copy:
            known.setdefault(cid, []).append((amount, unit_word))
    facts = {cid: [fact(f"f{cid}-{i}", a, u) for i, (a, u) in enumerate(rows)]
             for cid, rows in known.items()}
    sentences = []
    for amount, unit_word, cid, word in statements:
        stated = f"{amount:,} tons" if unit_word == "tons" else f"{amount}%"
        sentences.append(f"{word} output was {stated} [{cid}].")
    answer = " ".join(sentences)
    citations = [Citation(i, "doc", "Doc", "a quote", 0, 7) for i in (1, 2)]
    checks = check_numbers(answer, citations, facts)

    listed = " | ".join(c.text for c in checks)
    for numeral in numerals(mask_markers(answer)):
        assert numeral in listed, (numeral, answer, listed)
    by_id = {f.fact_id: (cid, f) for cid, rows in facts.items() for f in rows}
    for amount, unit_word, _, _ in statements:
        exists = any((a, u) == (amount, unit_word) for rows in known.values() for a, u in rows)
        mine = [c for c in checks if c.value == float(amount) and c.unit == UNITS[unit_word][1]]
        assert mine, (amount, unit_word, answer)
        assert all((c.status == "verified") == exists for c in mine), (amount, mine, known)
    for check in checks:
        assert check.text not in ("1", "2"), "a citation marker was read as a number"
        if check.status == "verified":
            cid, held = by_id[check.fact_id]
            assert held.value == check.value and held.unit == check.unit
            assert check.citation == cid


def test_no_facts_nothing_verifies() -> None:
    answer = "Output was 12,500 tons [1] and 3.5% [2]; in 2023 it was 7 [1]."
    citations = [Citation(i, "doc", "Doc", "a quote", 0, 7) for i in (1, 2)]
    checks = check_numbers(answer, citations, {})
    assert checks and all(c.status == "unverified" for c in checks)
    assert set(numerals(mask_markers(answer))) <= {n for c in checks for n in numerals(c.text)}
