"""Issue 17, item 2: a generation is retired only when no request holds it. Asks run against
back-to-back ingests: 0 errors in 2,000 asks; and a leased generation survives an ingest."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.index.layout import DataDir
from assistant.index.loaded import load_index
from assistant.ingest.pipeline import ingest

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

QUESTIONS = ["Who wants the Kazakh tungsten?", "What is the grade of North Katapar?",
             "How much will the deep processing complex cost?"]
ASKS = 2000
CLIENTS = 4


def _note(path: Path, crates: int) -> None:
    path.write_text(f"Plant notes\n\nThe Qorvex plant shipped {crates} crates of widgets in "
                    "2020.\n", encoding="utf-8")


def test_a_leased_generation_survives_ingests(writable_settings: Any, embedder: Any,
                                              tmp_path: Path) -> None:
    data = DataDir(writable_settings.data_dir)
    held = load_index(writable_settings)  # a request in flight holds this one
    note = tmp_path / "note.txt"
    for version in range(4):  # keep=2 used to delete it at the third
        _note(note, 100 + version)
        assert ingest([note], writable_settings, embedder=embedder).changed
    generation = held.generation
    assert data.path(generation).is_dir()
    hits = held.dense.query(embedder.embed_query(QUESTIONS[0]), 3)
    assert hits, "the old generation still answers"
    del held, hits  # released: the next ingest may remove it
    _note(note, 200)
    assert ingest([note], writable_settings, embedder=embedder).changed
    assert not data.path(generation).exists()
    assert len(list(data.generations.iterdir())) <= 3


def test_asks_against_back_to_back_ingests(writable_settings: Any, start_server: Any,
                                           tmp_path: Path) -> None:
    server = start_server(writable_settings)
    embedder = server.app.state.assistant.holder.embedder
    note = tmp_path / "note.txt"
    done = threading.Event()
    failures: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()
    ingests = 0

    def ingest_loop() -> None:
        nonlocal ingests
        while not done.is_set():
            _note(note, 100 + ingests % 2)  # alternating: embeddings come from the cache
            ingest([note], writable_settings, embedder=embedder)
            ingests += 1

    def client(n: int) -> None:
        with server.client() as http:
            for i in range(ASKS // CLIENTS):
                response = http.post("/v1/ask", json={"question": QUESTIONS[(i + n) % 3]})
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code != 200:
                        failures.append(response.text[:300])

    writer = threading.Thread(target=ingest_loop)
    writer.start()
    clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    try:
        for t in clients:
            t.start()
        for t in clients:
            t.join()
    finally:
        done.set()
        writer.join()
    assert len(statuses) == ASKS
    assert failures == []
    assert ingests >= 5, "the ingests ran back to back while the asks did"
