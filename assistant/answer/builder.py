"""The extractive, citation-enforcing answer builder (no LLM, fully offline).

From the fused hits it scores every sentence for how much of the question it covers (terms
weighted by BM25 idf, other spellings matched through the index's fuzzy vocabulary, the two
sentences before and the title as context), prefers sentences holding the kind of answer asked
for (a quantity, a date, a share, a name), and composes a short answer from the source's own
words with ``[n]`` markers. Every quote is an exact sentence span; every number in the answer is
checked against the facts table (``numbers.check_numbers``). It refuses when the question's
names or rare terms are absent, or when the best passage does not cover what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from wordfreq import zipf_frequency

from ..index.loaded import Index
from ..index.tokens import tokenize
from ..ingest.quantities import find_quantities, same_quantity
from ..types import Answer, Citation, Document, Fact, Hit, NumberCheck, Quantity, Sentence
from .numbers import check_numbers
from .question import QuestionInfo, analyse

NUMERIC_KINDS = frozenset(
    {"quantity", "currency", "percent", "temperature", "count", "year", "date", "number"}
)
MIN_COVERAGE = 0.55  # share of the question's term weight a supporting passage must cover
RARE_ZIPF = 3.0  # words rarer than this in general English must be found (names, terms of art)
CONFLICT_RELEVANCE = 0.8  # a disagreeing value must come from a passage at least this relevant
LONG_SENTENCE = 240
SIMILARITY_WEIGHT = 0.6  # weight of sentence-question cosine similarity in a sentence's score
CONTEXT_WEIGHT = 0.6  # a term named only by the paragraph's earlier sentences counts this much
CONTEXT = 6  # how many earlier sentences of the paragraph may name the subject
_NAME_RE = re.compile(r"(?<![\w.])[A-Z][\w’'.\-]*(?:\s+(?:of|the|and|de|for)?\s*[A-Z][\w’'.\-]*)*")
_SEGMENT_RE = re.compile(r",\s+|;\s*|:\s*|\s+\u2014\s+")


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    doc: Document
    hit_rank: int
    coverage: float
    missing: tuple[str, ...]  # question terms found neither in the sentence nor its context
    in_sentence: frozenset[str]  # question terms found in the sentence itself
    facts: tuple[Fact, ...]
    similarity: float  # cosine of the sentence and question embeddings
    score: float


class _Terms:
    """Question terms with their weights and the spellings that count as a match."""

    def __init__(self, index: Index, info: QuestionInfo) -> None:
        self.info = info
        self.forms: dict[str, frozenset[str]] = {}
        self.weight: dict[str, float] = {}
        self.absent: list[str] = []  # terms the corpus never uses, in any spelling
        # "Ust-Kara" yields "ust", "kara" and "ustkara"; a passage spelling it "Ust-Kar" meets
        # the joined form fuzzily, and then the missing part "kara" is excused.
        self.joined_of: dict[str, str] = {}
        for word in re.findall(r"\w+(?:[-‐‑–]\w+)+", info.text):
            tokens = tokenize(word)
            if len(tokens) > 1:
                for part in tokens[:-1]:
                    self.joined_of[part] = tokens[-1]
        idf = index.bm25.idf
        top = float(idf.max()) if idf.size else 1.0
        for term in info.terms:
            similar = {m for m, _ in index.fuzzy.similar(term)}
            forms = {term} | similar
            known = [idf[index.bm25.vocab[f]] for f in forms if f in index.bm25.vocab]
            self.forms[term] = frozenset(forms)
            if not known:
                self.absent.append(term)
                if not self.essential(term):
                    continue  # a paraphrase's own verb ("lent" for "loan"): no weight
            self.weight[term] = max(0.1, float(max(known)) if known else top)

    def found(self, tokens: AbstractSet[str]) -> set[str]:
        return {t for t, forms in self.forms.items() if forms & tokens}

    def fatal_absent(self) -> list[str]:
        """Absent terms that matter: names, numbers, rare words, the attribute asked about."""
        return [t for t in self.absent if self.essential(t)]

    def unmet(self, missing: Sequence[str]) -> list[str]:
        """The essential terms among ``missing`` that no other spelling excuses."""
        return [
            t
            for t in missing
            if self.essential(t) and not (t in self.joined_of and self.joined_of[t] not in missing)
        ]

    def essential(self, term: str) -> bool:
        """A term an answer must be about: a name, a number, a rare word, the attribute."""
        return (
            term in self.info.names
            or term in self.info.attribute
            or term[0].isdigit()
            or zipf_frequency(term, "en") < RARE_ZIPF
        )


def _question_words(question: str, terms: Sequence[str]) -> list[str]:
    """The question's own words behind BM25 terms, for a refusal message."""
    words = []
    for word in re.findall(r"[\w’'\-]+", question):
        if (
            set(tokenize(word)) & set(terms)
            and word not in words
            and not any(c.isdigit() for c in word)
        ):
            words.append(word)
    return words


def _candidates(
    index: Index, hits: Sequence[Hit], terms: _Terms, query_vector: np.ndarray | None
) -> list[Candidate]:
    seen: set[tuple[str, int]] = set()
    out: list[Candidate] = []
    total = sum(terms.weight.values()) or 1.0
    info = terms.info
    for rank, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        doc = index.documents[chunk.doc_id]
        sentences = index.catalog.sentences(
            chunk.doc_id, max(0, chunk.first_sentence - CONTEXT), chunk.last_sentence, doc.text
        )
        facts = index.catalog.facts_between(chunk.doc_id, chunk.start, chunk.end)
        title_tokens = set(tokenize(doc.title))
        token_cache = [index.sentence_tokens(s) for s in sentences]
        for i, sentence in enumerate(sentences):
            if sentence.ordinal < chunk.first_sentence or (doc.doc_id, sentence.ordinal) in seen:
                continue
            seen.add((doc.doc_id, sentence.ordinal))
            own = terms.found(token_cache[i])
            first = i
            while (
                first > 0
                and i - first < CONTEXT
                and "\n" not in doc.text[sentences[first - 1].end : sentences[first].start]
            ):
                first -= 1  # earlier sentences of the same paragraph
            context = terms.found(title_tokens.union(*token_cache[first:i]))
            coverage = (
                sum(
                    terms.weight[t] * (1.0 if t in own else CONTEXT_WEIGHT if t in context else 0.0)
                    for t in terms.weight
                )
                / total
            )
            inside = tuple(
                f
                for f in facts
                if f.start is not None
                and sentence.start <= f.start
                and f.end is not None
                and f.end <= sentence.end
            )
            similarity = (
                float(
                    index.sentence_vector(doc.doc_id, sentence.ordinal).astype(np.float32)
                    @ query_vector
                )
                if query_vector is not None
                else 0.0
            )
            score = coverage + 0.12 / rank + SIMILARITY_WEIGHT * similarity
            if _satisfies(info, sentence, inside, own):
                score += 0.25
                if "org" in info.wants and _has_organisation(info, sentence):
                    score += 0.2
            out.append(
                Candidate(
                    sentence=sentence,
                    doc=doc,
                    hit_rank=rank,
                    coverage=coverage,
                    missing=tuple(t for t in terms.weight if t not in own and t not in context),
                    in_sentence=frozenset(own),
                    facts=inside,
                    similarity=similarity,
                    score=score,
                )
            )
    out.sort(key=lambda c: (-c.score, c.hit_rank, c.sentence.ordinal))
    return out


@lru_cache(maxsize=4096)
def _question_values(question: str) -> tuple[Quantity, ...]:
    """The question's own numbers, parsed once (asked for every candidate sentence)."""
    return tuple(find_quantities(question))


def _fitting_facts(info: QuestionInfo, facts: Sequence[Fact]) -> list[Fact]:
    asked = _question_values(info.text) if info.mentions_number else ()
    fitting = []
    for fact in facts:
        if fact.kind not in info.wants:
            continue
        if any(same_quantity(q, fact) for q in asked):
            continue  # the question's own number ("in 2024") is not the answer
        fitting.append(fact)
    return fitting


def _has_new_name(info: QuestionInfo, sentence: Sentence) -> bool:
    for match in _NAME_RE.finditer(sentence.text):
        tokens = set(tokenize(match.group()))
        if match.start() == 0 and " " not in match.group():
            continue
        if tokens and not tokens <= set(info.terms) | info.names:
            return True
    return False


# Words that mark a name as an organisation's in English ("… Bank", "… Group", "… Inc.").
ORG_WORDS = frozenset(
    tokenize(
        "bank group company corporation corp inc ltd llc plc co holdings fund agency ministry "
        "department university institute association council commission authority "
        "administration survey exchange partners capital enterprises industries"
    )
)


def _has_organisation(info: QuestionInfo, sentence: Sentence) -> bool:
    for match in _NAME_RE.finditer(sentence.text):
        tokens = set(tokenize(match.group()))
        if tokens & ORG_WORDS and not tokens <= set(info.terms) | info.names:
            return True
    return False


def _satisfies(
    info: QuestionInfo, sentence: Sentence, facts: Sequence[Fact], own: set[str]
) -> bool:
    """Does the sentence hold the kind of answer asked for?"""
    if not info.wants:
        return True
    if info.numeric and _fitting_facts(info, facts):
        return True
    if info.wants & {"org", "place"} and _has_new_name(info, sentence):
        return True
    return False


def _fact_score(terms: _Terms, fact: Fact, sentence: Sentence) -> float:
    described = set(tokenize(f"{fact.attribute} {fact.subject}"))
    score = sum(terms.weight[t] for t in terms.found(described))
    # Prefer the fact nearest the question's words in the sentence.
    positions = []
    lowered = sentence.text.lower()
    for t in terms.weight:
        for form in terms.forms[t]:
            p = lowered.find(form[:5])
            if p >= 0:
                positions.append(p)
    if positions and fact.start is not None:
        rel = fact.start - sentence.start
        score += 1.0 / (1.0 + min(abs(rel - p) for p in positions) / 40.0)
    return score


def _excerpt(sentence: Sentence, keep: Sequence[tuple[int, int]]) -> str:
    """The sentence, or for a long one the segments holding ``keep`` spans (document offsets),
    verbatim and joined by an ellipsis where segments were skipped."""
    text = sentence.text.strip()
    if len(text) <= LONG_SENTENCE:
        return text.rstrip(".;:, ")
    bounds = [0]
    for m in _SEGMENT_RE.finditer(text):
        bounds.append(m.start())
        bounds.append(m.end())
    bounds.append(len(text))
    segments = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    chosen = {0}
    for start, end in keep:
        rel_s, rel_e = start - sentence.start, end - sentence.start
        for j, (a, b) in enumerate(segments):
            if a < rel_e and rel_s < b:
                chosen.add(j)
    parts: list[str] = []
    previous = None
    for j in sorted(chosen):
        a, b = segments[j]
        piece = text[a:b].strip()
        if not piece:
            continue
        if previous is not None and j != previous + 1:
            parts.append(" … ")
        elif previous is not None:
            parts.append(text[segments[previous][1] : a])
        parts.append(piece)
        previous = j
    return "".join(parts).rstrip(".;:, ")


_WORD_SPAN_RE = re.compile(r"[\w’'\-₀-₉]+")


def _term_spans(sentence: Sentence, terms: _Terms) -> list[tuple[int, int]]:
    """Document spans of the sentence's words that match a question term."""
    spans = []
    for match in _WORD_SPAN_RE.finditer(sentence.text):
        if terms.found(set(tokenize(match.group()))):
            spans.append((sentence.start + match.start(), sentence.start + match.end()))
    return spans


def _name_spans(info: QuestionInfo, sentence: Sentence, terms: _Terms) -> list[tuple[int, int]]:
    spans = _term_spans(sentence, terms)
    for match in _NAME_RE.finditer(sentence.text):
        tokens = set(tokenize(match.group()))
        if terms.found(tokens) or (info.wants & {"org", "place"} and tokens - set(info.terms)):
            spans.append((sentence.start + match.start(), sentence.start + match.end()))
    return spans


def refuse(question: str, reason: str, related: Sequence[Candidate] = ()) -> Answer:
    """A refusal: a plain sentence, no numbers, no citations; related passages aside."""
    text = f"I can't answer that from the sources: {reason}."
    if re.search(r"\d", text):
        text = "I can't answer that from the sources: no passage supports an answer."
    rel = tuple(
        Citation(i, c.doc.doc_id, c.doc.title, c.sentence.text, c.sentence.start, c.sentence.end)
        for i, c in enumerate(related[:3], start=1)
    )
    return Answer(question=question, answer=text, refused=True, related=rel)


def _join(words: Sequence[str]) -> str:
    quoted = [f"“{w}”" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def build_answer(
    index: Index, hits: Sequence[Hit], question: str, query_vector: np.ndarray | None = None
) -> Answer:
    """Answer ``question`` from ``hits``, or refuse.

    Args:
        index: the loaded generation the hits come from.
        hits: fused retrieval hits, best first.
        question: the (standalone) question.
        query_vector: the question's embedding, to weigh sentences by meaning as well as words.

    Returns:
        An ``Answer`` keeping the contract: every ``[n]`` resolves, quotes are exact spans,
        every number is listed with its status, refusals carry no numbers or citations.
    """
    info = analyse(question)
    if not info.terms:
        return refuse(question, "the question names nothing to look for")
    terms = _Terms(index, info)
    fatal = terms.fatal_absent()
    if fatal:
        words = _question_words(question, fatal) or fatal
        return refuse(question, f"no passage mentions {_join(words)}")
    candidates = _candidates(index, hits, terms, query_vector)
    if not candidates:
        return refuse(question, "no passage supports an answer")

    supported = [
        c
        for c in candidates
        if c.coverage >= MIN_COVERAGE
        and not terms.unmet(c.missing)
        and info.attribute <= c.in_sentence
        and c.in_sentence
    ]
    fitting = [c for c in supported if _satisfies(info, c.sentence, c.facts, set(c.in_sentence))]
    if not fitting:
        best = candidates[0]
        if supported and info.wants:
            what = (
                "a date"
                if info.wants & {"date", "year"} and not info.wants & {"quantity"}
                else "a figure"
                if info.numeric
                else "a name"
            )
            return refuse(
                question, f"the passages about this do not give {what} for it", candidates
            )
        missing = _question_words(question, best.missing) or list(best.missing)
        if missing:
            return refuse(
                question,
                f"no passage covers {_join(missing[:3])} together with the rest of the question",
                candidates,
            )
        return refuse(question, "no passage covers what was asked", candidates)

    best = fitting[0]
    if not info.wants:
        # "What are the X of Y?": when the best passage states X as a number, answer with it.
        asked = info.attribute or frozenset(info.terms) - info.names
        kinds = {
            f.kind
            for f in best.facts
            if f.kind not in ("year", "date") and terms.found(set(tokenize(f.attribute))) & asked
        }
        if kinds:
            info = replace(info, wants=frozenset(kinds))
            fitting = [c for c in fitting if _fitting_facts(info, c.facts)]
    if info.numeric:
        answer = _numeric_answer(question, info, terms, best, fitting, candidates)
        if answer.conflict:
            return answer
    else:
        answer = _textual_answer(question, info, terms, best)
    return _retold_differently(question, info, terms, best, fitting) or answer


def _citation(n: int, c: Candidate) -> Citation:
    return Citation(n, c.doc.doc_id, c.doc.title, c.sentence.text, c.sentence.start, c.sentence.end)


def _finish(
    question: str, text: str, cited: list[Candidate], conflicting: set[str], conflict: bool
) -> Answer:
    citations = [_citation(i, c) for i, c in enumerate(cited, start=1)]
    facts = {i: c.facts for i, c in enumerate(cited, start=1)}
    numbers: list[NumberCheck] = check_numbers(text, citations, facts, conflicting)
    return Answer(
        question=question,
        answer=text,
        refused=False,
        citations=tuple(citations),
        numbers=tuple(numbers),
        conflict=conflict,
    )


def _textual_answer(question: str, info: QuestionInfo, terms: _Terms, best: Candidate) -> Answer:
    spans = _name_spans(info, best.sentence, terms)
    text = _excerpt(best.sentence, spans) + " [1]."
    return _finish(question, text, [best], set(), False)


NEAR_DUPLICATE = 0.5  # token Jaccard above which two sentences tell the same thing
SAME_TELLING = 0.8  # ... and above which, without their names and numbers, they are one telling


def _specifics(sentence: Sentence, info: QuestionInfo) -> set[str]:
    """Tokens of the sentence's names and numbers, leaving out the question's own words."""
    found: set[str] = set()
    for match in _NAME_RE.finditer(sentence.text):
        if match.start() == 0 and " " not in match.group():
            continue
        found.update(tokenize(match.group()))
    found.update(t for t in tokenize(sentence.text) if t[0].isdigit())
    return found - set(info.terms) - info.names


def _retold_differently(
    question: str,
    info: QuestionInfo,
    terms: _Terms,
    best: Candidate,
    fitting: Sequence[Candidate],
) -> Answer | None:
    """Another source telling the same sentence with a different name or number.

    Two sentences from different documents that share most of their words but differ in the
    names or numbers they state disagree about the answer: both are reported, each cited.
    """
    mine = set(tokenize(best.sentence.text))
    specifics = _specifics(best.sentence, info)
    for cand in fitting:
        if cand.doc.doc_id == best.doc.doc_id or cand.coverage < CONFLICT_RELEVANCE * best.coverage:
            continue
        theirs = set(tokenize(cand.sentence.text))
        if not mine or len(mine & theirs) / len(mine | theirs) < NEAR_DUPLICATE:
            continue
        other = _specifics(cand.sentence, info)
        only_mine, only_theirs = specifics - other, other - specifics
        if not only_mine or not only_theirs:
            continue
        rest_mine, rest_theirs = mine - only_mine, theirs - only_theirs
        if len(rest_mine & rest_theirs) / len(rest_mine | rest_theirs) < SAME_TELLING:
            continue  # told in other words: more likely a different statement than a swap
        conflicting = {
            f.fact_id
            for c, only in ((best, only_mine), (cand, only_theirs))
            for f in c.facts
            if set(tokenize(f.text)) & only
        }
        first = _excerpt(best.sentence, _name_spans(info, best.sentence, terms))
        second = _excerpt(cand.sentence, _name_spans(info, cand.sentence, terms))
        text = f"The sources disagree: {first} [1]; but {second} [2]."
        return _finish(question, text, [best, cand], conflicting, True)
    return None


# Words that qualify an estimate or point back at a topic rather than name a different thing:
# "proven reserves" and "latest reserves" measure the same thing; "exploration permits" and
# "production permits" do not. General English, no corpus knowledge.
QUALIFIERS = frozenset(
    tokenize(
        "proven probable possible estimated estimate estimates reported latest new recent "
        "revised updated official initial earlier previous current other another total overall "
        "figure figures data number numbers value values show shows showed put puts say says "
        "said reach reached reaching stand stood approximately about around nearly"
    )
)


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


def _numeric_answer(
    question: str,
    info: QuestionInfo,
    terms: _Terms,
    best: Candidate,
    fitting: Sequence[Candidate],
    candidates: Sequence[Candidate],
) -> Answer:
    facts = _fitting_facts(info, best.facts)
    chosen = max(facts, key=lambda f: (_fact_score(terms, f, best.sentence), -(f.start or 0)))
    # Other values for the same thing: same unit and kind, overlapping attribute, from a passage
    # about as relevant as the best one.
    rivals: list[tuple[Candidate, Fact]] = []
    for cand in [best, *fitting[1:], *(c for c in candidates if c not in fitting)]:
        neighbour = cand.doc.doc_id == best.doc.doc_id and (
            0 <= cand.sentence.ordinal - best.sentence.ordinal <= 1
        )
        if cand.coverage < CONFLICT_RELEVANCE * best.coverage and not neighbour:
            continue
        for fact in _fitting_facts(info, cand.facts):
            if (
                fact.fact_id == chosen.fact_id
                or fact.unit != chosen.unit
                or fact.kind != chosen.kind
                or same_quantity(fact, chosen)
            ):
                continue
            if fact.kind in ("year", "date"):
                continue  # different dates are usually different events, not a disagreement
            if not _same_measure(chosen, fact):
                continue
            if any(same_quantity(fact, other) for _, other in rivals):
                continue
            rivals.append((cand, fact))
    if rivals:
        shown = rivals[:3]
        cited: list[Candidate] = [best]
        spans: dict[int, list[tuple[int, int]]] = {0: [(chosen.start or 0, chosen.end or 0)]}
        for cand, fact in shown:
            if cand.sentence != best.sentence and cand not in cited:
                cited.append(cand)
            n = next(i for i, c in enumerate(cited) if c.sentence == cand.sentence)
            spans.setdefault(n, []).append((fact.start or 0, fact.end or 0))
        parts = [f"{_excerpt(c.sentence, spans[i])} [{i + 1}]" for i, c in enumerate(cited)]
        marker = {c.sentence: i + 1 for i, c in enumerate(cited)}
        values = [f"{chosen.text} [1]"] + [f"{f.text} [{marker[c.sentence]}]" for c, f in shown]
        text = (
            "The sources give different figures: "
            + " versus ".join(values)
            + ". "
            + "; ".join(parts)
            + "."
        )
        conflicting = {chosen.fact_id} | {f.fact_id for _, f in shown}
        return _finish(question, text, cited, conflicting, True)
    keep = [(chosen.start or 0, chosen.end or 0)] + _name_spans(info, best.sentence, terms)
    text = _excerpt(best.sentence, keep) + " [1]."
    return _finish(question, text, [best], set(), False)
