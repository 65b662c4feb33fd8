"""What a question asks for: the kind of answer, and the terms an answer must be about.

General English only: wh-words, framing verbs and unit words. No knowledge of any corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..index.tokens import fold, tokenize

# What kinds of number a question wants, by its wording. Order matters: first match wins.
_WANTS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(p, re.I), frozenset(k.split()))
    for p, k in (
        (r"\b(what|which) (year|month|date|day)\b|\bwhen\b|\bsince when\b", "date year"),
        (
            r"\b(what|which) (share|percentage|percent|proportion|fraction|rate|grade|ratio)\b"
            r"|\bhow much of\b|\bwhat per ?cent\b|\bby how much did\b.*\b(rise|fall|grow|increase|"
            r"decrease|drop|decline)",
            "percent",
        ),
        (
            r"\bhow (much|big|large|high|low|hot|heavy|deep|long|far|fast)\b"
            r"|\bwhat (amount|value|volume|quantity|size|level|temperature)\b",
            "quantity currency percent temperature count",
        ),
        (r"\bhow expensive\b|\bwhat (price|cost|sum)\b", "currency quantity"),
        (r"\bhow many\b|\bnumber of\b", "count quantity"),
        (
            r"\b(who|whom|whose)\b|\bwhich (company|companies|firm|bank|organi[sz]ation|"
            r"enterprise|group|agency|institution|person|official|government|fund|"
            r"exchange|miner|producer|partner|body)\b",
            "org",
        ),
        (
            r"\bwhere\b|\bwhich (country|countries|region|province|state|city|place|area|"
            r"location|district|oblast)\b|\bin what (country|region|province|place)\b",
            "place",
        ),
    )
)
# Words that frame a question rather than name what it is about.
FRAMING = frozenset(
    """what which who whom whose when where why how much many does did do is are was were
    tell me please give show list name explain describe say said according report reported
    known called named mean means located situated based happen happened there
    current currently exactly approximately roughly about around total kind type sort
    year date month day amount number value figure share percentage percent proportion
    fraction""".split()
)
_SLOT = r"((?:[\w\-’']+\s+){0,3}?[\w\-’']+)"
_ATTRIBUTE_SLOTS = (
    # "the average grade of X", "its recovery rate for X": a noun phrase before of/for
    re.compile(r"\b(?:the|its|their|his|her|an?)\s+" + _SLOT + r"\s+(?:of|for)\b", re.I),
    # "what is the recovery rate at X": after a copula, before at/in/on
    re.compile(
        r"\b(?:is|are|was|were)\s+(?:the|its|their)\s+" + _SLOT + r"\s+(?:at|in|on)\b", re.I
    ),
    # "X's headquarters"
    re.compile(r"[’']s\s+((?:[\w\-]+\s+){0,1}[\w\-]+)\s*(?:\?|$|\b(?:in|at|as|on)\b)", re.I),
)
_CAPITALISED = re.compile(r"\b[A-Z][\w\-’']*(?:[\s\-][A-Z][\w\-’']*)*")


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    wants: frozenset[str]  # answer kinds: date year percent quantity currency count org place
    terms: tuple[str, ...]  # BM25 tokens of the content words
    names: frozenset[str]  # tokens of capitalised words not at the start: likely names
    mentions_number: bool
    attribute: frozenset[str] = frozenset()  # what is asked about the subject ("the X of ...")

    @property
    def numeric(self) -> bool:
        return bool(
            self.wants
            & {"date", "year", "percent", "quantity", "currency", "count", "temperature", "number"}
        )


@lru_cache(maxsize=4096)
def analyse(question: str) -> QuestionInfo:
    """Classify ``question`` and pick its content terms."""
    wants: frozenset[str] = frozenset()
    for pattern, kinds in _WANTS:
        if pattern.search(question):
            wants = kinds
            break
    if re.search(
        r"\b(money|invest\w*|loan\w*|fund\w*|costs?|price\w*|worth|valu\w*|"
        r"dollars?|euros?|yuan|pounds?|billion|million|deal|offer\w*|provid\w*|"
        r"support\w*|rais\w*|lend\w*|lent|borrow\w*|grant\w*|spen[dt]\w*|paid|"
        r"pay\w*|earn\w*|sell|sold|bought|buy\w*|budget\w*|revenue\w*|profit\w*|"
        r"agreement|contract|capital|financ\w*)\b",
        question,
        re.I,
    ) and ("quantity" in wants or "count" in wants):
        wants = wants | {"currency"}
    framing = {t for w in FRAMING for t in tokenize(w)} | FRAMING
    terms = tuple(dict.fromkeys(t for t in tokenize(question) if t not in framing))
    names: set[str] = set()
    for match in _CAPITALISED.finditer(question):
        if match.start() == 0 and " " not in match.group():
            continue  # the first word of a sentence is capitalised anyway
        names.update(t for t in tokenize(match.group()) if t not in framing)
    attribute: set[str] = set()
    # "How many people …": what is counted must be what the passage counts.
    for match in re.finditer(r"\bhow many\s+([\w\-]+)", question, re.I):
        attribute.update(t for t in tokenize(match.group(1)) if t not in framing)
    for pattern in _ATTRIBUTE_SLOTS:
        for match in pattern.finditer(question):
            attribute.update(t for t in tokenize(match.group(1)) if t not in framing)
    return QuestionInfo(
        text=question,
        wants=wants,
        terms=terms,
        names=frozenset(names),
        mentions_number=bool(re.search(r"\d", fold(question))),
        attribute=frozenset(attribute - names),
    )
