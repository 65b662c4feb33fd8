"""Acronyms a corpus defines, found by shape: "net present value (NPV)" and "NPV (net present
value)". A question may use either form; the corpus may use the other one.

Whether a parenthesis defines an acronym is decided by its letters, never by a list of terms:
the short form is one word with at least two capitals (or all capitals), and the long form is
the fewest words beside it that start with the short form's first letter and hold its letters
in order (after Schwartz and Hearst, 2003: "somatic cell count (SCC)", "twenty-foot
equivalent units (TEU)", "levelised cost of energy (LCOE)").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from .tokens import tokenize

_PAREN = re.compile(r"\(([^()\n]{1,80})\)")
_SHORT = re.compile(r"^[A-Za-z][A-Za-z0-9&-]{1,9}$")
_WORD = re.compile(r"[\w’'-]+")
_CLAUSE_BREAK = re.compile(r"[.;:!?,()\[\]\n]")
MAX_EXTRA_WORDS = 4  # a long form has at most len(letters) + this many words

Definition = tuple[str, str]  # (short form, long form), as the text writes them


def is_short_form(word: str) -> bool:
    """Whether ``word`` is shaped like an acronym: one word, at least two capitals."""
    return bool(_SHORT.match(word)) and sum(c.isupper() for c in word) >= 2


def _letters(short: str) -> str:
    return "".join(c for c in short.lower() if c.isalpha())


def _holds(letters: str, words: list[str]) -> bool:
    """Whether ``words`` start with the first letter and hold every letter in order."""
    if not words or words[0][:1].lower() != letters[0]:
        return False
    rest = " ".join(words).lower()[1:]
    at = 0
    for letter in letters[1:]:
        at = rest.find(letter, at) + 1
        if at == 0:
            return False
    return True


def long_form(short: str, before: str) -> str | None:
    """The long form that ``short`` abbreviates among the last words of ``before``."""
    letters = _letters(short)
    if len(letters) < 2:
        return None
    clause = _CLAUSE_BREAK.split(before)[-1]
    words = _WORD.findall(clause)
    for k in range(1, min(len(words), len(letters) + MAX_EXTRA_WORDS) + 1):
        if _holds(letters, words[-k:]) and k >= len(letters) / 2:
            return " ".join(words[-k:])
    return None


def find_definitions(text: str) -> list[Definition]:
    """Every "long form (SHORT)" and "SHORT (long form)" in ``text``, in order."""
    found: list[Definition] = []
    for match in _PAREN.finditer(text):
        inner = match.group(1).strip()
        before = text[max(0, match.start() - 200) : match.start()]
        if is_short_form(inner):
            long = long_form(inner, before)
            if long:
                found.append((inner, long))
            continue
        previous = _WORD.findall(before)
        if previous and is_short_form(previous[-1]) and before.endswith((" ", previous[-1])):
            words = _WORD.findall(inner)
            if _holds(_letters(previous[-1]), words) and len(words) >= 2:
                found.append((previous[-1], " ".join(words)))
    return found


def corpus_definitions(texts: Iterable[str]) -> str:
    """The definitions of every document, as JSON for the catalog: folded short form ->
    long forms' tokens (a short form defined two ways keeps both)."""
    table: dict[str, list[list[str]]] = {}
    for text in texts:
        for short, long in find_definitions(text):
            key = tokenize(short)
            tokens = tokenize(long)
            if len(key) == 1 and tokens and tokens not in table.setdefault(key[0], []):
                table[key[0]].append(tokens)
    return json.dumps(table, sort_keys=True)


def read_definitions(stored: str | None) -> dict[str, tuple[tuple[str, ...], ...]]:
    """``corpus_definitions``'s JSON back as a mapping (empty for an index without it)."""
    raw = json.loads(stored) if stored else {}
    return {short: tuple(tuple(t) for t in longs) for short, longs in raw.items()}
