"""Structured facts: each quantity of a document as a row, with what it is about and measures.

``extract_facts`` turns every quantity of every sentence into a ``Fact`` and guesses, with local
patterns and no knowledge of any corpus:

- ``attribute``, what is measured (lowercased by ``normalise_name``, at most five words), from
  the first rule that gives one:

  1. a count: the words from the number to the counted noun ("1,200 new wind farms");
  2. a noun phrase right after the amount, the amount preceded by a determiner ("a $40 million
     bridge loan", "an additional 25% tariff" -> "additional tariff");
  3. the noun phrase before a linking word or verb ("reserves of 2.4 million tons", "output
     was approximately 12,500 tons", "exports account for about 20%"), skipping an
     appositive ("the demand for X, a core material, reached ...") and a to-infinitive;
  4. "NUMBER of NOUN PHRASE" ("87% of the copper reserves");
  5. the attribute of the previous quantity of the same kind in the clause ("27% from A,
     14% from B"), for a year or date of any kind ("revenue of $5 billion in 2023");
  6. the clause's own first noun phrase, after an introductory phrase ("In 2024, ...").

- ``subject``, the named entity the clause is about: runs of capitalised words (allowing
  hyphens, "U.S.", "Corp.", and "of"/"the"/"for"/"&" inside), ignoring brackets and quotes. A
  sentence's first word counts only when it is capitalised elsewhere mid-sentence or starts a
  longer run. In order: the first run before the number that is not the object of a
  preposition (the clause's grammatical subject; "and B" after "from A" is one too); the
  subject of an earlier clause of the same sentence; the first such run after the number; the
  subject of the previous sentence in the same paragraph; the closest run before it; "". A
  leading "The" is dropped. Sentences are cut into clauses at semicolons for both, and a
  sentence starting in lowercase is taken as a clause continuing the previous one.

Hand-written facts (``facts.yaml``/``facts.csv``) are read by ``assistant.ingest.curated``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..text.quantities import find_quantities
from ..text.words import FUNCTION_WORDS
from ..types import Fact, Quantity, Sentence, Span

__all__ = ["extract_facts", "normalise_name"]

_MAX_WORDS = 5

_DETERMINERS = frozenset(
    "a an the its their this that these those his her our my your each every any some".split()
)
_PREPOSITIONS = frozenset(
    """in on at from to of by with for into onto between among under over about across against
    toward towards via through during including like than within without near after before
    since until per upon beside besides amid as""".split()
)
_QUALIFIERS = frozenset(
    """about approximately approx around nearly almost roughly some over under exceed exceeds
    exceeded exceeding above below circa up least most more less than only just barely close
    estimated an additional another further""".split()
) - {"an"}
_LINKS = frozenset(
    """of at to by from around for as such than on is was are were be been being has have had
    will would could should may might can reached reaching reach reaches hit hits totalled
    totaled totals totalling totaling stood stand stands amounted amounts remained remains
    surpassed topped account accounts accounted accounting rose rise rises rising fell fall
    falls falling grew grow grows growing increased decreased declined dropped jumped climbed
    surged soared slumped equal equals equalled equaled worth through reaching estimated
    valued priced set hit exceed exceeds exceeded exceeding surpass surpasses""".split()
)
_ADVERBS = frozenset(
    """already also further still now just only even recently previously officially reportedly
    currently then again yet respectively""".split()
)
# Words that end a name or an attribute besides the function words.
_STOPWORDS = FUNCTION_WORDS | frozenset(
    """already both either even herself himself itself just neither only own same still
    themselves""".split()
)
_VERBS = frozenset(
    "show shows showed shown say says said include includes included means meant".split()
)
_TEMPORAL_LINKS = frozenset(
    """in since by until till during on as of end beginning start middle mid half quarter early
    late the""".split()
)
_TIME_WORDS = frozenset(
    """year years month months day days week weeks yesterday today tomorrow ago earlier later
    annually respectively year-on-year yoy""".split()
)
_NAME_CONNECTORS = frozenset({"of", "the", "for", "&", "de", "du", "von", "van"})
_ABBREVIATIONS = frozenset(
    "Corp Inc Ltd Co Bros Jr Sr St Mt Dr Mr Mrs Ms Plc PLC LLC Gen Gov Sen Rep Prof".split()
)

_TOKEN_RE = re.compile(r"[^\W_](?:[\w'’\-&]|\.(?=[^\W_]))*\.?|[^\w\s]")
_KNOWN_CAPS_RE = re.compile(r"(?<=[a-z,;)][ \u00a0])([A-Z][\w'’\-]*)")
_GLUED_RE = re.compile(r"([a-z]+)(?=[A-Z])")
_POSSESSIVE_RE = re.compile(r"['’]s?\Z")
_ACRONYM_RE = re.compile(r"(?:[A-Z]\.)+[A-Z]?\.?|[A-Z0-9\u2080-\u2089]*[A-Z][A-Z0-9\u2080-\u2089]+")
_CLAUSE_RE = re.compile(r"[;；]")


def normalise_name(s: str) -> str:
    """Fold a name for matching: NFKC (H₂O -> h2o), no accents, lowercase, hyphens to spaces.

    Args:
        s: a subject, attribute or query string.

    Returns:
        The folded form with single spaces, e.g. "Red-Hill Mine" -> "red hill mine".
    """
    text = unicodedata.normalize("NFKC", s)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[-\u2010\u2011\u2012\u2013\u2014_]", " ", text.casefold())
    return " ".join(text.split())


# -- tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum()

    @property
    def has_digit(self) -> bool:
        return any(unicodedata.category(c).startswith("N") for c in self.text)

    @property
    def is_capital(self) -> bool:
        return self.text[0].isupper() and not self.has_digit


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text):
        word, start = m.group(), m.start()
        glued = _GLUED_RE.match(word)
        if glued and glued.group(1) in _STOPWORDS:  # "andThe" where a space was lost
            cut = glued.end()
            toks.append(_Tok(word[:cut], start, start + cut))
            word, start = word[cut:], start + cut
        if word.endswith(".") and len(word) > 1 and not (
            word[:-1] in _ABBREVIATIONS or re.fullmatch(r"(?:[A-Za-z]\.)+", word)
        ):
            toks.append(_Tok(word[:-1], start, start + len(word) - 1))
            toks.append(_Tok(".", start + len(word) - 1, start + len(word)))
        else:
            toks.append(_Tok(word, start, start + len(word)))
    return toks


def _is_acronym(word: str) -> bool:
    return bool(_ACRONYM_RE.fullmatch(word))


# -- subjects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    text: str
    start: int
    end: int
    prepositional: bool


def _masked(text: str) -> str:
    """``text`` with bracketed and quoted parts blanked, offsets kept."""
    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group())

    text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", blank, text)
    return re.sub(r"\"[^\"]*\"|“[^”]*”", blank, text)


def _known_capitals(text: str) -> frozenset[str]:
    """Capitalised words that occur mid-sentence somewhere in the document: proper nouns."""
    return frozenset(_POSSESSIVE_RE.sub("", m.group(1)) for m in _KNOWN_CAPS_RE.finditer(text))


def _names(clause: str, sentence_initial: bool, known: frozenset[str]) -> list[_Name]:
    toks = _tokens(_masked(clause))
    names: list[_Name] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if not (tok.is_word and tok.is_capital and tok.lower not in _STOPWORDS):
            i += 1
            continue
        j = i
        while True:
            if _POSSESSIVE_RE.search(toks[j].text) and not _is_acronym(toks[j].text):
                break
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            if nxt is not None and nxt.is_word and nxt.is_capital and nxt.lower not in _STOPWORDS:
                j += 1
                continue
            after = toks[j + 2] if j + 2 < len(toks) else None
            if (
                nxt is not None and nxt.lower in _NAME_CONNECTORS and after is not None
                and after.is_word and after.is_capital and after.lower not in _STOPWORDS
            ):
                j += 2
                continue
            break
        first_in_sentence = sentence_initial and (
            i == 0 or (i == 1 and toks[0].lower == "the")
        )
        single = j == i
        word = _POSSESSIVE_RE.sub("", tok.text)
        if first_in_sentence and single and word not in known:
            i = j + 1
            continue  # "Notably, ...", "Copper has ...": capitalised only as first word
        k = i - 1
        while k >= 0 and (toks[k].lower in _DETERMINERS or toks[k].text in "\"'“‘"):
            k -= 1
        prepositional = k >= 0 and toks[k].lower in _PREPOSITIONS
        if k >= 0 and toks[k].lower in ("and", "or") and names:
            prepositional = names[-1].prepositional and names[-1].end <= toks[k].start
        last = toks[j]
        possessive = _POSSESSIVE_RE.search(last.text)
        end = last.end
        if possessive and not _is_acronym(last.text):
            end -= len(possessive.group())
        names.append(_Name(clause[tok.start : end], tok.start, end, prepositional))
        i = j + 1
    return names


def _subject(names: Sequence[_Name], start: int, end: int, carried: str,
             same_sentence: bool) -> str:
    before = [n for n in names if n.end <= start]
    for name in before:
        if not name.prepositional:
            return name.text
    if carried and same_sentence:
        return carried  # an earlier clause of this sentence named it
    for name in names:
        if name.start >= end and not name.prepositional:
            return name.text
    if carried:
        return carried
    return before[-1].text if before else ""


def _sentence_subject(names: Sequence[_Name]) -> str:
    for name in names:
        if not name.prepositional:
            return name.text
    return ""


# -- attributes ------------------------------------------------------------------------------


def _is_verbish(tok: _Tok, prev: _Tok | None, right: _Tok | None) -> bool:
    w = tok.lower
    if w in _LINKS or w in _ADVERBS or (len(w) > 4 and w.endswith("ly")):
        return True
    if len(w) > 4 and w.endswith("ed"):
        return prev is None or prev.lower not in _DETERMINERS
    if len(w) > 5 and w.endswith("ing"):
        return right is None or right.lower not in ("of", "for")
    return False


def _phrase(words: Sequence[_Tok]) -> str:
    cleaned = [w.text for w in words]
    while cleaned and cleaned[0].lower() in ("of", "for"):
        cleaned.pop(0)
    while cleaned and cleaned[-1].lower() in ("of", "for"):
        cleaned.pop()
    if cleaned and all(w[0].isupper() for w in cleaned) and not all(map(_is_acronym, cleaned)):
        return ""  # a proper name is a subject, not an attribute ("GDP" is kept)
    return normalise_name(" ".join(cleaned))


def _np_backwards(toks: Sequence[_Tok], i: int) -> list[_Tok]:
    """The noun phrase ending at token ``i``, walking left."""
    words: list[_Tok] = []
    crossed = False
    while i >= 0:
        tok = toks[i]
        w = tok.lower
        if not tok.is_word or tok.has_digit and not _is_acronym(tok.text):
            break
        if w in ("of", "for") and words and not crossed and i > 0:
            left = toks[i - 1]
            if left.is_word and left.lower not in _STOPWORDS and not left.has_digit:
                crossed = True
                words.insert(0, tok)
                i -= 1
                continue
            break
        if (w in _STOPWORDS or w in _DETERMINERS or w in _QUALIFIERS or w in _PREPOSITIONS
                or w in _VERBS):
            break
        if words and tok.is_capital and not _is_acronym(tok.text) and i > 0:
            break
        if words and len(w) > 4 and w.endswith("ed"):
            if i == 0 or toks[i - 1].lower not in _DETERMINERS:
                break
        words.insert(0, tok)
        i -= 1
    if len(words) > _MAX_WORDS:
        words = words[-_MAX_WORDS:]
    if words and i >= 0 and toks[i].has_digit:
        return []  # "231,500 tons": a unit word, not what is measured
    return words


def _skip_parenthesis(toks: Sequence[_Tok], i: int) -> int:
    depth = 0
    while i >= 0:
        if toks[i].text == ")":
            depth += 1
        elif toks[i].text == "(":
            depth -= 1
            if depth <= 0:
                return i - 1
        i -= 1
    return i


def _left_attribute(toks: Sequence[_Tok], temporal: bool = False) -> str:
    """Rule 3: "[noun phrase] (link|verb)+ [qualifier]* NUMBER"; ``toks`` end before the number."""
    i = len(toks) - 1
    linked = False
    while i >= 0 and toks[i].lower in _QUALIFIERS:
        linked = linked or toks[i].lower in _LINKS
        i -= 1
    if i >= 0 and toks[i].text == "(":
        linked, i = True, i - 1
    while i >= 0:
        tok = toks[i]
        if tok.text == ")":
            i = _skip_parenthesis(toks, i)
            continue
        if tok.is_word and (
            (temporal and tok.lower in _TEMPORAL_LINKS)
            or _is_verbish(tok, toks[i - 1] if i else None,
                           toks[i + 1] if i + 1 < len(toks) else None)
        ):
            linked, i = True, i - 1
            continue
        if tok.text == "," and linked:
            previous = max((k for k in range(i) if toks[k].text == ","), default=None)
            if previous is not None and toks[previous + 1].lower in ("a", "an", "the"):
                i = previous - 1  # an appositive: "the demand for X, a core material, reached"
                continue
        break
    if not linked or i < 0:
        return ""
    words = _np_backwards(toks, i)
    if len(words) == 1 and i >= 1 and toks[i - 1].lower == "to":
        return _left_attribute(toks[: i - 1], temporal)  # "the demand to break through 4500"
    return _phrase(words)


def _np_forwards(toks: Sequence[_Tok], i: int, allow_capitals: bool) -> list[_Tok]:
    words: list[_Tok] = []
    crossed = False
    while i < len(toks) and len(words) < _MAX_WORDS:
        tok = toks[i]
        w = tok.lower
        if not tok.is_word or tok.has_digit and not _is_acronym(tok.text) or w in _TIME_WORDS:
            break
        if w in ("of", "for") and words and not crossed:
            crossed = True
            words.append(tok)
            i += 1
            continue
        if (w in _STOPWORDS or w in _PREPOSITIONS or w in _QUALIFIERS or w in _VERBS
                or w in _LINKS):
            break
        if tok.is_capital and not allow_capitals and not _is_acronym(tok.text):
            break
        if words and len(w) > 4 and w.endswith("ed"):
            break  # most likely the verb: "the loan signed in April"
        following = toks[i + 1] if i + 1 < len(toks) else None
        if words and len(w) > 5 and w.endswith("ing") and (
            following is None or not following.is_word or following.lower in _STOPWORDS
        ):
            break  # "companies participating in", but "operating profit"
        words.append(tok)
        i += 1
    while words and (words[-1].lower in ("of", "for") or (
        len(words) > 1 and len(words[-1].lower) > 4 and words[-1].lower.endswith(("ed", "ing"))
    )):
        words.pop()
    return words


def _skip_determiners(toks: Sequence[_Tok], i: int) -> int:
    while i < len(toks) and toks[i].lower in _DETERMINERS:
        i += 1
    return i


def _clause_attribute(toks: Sequence[_Tok]) -> str:
    """Rule 6: the clause's first noun phrase, after an introductory phrase."""
    i = 0
    if toks and (toks[0].lower in _PREPOSITIONS or toks[0].lower in _ADVERBS
                 or toks[0].lower.endswith("ly") or toks[0].lower == "according"):
        comma = next((k for k, t in enumerate(toks) if t.text == ","), None)
        if comma is None:
            return ""
        i = comma + 1
    i = _skip_determiners(toks, i)
    words = _np_forwards(toks, i, allow_capitals=True)
    while words and words[0].is_capital and not _is_acronym(words[0].text):
        words.pop(0)  # the subject's name, not what is measured
    return _phrase(words)


def _attribute(toks: Sequence[_Tok], q: Quantity, q_start: int, q_end: int,
               previous: str | None) -> str:
    before = [t for t in toks if t.end <= q_start]
    after = [t for t in toks if t.start >= q_end]
    if q.kind == "count" and q.counted:
        words: list[_Tok] = []
        for tok in after:
            if not tok.is_word:
                break
            words.append(tok)
            if tok.lower == q.counted:
                break
        adjective = before[-1:] if len(before) >= 2 and before[-2].lower in _DETERMINERS else []
        if adjective and (not adjective[0].is_word or adjective[0].lower in _QUALIFIERS):
            adjective = []
        return _phrase(adjective + words) if words else q.counted
    if q.kind == "number" and before and before[-1].is_word and before[-1].is_capital:
        return normalise_name(before[-1].text)  # a label: "Section 301", "Phase 2"
    k = len(before) - 1
    adjectives: list[_Tok] = []
    while k >= 0 and len(adjectives) < 2 and before[k].is_word and (
        before[k].lower not in _STOPWORDS and before[k].lower not in _DETERMINERS
        and not before[k].has_digit and not before[k].is_capital
    ):
        adjectives.insert(0, before[k])
        k -= 1
    if k >= 0 and before[k].lower in _DETERMINERS:
        following = _np_forwards(after, 0, allow_capitals=False)
        if following:
            return _phrase(adjectives + following)
    found = _left_attribute(before, temporal=q.kind in ("year", "date"))
    if found:
        return found
    if after and after[0].lower == "of":
        found = _phrase(_np_forwards(after, _skip_determiners(after, 1), allow_capitals=True))
        if found:
            return found
    if previous:
        return previous
    return _clause_attribute(toks)


# -- extraction ------------------------------------------------------------------------------


def _clauses(text: str) -> list[Span]:
    spans, start = [], 0
    for m in _CLAUSE_RE.finditer(text):
        spans.append(Span(start, m.start()))
        start = m.end()
    spans.append(Span(start, len(text)))
    return spans


def extract_facts(doc_id: str, text: str, sentences: list[Sentence]) -> list[Fact]:
    """One ``Fact`` per quantity of each sentence, with a guessed subject and attribute.

    Args:
        doc_id: the document's id; facts get ids ``{doc_id}:f{n}`` in document order.
        text: the document's cleaned text, which sentence offsets point into.
        sentences: sentence (or clause) spans of ``text``.

    Returns:
        Facts in document order; ``text[fact.start:fact.end] == fact.text``.
    """
    known = _known_capitals(text)
    found: list[tuple[Sentence, Quantity, str, str]] = []
    carried = ""
    previous_end: int | None = None
    for sentence in sorted(sentences, key=lambda s: s.start):
        if previous_end is not None and "\n" in text[previous_end : sentence.start]:
            carried = ""  # a new paragraph or heading
        previous_end = sentence.end
        stext = text[sentence.start : sentence.end]
        quantities = find_quantities(stext)
        earlier = ""  # the subject an earlier clause of this sentence named
        continuing = stext[:1].islower()  # a clause cut from a long sentence: "; on the other"
        clauses = _clauses(stext)
        for index, span in enumerate(clauses):
            clause = stext[span.start : span.end]
            names = _names(clause, index == 0, known)
            in_sentence = earlier or (carried if continuing else "")
            toks = _tokens(clause)
            if index == 0 and toks and toks[0].is_capital and toks[0].text not in known and (
                not _is_acronym(toks[0].text)
            ):  # a sentence's first word is capitalised whatever it is: "Demand grew by 4%"
                toks[0] = _Tok(toks[0].text.lower(), toks[0].start, toks[0].end)
            last_attribute: dict[str, str] = {}
            for q in quantities:
                if not span.start <= q.start < span.end:
                    continue
                q_start, q_end = q.start - span.start, min(q.end, span.end) - span.start
                subject = _subject(names, q_start, q_end, in_sentence or carried,
                                   same_sentence=bool(in_sentence))
                previous = last_attribute.get(q.kind)
                if q.kind in ("year", "date") and not previous:
                    previous = last_attribute.get("any")  # "revenue of $5.2 billion in 2023"
                attribute = _attribute(toks, q, q_start, q_end, previous)
                if attribute:
                    last_attribute[q.kind] = last_attribute["any"] = attribute
                found.append((sentence, q, subject, attribute))
            earlier = earlier or _sentence_subject(names)
        carried = earlier or carried
    found.sort(key=lambda item: item[0].start + item[1].start)
    return [_fact(doc_id, n, *item) for n, item in enumerate(found, start=1)]


def _strip_the(name: str) -> str:
    return re.sub(r"\A(?:the|The|THE)\s+", "", name)


def _fact(doc_id: str, n: int, sentence: Sentence, q: Quantity, subject: str,
          attribute: str) -> Fact:
    return Fact(
        fact_id=f"{doc_id}:f{n}", doc_id=doc_id, text=q.text,
        start=sentence.start + q.start, end=sentence.start + q.end,
        sentence_start=sentence.start, sentence_end=sentence.end,
        kind=q.kind, value=q.value, low=q.low, high=q.high, unit=q.unit,
        subject=_strip_the(subject), attribute=attribute, provenance="extracted", iso=q.iso,
    )
