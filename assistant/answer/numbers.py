"""Number checking: every number stated in an answer is matched to the structured facts.

A number is ``verified`` when a fact with the same kind, value (or range) and unit lies inside a
cited passage, ``conflict`` when that fact is one of several disagreeing values the answer
reports, and ``unverified`` otherwise. Matching is exact after normalisation, so a slip of unit
or scale ("2.4 million tons" stated as "2.4 tons") can never verify.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from ..ingest.quantities import find_quantities, same_quantity
from ..types import Citation, Fact, NumberCheck, Quantity

MARKER_RE = re.compile(r"\[(\d+)\]")


def mask_markers(text: str) -> str:
    """``text`` with citation markers blanked (same length), so ``[1]`` is not a number."""
    return MARKER_RE.sub(lambda m: " " * len(m.group()), text)


def stated_numbers(text: str) -> list[Quantity]:
    """The numbers an answer states, citation markers excluded."""
    return find_quantities(mask_markers(text))


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
    checks: list[NumberCheck] = []
    ids = [c.id for c in citations]
    for q in stated_numbers(answer):
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
            checks.append(
                NumberCheck(
                    q.text,
                    q.value,
                    q.unit,
                    "unverified",
                    preferred,
                    q.low,
                    q.high,
                    None,
                    "no fact in a cited passage has this value and unit",
                )
            )
            continue
        cid, fact = match
        status = "conflict" if fact.fact_id in conflicting else "verified"
        note = f"{fact.subject or '?'} · {fact.attribute or '?'} = {fact.text}"
        checks.append(
            NumberCheck(q.text, q.value, q.unit, status, cid, q.low, q.high, fact.fact_id, note)
        )
    return checks
