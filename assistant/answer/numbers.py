"""Number checking: every number stated in an answer is matched to the structured facts.

A number is ``verified`` when a fact with the same kind, value (or range) and unit lies inside a
cited passage, ``conflict`` when that fact is one of several disagreeing values the answer
reports, and ``unverified`` otherwise. Matching is exact after normalisation, so a slip of unit
or scale ("2.4 million tons" stated as "2.4 tons") can never verify.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from ..text.quantities import find_quantities, same_quantity
from ..types import Citation, Fact, NumberCheck, Quantity

MARKER_RE = re.compile(r"\[(\d+)\]")


def mask_markers(text: str) -> str:
    """``text`` with citation markers blanked (same length), so ``[1]`` is not a number."""
    return MARKER_RE.sub(lambda m: " " * len(m.group()), text)


def stated_numbers(text: str) -> list[Quantity]:
    """The numbers an answer states, citation markers excluded."""
    return find_quantities(mask_markers(text))


_NUMERAL_RE = re.compile(r"\d+(?:[.,:/-]\d+)*")


def _other_numerals(
    answer: str, stated: Sequence[Quantity], citations: Sequence[Citation]
) -> list[tuple[int, NumberCheck]]:
    """Numerals that are no recognised quantity ("10/27/2017", "2017/18", "F-35"): listed all
    the same, so the answer states no number that ``numbers`` leaves out. They are never
    ``verified`` (no fact holds them); the note says whether a cited quote has them verbatim."""
    masked = mask_markers(answer)
    for q in stated:  # blank what is already listed; what digits remain are listed here
        masked = masked[: q.start] + " " * (q.end - q.start) + masked[q.end :]
    extra: list[tuple[int, NumberCheck]] = []
    for match in _NUMERAL_RE.finditer(masked):
        text = match.group()
        where = next((c.id for c in citations if text in c.quote), None)
        note = (
            f"stated verbatim in [{where}], but not a quantity the facts table holds"
            if where is not None
            else "not a quantity the facts table holds, and in no cited passage"
        )
        try:
            value: float | None = float(text.replace(",", ""))
        except ValueError:
            value = None
        check = NumberCheck(text, value, "", "unverified", where, value, value, None, note)
        extra.append((match.start(), check))
    return extra


def _next_marker(text: str, position: int) -> int | None:
    """The citation marker that follows ``position`` in the same sentence."""
    for match in MARKER_RE.finditer(text, position):
        between = text[position : match.start()]
        if re.search(r"[.!?]\s", between):
            return None
        return int(match.group(1))
    return None


def check_numbers(
    answer: str,
    citations: Sequence[Citation],
    facts: Mapping[int, Sequence[Fact]],
    conflicting: Collection[str] = (),
) -> list[NumberCheck]:
    """Check every number in ``answer``.

    Args:
        answer: the answer text with ``[n]`` markers.
        citations: the answer's citations.
        facts: citation id -> facts whose literal lies inside that citation's quote.
        conflicting: ids of facts the answer reports as disagreeing values.

    Returns:
        One ``NumberCheck`` per stated number, in order of appearance.
    """
    checks: list[tuple[int, NumberCheck]] = []
    ids = [c.id for c in citations]
    stated = stated_numbers(answer)
    for q in stated:
        preferred = _next_marker(answer, q.end)
        order = ([preferred] if preferred in ids else []) + [i for i in ids if i != preferred]
        match: tuple[int, Fact] | None = None
        for cid in order:
            for fact in facts.get(cid, ()):
                if same_quantity(q, fact):
                    match = (cid, fact)
                    break
            if match:
                break
        if match is None:
            note = "no fact in a cited passage has this value and unit"
            check = NumberCheck(q.text, q.value, q.unit, "unverified", preferred, q.low, q.high,
                                None, note)
            checks.append((q.start, check))
            continue
        cid, fact = match
        status = "conflict" if fact.fact_id in conflicting else "verified"
        note = f"{fact.subject or '?'} · {fact.attribute or '?'} = {fact.text}"
        check = NumberCheck(q.text, q.value, q.unit, status, cid, q.low, q.high, fact.fact_id, note,
                            subject=fact.subject or None)
        checks.append((q.start, check))
    checks.extend(_other_numerals(answer, stated, citations))
    return [check for _, check in sorted(checks, key=lambda item: item[0])]
