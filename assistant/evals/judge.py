"""The strict containment judge of docs/contract.md §2, and the numeral reader the metrics share.

Matching is containment after one normalisation (``normalise``): case folded, runs of white
space made one space, thousands separators dropped (``81,000`` = ``81000``), ``percent`` and
``per cent`` read as ``%`` (and no space before ``%``: ``20 per cent`` = ``20%``). A match must
also start and end on a word boundary where the expected text starts or ends with a letter or
digit, so ``50%`` is not found in ``150%`` nor ``8 million`` in ``28 million``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_PERCENT_RE = re.compile(r"\s*\b(?:per\s*cent|percent)\b", re.IGNORECASE)
_SPACE_BEFORE_PERCENT_RE = re.compile(r"\s+%")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_SPACE_RE = re.compile(r"\s+")
_MARKER_RE = re.compile(r"\s*\[\d+\](?P<after>\s|$)?")
# A numeral: ASCII digits with optional thousands separators and decimals. Subscripts
# (WO₃) and superscripts are not decimal digits and are not read.
_NUMERAL_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?!\d)")
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SCALE_RE = re.compile(r"\s*(thousand|million|billion|trillion)\b", re.IGNORECASE)


def normalise(text: str) -> str:
    """The contract's matching form of ``text`` (see the module docstring)."""
    text = _PERCENT_RE.sub("%", text)
    text = _SPACE_BEFORE_PERCENT_RE.sub("%", text)
    text = _THOUSANDS_RE.sub("", text)
    return _SPACE_RE.sub(" ", text).strip().casefold()


def contains(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` after normalisation, on word boundaries."""
    hay = normalise(haystack)
    pin = normalise(needle)
    if not pin:
        return True
    start = hay.find(pin)
    while start >= 0:
        end = start + len(pin)
        left_ok = not pin[0].isalnum() or start == 0 or not hay[start - 1].isalnum()
        right_ok = not pin[-1].isalnum() or end == len(hay) or not hay[end].isalnum()
        if left_ok and right_ok:
            return True
        start = hay.find(pin, start + 1)
    return False


def missing_entries(answer: str, expected: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The ``expected`` entries (each a tuple of alternatives) that ``answer`` lacks."""
    return [alts for alts in expected if not any(contains(answer, alt) for alt in alts)]


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` citation markers (they are not numbers the answer states),
    spaces before them included: "was 5% [1]." reads "was 5%.", as the source says it."""
    return _MARKER_RE.sub(lambda m: " " if m.group("after") is not None else "", text).strip()


@dataclass(frozen=True)
class Numeral:
    """A numeral read from text: its literal and the values it may stand for."""

    text: str
    values: frozenset[Decimal]


def _decimal(digits: str) -> Decimal | None:
    try:
        return Decimal(digits).normalize()
    except InvalidOperation:  # pragma: no cover - the regex only yields valid numerals
        return None


def find_numerals(text: str) -> list[Numeral]:
    """Numerals in ``text`` (citation markers ignored), each with its plain value and, when a
    scale word follows ("1.216 million"), the scaled value too."""
    text = strip_markers(text)
    found: list[Numeral] = []
    for m in _NUMERAL_RE.finditer(text):
        literal = m.group(0)
        value = _decimal(literal.replace(",", ""))
        if value is None:
            continue
        values = {value}
        scale = _SCALE_RE.match(text, m.end())
        if scale:
            values.add((value * _SCALES[scale.group(1).lower()]).normalize())
        found.append(Numeral(literal, frozenset(values)))
    return found


def numeral_values(texts: Iterable[str]) -> frozenset[Decimal]:
    """Every value any numeral in ``texts`` stands for (the sources' numbers)."""
    values: set[Decimal] = set()
    for text in texts:
        for numeral in find_numerals(text):
            values |= numeral.values
    return frozenset(values)


def has_number(text: str) -> bool:
    """Whether ``text`` states a number (a digit outside ``[n]`` markers)."""
    return bool(find_numerals(text))
