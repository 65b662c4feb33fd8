"""The BM25 tokenizer: folds Unicode, case, hyphens and plurals so variants of a word meet.

- NFKD folding turns subscript digits into digits (WO₃ -> wo3) and strips accents (é -> e).
- A hyphenated or apostrophised name yields its parts *and* its joined form, so "Ust-Kara",
  "Ust Kara" and "Ustkara" all share a token.
- Thousands separators inside numbers are dropped ("81,000" -> "81000").
- A light plural fold ("reserves" -> "reserve", "projects" -> "project").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .words import FUNCTION_WORDS

_JOINERS = "-\u2010\u2011\u2012\u2013\u2212'\u2019"
_WORD_RE = re.compile(
    r"\d+(?:[.,]\d+)*|[^\W\d_][^\W_]*(?:[" + _JOINERS + r"][^\W_]+)*|[^\W_]+", re.UNICODE
)
_SPLIT_RE = re.compile("[" + _JOINERS + "]")

# Skipped by BM25: the function words, and forms that carry no topic either.
STOPWORDS = FUNCTION_WORDS | frozenset(
    """about doing having hers him itself ours s theirs what's""".split()
)
_ACRONYM_RE = re.compile(r"\b(?:[A-Za-z]\.){2,}")


def fold(text: str) -> str:
    """Case- and accent-fold ``text``; compatibility forms become plain (₃ -> 3, ℃ -> °c)."""
    if text.isascii():
        return text.casefold()  # nothing to decompose: the common case, and 10x faster
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Common irregular verb forms, so "led" meets "leads" and "sold" meets "sell" (English only).
_IRREGULAR = {
    past: base
    for base, forms in {
        "lead": "led", "lend": "lent", "pay": "paid", "sell": "sold", "buy": "bought",
        "hold": "held", "win": "won", "make": "made", "take": "took taken", "give": "gave given",
        "begin": "began begun", "bring": "brought", "build": "built", "find": "found",
        "grow": "grew grown", "rise": "rose risen", "fall": "fell fallen", "spend": "spent",
        "send": "sent", "set": "set", "meet": "met", "leave": "left", "keep": "kept",
        "become": "became", "come": "came", "go": "went gone", "see": "saw seen",
        "know": "knew known", "show": "showed shown", "write": "wrote written",
        "say": "said", "tell": "told", "think": "thought", "seek": "sought",
        "strike": "struck", "drive": "drove driven", "run": "ran", "stand": "stood",
        "sign": "signed", "lose": "lost", "get": "got gotten", "do": "did done",
    }.items()
    for past in forms.split()
}


def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` for BM25, in order, stopwords removed."""
    tokens: list[str] = []
    text = _ACRONYM_RE.sub(lambda m: m.group().replace(".", ""), text)  # U.S. -> US
    for word in _WORD_RE.findall(fold(text)):
        tokens.extend(_word_tokens(word))
    return tokens


@lru_cache(maxsize=1 << 17)
def _word_tokens(word: str) -> tuple[str, ...]:
    """The tokens of one matched word, remembered: words recur far more than texts do, and
    this was most of the time of a first look at a sentence."""
    if word[0].isdigit():
        return (word.replace(",", ""),)
    if word.endswith(("'s", "\u2019s")):
        word = word[:-2]
    parts = [p for p in _SPLIT_RE.split(word) if p]
    if len(parts) > 1:
        return (*(_stem(p) for p in parts if p not in STOPWORDS), _stem("".join(parts)))
    if word and word not in STOPWORDS:
        return (_stem(word),)
    return ()


@lru_cache(maxsize=1 << 16)
def cached_tokens(text: str) -> tuple[str, ...]:
    """``tokenize`` remembered: the answer step reads the same entity names and titles for
    every candidate of every question, and tokenising them again was 40% of its time."""
    return tuple(tokenize(text))
