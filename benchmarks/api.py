"""HTTP latency of POST /v1/ask against a real uvicorn on loopback, over a keep-alive client.

    .venv/bin/python benchmarks/api.py [--data-dir DIR] [--requests 200] [--workers 1]

Without ``--data-dir`` the seed corpus is ingested into a temporary data dir first. The server
is a separate process (``uvicorn assistant.app:create_app --factory``), so client and server
do not share a GIL. Phases, each ``--requests`` requests on one keep-alive ``httpx.Client``:

* ``healthz``: GET /healthz, the baseline (HTTP + routing + middleware, no work);
* ``ask repeat``: POST /v1/ask cycling through a few questions (query embeddings cached);
* ``ask unique``: every question distinct (a number is appended), so each one is embedded;
* ``doc text``: GET /v1/documents/{id}/text (the text citations point into).

Figures are p50/p95 of per-request wall time, and each p50 as a ratio to the healthz p50
measured in the same run (the machine is shared and noisy, so ratios travel better).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What are the two core tungsten mine projects in Kazakhstan?",
    "How much tungsten ore does the mine plan to process in 2025?",
    "How much will the deep processing complex cost?",
    "How much did demand for photovoltaic tungsten filaments grow?",
    "What is the average grade of the North Katpal deposit?",
    "Who wants the Kazakh tungsten?",
    "Who won the 1998 football world cup?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_seed_index(data_dir: Path) -> None:
    from assistant.ingest.pipeline import ingest
    from assistant.settings import Settings

    report = ingest([ROOT / "corpus"], Settings(data_dir=data_dir))
    print(f"ingested {report.documents} document(s), {report.chunks} chunks into {data_dir} "
          f"in {report.seconds:.1f}s", file=sys.stderr)


def start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "assistant.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT,
    )


def wait_ready(client: httpx.Client, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            ready = client.get("/readyz")
            if ready.status_code == 200:
                return
            if ready.json()["error"]["code"] not in ("starting",):
                raise SystemExit(f"not ready: {ready.json()['error']['message']}")
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def measure(n: int, call: Callable[[int], httpx.Response]) -> list[float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        response = call(i)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"request failed: {response.status_code} {response.text[:300]}")
        times.append(elapsed * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a prebuilt index (default: seed corpus)")
    parser.add_argument("--requests", type=int, default=200, help="requests per phase")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "data"
            build_seed_index(data_dir)
        port = free_port()
        process = start_server(data_dir, port, args.workers)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                wait_ready(client, process, timeout=300)
                docs = client.get("/v1/documents").json()["documents"]
                doc_id = max(docs, key=lambda d: d["chars"])["id"]
                for question in QUESTIONS:  # warm-up: first calls, caches, allocator
                    client.post("/v1/ask", json={"question": question})
                n = args.requests
                phases = {
                    "healthz": measure(n, lambda i: client.get("/healthz")),
                    "ask repeat": measure(n, lambda i: client.post(
                        "/v1/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})),
                    "ask unique": measure(n, lambda i: client.post(
                        "/v1/ask",
                        json={"question": f"{QUESTIONS[i % len(QUESTIONS)]} ({i + 1})"})),
                    "doc text": measure(n, lambda i: client.get(f"/v1/documents/{doc_id}/text")),
                }
                memory = server_memory(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)

    base = statistics.median(phases["healthz"])
    print(f"{len(docs)} document(s), {n} requests per phase, {args.workers} worker(s), "
          f"keep-alive httpx client, uvicorn on 127.0.0.1")
    print(f"{'phase':<12} {'p50 ms':>9} {'p95 ms':>9} {'p50 / healthz p50':>19}")
    for name, times in phases.items():
        p50 = statistics.median(times)
        print(f"{name:<12} {p50:>9.2f} {percentile(times, 0.95):>9.2f} {p50 / base:>19.1f}")
    print(f"server memory: peak RSS {memory['VmHWM'] / 1024:.0f} MiB, "
          f"RSS at the end {memory['VmRSS'] / 1024:.0f} MiB (one process; --workers 1)")


def server_memory(pid: int) -> dict[str, int]:
    """The server process's peak (VmHWM) and current (VmRSS) resident memory, in KiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


if __name__ == "__main__":
    main()
