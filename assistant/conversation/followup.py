"""Follow-up rewriting: a question that leans on earlier turns becomes a standalone question.

General English only, no knowledge of any corpus, no model: pure string work on the question
and on the earlier turns (their standalone questions, the entities their answers cited, and the
quotes they cited).

1. The *antecedent* is the main subject of the previous turn: a capitalised name in its
   standalone question (a name with a head noun, "the North Ridge project", first), else the
   noun phrase a question without names was about when it is specific ("the global copper
   output"), else the subjects its answer's facts were about (``Turn.entities``), else a name
   in the cited quotes. After "Which project ...?" (or "Which is the largest project ...?")
   the name in the answer ending in "project" (or in apposition with "a ... project") is the
   antecedent instead. A head noun is any word spaCy's tagger calls a common noun: no list
   of nouns.
2. Pronouns and possessives become the antecedent: "its X" -> "the X of ANT";
   "it" / "they" / "them" / "this" / "that" -> ANT.
3. Ellipsis ("What about X?", "And X?", a bare fragment "In 2024?") takes the previous
   standalone question and replaces its time slot (a year or date) or its subject by X.
   A lower-case X after a named subject is a new attribute: "What is X of ANT?".
4. "the other one" is the member of a coordinated pair ("A and B") in the earlier answers or
   quotes that has not been asked about yet.

A question with none of these cues (including a change of topic) is returned unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from ..text.nouns import common_noun_starts, ends_in_common_noun, predicate_starts
from ..text.tokens import fold
from ..text.words import MONTH_NAMES
from .store import Turn

_WH = frozenset("what which who whom whose when where why how".split())
_BE = frozenset("is are was were be been being".split())
_DO = frozenset("do does did has have had will would can could should shall may might must".split())
_AUX = _BE | _DO
_PREP = frozenset(
    """of for from about on at in into to by with since during as under over between among
    against through per via after before until till within without across toward towards
    than like""".split()
)
_DET = frozenset("the a an this that these those its their his her our my your".split())
_PRONOUN = frozenset("it they them he she him i me we us you itself themselves".split())
_IMPERATIVE = frozenset(
    "tell give show list explain describe name compare summarise summarize find please".split()
)
_FUNCTION = (
    _WH | _AUX | _PREP | _DET | _PRONOUN | _IMPERATIVE
    | frozenset("and or but not no nor so then also if whether yes there here".split())
)
# Replies that are not questions about anything ("Thanks!", "Really?").
_SMALL_TALK = frozenset(
    """thanks thank ok okay yes no yeah yep nope great cool nice hello hi hey sorry really wow
    interesting sure right fine good perfect""".split()
)

_MONTHS = "|".join(MONTH_NAMES)
# A time slot: an optional preposition, then a year (with month and day) or a relative time.
_TIME = re.compile(
    r"(?:\b(?P<prep>in|during|by|since|until|till|before|after|from|for|as of|"
    r"(?:at|by) the (?:end|start|beginning) of)\s+)?"
    r"(?P<date>(?:\b(?:early|late|mid|mid-)\s*)?(?:\b(?:" + _MONTHS + r")\s+(?:\d{1,2},?\s+)?)?"
    r"\b(?:1[89]\d\d|2[01]\d\d)\b|\b(?:last|this|next) (?:year|month|quarter)\b|\btoday\b)",
    re.I,
)
_WORD = re.compile(r"\w+(?:[-\u2010\u2011'\u2019.&]\w+)*")
_ABBREVIATIONS = frozenset("corp inc co ltd plc llc st mr mrs ms dr jr sr".split())
_POSSESSIVE_S = re.compile(r"['\u2019]s$", re.I)
_OTHER = re.compile(r"\bthe other (?:one|(?P<noun>\w+))\b|\bthe other\b", re.I)
_EXPLETIVE_IT = re.compile(
    r"\bit (?:take|takes|took|seem|seems|seemed|true|possible|likely|worth|mean|means)\b", re.I
)
_ELLIPSIS_PREFIX = re.compile(
    r"^\s*(?:(?:and\s+)?(?:what|how)\s+about|(?:and\s+)?what\s+of|same\s+for|and\s+also"
    r"|also|and)\b[\s,]*",
    re.I,
)


class _Word(NamedTuple):  # a NamedTuple: built for every word, so it must be cheap
    text: str
    start: int
    end: int
    low: str


@dataclass(frozen=True)
class _Phrase:
    """A noun phrase found in some text: ``text[start:end]`` with its determiner."""

    text: str  # as it should be written into a question ("the North Ridge project")
    name: str  # without determiner and head noun ("North Ridge")
    start: int = -1  # where it is in the text it was found in (-1: not from that text)
    end: int = -1
    headed: bool = False  # ends with a common head noun
    prep: str | None = None  # the preposition just before it


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[_Word, ...]:
    """Words with offsets; an abbreviation keeps its final dot ("U.S.", "Corp.")."""
    words = []
    for m in _WORD.finditer(text):
        word, end = m.group(), m.end()
        if text[end:end + 1] == "." and ("." in word or word.lower() in _ABBREVIATIONS):
            word, end = word + ".", end + 1
        words.append(_Word(word, m.start(), end, word.lower()))
    return tuple(words)


def _is_name_word(word: str) -> bool:
    if not word[0].isupper() or any(c.isdigit() for c in word):
        return False  # lower case, or a formula / code such as WO₃
    return word.lower() not in _FUNCTION or (word.isupper() and len(word) > 1)  # "US"


def _joined(text: str, a: _Word, b: _Word) -> bool:
    """Whether ``a`` and ``b`` are adjacent words of one phrase (only spaces between)."""
    gap = text[a.end:b.start]
    return gap == "" or gap.isspace()


@lru_cache(maxsize=4096)
def _names(text: str) -> tuple[_Phrase, ...]:
    """Capitalised names in ``text``, each with its determiner and head noun, in order."""
    words = _words(text)
    found: list[_Phrase] = []
    i = 0
    while i < len(words):
        if not _is_name_word(words[i].text):
            i += 1
            continue
        j = i
        while True:
            if _POSSESSIVE_S.search(words[j].text):
                break
            nxt = j + 1
            if nxt < len(words) and _joined(text, words[j], words[nxt]):
                if _is_name_word(words[nxt].text):
                    j = nxt
                    continue
                # "Department of Defense", "Center of the China Geological Survey"
                if words[nxt].low == "of":
                    k = nxt + 1
                    if k < len(words) and words[k].low == "the" and _joined(text, words[nxt],
                                                                              words[k]):
                        k += 1
                    if k < len(words) and _is_name_word(words[k].text) and _joined(
                        text, words[k - 1], words[k]
                    ):
                        j = k
                        continue
            break
        name_end = words[j].end
        if _POSSESSIVE_S.search(words[j].text):
            name_end -= 2
        start, end, headed = words[i].start, name_end, False
        if name_end == words[j].end:
            # a head noun after at most two modifiers: "the Example copper project"
            for k in range(j + 1, min(j + 4, len(words))):
                if not _joined(text, words[k - 1], words[k]) or words[k].low in _FUNCTION or (
                    _is_name_word(words[k].text)
                ):
                    break
                if words[k].start in common_noun_starts(text):
                    end, headed, j = words[k].end, True, k
                    break
        name = text[words[i].start:name_end]
        headed = headed or ends_in_common_noun(name)
        prep = None
        before = i - 1
        if before >= 0 and words[before].low == "the" and _joined(text, words[before], words[i]):
            start = words[before].start
            before -= 1
        if before >= 0 and words[before].low in _PREP:
            prep = words[before].low
        phrase = text[start:end]
        if phrase[:4] == "The ":
            phrase = "the " + phrase[4:]
        found.append(_Phrase(phrase, name, start, end, headed, prep))
        i = j + 1
    return tuple(found)


@lru_cache(maxsize=4096)
def _time_spans(text: str) -> tuple[re.Match[str], ...]:
    return tuple(_TIME.finditer(text))


def _in_time(phrase: _Phrase, times: Sequence[re.Match[str]]) -> bool:
    return any(m.start() <= phrase.start < m.end() for m in times)


def _question_names(text: str) -> list[_Phrase]:
    times = _time_spans(text)
    return [p for p in _names(text) if not _in_time(p, times)]


def _same_name(a: str, b: str) -> bool:
    """Whether two names are spellings of one name ("North Ridge" ~ "Nort Ridge")."""
    fa, fb = fold(a), fold(b)
    if fa == fb or fa.startswith(fb + " ") or fb.startswith(fa + " "):
        return True
    return fuzz.ratio(fa, fb) >= 80


def _np_after(words: Sequence[_Word], k: int, do_support: bool, text: str = ""
              ) -> tuple[int, int] | None:
    """Word range of the noun phrase starting at ``k`` (up to a preposition, aux or the end).

    In ``text`` (the words' text), a verb or adverb after a common noun of the phrase ends it:
    "When did the project officially start production?" -> "the project". Without such a
    cue, with do-support ("When did X start?") the last word is the verb and is left out.
    """
    nouns = common_noun_starts(text) if text else frozenset()
    predicates = predicate_starts(text) if nouns else frozenset()
    j = k
    while j < len(words) and words[j].low not in (_PREP | _AUX | _WH | {"and", "or"}):
        if words[j].start in predicates and any(w.start in nouns for w in words[k:j]):
            return k, j
        j += 1
    if j == k:
        return None
    if (do_support and j - k > 1 and j == len(words)) or (
        j - k > 1 and j == len(words) and re.search(r"(?:ed|en)$", words[j - 1].low)
        and len(words[j - 1].low) > 3
    ):
        j -= 1
    return k, j


def _topic_np(text: str) -> tuple[_Phrase | None, _Phrase | None]:
    """For a question without names: (what it is about, the innermost slot of that).

    "What was the demand for photovoltaic filaments in 2025?" ->
    ("the demand for photovoltaic filaments", "photovoltaic filaments").
    """
    words = _words(text)
    times = _time_spans(text)
    aux = next((i for i, w in enumerate(words) if w.low in _AUX), None)
    if aux is None:
        return None, None
    rng = _np_after(words, aux + 1, words[aux].low in _DO, text)
    if rng is None:
        return None, None
    start, end = rng
    slot_start = start
    # extend through "of"/"for" phrases that are not time slots
    while end < len(words) and words[end].low in {"of", "for"}:
        nxt = _np_after(words, end + 1, words[aux].low in _DO, text)
        if nxt is None or any(m.start() <= words[nxt[0]].start < m.end() for m in times):
            break
        slot_start, end = nxt
    if words[start].low in _DET - {"the", "a", "an"}:
        return None, None  # "its grade": not a topic of its own
    whole = text[words[start].start:words[end - 1].end]
    slot_first = slot_start + (words[slot_start].low in {"the", "a", "an"})
    slot_first = min(slot_first, end - 1)
    slot_text = text[words[slot_first].start:words[end - 1].end]
    if not any(w.low not in _FUNCTION for w in words[start:end]):
        return None, None
    return (
        _Phrase(whole, whole, words[start].start, words[end - 1].end),
        _Phrase(slot_text, slot_text, words[slot_first].start, words[end - 1].end),
    )


def _entity_phrase(entity: str) -> _Phrase:
    headed = ends_in_common_noun(entity)
    return _Phrase(("the " + entity) if headed else entity, entity, headed=headed)


def _quotes(turn: Turn) -> list[str]:
    return [c.quote for c in (*turn.answer.citations, *turn.answer.related) if c.quote]


def _texts(turn: Turn) -> list[str]:
    """What the turn's answer said: its text (unless refused) and its quotes."""
    said = [] if turn.answer.refused else [turn.answer.answer]
    return [t for t in said if t] + _quotes(turn)


def _asked_kind(text: str) -> str | None:
    """The kind of thing a "Which ...?" question asks for: "project" in "Which project ...?"
    and in "Which is the largest copper project in X?" (the last common noun of the phrase
    after "is the", up to its first function word)."""
    words = _words(text)
    if len(words) < 2 or words[0].low not in {"which", "what"}:
        return None
    if words[1].low not in _FUNCTION:
        return words[1].low
    if words[1].low not in _BE or len(words) < 4 or words[2].low not in {"the", "a", "an"}:
        return None
    nouns = common_noun_starts(text)
    kind = None
    for word in words[3:]:
        if word.low in _FUNCTION:
            break
        if word.start in nouns:
            kind = word.low
    return kind


def _answer_entity(turn: Turn) -> _Phrase | None:
    """After "Which project ...?": the name in the answer that ends with "project"."""
    noun = _asked_kind(turn.standalone)
    if noun is None:
        return None
    asked = {fold(p.name) for p in _names(turn.standalone)}
    stem = fold(noun).rstrip("s")
    # "Acme Metals Inc., a U.S. copper company": an apposition names the kind
    apposition = re.compile(
        r"\.?,\s+(?:a|an|the)\s+(?:\S+\s+){0,5}?" + re.escape(noun) + r"s?\b", re.I
    )
    for text in _texts(turn):
        for phrase in _names(text):
            if fold(phrase.name) in asked:
                continue
            last = fold(phrase.text.split()[-1]).rstrip("s")
            if last == stem:
                return _Phrase(phrase.text, phrase.name, headed=True)
            if apposition.match(text, phrase.end):
                return _Phrase(phrase.text, phrase.name, headed=phrase.headed)
    return None


def _antecedent_of(turn: Turn) -> tuple[_Phrase | None, bool]:
    """The main subject of ``turn`` and whether it is a span of its standalone question."""
    answered = _answer_entity(turn)
    if answered is not None:
        return answered, False
    names = _question_names(turn.standalone)
    if names:
        entities = [fold(e) for e in turn.entities]

        def rank(item: tuple[int, _Phrase]) -> tuple[int, int, int]:
            i, p = item
            cited = any(_same_name(p.name, e) for e in entities)
            return (not p.headed, not cited, i)

        return min(enumerate(names), key=rank)[1], True
    # A question without names is about its noun phrase ("the global copper output") when
    # that is specific; the cited facts' subjects come next, then a vaguer noun phrase.
    topic, _ = _topic_np(turn.standalone)
    if topic is not None and sum(w.low not in _FUNCTION for w in _words(topic.text)) >= 2:
        return topic, True
    for entity in turn.entities:
        if entity and entity != "?":
            return _entity_phrase(entity), False
    if topic is not None:
        return topic, True
    for quote in _quotes(turn):
        for found in _names(quote):
            return _Phrase(found.text, found.name, headed=found.headed), False
    return None, False


def _antecedent(turns: Sequence[Turn]) -> tuple[_Phrase | None, Turn | None, bool]:
    for turn in reversed(turns):
        phrase, in_question = _antecedent_of(turn)
        if phrase is not None:
            return phrase, turn, in_question
    return None, None, False


@lru_cache(maxsize=1024)
def _coordinated(text: str) -> tuple[tuple[str, ...], ...]:
    """Groups of names joined by "and"/"or"/commas in ``text``: "A, B and the C"."""
    words = _words(text)
    groups: list[tuple[str, ...]] = []

    def run(k: int, step: int) -> tuple[int, int] | None:
        # maximal run of non-function words from k in direction step, trimmed to names
        idx: list[int] = []
        j = k
        while 0 <= j < len(words) and words[j].low not in _FUNCTION:
            if idx and not _joined(text, *sorted((words[idx[-1]], words[j]),
                                                 key=lambda w: w.start)):
                break
            idx.append(j)
            j += step
        idx.sort()
        while idx and not _is_name_word(words[idx[0]].text):
            idx.pop(0)
        while idx and not _is_name_word(words[idx[-1]].text):
            idx.pop()
        return (idx[0], idx[-1]) if idx else None

    def clean(a: int, b: int) -> str:
        return _POSSESSIVE_S.sub("", text[words[a].start:words[b].end])

    for i, w in enumerate(words):
        if w.low not in {"and", "or"} or i == 0:
            continue
        k = i + 1
        if k < len(words) and words[k].low == "the":
            k += 1
        right = run(k, 1) if k < len(words) else None
        left = run(i - 1, -1)
        if right is None or left is None or left[1] != i - 1 or right[0] != k:
            continue
        members = [clean(*left), clean(*right)]
        # earlier list members: "Spain, Portugal, and South Korea"
        a = left[0]
        while a > 0 and text[words[a - 1].end:words[a].start].strip() == ",":
            j = a - 1
            if words[j].low == "the":
                j -= 1
            prev = run(j, -1)
            if prev is None or prev[1] != j:
                break
            members.insert(0, clean(*prev))
            a = prev[0]
        groups.append(tuple(members))
    return tuple(groups)


def _other(turns: Sequence[Turn], ant: _Phrase | None) -> str | None:
    """The member of a pair in the earlier answers that has not been asked about yet."""
    asked = [p.name for t in turns for p in _question_names(t.standalone)]
    if ant is not None:
        asked.insert(0, ant.name)
    best: tuple[int, str] | None = None
    for age, turn in enumerate(reversed(turns)):
        for text in _texts(turn):
            for group in _coordinated(text):
                hits = [m for m in group if any(_same_name(m, a) for a in asked)]
                rest = [m for m in group if m not in hits]
                if not hits or not rest:
                    continue
                about_ant = ant is not None and any(_same_name(m, ant.name) for m in hits)
                score = age * 10 + (0 if about_ant else 5) + (0 if len(group) == 2 else 1)
                if best is None or score < best[0]:
                    best = (score, rest[0])
    return best[1] if best else None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _at_start(question: str, start: int) -> bool:
    return not question[:start].strip(" \"'“‘(")


def _subst(question: str, start: int, end: int, new: str) -> str:
    if _at_start(question, start):
        new = _capital(new)
    return question[:start] + new + question[end:]


def _be(noun_phrase: str) -> str:
    last = fold(noun_phrase.split()[-1]) if noun_phrase.split() else ""
    return "are" if last.endswith("s") and not last.endswith(("ss", "us", "is")) else "is"


def _resolve(question: str, ant: _Phrase) -> str:
    """Replace pronouns and possessives in ``question`` by the antecedent."""
    words = _words(question)
    own = _question_names(question)
    edits: list[tuple[int, int, str]] = []
    ant_words = {fold(w) for w in ant.text.split()}
    i = 0
    while i < len(words):
        w = words[i]
        low = w.low
        # a pronoun after a name of the question's own, in a later clause, refers to that name
        if own and any(p.end <= w.start and re.search(r"\band\b|[,;]", question[p.end:w.start])
                       for p in own):
            i += 1
            continue
        if low in {"its", "their"} or (low in {"his", "her"} and i + 1 < len(words)
                                       and words[i + 1].low not in _FUNCTION):
            if any(p.end <= w.start for p in own):
                i += 1  # "Did Acme repay its loan?": its own subject's
                continue
            do_support = any(x.low in _DO for x in words[:i]) or any(
                x.low in _BE for x in words[:i]
            ) and words[0].low in {"when", "where", "why", "how"}
            rng = _np_after(words, i + 1, do_support, question)
            if rng is None:
                i += 1
                continue
            a, b = rng
            noun = question[words[a].start:words[b - 1].end]
            edits.append((w.start, words[b - 1].end, f"the {noun} of {ant.text}"))
            i = b
            continue
        if low in {"it", "they", "them", "he", "she", "him"}:
            if low == "it" and _EXPLETIVE_IT.match(question, w.start):
                i += 1
                continue
            edits.append((w.start, w.end, ant.text))
        elif low in {"this", "that", "these", "those"}:
            nxt = words[i + 1] if i + 1 < len(words) else None
            gap_punct = nxt is None or not _joined(question, w, nxt)
            after_do = i > 0 and words[i - 1].low in _DO  # "did that cost": a verb follows
            if nxt is not None and not gap_punct and (
                (nxt.start in common_noun_starts(question) and not after_do)
                or fold(nxt.text) in ant_words
                or fold(nxt.text).rstrip("s") in ant_words
            ):
                edits.append((w.start, nxt.end, ant.text))  # "that project"
                i += 2
                continue
            prev = words[i - 1].low if i else ""
            if gap_punct or prev in _AUX or prev in _PREP:
                edits.append((w.start, w.end, ant.text))  # "How much did that cost?"
        i += 1
    for start, end, new in reversed(edits):
        question = _subst(question, start, end, new)
    return question


def _has_reference(question: str) -> bool:
    words = _words(question)
    for i, w in enumerate(words):
        if w.low in {"its", "their", "it", "they", "them", "he", "she", "him", "his"}:
            if w.low == "it" and _EXPLETIVE_IT.match(question, w.start):
                continue
            return True
        if w.low in {"this", "that", "these", "those"}:
            nxt = words[i + 1] if i + 1 < len(words) else None
            prev = words[i - 1].low if i else ""
            if nxt is None or not _joined(question, w, nxt) or prev in _AUX or prev in _PREP:
                return True
            if nxt.start in common_noun_starts(question):
                return True
    return bool(_OTHER.search(question))


def _replace_time(base: str, fragment: re.Match[str]) -> str:
    prep = fragment.group("prep")
    expr = prep.lower() + fragment.group()[len(prep):] if prep else "in " + fragment.group("date")
    spans = _time_spans(base)
    if not spans:
        body = base.rstrip(" ?.!")
        return f"{body} {expr}{base[len(body):] or '?'}"
    last = spans[-1]
    if prep:
        return base[:last.start()] + expr + base[last.end():]
    return base[:last.start("date")] + fragment.group("date") + base[last.end("date"):]


def _sibling_distance(a: str, b: str, turns: Sequence[Turn]) -> int:
    """How close names ``a`` and ``b`` stand in the earlier answers (a list: "A, B and C")."""
    best = 10**6
    for turn in turns[-2:]:
        for text in _texts(turn):
            low = fold(text)
            ia, ib = low.find(fold(a)), low.find(fold(b))
            if ia >= 0 and ib >= 0:
                best = min(best, abs(ia - ib))
    return best


def _replace_subject(base: str, new: _Phrase, turns: Sequence[Turn]) -> str | None:
    """``base`` with the name that ``new`` stands in for replaced by it."""
    candidates = _question_names(base)
    if not candidates:
        _, slot = _topic_np(base)
        if slot is None:
            return None
        return _subst(base, slot.start, slot.end, new.text)

    def rank(item: tuple[int, _Phrase]) -> tuple[int, int, int, int]:
        i, c = item
        sibling = _sibling_distance(c.name, new.name, turns)
        if new.prep:
            prep_penalty = int(c.prep != new.prep)
        else:
            prep_penalty = int(c.prep in {"in", "at"})
        shape = int(c.headed != new.headed)
        order = i if new.headed else -i  # a headed name is the main subject; else the last slot
        return (sibling, prep_penalty, shape, order)

    target = min(enumerate(candidates), key=rank)[1]
    return _subst(base, target.start, target.end, new.text)


def _split_prep(fragment: str) -> tuple[str | None, str]:
    words = _words(fragment)
    if words and words[0].low in _PREP and words[0].start == 0:
        return words[0].low, fragment[words[0].end:].strip()
    return None, fragment


def _ellipsis(fragment: str, turns: Sequence[Turn], question: str) -> str:
    ant, _, _ = _antecedent(turns)
    base = turns[-1].standalone
    other = _OTHER.search(fragment)
    if other:
        member = _other(turns, ant)
        if member is None:
            return question
        target = _question_names(base)
        spot = next((p for p in target if ant is not None and _same_name(p.name, ant.name)), None)
        if spot is None:
            return f"What about {member}?"
        text = member if spot.text == spot.name else f"the {member}"
        return _subst(base, spot.start, spot.end, text)
    if _has_reference(fragment):
        if ant is None:
            return question
        words = _words(fragment)
        owner = next((i for i, w in enumerate(words) if w.low in {"its", "their", "his", "her"}),
                     None)
        rng = _np_after(words, owner + 1, False) if owner is not None else None
        be = _be(words[rng[1] - 1].text) if rng else "is"
        return _resolve(f"What {be} {fragment}?", ant)
    time = _TIME.search(fragment)
    rest = fragment
    result = base
    if time is not None:
        rest = (fragment[:time.start()] + fragment[time.end():]).strip(" ,")
    if rest and _words(rest):
        prep, bare = _split_prep(rest)
        names = _names(bare)
        if names:
            phrase = names[0]
            new = _Phrase(bare, phrase.name, headed=phrase.headed, prep=prep)
            replaced = _replace_subject(base, new, turns)
            if replaced is None:
                return question
            result = replaced
        elif ant is not None and _question_names(base):
            # a new attribute of the same named subject: "What about the WO₃ reserves?"
            noun = bare if bare.split()[0].lower() in {"the", "a", "an"} else f"the {bare}"
            return f"What {_be(bare)} {noun} of {ant.text}?"
        else:
            replaced = _replace_subject(base, _Phrase(bare, bare, prep=prep), turns)
            if replaced is None:
                return question
            result = replaced
    if time is not None:
        result = _replace_time(result, time)
    return result


def _fragment(question: str) -> str | None:
    """The elided part of an ellipsis ("What about Germany?" -> "Germany"), else None."""
    m = _ELLIPSIS_PREFIX.match(question)
    rest = question[m.end():] if m else question
    words = _words(rest)
    if not words:
        return None
    if m is None:
        if len(words) > 6 or any(w.low in _WH or w.low in _AUX for w in words):
            return None
        if words[0].low in _IMPERATIVE or all(w.low in _SMALL_TALK for w in words):
            return None
    elif words[0].low in _WH | _AUX | _IMPERATIVE:
        return None  # "And who leads it?": a full question after the "and"
    return rest.strip().rstrip("?.! ").strip()


def rewrite(question: str, turns: Sequence[Turn]) -> str:
    """The standalone form of ``question`` given the conversation's earlier ``turns``.

    Args:
        question: the cleaned question as asked.
        turns: the conversation's earlier turns, oldest first.

    Returns:
        ``question`` with its pronouns, possessives, "the other one" and ellipsis resolved
        against the earlier turns; unchanged when it has no such cue or there are no turns.
    """
    if not turns or not question.strip():
        return question
    fragment = _fragment(question)
    if fragment:
        return _ellipsis(fragment, turns, question)
    body = question
    m = _ELLIPSIS_PREFIX.match(question)
    if m and m.end() < len(question):
        body = _capital(question[m.end():])  # "And when did they start?"
    if not _has_reference(body):
        return question
    ant, _, _ = _antecedent(turns)
    if ant is None:
        return question
    other = _OTHER.search(body)
    if other:
        member = _other(turns, ant)
        if member is None:
            return question
        noun = other.group("noun")
        headed = noun is None or other.start("noun") in common_noun_starts(body)
        end = other.end() if headed else other.start("noun") - 1
        body = _subst(body, other.start(), end, member)
        if not _has_reference(body):
            return body
    return _resolve(body, ant)
