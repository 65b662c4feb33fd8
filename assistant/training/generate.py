"""Questions made from a corpus's own sentences, to train the selector beyond the public suites.

Templates over spaCy's entities and dependency parse, general English only:

- an entity of a known kind becomes the gap of a question with the matching question word:
  the subject of its clause is fronted ("Simona Halep defeated …" -> "Who defeated …?"), any
  other entity is asked about in place ("… released by Nintendo on May 29, 2020" ->
  "Released by Nintendo when?");
- "X is/are Y" becomes "What is/are X?";
- a clause explained by "due to", "because (of)", "driven by", … becomes "Why …?".

The answer is the entity (or the explanation); the sentence it came from is the one passage
known to answer it. Nothing here is about any corpus's subject.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..text.entities import PIPELINE

# Question words for spaCy's entity labels (OntoNotes); several where English has several.
QUESTION_WORDS: dict[str, tuple[str, ...]] = {
    "PERSON": ("Who",), "ORG": ("Which company", "Which organisation", "Who"),
    "GPE": ("Where", "Which country", "Which city"), "LOC": ("Where",), "FAC": ("Where",),
    "NORP": ("Which nationality",), "DATE": ("When", "In what year", "What date"),
    "TIME": ("When",), "MONEY": ("How much",), "PERCENT": ("What percentage", "By how much"),
    "CARDINAL": ("How many",), "QUANTITY": ("How much", "How many"), "EVENT": ("Which event",),
    "PRODUCT": ("Which product",), "WORK_OF_ART": ("Which title",), "LAW": ("Which law",),
    "ORDINAL": ("Which position",),
}
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj"})
_CAUSE = re.compile(
    r",?\s*(?:primarily |mainly |largely |partly |partially )?(?:due to|because of|because|"
    r"driven by|as a result of|attributable to|owing to)\s+(?P<why>.{10,})",
    re.I,
)
WINDOW = 14  # words kept on each side of the gap: questions are shorter than sentences

_lock = threading.Lock()
_nlp: Any = None


@dataclass(frozen=True)
class Generated:
    question: str
    answer: str  # what the question asks for, verbatim from the sentence
    kind: str  # the entity label, "DEFINITION" or "CAUSE"


def _parser() -> Any:
    global _nlp
    with _lock:
        if _nlp is None:
            import spacy

            _nlp = spacy.load(PIPELINE)
        return _nlp


def _clause_head(token: Any) -> Any:
    """The verb whose clause holds ``token``."""
    while token.head.i != token.i and token.pos_ not in ("VERB", "AUX"):
        token = token.head
    return token


def _words(doc: Any, lo: int, hi: int, gap: range, filler: str) -> str:
    out: list[str] = []
    for token in doc[lo : hi + 1]:
        if token.i in gap:
            if token.i == gap.start:
                out.append(f" {filler} ")
            continue
        out.append(token.text_with_ws)
    return re.sub(r"\s+", " ", "".join(out)).strip(" ,;:-–—")


def _question(text: str) -> str:
    text = text.rstrip(".?!;: ")
    return text[:1].upper() + text[1:] + "?"


def _entity_question(doc: Any, ent: Any, rng: random.Random) -> Generated | None:
    head = _clause_head(ent.root)
    if head.pos_ not in ("VERB", "AUX"):
        return None
    word = rng.choice(QUESTION_WORDS[ent.label_])
    clause = sorted(head.subtree, key=lambda t: t.i)
    subject = next((t for t in head.children if t.dep_ in _SUBJECTS), None)
    if subject is not None and ent.root.i == subject.i:
        # the entity is the clause's subject: front the question word before the verb
        hi = min(clause[-1].i, head.i + 2 * WINDOW)
        return Generated(_question(word + " " + _words(doc, head.i, hi, range(0), "")),
                         ent.text, ent.label_)
    lo = max(clause[0].i, ent.start - WINDOW)
    hi = min(clause[-1].i, ent.end - 1 + WINDOW)
    start = ent.start
    if ent.root.dep_ == "pobj" and ent.root.head.i == ent.start - 1:
        start -= 1  # "on May 29" -> "when", not "on when"
    text = _words(doc, lo, hi, range(start, ent.end), word.lower())
    if len(text.split()) < 4:
        return None
    return Generated(_question(text), ent.text, ent.label_)


def _definition_question(doc: Any) -> Generated | None:
    for token in doc:
        if token.dep_ != "ROOT" or token.lemma_ != "be":
            continue
        subject = next((t for t in token.children if t.dep_ == "nsubj"), None)
        attribute = next((t for t in token.children if t.dep_ in ("attr", "acomp")), None)
        if subject is None or attribute is None or subject.pos_ == "PRON":
            continue
        s = doc[subject.left_edge.i : subject.right_edge.i + 1]
        a = doc[attribute.left_edge.i : attribute.right_edge.i + 1]
        if len(s) <= 8 and len(a) >= 3:
            verb = "are" if subject.tag_ in ("NNS", "NNPS") else "is"
            return Generated(f"What {verb} {s.text}?", a.text, "DEFINITION")
    return None


def _cause_question(text: str) -> Generated | None:
    match = _CAUSE.search(text)
    if match is None:
        return None
    before = text[: match.start()].strip(" ,")
    if not 20 < len(before) < 200:
        return None
    return Generated("Why " + before[:1].lower() + before[1:] + "?", match["why"][:120], "CAUSE")


def generate_questions(sentence: str, rng: random.Random) -> Iterator[Generated]:
    """Questions whose answer ``sentence`` states, each with that answer."""
    doc = _parser()(sentence)
    for ent in doc.ents:
        if ent.label_ in QUESTION_WORDS and len(ent.text) > 1:
            made = _entity_question(doc, ent, rng)
            if made is not None:
                yield made
    for made in (_definition_question(doc), _cause_question(sentence)):
        if made is not None:
            yield made
