"""Split cleaned text into sentence spans that quote exactly.

Rules, in order:

- A line break always ends a sentence (headings and paragraphs are their own lines).
- Inside a line, a sentence ends after ``.``, ``!``, ``?`` or ``…`` (plus closing quotes or
  brackets) when whitespace follows and the next character is an uppercase or caseless letter,
  a digit or an opening quote; and always after ``。！？``.
- A ``.`` does not end a sentence after a title or reference abbreviation (``Mr.``, ``Dr.``,
  ``St.``, ``No.``, ``e.g.``, ``vs.``, month abbreviations), after a single capital initial
  (``J. Smith``), or after a list number at the start of a line (``1. Scope``). After a company
  suffix or an acronym (``Inc.``, ``Ltd.``, ``etc.``, ``U.S.``) it ends one only when a common
  sentence opener follows ("... of the U.S. On the one hand").
- Decimals (``0.132%``, ``1.216 million``) never split: no whitespace follows their dot.
- A sentence longer than ``max_chars`` is cut into clauses after each ``;`` followed by a space
  or a letter, and after a word's ``.`` followed by a lowercase word (a sentence whose writer
  forgot the capital: "eagerly awaiting. earlier this year"), which gives finer quotes.
"""

from __future__ import annotations

import re

from ..types import Sentence, Span

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_CLOSERS = "\"'”’»)]」』）"
_OPENERS = "\"'“‘«([「『（"
_CANDIDATE = re.compile(
    rf"(?=[.!?…。！？{_LINE_BREAKS}])"  # a cheap first-character test makes scanning 3x faster
    rf"(?:(?P<brk>[{_LINE_BREAKS}])"
    rf"|(?P<cjk>[。！？]+[{re.escape(_CLOSERS)}]*)"
    rf"|(?P<west>(?:[.!?]+|…)[{re.escape(_CLOSERS)}]*)(?=\s))"
)
_AFTER = re.compile(rf"[^\S{_LINE_BREAKS}]+(?P<quote>[{re.escape(_OPENERS)}]*)(?P<next>\w*)")
_TOKEN_BEFORE = re.compile(r"(\S+)\Z")
_CLAUSE = re.compile(r"[;；](?=\s|[^\W\d_])")
_LOWER_AFTER_DOT = re.compile(r"(?<=[^\W\d_]{2})\.[ \t]+(?P<next>[^\W\d_A-Z]\w*)")

_NEVER_END = frozenset(
    """Mr Mrs Ms Mx Dr Prof St Mt No Nos Gen Gov Sen Rep Rev Hon Capt Col Lt Sgt Fig Figs
    Vol Ch Sec Art Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec vs v cf ca approx viz
    e.g i.e eg ie al""".split()
)
_MAY_END = frozenset("inc corp co ltd llc plc bros etc jr sr".split())
_OPENER_WORDS = frozenset(
    """The This That These Those It Its In On At A An He She They We I You But However And
    As For There Their His Her Our After Before Since While When According Meanwhile Also
    Then If Last Next Earlier Later""".split()
)
_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")


def _ends_at_dot(text: str, dot: int, line_start: int, next_word: str) -> bool:
    """Whether the ``.`` at ``dot`` ends a sentence, given the word after it."""
    found = _TOKEN_BEFORE.search(text, max(line_start, dot - 40), dot)
    if found is None:
        return True
    token = found.group(1).lstrip(_OPENERS)
    if not token:
        return True
    if token in _NEVER_END:
        return False
    if len(token) == 1 and token.isupper():
        return False  # an initial: "J. Smith"
    at_line_start = found.start() - line_start <= 8 and not text[line_start : found.start()].strip()
    if token.isdigit() and len(token) <= 3 and at_line_start:
        return False  # a list number at the start of a line: "1. Scope"
    if token.lower() in _MAY_END or _ACRONYM.fullmatch(token):
        return next_word in _OPENER_WORDS
    return True


def _trimmed(text: str, start: int, end: int) -> Span | None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return None
    left = start + len(piece) - len(piece.lstrip())
    return Span(left, left + len(stripped))


def _clauses(text: str, span: Span, max_chars: int) -> list[Span]:
    if span.end - span.start <= max_chars:
        return [span]
    cuts = [m.end() for m in _CLAUSE.finditer(text, span.start, span.end)]
    for m in _LOWER_AFTER_DOT.finditer(text, span.start, span.end):
        following = m.group("next")
        if following[0].islower() and _ends_at_dot(text, m.start(), span.start, following):
            cuts.append(m.start() + 1)
    cuts.sort()
    if not cuts:
        return [span]
    spans: list[Span] = []
    start = span.start
    for cut in [*cuts, span.end]:
        clause = _trimmed(text, start, cut)
        if clause is not None:
            spans.append(clause)
        start = cut
    return spans


def split_sentences(text: str, max_chars: int = 300) -> list[Span]:
    """Split ``text`` into sentence spans.

    Args:
        text: cleaned document text.
        max_chars: sentences longer than this are cut into clauses at semicolons (and at
            stops followed by a lowercase word).

    Returns:
        ``[start, end)`` code-point spans, in order, non-overlapping, trimmed of whitespace and
        never empty; ``text[span.start:span.end]`` is the sentence.
    """
    spans: list[Span] = []
    start = 0
    line_start = 0

    def close(end: int) -> None:
        span = _trimmed(text, start, end)
        if span is not None:
            spans.extend(_clauses(text, span, max_chars))

    for match in _CANDIDATE.finditer(text):
        kind = match.lastgroup
        end = match.end()
        if kind == "brk":
            close(match.start())
            start = line_start = end
            continue
        if kind == "west":
            after = _AFTER.match(text, end)
            if after is None:
                continue  # a line break follows: it ends the sentence by itself
            following = text[after.start("quote") : after.start("quote") + 1]
            if not following or not (
                following.isdigit()
                or following in _OPENERS
                or (following.isalpha() and not following.islower())
            ):
                continue
            if match.group("west") == "." and not _ends_at_dot(
                text, match.start(), line_start, after.group("next")
            ):
                continue
        close(end)
        start = end
    close(len(text))
    return spans


def sentence_objects(doc_id: str, text: str, max_chars: int = 300) -> list[Sentence]:
    """Split ``text`` and wrap each span as a ``Sentence`` numbered from 0."""
    return [
        Sentence(
            doc_id=doc_id,
            ordinal=ordinal,
            start=span.start,
            end=span.end,
            text=text[span.start : span.end],
        )
        for ordinal, span in enumerate(split_sentences(text, max_chars))
    ]
