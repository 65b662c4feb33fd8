"""The CLI's exit codes, one meaning each (README "Exit codes"), from a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from assistant.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def test_serve_on_a_busy_port_has_its_own_code(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port),
                         env={"ASSISTANT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 4, result.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in " ".join(result.stderr.split())


def test_bad_input_and_other_failures(tmp_path: Path) -> None:
    bad = run_cli("serve", "--port", "8000", env={"ASSISTANT_TOP_K": "0"})
    assert bad.returncode == 2 and "invalid settings" in bad.stderr
    missing = run_cli("ingest", str(tmp_path / "nope.txt"),
                      env={"ASSISTANT_DATA_DIR": str(tmp_path / "data")})
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1  # one line, however long the path
    no_index = run_cli("ask", "anything", env={"ASSISTANT_DATA_DIR": str(tmp_path / "data")})
    assert no_index.returncode == 1 and "no index yet" in no_index.stderr
