"""Well-formed Unicode: what every text a client sends must be before anything reads it."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def unicode_problem(text: str, field: str) -> str | None:
    """Why ``text`` is not well-formed Unicode (a lone UTF-16 surrogate), or None when it is.

    JSON lets a client send ``"\\ud800"``; such a string cannot be encoded as UTF-8, so it
    would fail deep inside the tokenizer, SQLite or the response encoder instead of here.
    """
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return (
        f"{field} contains a lone UTF-16 surrogate (U+{ord(found.group()):04X}) at character "
        f"{found.start()}; send well-formed Unicode text (UTF-8, surrogates only in pairs)"
    )
