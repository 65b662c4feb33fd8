"""English words every step reads the same way: function words, month names, and the words
English uses at large (``known_words``, the embedding model's whole-word vocabulary).

One list of function words (words that carry no topic), which each reader extends with the
few words its own job must also skip, named where it is used: BM25 tokens (``tokens.py``), the
word after a number that is not a unit (``quantities.py``), and the edges of a name or an
attribute (``ingest/facts.py``). One table of month names, full and abbreviated, for dates in
text (``quantities.py``), in datelines (``ingest/clean.py``) and in follow-up questions
(``conversation/followup.py``). Grammar, not any corpus's subject matter.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FUNCTION_WORDS = frozenset(
    """a also an and any are as at be been being but by can could did do does each for from had
    has have he her his how i if in into is it its many me more most much my no nor not of on or
    other our she so some such than that the their them then there these they this those to too
    was we were what when where which while who whom why will with would you your""".split()
)

_MONTH_FORMS = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
MONTHS: dict[str, int] = {
    name: number for number, names in enumerate(_MONTH_FORMS, start=1) for name in names
}
MONTH_NAMES = tuple(names[0] for names in _MONTH_FORMS)  # in full, January first


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """The words the packaged embedding model's tokenizer holds whole (its WordPiece vocabulary
    without sub-word pieces): general English, its common names included. A word outside it
    is rare in English at large, which is what makes a name specific."""
    from ..index.embeddings import model_path

    try:
        lines = (Path(model_path()) / "vocab.txt").read_text(encoding="utf-8").split()
    except (OSError, ImportError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and len(w) > 1)
