"""Two replicas behind nothing but loopback (issue 13, items 2 and 5): real processes only.

A PostgreSQL (``pg_fixtures``), a ``chroma run`` server and two ``assistant serve`` processes on
two ports share one data dir, the database and the Chroma server. A conversation started on
one replica continues on the other; a document uploaded through one is answered by the other;
an ingest killed half-way leaves both on the previous generation; a Slack event delivered to
both is answered once; and 10 clients asking 50 questions each over both replicas, while one
is killed with SIGKILL and restarted, get an answer or a clean refusal every time (retrying
once on the other replica when a connection fails) and lose no turn.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from seed_questions import SEED_QUESTIONS

pytest_plugins = ["api_fixtures", "pg_fixtures"]
pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CLI = Path(sys.executable).with_name("assistant")
SECRET = "scale-out-signing-secret"
QUESTIONS = SEED_QUESTIONS
NOTE = ("Zeltrava Smelter Annual Note\n\nThe Zeltrava smelter in Norvik produced 4,250 tonnes "
        "of refined cobalt in 2023. The smelter employs 310 people.\n")
CLIENTS, PER_CLIENT, CONVERSATIONS = 10, 50, 5


class Replica:
    """``assistant serve`` in its own process on 127.0.0.1 and a port of its own."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        from api_fixtures import free_port

        self.name, self.env, self.logs = name, {**env, "ASSISTANT_REPLICA": name}, logs
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Replica:
        self.starts += 1
        log = open(self.logs / f"{self.name}-{self.starts}.log", "wb")
        self.process = subprocess.Popen(
            [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    def wait_ready(self) -> None:
        from api_fixtures import wait_ready

        assert self.process is not None
        wait_ready(self.url, self.process)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Cluster:
    def __init__(self, data: Path, database_url: str, env: dict[str, str],
                 replicas: list[Replica], slack: Any) -> None:
        self.data, self.database_url, self.env = data, database_url, env
        self.a, self.b = replicas
        self.slack = slack

    def turns(self) -> list[tuple[str, int, str]]:
        """(conversation_id, n, question) of every stored turn, read from PostgreSQL."""
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            rows = conn.execute("SELECT conversation_id, n, question FROM turns").fetchall()
        return [(str(c), int(n), str(q)) for c, n, q in rows]


@pytest.fixture(scope="module")
def cluster(api_settings: Any, embedder: Any, postgres_server: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    from api_fixtures import chroma_server
    from pg_fixtures import create_database
    from test_slack import FakeSlack

    from assistant.ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("scale-out")
    data = root / "data"
    data.mkdir()
    shutil.copyfile(Path(api_settings.data_dir) / "embeddings.sqlite", data / "embeddings.sqlite")
    database_url = create_database(postgres_server)
    slack = FakeSlack()
    with chroma_server(root) as chroma_url:
        settings = api_settings.model_copy(update={
            "data_dir": data, "chroma_url": chroma_url, "database_url": database_url})
        report = ingest([CORPUS], settings, embedder=embedder)
        assert report.changed and not report.errors
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(data),
               "ASSISTANT_CHROMA_URL": chroma_url, "ASSISTANT_DATABASE_URL": database_url,
               "ASSISTANT_ALLOW_ANONYMOUS_WRITES": "true",
               "ASSISTANT_SLACK_SIGNING_SECRET": SECRET,
               "ASSISTANT_SLACK_BOT_TOKEN": "xoxb-test",
               "ASSISTANT_SLACK_API_URL": slack.url + "/api/"}
        replicas = [Replica(name, env, root).start() for name in ("replica-a", "replica-b")]
        try:
            for replica in replicas:
                replica.wait_ready()
            yield Cluster(data, database_url, env, replicas, slack)
        finally:
            for replica in replicas:
                replica.stop()
            slack.stop()


def _ask(url: str, question: str, conversation_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question}
    if conversation_id:
        body["conversation_id"] = conversation_id
    response = httpx.post(url + "/v1/ask", json=body, timeout=60)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_conversation_started_on_one_replica_continues_on_the_other(cluster: Cluster) -> None:
    first = _ask(cluster.a.url, "What is the average grade of the North Katapar deposit?")
    cid = first["conversation_id"]
    follow = _ask(cluster.b.url, "What about its resources?", cid)
    assert follow["conversation_id"] == cid
    assert "North Katapar" in follow["standalone_question"]  # resolved from A's turn
    turns = httpx.get(f"{cluster.a.url}/v1/conversations/{cid}", timeout=30).json()["turns"]
    assert [t["question"] for t in turns] == [
        "What is the average grade of the North Katapar deposit?", "What about its resources?"]
    feedback = httpx.post(f"{cluster.b.url}/v1/feedback", timeout=30,
                          json={"conversation_id": cid, "turn": 1, "rating": "up"})
    assert feedback.status_code == 201, feedback.text
    exported = httpx.get(f"{cluster.a.url}/v1/feedback/export", timeout=30).json()
    assert [(f["conversation_id"], f["turn"]) for f in exported] == [(cid, 1)]


def _generation(url: str) -> str:
    generation: str = httpx.get(url + "/v1/documents", timeout=30).json()["generation"]
    return generation


def test_a_document_uploaded_through_one_replica_is_answered_by_the_other(
        cluster: Cluster) -> None:
    question = "How much refined cobalt did the Zeltrava smelter produce in 2023?"
    before = _ask(cluster.b.url, question)
    assert "zeltrava-note" not in {c["doc_id"] for c in before["citations"]}
    upload = httpx.post(cluster.a.url + "/v1/documents", timeout=300,
                        files={"file": ("zeltrava-note.txt", NOTE.encode())})
    assert upload.status_code == 201, upload.text
    # B stats CURRENT on every request: its next question already sees A's generation.
    after = _ask(cluster.b.url, question)
    assert not after["refused"] and "4,250" in after["answer"], after
    assert "zeltrava-note" in {c["doc_id"] for c in after["citations"]}
    assert _generation(cluster.b.url) == _generation(cluster.a.url) == upload.json()["generation"]


def test_an_ingest_killed_half_way_leaves_both_replicas_on_the_previous_generation(
        cluster: Cluster, tmp_path: Path) -> None:
    from assistant.index.layout import DataDir

    data = DataDir(cluster.data)
    before = data.current()
    bulk = tmp_path / "bulk"
    bulk.mkdir()
    # New text to embed, so the ingest is still writing its generation when it is killed.
    (bulk / "depots.txt").write_text("\n\n".join(
        " ".join(f"Depot {i}-{j} moved {i * j + 7} pallets of tin." for j in range(30))
        for i in range(80)))
    existing = set(os.listdir(data.generations))
    ingest = subprocess.Popen([str(CLI), "ingest", str(bulk)], env=cluster.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not set(os.listdir(data.generations)) - existing:
            assert ingest.poll() is None and time.monotonic() < deadline, "no generation begun"
            time.sleep(0.01)
        ingest.send_signal(signal.SIGKILL)
        ingest.wait(timeout=30)
    finally:
        if ingest.poll() is None:
            ingest.kill()
    assert data.current() == before
    for replica in (cluster.a, cluster.b):
        assert httpx.get(replica.url + "/readyz", timeout=30).status_code == 200
        assert _generation(replica.url) == before
        assert not _ask(replica.url, QUESTIONS[0])["refused"]


def test_a_slack_event_delivered_to_both_replicas_is_answered_once(cluster: Cluster) -> None:
    from test_slack import event_body, mention, signed

    ts = f"{time.time():.6f}"
    body = event_body(mention(QUESTIONS[2], ts), f"EvScale{time.time_ns()}")
    headers = signed(body, secret=SECRET)
    retry = signed(body, secret=SECRET, **{"X-Slack-Retry-Num": "1",
                                           "X-Slack-Retry-Reason": "http_timeout"})
    posts = len(cluster.slack.posts())
    deliveries = [(cluster.a.url, headers), (cluster.b.url, headers), (cluster.b.url, retry),
                  (cluster.a.url, retry)]
    with ThreadPoolExecutor(len(deliveries)) as pool:
        statuses = list(pool.map(lambda d: httpx.post(
            d[0] + "/slack/events", content=body, headers=d[1], timeout=60).status_code,
            deliveries))
    assert statuses == [200] * len(deliveries)
    cluster.slack.wait_for(lambda: len(cluster.slack.posts()) > posts)
    time.sleep(2)  # room for a wrong second reply to arrive; none may
    replies = [p for p in cluster.slack.posts()[posts:] if p.get("thread_ts") == ts]
    assert len(replies) == 1, replies


class Load:
    """The clients' record: what was answered, refused, or never got through."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answered: Counter[tuple[str, str]] = Counter()
        self.refused: Counter[str] = Counter()
        self.retried = 0
        self.unserved: list[str] = []
        self.done = 0


def _client(k: int, urls: list[str], conversations: list[str], load: Load) -> None:
    cid = conversations[k % len(conversations)]
    for i in range(PER_CLIENT):
        question = QUESTIONS[(k + i) % len(QUESTIONS)]
        first = (k + i) % 2
        outcome = None
        for attempt, url in enumerate((urls[first], urls[1 - first])):
            try:
                outcome = httpx.post(url + "/v1/ask", timeout=120,
                                     json={"question": question, "conversation_id": cid})
                break
            except httpx.TransportError as exc:  # the replica died under us, or is down
                if attempt:
                    with load.lock:
                        load.unserved.append(repr(exc))
                else:
                    with load.lock:
                        load.retried += 1
        with load.lock:
            load.done += 1
            if outcome is None:
                continue
            if outcome.status_code == 200:
                load.answered[(cid, question)] += 1
            else:
                load.refused[f"{outcome.status_code} {outcome.json()['error']['code']}"] += 1


def _kill_and_restart(replica: Replica, load: Load, after: int) -> None:
    while True:
        with load.lock:
            if load.done >= after:
                break
        time.sleep(0.01)
    replica.kill()
    replica.start()
    replica.wait_ready()


def test_ten_clients_over_both_replicas_while_one_is_killed(cluster: Cluster) -> None:
    urls = [cluster.a.url, cluster.b.url]
    conversations = [_ask(urls[j % 2], QUESTIONS[j])["conversation_id"]
                     for j in range(CONVERSATIONS)]
    stored_before = Counter((c, q) for c, _, q in cluster.turns() if c in conversations)
    load = Load()
    killer = threading.Thread(target=_kill_and_restart,
                              args=(cluster.b, load, CLIENTS * PER_CLIENT // 4))
    killer.start()
    clients = [threading.Thread(target=_client, args=(k, urls, conversations, load))
               for k in range(CLIENTS)]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    killer.join()
    assert cluster.b.starts == 2

    assert load.unserved == []  # one retry on the survivor always got through
    assert set(load.refused) <= {"503 index_not_ready"}, load.refused  # refusals are clean
    assert sum(load.answered.values()) + sum(load.refused.values()) == CLIENTS * PER_CLIENT

    stored = [t for t in cluster.turns() if t[0] in conversations]
    by_conversation: dict[str, list[int]] = {}
    for c, n, _ in stored:
        by_conversation.setdefault(c, []).append(n)
    for numbers in by_conversation.values():  # numbered 1..N, no gap, no duplicate
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    new = Counter((c, q) for c, _, q in stored) - stored_before
    assert all(new[key] >= count for key, count in load.answered.items())  # no turn lost
    # At most the requests cut off by the kill (answered, then retried) were stored twice.
    assert sum(new.values()) - sum(load.answered.values()) <= load.retried

    # The restarted replica is back in the pool: it continues a conversation A started.
    follow = _ask(cluster.b.url, QUESTIONS[1], conversations[0])
    assert follow["conversation_id"] == conversations[0]
    metrics = httpx.get(cluster.b.url + "/metrics", timeout=30).text
    assert 'assistant_replica_info{replica="replica-b"} 1.0' in metrics
