"""Disagreeing sources: two passages that give different values for the same measure, that
tell the same sentence with different names or numbers, or that answer a question asking for
a name or a date with different ones in their own words.

Pure functions over candidates and facts. The chosen passage is the selector's; a rival must be
nearly as likely to answer (``AnswerParams.rival_share``) to count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..text.quantities import same_quantity
from ..text.tokens import tokenize
from ..types import Fact
from .candidates import Candidate
from .params import AnswerParams
from .question import Question, numerals
from .selector import Choice

# Fact kinds (ingest/facts.py) that state an entity of each spaCy label.
KINDS = {
    "MONEY": ("currency",), "PERCENT": ("percent",), "DATE": ("year", "date"),
    "TIME": ("date",), "QUANTITY": ("quantity", "temperature"), "CARDINAL": ("count", "number"),
}
# spaCy labels that name something (the others are numbers, dates and times).
NAME_LABELS = ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT",
               "WORK_OF_ART", "LAW", "LANGUAGE")
KIND_ASKED = 0.5  # names (or dates) are compared only when the answer is at least this
#   likely to be one: the type model's top kind, and more likely than all others together

# Words that qualify an estimate or point back at a topic rather than name a different thing:
# "proven reserves" and "latest reserves" measure the same thing; "exploration permits" and
# "production permits" do not. General English, no corpus knowledge.
QUALIFIERS = frozenset(
    tokenize(
        "estimated estimate estimates reported latest new recent revised updated official "
        "initial earlier previous current other another total overall figure figures data "
        "number numbers value values show shows showed put puts say says said reach reached "
        "reaching stand stood approximately about around nearly"
    )
)


@dataclass(frozen=True)
class Rival:
    candidate: Candidate
    fact: Fact


def answer_fact(best: Candidate, question: Question, types: Mapping[str, float]) -> Fact | None:
    """The fact of ``best`` that answers, when the answer is likeliest a number: the likeliest
    answer kind is one, or the number kinds together are likelier than the rest ("How reliant
    is …?": a percentage, a quantity or a count, each less likely alone than no entity)."""
    label = max(types, key=lambda k: types[k]) if types else ""
    if label not in KINDS and sum(p for k, p in types.items() if k in KINDS) < 0.5:
        return None
    weight = {kind: sum(types.get(lb, 0.0) for lb, ks in KINDS.items() if kind in ks)
              for ks in KINDS.values() for kind in ks}
    fitting = [f for f in best.facts if weight.get(f.kind, 0.0) > 0
               and not any(n in question.numerals for n in _numerals(f.text))]
    if not fitting:
        return None
    return max(fitting, key=lambda f: (weight[f.kind], -(f.start or 0)))


def _numerals(text: str) -> list[str]:
    return sorted(numerals(text))


def _same_measure(a: Fact, b: Fact) -> bool:
    """Do two facts measure the same thing (so different values disagree)?"""
    if a.subject and b.subject:
        sa, sb = set(tokenize(a.subject)), set(tokenize(b.subject))
        if not (sa <= sb or sb <= sa):
            return False
    ta, tb = set(tokenize(a.attribute)), set(tokenize(b.attribute))
    if not tb - QUALIFIERS:
        # "Other data also show figures such as ...": restates what was said just before.
        return a.doc_id != b.doc_id or (b.sentence_start or 0) >= (a.sentence_start or 0)
    if a.doc_id == b.doc_id and a.sentence_start != b.sentence_start:
        return False  # one document's different sentences usually measure different things
    if a.doc_id == b.doc_id and ta == tb:
        return False  # one sentence listing values of one attribute: a breakdown
    return bool(ta & tb) and not (tb - ta - QUALIFIERS and ta - tb - QUALIFIERS)


def _follows(candidate: Candidate, best: Candidate) -> bool:
    """The sentence right after ``best`` in its paragraph ("Other data also show …")."""
    return (candidate.doc.doc_id == best.doc.doc_id and len(candidate.sentences) == 1
            and candidate.sentences[0].ordinal == best.sentences[-1].ordinal + 1
            and "\n" not in best.doc.text[best.end : candidate.start])


def numeric_rivals(chosen: Fact, choices: Sequence[Choice], params: AnswerParams
                   ) -> list[Rival]:
    """Other values for ``chosen``'s measure in passages about as likely to answer, or in the
    sentence right after the chosen one (which often qualifies its figure)."""
    best = choices[0]
    likely = [c for c in choices if c.probability >= params.rival_share * best.probability]
    after = [c for c in choices if c not in likely and _follows(c.candidate, best.candidate)]
    rivals: list[Rival] = []
    for choice in likely + after:
        for fact in choice.candidate.facts:
            if (fact.fact_id == chosen.fact_id or fact.kind in ("year", "date")
                    or fact.unit != chosen.unit or fact.kind != chosen.kind
                    or same_quantity(fact, chosen) or not _same_measure(chosen, fact)
                    or any(same_quantity(fact, r.fact) for r in rivals)):
                continue
            rivals.append(Rival(choice.candidate, fact))
    return rivals


def _specifics(candidate: Candidate, question: Question) -> set[str]:
    """Tokens of the candidate's names and numbers, leaving out the question's own words."""
    found: set[str] = set()
    for e in candidate.entities:
        found.update(tokenize(candidate.entity_text(e)))
    found.update(t for t in tokenize(candidate.text) if t[0].isdigit())
    return found - set(question.terms)


def _names(candidate: Candidate, label: str, question: Question) -> list[frozenset[str]]:
    """The candidate's names of kind ``label`` that the question does not already say."""
    asked = set(question.terms)
    found = (frozenset(tokenize(candidate.entity_text(e)))
             for e in candidate.entities if e.label == label)
    return [words for words in found if words and not words <= asked]


def _in_reach(choices: Sequence[Choice], question: Question, params: AnswerParams,
              floor: float) -> list[Candidate]:
    """Passages of other documents than the best's that could answer as well: likely enough to
    be given as the answer on its own (``floor``), nearly as likely as the best
    (``rival_share``), and stating the question's own numbers (a year asked about: "the 2018
    prize", not another year's)."""
    best = choices[0]
    bar = max(floor, params.rival_share * best.probability)
    return [c.candidate for c in choices[1:] if c.probability >= bar
            and c.candidate.doc.doc_id != best.candidate.doc.doc_id
            and question.numerals <= numerals(c.candidate.text)]


def named_otherwise(choices: Sequence[Choice], question: Question,
                    types: Mapping[str, float], params: AnswerParams, floor: float
                    ) -> Candidate | None:
    """Another document naming a different answer of the asked kind ("Lena Varga won …" against
    "Maria Okonkwo won …"), when the answer is likeliest a name; neither passage may mention
    the other's name."""
    label = max(types, key=lambda k: types[k]) if types else ""
    if label not in NAME_LABELS or types[label] < KIND_ASKED:
        return None
    best = choices[0].candidate
    mine = _names(best, label, question)
    if not mine:
        return None
    my_words = set(tokenize(best.text))
    for other in _in_reach(choices, question, params, floor):
        their_words = set(tokenize(other.text))
        new = [n for n in _names(other, label, question) if not n <= my_words]
        if new and not any(m <= their_words for m in mine):
            return other
    return None


def dated_otherwise(chosen: Fact, choices: Sequence[Choice], question: Question,
                    types: Mapping[str, float], params: AnswerParams, floor: float
                    ) -> Rival | None:
    """Another document giving a different date, as precise, for what the chosen date answers
    ("opened on May 12, 2031" against "opened on March 3, 2029"). Two passages that share
    any date tell one timeline ("for the years ended December 31, 2019 and 2018"), not two
    answers."""
    if chosen.kind not in ("year", "date") or not chosen.iso or types.get("DATE", 0.0) < KIND_ASKED:
        return None
    mine = {f.iso for f in choices[0].candidate.facts if f.iso}
    for other in _in_reach(choices, question, params, floor):
        if mine & {f.iso for f in other.facts if f.iso}:
            continue
        theirs = [f for f in other.facts if f.kind == chosen.kind and f.iso
                  and len(f.iso) == len(chosen.iso)
                  and not any(n in question.numerals for n in numerals(f.text))]
        if theirs:
            return Rival(other, theirs[0])
    return None


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def retold_differently(choices: Sequence[Choice], question: Question, params: AnswerParams,
                       floor: float = 1.0) -> tuple[Candidate, set[str], set[str]] | None:
    """Another document telling the best passage's sentence with other names or numbers.

    The other passage must be nearly as likely to answer as the best (``rival_share``), or
    likely enough to have been given as the answer on its own (``floor``, the selector's
    refusal threshold): the same sentence in two sources differs in the ranker's eyes only by
    retrieval order, which says nothing about which source is right.

    Returns the other candidate and the specifics only the best / only the other states.
    """
    best = choices[0].candidate
    mine = set(tokenize(best.text))
    specifics = _specifics(best, question)
    for choice in choices[1:]:
        other = choice.candidate
        if choice.probability < min(floor, params.rival_share * choices[0].probability):
            break
        if other.doc.doc_id == best.doc.doc_id or len(other.sentences) != len(best.sentences):
            continue
        theirs = set(tokenize(other.text))
        if _jaccard(mine, theirs) < params.near_duplicate:
            continue
        their_specifics = _specifics(other, question)
        only_mine, only_theirs = specifics - their_specifics, their_specifics - specifics
        if not only_mine or not only_theirs:
            continue
        if _jaccard(mine - only_mine, theirs - only_theirs) < params.same_telling:
            continue  # told in other words: more likely a different statement than a swap
        return other, only_mine, only_theirs
    return None
