"""The HTTP API against a real uvicorn on loopback: contract, conversations, SSE, OpenAI chat,
concurrency, errors and metrics."""

from __future__ import annotations

import json
import re
import threading
from typing import TYPE_CHECKING, Any

import httpx
import openai
import pytest
from numerals import numerals

if TYPE_CHECKING:
    from api_fixtures import LiveServer

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

# Questions the seed corpus answers, and one it cannot.
ANSWERABLE = [
    "What are the two core tungsten mine projects in Kazakhstan?",
    "Who wants the Kazakh tungsten?",
    "How much tungsten ore does the mine plan to process in 2025?",
    "How much will the deep processing complex cost?",
]
UNANSWERABLE = "Who won the 1998 football world cup?"

MARKER = re.compile(r"\[(\d+)\]")


def ask(http: httpx.Client, question: str, conversation_id: str | None = None) -> dict:
    body: dict[str, Any] = {"question": question}
    if conversation_id:
        body["conversation_id"] = conversation_id
    response = http.post("/v1/ask", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def check_contract(http: httpx.Client, obj: dict) -> None:
    """docs/contract.md §1's guarantees, checked against the server's own document texts."""
    for key in ("conversation_id", "answer", "refused", "citations", "numbers",
                "standalone_question"):
        assert key in obj
    ids = {c["id"] for c in obj["citations"]}
    markers = {int(n) for n in MARKER.findall(obj["answer"])}
    assert markers == ids, "every [n] resolves and every citation is referred to"
    for c in obj["citations"]:
        text = http.get(f"/v1/documents/{c['doc_id']}/text")
        assert text.status_code == 200
        assert text.headers["content-type"] == "text/plain; charset=utf-8"
        assert text.text[c["start"]:c["end"]] == c["quote"]
    for n in obj["numbers"]:
        assert n["status"] in ("verified", "conflict", "unverified")
        assert n["text"] in obj["answer"]
        assert n["citation"] is None or n["citation"] in ids
    # An oracle of its own (not the server's quantity parser): every run of digits the answer
    # states, outside its [n] markers, lies inside some listed number's text.
    listed = " | ".join(n["text"] for n in obj["numbers"])
    for numeral in numerals(MARKER.sub("", obj["answer"])):
        assert numeral in listed, f"{numeral!r} is stated but not in numbers"
    if obj["refused"]:
        assert obj["citations"] == [] and obj["numbers"] == []
        assert not re.search(r"\d", obj["answer"])


def test_health_and_ready(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["documents"] == 1


@pytest.mark.parametrize("question", ANSWERABLE)
def test_ask_keeps_the_contract(http: httpx.Client, question: str) -> None:
    obj = ask(http, question)
    assert not obj["refused"] and obj["citations"]
    check_contract(http, obj)


def test_numbers_are_listed_and_checked(http: httpx.Client) -> None:
    obj = ask(http, "How much will the deep processing complex cost?")
    check_contract(http, obj)
    assert obj["numbers"], obj
    assert all(n["status"] == "verified" for n in obj["numbers"])


def test_refusal(http: httpx.Client) -> None:
    obj = ask(http, UNANSWERABLE)
    assert obj["refused"] is True
    check_contract(http, obj)


def test_follow_up_keeps_the_conversation(http: httpx.Client) -> None:
    first = ask(http, "What are the two core tungsten mine projects in Kazakhstan?")
    cid = first["conversation_id"]
    second = ask(http, "Who wants the Kazakh tungsten?", cid)
    assert second["conversation_id"] == cid
    check_contract(http, second)

    conversation = http.get(f"/v1/conversations/{cid}").json()
    assert conversation["id"] == cid
    assert [t["question"] for t in conversation["turns"]] == [
        "What are the two core tungsten mine projects in Kazakhstan?",
        "Who wants the Kazakh tungsten?",
    ]
    assert conversation["turns"][1]["answer"]["answer"] == second["answer"]
    listed = http.get("/v1/conversations", params={"limit": 1000}).json()["conversations"]
    assert cid in [c["id"] for c in listed]

    assert http.delete(f"/v1/conversations/{cid}").status_code == 204
    gone = http.get(f"/v1/conversations/{cid}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"


def test_unknown_or_bad_conversation(http: httpx.Client) -> None:
    unknown = http.post("/v1/ask", json={"question": "Who wants the Kazakh tungsten?",
                                         "conversation_id": "c_doesnotexist"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    bad = http.post("/v1/ask", json={"question": "x?", "conversation_id": "../etc/passwd"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_input"
    assert http.get("/v1/conversations/a%20b").status_code == 400


def read_events(response: httpx.Response) -> list[tuple[str, Any]]:
    """Parse a text/event-stream body into (event, data) pairs."""
    events: list[tuple[str, Any]] = []
    event, data = "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                joined = "\n".join(data)
                events.append((event, joined if joined == "[DONE]" else json.loads(joined)))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    return events


def test_ask_stream(http: httpx.Client) -> None:
    question = "How much tungsten ore does the mine plan to process in 2025?"
    with http.stream("POST", "/v1/ask/stream", json={"question": question}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
    names = [e for e, _ in events]
    assert names[0] == "retrieval" and names[-3:] == ["citations", "numbers", "done"]
    assert set(names[1:-3]) == {"answer"} and len(names) >= 5
    done = events[-1][1]
    assert "".join(d["delta"] for e, d in events if e == "answer") == done["answer"]
    assert events[0][1]["standalone_question"] == done["standalone_question"]
    assert events[-3][1]["citations"] == done["citations"]
    assert events[-2][1]["numbers"] == done["numbers"]
    check_contract(http, done)
    plain = ask(http, question)
    assert {k: plain[k] for k in ("answer", "citations", "numbers")} == {
        k: done[k] for k in ("answer", "citations", "numbers")}
    stored = http.get(f"/v1/conversations/{done['conversation_id']}").json()
    assert len(stored["turns"]) == 1


def test_ask_stream_refuses_bad_input_before_streaming(http: httpx.Client) -> None:
    response = http.post("/v1/ask/stream", json={"question": "   "})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_question"


def test_openai_client_plain_and_streaming(api_server: LiveServer) -> None:
    client = openai.OpenAI(base_url=api_server.url + "/v1", api_key="not-needed", max_retries=0)
    question = "How much will the deep processing complex cost?"
    completion = client.chat.completions.create(
        model="my-model", messages=[{"role": "system", "content": "Be brief."},
                                    {"role": "user", "content": question}])
    assert completion.object == "chat.completion" and completion.model == "my-model"
    content = completion.choices[0].message.content
    assert content and MARKER.search(content)
    extra = completion.model_extra or {}
    assert extra["citations"] and extra["numbers"]
    assert {int(n) for n in MARKER.findall(content)} == {c["id"] for c in extra["citations"]}

    stream = client.chat.completions.create(
        model="my-model", messages=[{"role": "user", "content": question}], stream=True)
    pieces, last = [], None
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk"
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        last = chunk
    assert "".join(pieces) == content
    assert last is not None and last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == extra["citations"]


def test_chat_messages_are_the_conversation(http: httpx.Client) -> None:
    first_q = "What are the two core tungsten mine projects in Kazakhstan?"
    second_q = "Who wants the Kazakh tungsten?"
    first = http.post("/v1/chat/completions", json={
        "model": "assistant", "messages": [{"role": "user", "content": first_q}]}).json()
    messages = [
        {"role": "user", "content": first_q},
        {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
        {"role": "user", "content": [{"type": "text", "text": second_q}]},
    ]
    second = http.post("/v1/chat/completions", json={"messages": messages})
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["conversation_id"] == first["conversation_id"], "continued, not replayed"
    turns = http.get(f"/v1/conversations/{body['conversation_id']}").json()["turns"]
    assert [t["question"] for t in turns] == [first_q, second_q]
    content = body["choices"][0]["message"]["content"]
    assert content.startswith(turns[1]["answer"]["answer"])
    assert ("\n\nSources:\n" in content) == bool(body["citations"])

    # An edited history (unknown to the server) starts a new conversation: the earlier
    # message is context, not asked again, so only the last question is a turn.
    edited = [{"role": "user", "content": "Who wants the Kazakh tungsten?"},
              {"role": "user", "content": first_q}]
    third = http.post("/v1/chat/completions", json={"messages": edited}).json()
    assert third["conversation_id"] not in (first["conversation_id"],)
    turns = http.get(f"/v1/conversations/{third['conversation_id']}").json()["turns"]
    assert [t["question"] for t in turns] == [first_q]

    no_user = http.post("/v1/chat/completions",
                        json={"messages": [{"role": "system", "content": "hi"}]})
    assert no_user.status_code == 400 and no_user.json()["error"]["code"] == "bad_input"


def test_concurrent_clients_get_the_sequential_answers(http: httpx.Client,
                                                       api_server: LiveServer) -> None:
    questions = [*ANSWERABLE, UNANSWERABLE]
    expected = {q: ask(http, q) for q in questions}
    jobs = [questions[i % len(questions)] for i in range(100)]
    results: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def client(worker: int) -> None:
        with api_server.client() as own:
            for question in jobs[worker::20]:
                response = own.post("/v1/ask", json={"question": question})
                with lock:
                    results.append((question, response.status_code, response.json()))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(results) == 100
    for question, status, obj in results:
        assert status == 200, obj
        for key in ("answer", "refused", "citations", "numbers"):
            assert obj[key] == expected[question][key]


def test_errors_are_in_the_contract_shape(http: httpx.Client, api_settings: Any) -> None:
    def error(response: httpx.Response, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert set(body) == {"error"} and body["error"]["code"] == code
        assert body["error"]["message"] and "Traceback" not in response.text

    error(http.get("/no/such/route"), 404, "not_found")
    error(http.put("/v1/ask", json={"question": "x"}), 405, "method_not_allowed")
    error(http.post("/v1/ask", json={"q": "x"}), 422, "invalid_request")
    error(http.post("/v1/ask", content=b"{not json", headers={"content-type":
                                                               "application/json"}),
          422, "invalid_request")
    error(http.post("/v1/ask", json={"question": "x" * 4001}), 400, "bad_question")
    error(http.post("/v1/ask", json={"question": " \n "}), 400, "bad_question")
    big = json.dumps({"question": "x" * (api_settings.max_body_bytes + 10)}).encode()
    error(http.post("/v1/ask", content=big, headers={"content-type": "application/json"}),
          413, "payload_too_large")

    def chunked() -> Any:
        for _ in range(api_settings.max_body_bytes // 1000 + 2):
            yield b" " * 1000

    error(http.post("/v1/ask", content=chunked(), headers={"content-type": "application/json"}),
          413, "payload_too_large")
    error(http.get("/v1/documents/NOT_AN_ID"), 400, "bad_input")
    error(http.get("/v1/documents/..%2F..%2Fetc%2Fpasswd/text"), 404, "not_found")
    error(http.get("/v1/documents/.hidden/text"), 400, "bad_input")
    error(http.get("/v1/documents/no-such-doc"), 404, "not_found")
    error(http.get("/v1/facts", params={"limit": 0}), 422, "invalid_request")


def test_documents_and_facts(http: httpx.Client) -> None:
    listing = http.get("/v1/documents").json()
    assert listing["count"] == 1
    doc = listing["documents"][0]
    assert set(doc) >= {"id", "title", "source", "published", "url", "chars"}
    detail = http.get(f"/v1/documents/{doc['id']}").json()
    assert detail["chunks"] > 0 and detail["facts"] > 0
    text = http.get(detail["text_url"]).text
    assert len(text) == doc["chars"]

    facts = http.get("/v1/facts", params={"q": "tungsten", "limit": 5}).json()
    assert 0 < facts["count"] <= 5
    for f in facts["facts"]:
        assert f["doc_id"] == doc["id"]
        if f["start"] is not None:
            assert text[f["start"]:f["end"]] == f["text"]
    by_value = http.get("/v1/facts", params={"value": 150000000, "unit": "USD"}).json()
    assert any(f["value"] == 150000000 for f in by_value["facts"])


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_answers_by_outcome(http: httpx.Client) -> None:
    before = http.get("/metrics").text
    http.get("/v1/documents/kazakhstan-tungsten-2025-11-21/text")
    ask(http, "How much will the deep processing complex cost?")
    ask(http, UNANSWERABLE)
    after = http.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    for outcome in ("verified", "conflict", "refused", "unverified"):
        assert f'assistant_answers_total{{outcome="{outcome}"}}' in text
    assert metric(text, "assistant_answers_total", outcome="refused") == \
        metric(before, "assistant_answers_total", outcome="refused") + 1
    assert metric(text, "assistant_answers_total", outcome="verified") == \
        metric(before, "assistant_answers_total", outcome="verified") + 1
    assert metric(text, "assistant_http_requests_total", route="/v1/ask", status="200") >= 2
    assert metric(text, "assistant_http_request_duration_seconds_count", route="/v1/ask") >= 2
    assert 'route="/v1/documents/{doc_id}/text"' in text  # templates, not raw paths
    assert "/no/such/route" not in text


def test_openapi_documents_every_route(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert http.get("/docs").status_code == 200
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op.get("description"), f"{method} {path} has no docstring"
            blob = json.dumps(op)
            refs = re.findall(r'"#/components/schemas/(\w+)"', blob)
            has_example = "example" in blob or any(
                "examples" in json.dumps(spec["components"]["schemas"][r]) for r in refs
                if r not in ("ErrorResponse", "ErrorBody", "HTTPValidationError"))
            assert has_example, f"{method} {path} has no example"
