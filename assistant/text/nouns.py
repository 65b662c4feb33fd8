"""Common nouns, by spaCy's part-of-speech tagger: "the North Ridge *project*" ends in one.

Used to tell the head noun of a named thing ("the Zorblax *mine*") from the name itself,
without any list of nouns: whatever the corpus is about, the tagger knows a noun.
"""

from __future__ import annotations

from functools import lru_cache

from .entities import TAGS, pipeline


@lru_cache(maxsize=4096)
def _tags(text: str) -> tuple[tuple[int, str], ...]:
    """(offset, part of speech) of each token of ``text``: one tagger run per text."""
    if not text.strip():
        return ()
    return tuple((t.idx, t.pos_) for t in pipeline(TAGS)(text))


def common_noun_starts(text: str) -> frozenset[int]:
    """Offsets in ``text`` where a common noun (not a proper noun) starts."""
    return frozenset(idx for idx, pos in _tags(text) if pos == "NOUN")


def predicate_starts(text: str) -> frozenset[int]:
    """Offsets in ``text`` where a verb or an adverb starts: where a noun phrase that began
    before it has ended ("When did the project | officially start production?")."""
    return frozenset(idx for idx, pos in _tags(text) if pos in {"VERB", "ADV"})


def ends_in_common_noun(phrase: str) -> bool:
    """Whether the last word of ``phrase`` is tagged a common noun ("the Acme copper
    project"; not "Acme Metals")."""
    words = phrase.split()
    if not words:
        return False
    text = "the " + phrase.strip()
    return len(text) - len(words[-1]) in common_noun_starts(text)
