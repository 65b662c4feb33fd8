"""With ``assistant serve --workers 2``, /metrics is the sum over both workers (issue 13, item
3): every scrape, whichever worker answers it, counts every request either worker served."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.slow

REQUESTS = 30
LINE = re.compile(
    r'^assistant_http_requests_total\{method="GET",route="/v1/documents",status="200"\} (\S+)$',
    re.MULTILINE,
)


def test_metrics_are_summed_over_workers(api_settings: Any, tmp_path: Path) -> None:
    from api_fixtures import copy_index, free_port, wait_ready

    settings = copy_index(api_settings, tmp_path / "data")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(settings.data_dir),
           "ASSISTANT_REPLICA": "replica-a"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cli = Path(sys.executable).with_name("assistant")
    server = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(url, server)
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them over workers
            assert httpx.get(url + "/v1/documents", timeout=30).status_code == 200
        counts = []
        for _ in range(6):
            text = httpx.get(url + "/metrics", timeout=30).text
            found = LINE.search(text)
            assert found, text[:2000]
            counts.append(float(found.group(1)))
        assert counts == [REQUESTS] * len(counts)
        # The replica's name, once (the workers' samples folded by "max"), for joins.
        assert text.count('assistant_replica_info{replica="replica-a"} 1.0') == 1, text[:2000]
        samples = list((settings.data_dir / "metrics").glob("serve-replica-a-*/*.db"))
        assert len({p.name.split("_")[-1] for p in samples}) >= 2  # one file set per worker pid
    finally:
        server.terminate()
        server.wait(timeout=60)
