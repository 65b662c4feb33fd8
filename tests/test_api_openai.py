"""The server as an OpenAI drop-in, driven by the real ``openai`` client against a live server:
model discovery, sources in the content, true streaming, and the background requests chat UIs
send about the chat itself (answered, never stored).

The chore prompts below follow the *shapes* open-webui and LibreChat send (a task, an output
format, the history embedded as ``<chat_history>`` with ``USER:``/``ASSISTANT:`` lines, or as
``||>User:``/``||>Response:`` blocks); the wording is our own, so the rule is tested, not a
copy of their text.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest

from assistant.api import chores

if TYPE_CHECKING:
    from api_fixtures import LiveServer

pytest_plugins = ["api_fixtures"]

QUESTION = "How much will the deep processing complex cost?"
ANSWER = "The complex will cost $150 million [1]."


def owui_task(output: str, history: str = f"USER: {QUESTION}\nASSISTANT: {ANSWER}") -> str:
    """A task prompt in open-webui's shape."""
    return ("### Task:\nSuggest what this chat needs, based on the chat history.\n"
            "### Guidelines:\n- Keep to the main subject of the conversation.\n"
            f"### Output:\nJSON format: {output}\n"
            f"### Chat History:\n<chat_history>\n{history}\n</chat_history>")


LIBRECHAT_TITLE = (
    "Please write a short title of at most five words for the conversation, in its own "
    f'language, without punctuation.\n\n||>User:\n"{QUESTION}"\n||>Response:\n'
    f'"{json.dumps(ANSWER)}"\n\n||>Title:'
)


def client_for(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0)


def conversation_ids(http: httpx.Client) -> set[str]:
    listed = http.get("/v1/conversations?limit=1000")
    assert listed.status_code == 200
    return {c["id"] for c in listed.json()["conversations"]}


# -- the rule, without a server ---------------------------------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    (owui_task('{ "title": "a short title" }'), {"title": "How much will the deep processing"}),
    (owui_task('{ "tags": ["tag1", "tag2"] }'), {"tags": []}),
    (owui_task('{ "follow_ups": ["Question 1?", "Question 2?"] }'), {"follow_ups": []}),
    (owui_task('{ "queries": ["query 1"] }'), {"queries": [QUESTION]}),
])
def test_open_webui_tasks_are_recognised(prompt: str, expected: dict[str, Any]) -> None:
    chore = chores.recognise(prompt)
    assert chore is not None and chore.questions == (QUESTION,)
    assert json.loads(chores.reply(chore)) == expected


def test_librechat_title_is_recognised() -> None:
    chore = chores.recognise(LIBRECHAT_TITLE)
    assert chore is not None
    assert chores.reply(chore) == "How much will the deep processing"


@pytest.mark.parametrize("text", [
    QUESTION,
    "What did the conversation between the two companies agree on?",  # chat word, no history
    "USER: a\nASSISTANT: b\nWhat does the report say about costs?",  # history, not about it
    "Summarise the chat.\nUSER: only one side of a transcript",
])
def test_questions_are_not_chores(text: str) -> None:
    assert chores.recognise(text) is None


# -- against a live server -------------------------------------------------------------


@pytest.mark.slow
def test_models_are_listed_and_retrievable(api_server: LiveServer) -> None:
    client = client_for(api_server)
    models = list(client.models.list())
    assert [m.id for m in models] == ["assistant"]
    assert models[0].object == "model" and models[0].created > 0
    assert client.models.retrieve("assistant").id == "assistant"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


@pytest.mark.slow
def test_sources_travel_in_the_content(api_server: LiveServer) -> None:
    client = client_for(api_server)
    completion = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}])
    content = completion.choices[0].message.content or ""
    citations = (completion.model_extra or {})["citations"]
    assert citations
    answer, footer = content.split("\n\nSources:\n")
    assert answer.rstrip().endswith((".", "]"))
    lines = footer.split("\n")
    assert len(lines) == len(citations)
    for line, c in zip(lines, citations, strict=True):
        assert line.startswith(f"- [{c['id']}] {c['title']}: \u201c")
        quote = line.split(": \u201c", 1)[1].rstrip("\u201d").rstrip("\u2026")
        assert c["quote"].startswith(quote) and len(quote) >= min(len(c["quote"]), 150)

    plain = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}],
        extra_body={"sources_footer": False})
    assert plain.choices[0].message.content == answer


@pytest.mark.slow
def test_footer_can_be_turned_off_by_setting(api_settings: Any, start_server: Any) -> None:
    server = start_server(api_settings.model_copy(update={"chat_sources_footer": False}))
    client = client_for(server)
    completion = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}])
    content = completion.choices[0].message.content or ""
    assert (completion.model_extra or {})["citations"] and "Sources:" not in content
    forced = client.chat.completions.create(
        model="assistant", messages=[{"role": "user", "content": QUESTION}],
        extra_body={"sources_footer": True})
    assert (forced.choices[0].message.content or "").startswith(content + "\n\nSources:\n")


def timed_stream(client: openai.OpenAI, question: str) -> tuple[float, float, str, Any]:
    """(seconds to the first chunk, to the last, the content, the last chunk)."""
    started = time.perf_counter()
    first = last = 0.0
    pieces: list[str] = []
    final = None
    for chunk in client.chat.completions.create(
            model="assistant", messages=[{"role": "user", "content": question}], stream=True):
        now = time.perf_counter() - started
        first = first or now
        last = now
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        final = chunk
    return first, last, "".join(pieces), final


@pytest.mark.slow
def test_stream_starts_before_the_answer_is_composed(api_server: LiveServer) -> None:
    client = client_for(api_server)
    gaps = []
    for _ in range(3):
        # A question never asked before: its embedding is computed, not cached.
        question = f"How much will the deep processing complex cost {secrets.token_hex(3)}?"
        first, last, content, final = timed_stream(client, question)
        assert content and final is not None and final.choices[0].finish_reason == "stop"
        assert "\n\nSources:\n" in content
        gaps.append((first, last))
    print("stream first/last chunk seconds:", gaps)
    # The first chunk leaves before the answer is composed; the answer's work lies between.
    assert all(first < last for first, last in gaps)
    best_first, best_last = min(gaps, key=lambda g: g[0] / g[1])
    assert best_last - best_first >= 0.005 and best_first < best_last / 2, gaps


@pytest.mark.slow
@pytest.mark.parametrize("stream", [False, True])
def test_chat_chores_are_answered_and_not_stored(api_server: LiveServer, stream: bool) -> None:
    client = client_for(api_server)
    with api_server.client() as http:
        before = conversation_ids(http)
        for prompt, check in [
            (owui_task('{ "title": "a short title" }'),
             lambda c: json.loads(c) == {"title": "How much will the deep processing"}),
            (owui_task('{ "tags": ["tag1", "tag2"] }'), lambda c: json.loads(c) == {"tags": []}),
            (LIBRECHAT_TITLE, lambda c: c == "How much will the deep processing"),
        ]:
            messages: Any = [{"role": "user", "content": prompt}]
            if stream:
                content = "".join(
                    chunk.choices[0].delta.content or "" for chunk in
                    client.chat.completions.create(model="assistant", messages=messages,
                                                   stream=True) if chunk.choices)
            else:
                completion = client.chat.completions.create(model="assistant",
                                                            messages=messages)
                content = completion.choices[0].message.content or ""
                assert (completion.model_extra or {})["conversation_id"] is None
            assert check(content), content
        assert conversation_ids(http) == before, "a chore was stored as a conversation"
        # A real question still is.
        client.chat.completions.create(model="assistant",
                                       messages=[{"role": "user", "content": QUESTION}])
        assert len(conversation_ids(http) - before) == 1
