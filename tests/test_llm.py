"""The LLM composer against a real chat-completions server on loopback, over the real index.

The server is a small ``http.server`` speaking the OpenAI chat-completions protocol with
scripted drafts; the assistant reaches it through its real client path (httpx). Each draft that
breaks a rule must fall back to the extractive answer with a reason that names the break.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from assistant.answer.llm import endpoint_url, split_sentences
from assistant.answer.numbers import stated_numbers
from assistant.service import Assistant
from assistant.types import Answer

TUNGSTEN = "What was global tungsten output in 2024?"
CONFLICT = "What are the rare earth reserves of the Kuyrektykol deposit?"

# A reply is (status, body bytes), computed from the request body.
Reply = Callable[[dict[str, Any]], tuple[int, bytes]]


def completion(content: str | None, finish_reason: str = "stop") -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()


def draft(text: str | Callable[[dict[str, Any]], str]) -> Reply:
    """A reply whose content is ``text`` (or computed from the request)."""
    return lambda body: (200, completion(text(body) if callable(text) else text))


@dataclass
class ChatServer:
    """A loopback chat-completions endpoint that records requests and plays ``reply``."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    reply: Reply = field(default=lambda body: (200, completion("")))
    release: threading.Event = field(default_factory=threading.Event)


def _handler(state_ref: list[ChatServer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            state = state_ref[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.paths.append(self.path)
            if self.path != "/v1/chat/completions":
                self._send(404, b'{"error": "not found"}')
                return
            body = json.loads(raw)
            state.requests.append(body)
            state.headers.append(dict(self.headers.items()))
            status, payload = state.reply(body)
            self._send(status, payload)

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (the timeout case)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    ref: list[ChatServer] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    httpd.daemon_threads = True
    ref.append(ChatServer(url=f"http://127.0.0.1:{httpd.server_address[1]}/v1"))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield ref[0]
    ref[0].release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture
def chat(server: ChatServer) -> ChatServer:
    server.requests.clear()
    server.headers.clear()
    server.paths.clear()
    server.reply = draft("")
    return server


@pytest.fixture(scope="module")
def llm_assistant(seed_settings, seed_holder, server: ChatServer) -> Assistant:
    """The real assistant over the seed index (built once from corpus/), pointed at ``server``."""
    settings = seed_settings.model_copy(
        update={"llm_url": server.url, "llm_timeout_s": 2, "llm_api_key": "test-key"}
    )
    return Assistant(settings, seed_holder)


@pytest.fixture(scope="module")
def texts(seed_holder) -> dict[str, str]:
    return {d: doc.text for d, doc in seed_holder.get().documents.items()}


def check_contract(answer: Answer, texts: dict[str, str]) -> None:
    """docs/contract.md §1: markers and citations match, quotes are exact, numbers all listed."""
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.id for c in answer.citations}, answer.answer
    assert [c.id for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert texts[c.doc_id][c.start : c.end] == c.quote
    assert [n.text for n in answer.numbers] == [q.text for q in stated_numbers(answer.answer)]
    for n in answer.numbers:
        assert n.status in ("verified", "conflict")
        assert n.citation in markers


def passages_sent(body: dict[str, Any]) -> dict[int, str]:
    """The numbered passages in the user message of a recorded request."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return {int(n): text for n, text in re.findall(r"^\[(\d+)\] \([^)]*\) (.*)$", user, re.M)}


# -- pure helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h:11434", "http://h:11434/v1/chat/completions"),
        ("http://h:11434/", "http://h:11434/v1/chat/completions"),
        ("http://h:8000/v1", "http://h:8000/v1/chat/completions"),
        ("http://h:8000/v1/", "http://h:8000/v1/chat/completions"),
        ("http://h/v1/chat/completions", "http://h/v1/chat/completions"),
    ],
)
def test_endpoint_url(url: str, expected: str) -> None:
    assert endpoint_url(url) == expected


def test_split_sentences_keeps_abbreviations_quotes_and_markers() -> None:
    text = (
        "The U.S. Export-Import Bank lent $255 million [2]. American Tungsten Corp. announced "
        'it [1].\nThey said "it grew. A lot" [3]. Output was 81,000 tons.[1] No marker here.'
    )
    assert split_sentences(text) == [
        "The U.S. Export-Import Bank lent $255 million [2].",
        "American Tungsten Corp. announced it [1].",
        'They said "it grew. A lot" [3].',
        "Output was 81,000 tons.[1]",
        "No marker here.",
    ]


# -- through the service and a real HTTP server ----------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "Global tungsten output was approximately 81,000 tons in 2024 [1].",
        "In 2024 the world produced approximately 81,000 tons of tungsten.[1]",
        "According to the source, “the global tungsten output was approximately 81,000 tons” "
        "in 2024 [1].",
    ],
)
def test_good_draft_is_used(llm_assistant, chat, texts, text: str) -> None:
    chat.reply = draft(text)
    answer = llm_assistant.answer(TUNGSTEN)
    assert answer.composer == "llm", answer.fallback_reason
    assert answer.fallback_reason is None and not answer.refused
    assert answer.answer == text
    check_contract(answer, texts)
    statuses = {n.text: n.status for n in answer.numbers}
    assert statuses["81,000 tons"] == "verified"
    assert "81,000 tons" in answer.citations[0].quote


@pytest.mark.slow
def test_request_carries_question_and_numbered_passages(llm_assistant, chat) -> None:
    chat.reply = draft("Global tungsten output was approximately 81,000 tons in 2024 [1].")
    llm_assistant.answer(TUNGSTEN)
    assert chat.paths == ["/v1/chat/completions"] and len(chat.requests) == 1
    body = chat.requests[0]
    assert body["temperature"] == 0 and body["model"] == llm_assistant.settings.llm_model
    assert chat.headers[0]["Authorization"] == "Bearer test-key"
    user = body["messages"][-1]["content"]
    assert TUNGSTEN in user
    sent = passages_sent(body)
    assert sorted(sent) == list(range(1, len(sent) + 1)) and len(sent) >= 2
    assert sent[1] == "In 2024, the global tungsten output was approximately 81,000 tons."
    system = body["messages"][0]["content"]
    assert "[" in system and "exactly" in system and "cannot answer" in system


@pytest.mark.slow
def test_citations_are_renumbered_in_order_of_use(llm_assistant, chat, texts) -> None:
    def text(body: dict[str, Any]) -> str:
        last = max(passages_sent(body))
        return (
            f"A related passage gives the context [{last}]. "
            "Global tungsten output was approximately 81,000 tons in 2024 [1]."
        )

    chat.reply = draft(text)
    answer = llm_assistant.answer(TUNGSTEN)
    assert answer.composer == "llm", answer.fallback_reason
    assert answer.answer.endswith("81,000 tons in 2024 [2].")
    assert "context [1]." in answer.answer
    sent = passages_sent(chat.requests[0])
    assert re.sub(r"\s+", " ", answer.citations[0].quote).strip() == sent[max(sent)]
    assert "81,000 tons" in answer.citations[1].quote
    assert {n.citation for n in answer.numbers} == {2}
    check_contract(answer, texts)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Global tungsten output was about 95,000 tons in 2024 [1].", "'95,000 tons'"),
        ("Global output reached 81,000 tons in 2023 [1].", "'2023'"),
        (
            "The source says output was “roughly eighty thousand tons” in 2024 [1].",
            "quote “roughly eighty thousand tons” not found in [1]",
        ),
        (
            "Global tungsten output was approximately 81,000 tons in 2024 [1]. "
            "China controls most of the processing capacity.",
            "sentence 2 has no citation",
        ),
        ("Global tungsten output was approximately 81,000 tons in 2024 [9].", "[9] is not one"),
        ("I cannot answer that from the sources.", "declines to answer"),
    ],
)
def test_rule_breaking_draft_falls_back(llm_assistant, chat, texts, text, reason) -> None:
    chat.reply = draft(text)
    answer = llm_assistant.answer(TUNGSTEN)
    assert len(chat.requests) == 1
    assert answer.composer == "extractive"
    assert answer.fallback_reason and answer.fallback_reason.startswith("llm: ")
    assert reason in answer.fallback_reason, answer.fallback_reason
    assert answer.answer == "In 2024, the global tungsten output was approximately 81,000 tons [1]."
    check_contract(answer, texts)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (lambda body: (500, b'{"error": "boom"}'), "llm: HTTP 500"),
        (lambda body: (200, b"{not json"), "llm: malformed response (not JSON)"),
        (lambda body: (200, b'{"choices": []}'), "llm: malformed response"),
        (lambda body: (200, completion(None)), "llm: malformed response"),
        (lambda body: (200, completion("  ")), "llm: empty draft"),
        (lambda body: (200, completion("81,000 tons [1", "length")), "cut off"),
    ],
)
def test_bad_response_falls_back(llm_assistant, chat, texts, reply, reason) -> None:
    chat.reply = reply
    answer = llm_assistant.answer(TUNGSTEN)
    assert len(chat.requests) == 1
    assert answer.composer == "extractive" and reason in (answer.fallback_reason or "")
    check_contract(answer, texts)


@pytest.mark.slow
def test_timeout_falls_back(llm_assistant, chat, texts) -> None:
    def slow(body: dict[str, Any]) -> tuple[int, bytes]:
        chat.release.wait(4)  # longer than llm_timeout_s = 2; set at teardown
        return 200, completion("Output was approximately 81,000 tons in 2024 [1].")

    chat.reply = slow
    answer = llm_assistant.answer(TUNGSTEN)
    assert answer.composer == "extractive"
    assert answer.fallback_reason == "llm: timeout after 2s"
    check_contract(answer, texts)


@pytest.mark.slow
def test_unreachable_endpoint_falls_back(seed_settings, seed_holder) -> None:
    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        settings = seed_settings.model_copy(update={"llm_url": url, "llm_timeout_s": 2})
        answer = Assistant(settings, seed_holder).answer(TUNGSTEN)
    assert answer.composer == "extractive"
    assert (answer.fallback_reason or "").startswith("llm: request failed (ConnectError")


@pytest.mark.slow
def test_url_without_v1_reaches_the_same_endpoint(seed_settings, seed_holder, chat) -> None:
    url = chat.url.removesuffix("/v1")
    settings = seed_settings.model_copy(update={"llm_url": url, "llm_timeout_s": 2})
    chat.reply = draft("Global tungsten output was approximately 81,000 tons in 2024 [1].")
    answer = Assistant(settings, seed_holder).answer(TUNGSTEN)
    assert chat.paths == ["/v1/chat/completions"]
    assert answer.composer == "llm" and "Authorization" not in chat.headers[0]


@pytest.mark.slow
def test_without_llm_url_nothing_calls_the_server(seed_settings, seed_holder, chat) -> None:
    assert seed_settings.llm_url is None
    answer = Assistant(seed_settings, seed_holder).answer(TUNGSTEN)
    assert answer.composer == "extractive" and answer.fallback_reason is None
    assert chat.paths == []


@pytest.mark.slow
def test_refusal_is_not_sent_to_the_llm(llm_assistant, chat) -> None:
    answer = llm_assistant.answer("Who is the CEO of Almonty Industries?")
    assert answer.refused and answer.composer == "extractive" and answer.fallback_reason is None
    assert chat.paths == []


@pytest.mark.slow
def test_conflict_statuses_are_kept(llm_assistant, seed_settings, seed_holder, chat, texts):
    plain = Assistant(seed_settings, seed_holder).answer(CONFLICT)
    assert plain.conflict
    rivals = [n for n in plain.numbers if n.status == "conflict"][:2]
    text = (
        f"The sources disagree: one gives {rivals[0].text} [{rivals[0].citation}], "
        f"another {rivals[1].text} [{rivals[1].citation}]."
    )
    chat.reply = draft(text)
    answer = llm_assistant.answer(CONFLICT)
    assert answer.composer == "llm", answer.fallback_reason
    assert answer.conflict
    assert [n.status for n in answer.numbers] == ["conflict", "conflict"]
    assert {n.fact_id for n in answer.numbers} == {n.fact_id for n in rivals}
    check_contract(answer, texts)

    chat.reply = draft(f"The deposit holds {rivals[0].text} [{rivals[0].citation}].")
    answer = llm_assistant.answer(CONFLICT)
    assert answer.composer == "extractive"
    assert "different figures" in (answer.fallback_reason or "")


@pytest.mark.slow
def test_a_draft_must_cite_each_source_naming_a_different_answer(tmp_path, embedder, chat
                                                                 ) -> None:
    from assistant.index.loaded import IndexHolder
    from assistant.ingest.pipeline import ingest
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wire-a.txt").write_text(
        "Maria Okonkwo won the 2031 Lakeside Marathon in a record time.\n", encoding="utf-8")
    (corpus / "wire-b.txt").write_text(
        "Lena Varga won the 2031 Lakeside Marathon after a late sprint, the race's website "
        "reported.\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", llm_url=chat.url, llm_timeout_s=2,
                        llm_api_key="test-key")
    ingest([corpus], settings, embedder=embedder)
    assistant = Assistant(settings, IndexHolder(settings, embedder))
    question = "Who won the 2031 Lakeside Marathon?"

    chat.reply = draft("Maria Okonkwo won it [1].")
    answer = assistant.answer(question)
    assert answer.conflict and answer.composer == "extractive"
    assert "each disagreeing source" in (answer.fallback_reason or "")
    assert "Lena Varga" in answer.answer

    chat.reply = draft("The sources disagree: Maria Okonkwo [1] or Lena Varga [2].")
    answer = assistant.answer(question)
    assert answer.conflict and answer.composer == "llm", answer.fallback_reason
    assert {c.doc_id for c in answer.citations} == {"wire-a", "wire-b"}


@pytest.mark.slow
def test_concurrent_answers_agree(llm_assistant, chat, texts) -> None:
    text = "Global tungsten output was approximately 81,000 tons in 2024 [1]."
    chat.reply = draft(text)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: llm_assistant.answer(TUNGSTEN), range(8)))
    assert {a.answer for a in answers} == {text}
    assert all(a.composer == "llm" for a in answers) and len(chat.requests) == 8
