"""An independent numeral finder for tests: the digits an answer states, found by a rule of
its own, so number checks are not tested against the code's own parser (``find_quantities``).

A numeral is a maximal run of digits, with ``,`` or ``.`` between digit groups ("12,500",
"0.13", "2024"). Words for numbers ("three") are not numerals: the server lists only digits.
"""

from __future__ import annotations

import re

_NUMERAL = re.compile(r"(?<![\d])\d+(?:[.,]\d+)*")


def numerals(text: str) -> list[str]:
    """Every numeral in ``text``, in order."""
    return [m.group() for m in _NUMERAL.finditer(text)]
