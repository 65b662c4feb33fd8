"""The CI load test of issue 17: 10 clients x 100 asks while 5 uploads and 2 full ingests run:
0 errors, and the server's resident memory back within 10% of where it started.

The server is its own process (``assistant serve`` on loopback), so its RSS is read from
/proc without the test's own memory in it; the full ingests are ``assistant ingest`` in
further processes, as an operator would run them beside a serving API.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

KEY = "load-key"
CLIENTS, ASKS = 10, 100
QUESTIONS = ["Who wants the Kazakh tungsten?", "What is the grade of North Katapar?",
             "How much will the deep processing complex cost?",
             "What are the two core tungsten mine projects in Kazakhstan?",
             "Who won the 1998 football world cup?"]
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_load_while_uploading_and_ingesting(api_settings: Any, tmp_path: Path) -> None:
    from api_fixtures import copy_index, free_port, wait_ready

    settings = copy_index(api_settings, tmp_path / "data")
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "ASSISTANT_API_KEYS": KEY}
    cli = Path(sys.executable).with_name("assistant")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(url, server)
        run_load(url, server, corpus, env, cli)
    finally:
        server.terminate()
        server.wait(timeout=60)


def run_load(url: str, server: subprocess.Popen[bytes], corpus: Path, env: dict[str, str],
             cli: Path) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=300) as http:
        # Warm: the model, the caches, and the upload path's code (imported on first use).
        warm = b"Warm-up note\n\nThe Brannock mill milled 12 tonnes of oats.\n"
        assert http.post("/v1/documents", files={"file": ("warm.txt", warm)}).status_code == 201
        for question in QUESTIONS * 4:
            assert http.post("/v1/ask", json={"question": question}).status_code == 200
    start = rss_kib(server.pid)
    errors: list[str] = []
    lock = threading.Lock()

    def record(what: str, response: httpx.Response, ok: tuple[int, ...]) -> None:
        if response.status_code not in ok:
            with lock:
                errors.append(f"{what}: {response.status_code} {response.text[:200]}")

    def asker(n: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
            for i in range(ASKS):
                question = QUESTIONS[(n + i) % len(QUESTIONS)]
                record("ask", http.post("/v1/ask", json={"question": question}), (200,))

    def uploader() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=300) as http:
            for i in range(5):
                text = f"Depot log {i}\n\nThe Zeltrava depot moved {40 + i} crates of tin.\n"
                while True:  # another ingest holding the lock is a 409 busy: try again
                    response = http.post("/v1/documents",
                                         files={"file": (f"depot-{i}.txt", text.encode())})
                    if response.status_code != 409:
                        break
                    time.sleep(0.2)
                record("upload", response, (200, 201))

    def ingester() -> None:
        for i in range(2):
            (corpus / "extra.md").write_text(f"# Extra\n\nThe Qorvex plant shipped {i} crates.\n")
            while True:
                run = subprocess.run([str(cli), "ingest", str(corpus)], env=env,
                                     capture_output=True, text=True, timeout=600)
                if "another ingest is running" not in run.stderr:
                    break
                time.sleep(0.2)
            if run.returncode != 0:
                with lock:
                    errors.append(f"ingest: {run.returncode} {run.stderr[-300:]}")

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(CLIENTS)]
    threads += [threading.Thread(target=uploader), threading.Thread(target=ingester)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
        documents = http.get("/v1/documents").json()["documents"]
        assert {d["id"] for d in documents} >= {f"depot-{i}" for i in range(5)} | {"extra"}
        for question in QUESTIONS * 4:  # the same warm-up again, on the final generation
            assert http.post("/v1/ask", json={"question": question}).status_code == 200
    end = rss_kib(server.pid)
    print(f"load: {CLIENTS * ASKS} asks, 5 uploads, 2 ingests, {len(errors)} errors; "
          f"RSS {start / 1024:.0f} MiB before, {end / 1024:.0f} MiB after")  # pytest -s shows it
    assert end <= start * 1.10, f"RSS {start} KiB before the load, {end} KiB after"
