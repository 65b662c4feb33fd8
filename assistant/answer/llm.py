"""The optional LLM composer: a fluent draft from numbered passages, held to the same rules.

When ``ASSISTANT_LLM_URL`` names an OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp
server), the model is given the question and numbered passages (the extractive answer's
citations, then the best other sentences of the hits, each an exact sentence span of its
document) and asked to answer only from them with ``[n]`` after every sentence. The draft is then
enforced, never trusted:

- every sentence ends with a citation, and every ``[n]`` names a passage that was given;
- text in double quotes occurs verbatim (up to white space) in a passage its sentence cites;
- every number is verified by ``numbers.check_numbers`` against the facts inside the cited
  passages; when the extractive answer reported disagreeing figures, the draft reports them too;
- a draft that declines to answer does not replace an extractive answer.

Only cited passages become citations, renumbered 1..m in order of first use. Any failure (HTTP
error, timeout, malformed response, a broken rule) returns the extractive answer unchanged but
for ``fallback_reason``. No state is shared between calls, so it is thread-safe.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import httpx

from ..index.loaded import Index
from ..settings import Settings
from ..text.tokens import tokenize
from ..types import Answer, Citation, Fact, Hit
from .numbers import MARKER_RE, check_numbers

log = logging.getLogger("assistant.answer.llm")

EXTRA_PASSAGES = 4  # other candidate sentences offered besides the extractive citations
MAX_TOKENS = 512  # the draft's length limit, asked of the endpoint

SYSTEM_PROMPT = """\
You answer a question using only the numbered passages you are given.
Rules:
1. Use only what the passages state. Add nothing from your own knowledge.
2. End every sentence with the number of a passage that supports it, in square brackets, \
e.g. "The mine produced 12,500 tons of copper in 2023 [2]." Cite only the numbers given.
3. Copy every number exactly as the passage writes it, with its unit.
4. If you put words in double quotes, copy them exactly from the passage you cite.
5. If the passages give different figures for the same thing, say so and cite each.
6. Answer in one to three short sentences.
7. If the passages do not answer the question, reply only: \
I cannot answer that from the sources."""

_WS_RE = re.compile(r"\s+")
_THINK_RE = re.compile(r"<think>.*?</think>", re.S)
_QUOTE_RE = re.compile(r'"([^"\n]+)"|“([^”\n]+)”')
# A sentence ends at terminal punctuation (with closing quotes and any markers that follow it)
# before white space, or at a marker that ends the line.
_END_RE = re.compile(r'[.!?]+["”’)]*(?:\s*\[\d+\](?:\s*\[\d+\])*[.!?]?)?(?=\s|$)|\[\d+\](?=\s*$)')
_ABBREV_RE = re.compile(
    r"(?:\b[A-Za-z]\.){2,}$|\b(?:Mr|Mrs|Ms|Dr|Prof|Inc|Corp|Co|Ltd|Jr|Sr|St|No|vs|etc|approx)\.$"
)
_CITED_END_RE = re.compile(r"\[\d+\][\s.!?\"”’)]*$")
_DECLINE_RE = re.compile(
    r"\b(?:cannot|can ?not|can't|can’t|unable to)\s+(?:be\s+)?answer"
    r"|\b(?:do|does|did)\s+not\s+(?:answer|say|state|mention|contain|provide|support|give)\b"
    r"|\bno (?:passage|information)\b",
    re.I,
)


@dataclass(frozen=True)
class Passage:
    """One numbered passage offered to the model: an exact sentence span of a document."""

    doc_id: str
    title: str
    start: int
    end: int
    text: str  # == document text[start:end]
    facts: tuple[Fact, ...]


class _Fallback(Exception):
    """The draft cannot be used; ``args[0]`` is the reason shown as ``fallback_reason``."""


def compose_with_llm(
    index: Index, hits: Sequence[Hit], extractive: Answer, settings: Settings
) -> Answer:
    """Ask the configured LLM for a fluent answer and enforce the contract on it.

    Args:
        index: the loaded generation the hits come from.
        hits: the fused retrieval hits the extractive answer was built from, best first.
        extractive: the extractive answer (not a refusal); the fallback.
        settings: read for ``llm_url``, ``llm_model``, ``llm_api_key`` and ``llm_timeout_s``.

    Returns:
        The LLM's answer (``composer="llm"``) when every rule holds, else ``extractive`` with
        ``fallback_reason`` saying why.
    """
    if not settings.llm_url or extractive.refused:
        return extractive
    passages = select_passages(index, hits, extractive)
    try:
        draft = request_draft(
            settings.llm_url,
            chat_messages(extractive.question, passages),
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
        )
        return enforce_draft(draft, passages, extractive)
    except _Fallback as reason:
        log.info("falling back to the extractive answer: %s", reason.args[0])
        return replace(extractive, composer="extractive", fallback_reason=reason.args[0])


def select_passages(index: Index, hits: Sequence[Hit], extractive: Answer) -> list[Passage]:
    """The extractive answer's citations, then the hits' sentences that share the most
    question terms (weighted by BM25 idf), at most ``EXTRA_PASSAGES`` of them."""

    def passage(doc_id: str, start: int, end: int) -> Passage:
        doc = index.documents[doc_id]
        facts = tuple(index.catalog.facts_between(doc_id, start, end))
        return Passage(doc_id, doc.title, start, end, doc.text[start:end], facts)

    chosen = [passage(c.doc_id, c.start, c.end) for c in extractive.citations]
    weights = _term_weights(index, extractive.question)
    total = sum(weights.values()) or 1.0
    scored: list[tuple[float, int, str, int, int]] = []
    seen: set[tuple[str, int]] = set()
    for rank, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        doc = index.documents[chunk.doc_id]
        sentences = index.catalog.sentences(
            chunk.doc_id, chunk.first_sentence, chunk.last_sentence, doc.text
        )
        for s in sentences:
            if (s.doc_id, s.start) in seen or any(
                p.doc_id == s.doc_id and p.start < s.end and s.start < p.end for p in chosen
            ):
                continue
            seen.add((s.doc_id, s.start))
            found = set(tokenize(s.text)) & weights.keys()
            if not found:
                continue
            score = sum(weights[t] for t in found) / total + 0.1 / rank
            scored.append((-score, rank, s.doc_id, s.start, s.end))
    scored.sort()
    chosen += [passage(d, s, e) for _, _, d, s, e in scored[:EXTRA_PASSAGES]]
    return chosen


def _term_weights(index: Index, question: str) -> dict[str, float]:
    vocab, idf = index.bm25.vocab, index.bm25.idf
    return {t: max(0.1, float(idf[vocab[t]])) for t in set(tokenize(question)) if t in vocab}


def _collapse(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def chat_messages(question: str, passages: Sequence[Passage]) -> list[dict[str, str]]:
    """The chat-completions ``messages``: the rules, then the question and numbered passages."""
    numbered = "\n".join(
        f"[{i}] ({p.title}) {_collapse(p.text)}" for i, p in enumerate(passages, start=1)
    )
    user = f"Question: {question}\n\nPassages:\n{numbered}\n\nAnswer:"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def endpoint_url(llm_url: str) -> str:
    """``{llm_url}/chat/completions``, adding ``/v1`` when ``llm_url`` lacks it."""
    base = llm_url.strip().rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


def request_draft(
    llm_url: str,
    messages: Sequence[Mapping[str, str]],
    *,
    model: str,
    api_key: str | None,
    timeout_s: float,
) -> str:
    """POST one chat completion (temperature 0) and return the draft's text.

    Raises:
        _Fallback: on a timeout, a transport or HTTP error, a malformed or empty response.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    body = {
        "model": model,
        "messages": list(messages),
        "temperature": 0,
        "max_tokens": MAX_TOKENS,
        "stream": False,
    }
    try:
        with httpx.Client(timeout=timeout_s) as client:
            response = client.post(endpoint_url(llm_url), json=body, headers=headers)
    except httpx.TimeoutException:
        raise _Fallback(f"llm: timeout after {timeout_s:g}s") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _Fallback(f"llm: request failed ({type(exc).__name__}: {exc})") from None
    if response.status_code != 200:
        raise _Fallback(f"llm: HTTP {response.status_code} from the endpoint")
    try:
        data = response.json()
    except ValueError:
        raise _Fallback("llm: malformed response (not JSON)") from None
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _Fallback("llm: malformed response (no choices[0].message.content)") from None
    if not isinstance(content, str):
        raise _Fallback("llm: malformed response (content is not text)")
    if isinstance(choice, dict) and choice.get("finish_reason") == "length":
        raise _Fallback(f"llm: draft cut off at the {MAX_TOKENS}-token limit")
    content = _THINK_RE.sub("", content).strip()
    if not content:
        raise _Fallback("llm: empty draft")
    return content


def split_sentences(text: str) -> list[str]:
    """The draft's sentences (lines, then terminal punctuation outside quotes, not after an
    abbreviation unless a marker follows), each with its trailing markers."""
    out: list[str] = []
    for line in text.splitlines():
        quotes = [m.span() for m in _QUOTE_RE.finditer(line)]
        pos = 0
        for m in _END_RE.finditer(line):
            if any(a < m.start() < b for a, b in quotes):
                continue
            if "[" not in m.group():
                rest = line[m.end() :].lstrip()
                if rest[:1].islower() or _ABBREV_RE.search(line[pos : m.start() + 1]):
                    continue
            piece = line[pos : m.end()].strip()
            if piece:
                out.append(piece)
            pos = m.end()
        tail = line[pos:].strip()
        if tail:
            out.append(tail)
    return out


def enforce_draft(draft: str, passages: Sequence[Passage], extractive: Answer) -> Answer:
    """The draft as an ``Answer`` whose citations are the passages it cites (renumbered).

    Raises:
        _Fallback: naming the first rule the draft breaks.
    """
    if _DECLINE_RE.search(draft):
        raise _Fallback("llm: the draft declines to answer, but the passages support an answer")
    given = len(passages)
    for m in MARKER_RE.finditer(draft):
        n = int(m.group(1))
        if not 1 <= n <= given:
            raise _Fallback(f"llm: [{n}] is not one of the passages given ([1]..[{given}])")
    sentences = split_sentences(draft)
    for i, sentence in enumerate(sentences, start=1):
        if not _CITED_END_RE.search(sentence):
            raise _Fallback(f"llm: sentence {i} has no citation")
        cited = sorted({int(n) for n in MARKER_RE.findall(sentence)})
        for q in _QUOTE_RE.finditer(sentence):
            quote = _collapse(q.group(1) or q.group(2)).rstrip(",.;:!? ")
            if quote and not any(quote in _collapse(passages[n - 1].text) for n in cited):
                where = ", ".join(f"[{n}]" for n in cited)
                raise _Fallback(f"llm: quote “{quote}” not found in {where}")

    order: dict[int, int] = {}
    for m in MARKER_RE.finditer(draft):
        order.setdefault(int(m.group(1)), len(order) + 1)
    text = MARKER_RE.sub(lambda m: f"[{order[int(m.group(1))]}]", draft)
    used = [passages[n - 1] for n in order]  # dicts keep first-use order
    citations = [
        Citation(i, p.doc_id, p.title, p.text, p.start, p.end) for i, p in enumerate(used, start=1)
    ]
    facts = {i: p.facts for i, p in enumerate(used, start=1)}
    conflicting = {
        n.fact_id for n in extractive.numbers if n.status == "conflict" and n.fact_id
    }
    numbers = check_numbers(text, citations, facts, conflicting)
    for number in numbers:
        if number.status == "unverified":
            raise _Fallback(f"llm: number '{number.text}' is not in any cited passage")
    if extractive.conflict:
        reported = {n.fact_id for n in numbers if n.status == "conflict"}
        if len(reported) < min(2, len(conflicting)):
            raise _Fallback("llm: the draft does not report the sources' different figures")
        if not conflicting and len(used) < 2:  # told in names, no figures: cite each source
            raise _Fallback("llm: the draft does not cite each disagreeing source")
    return replace(
        extractive,
        answer=text,
        citations=tuple(citations),
        numbers=tuple(numbers),
        composer="llm",
        fallback_reason=None,
    )
