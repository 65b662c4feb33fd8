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

``--baseline-root DIR`` starts a second server from another checkout (``git archive main |
tar -x -C DIR``) on the same data dir; every request goes to one server then the other, so
both meet the same load, and the ratios this / baseline come from one run.
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


def start_server(data_dir: Path, port: int, workers: int,
                 root: Path = ROOT) -> subprocess.Popen[bytes]:
    """uvicorn serving the code under ``root`` (this checkout, or a baseline's)."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "PYTHONPATH": str(root)}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "assistant.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"],
        env=env, cwd=root,
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


def measure(n: int, calls: dict[str, Callable[[int], httpx.Response]]) -> dict[str, list[float]]:
    """``n`` requests to each server, alternating request by request so all meet the same
    machine load; per-request wall times in ms by server."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for i in range(n):
        for name, call in calls.items():
            started = time.perf_counter()
            response = call(i)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")
            times[name].append(elapsed * 1000)
    return times


def run_phases(clients: dict[str, httpx.Client], n: int,
               doc_id: str) -> dict[str, dict[str, list[float]]]:
    """Each phase's times by server."""
    def ask(question: Callable[[int], str]) -> dict[str, Callable[[int], httpx.Response]]:
        return {name: (lambda i, c=c: c.post("/v1/ask", json={"question": question(i)}))
                for name, c in clients.items()}

    def get(path: str) -> dict[str, Callable[[int], httpx.Response]]:
        return {name: (lambda i, c=c: c.get(path)) for name, c in clients.items()}

    return {
        "healthz": measure(n, get("/healthz")),
        "ask repeat": measure(n, ask(lambda i: QUESTIONS[i % len(QUESTIONS)])),
        "ask unique": measure(n, ask(lambda i: f"{QUESTIONS[i % len(QUESTIONS)]} ({i + 1})")),
        "doc text": measure(n, get(f"/v1/documents/{doc_id}/text")),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a prebuilt index (default: seed corpus)")
    parser.add_argument("--requests", type=int, default=200, help="requests per phase")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--baseline-root", type=Path,
                        help="also serve the code of this checkout (e.g. `git archive main`), "
                             "requests alternating, and print ratios this / baseline")
    args = parser.parse_args()
    roots = {"this": ROOT} | ({"baseline": args.baseline_root} if args.baseline_root else {})
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "data"
            build_seed_index(data_dir)
        servers = {name: start_server(data_dir, port, args.workers, root)
                   for name, root in roots.items() for port in [free_port()]}
        try:
            phases, memory, documents = serve_and_measure(servers, args.requests)
        finally:
            for process in servers.values():
                process.terminate()
                process.wait(timeout=30)
    report(phases, memory, documents, args)


def serve_and_measure(servers: dict[str, subprocess.Popen[bytes]], n: int) -> tuple[
        dict[str, dict[str, list[float]]], dict[str, dict[str, int]], int]:
    """Wait for every server, warm each up, run the phases; also each server's memory."""
    clients = {name: httpx.Client(base_url=f"http://127.0.0.1:{port_of(p)}", timeout=120)
               for name, p in servers.items()}
    try:
        for name, client in clients.items():
            wait_ready(client, servers[name], timeout=300)
        docs = next(iter(clients.values())).get("/v1/documents").json()["documents"]
        doc_id = max(docs, key=lambda d: d["chars"])["id"]
        for client in clients.values():
            for question in QUESTIONS:  # warm-up: first calls, caches, allocator
                client.post("/v1/ask", json={"question": question})
        phases = run_phases(clients, n, doc_id)
        memory = {name: server_memory(p.pid) for name, p in servers.items()}
    finally:
        for client in clients.values():
            client.close()
    return phases, memory, len(docs)


def port_of(process: subprocess.Popen[bytes]) -> str:
    args = [str(a) for a in process.args]  # type: ignore[union-attr]
    return args[args.index("--port") + 1]


def report(phases: dict[str, dict[str, list[float]]], memory: dict[str, dict[str, int]],
           documents: int, args: argparse.Namespace) -> None:
    n = args.requests
    print(f"{documents} document(s), {n} requests per phase, {args.workers} worker(s), "
          f"keep-alive httpx client, uvicorn on 127.0.0.1")
    print(f"{'server':<9} {'phase':<12} {'p50 ms':>9} {'p95 ms':>9} {'p50 / healthz p50':>19}")
    for server in memory:
        base = statistics.median(phases["healthz"][server])
        for name, by_server in phases.items():
            times = by_server[server]
            p50 = statistics.median(times)
            print(f"{server:<9} {name:<12} {p50:>9.2f} {percentile(times, 0.95):>9.2f} "
                  f"{p50 / base:>19.1f}")
    if "baseline" in memory:
        print("this / baseline, alternating requests:")
        for name, by_server in phases.items():
            this, old = by_server["this"], by_server["baseline"]
            print(f"  {name:<12} p50 {statistics.median(this) / statistics.median(old):.2f}x  "
                  f"p95 {percentile(this, 0.95) / percentile(old, 0.95):.2f}x")
    for server, mem in memory.items():
        print(f"{server}: server peak RSS {mem['VmHWM'] / 1024:.0f} MiB, RSS at the end "
              f"{mem['VmRSS'] / 1024:.0f} MiB (one process; --workers 1)")


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
