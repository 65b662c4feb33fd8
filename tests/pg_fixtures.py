"""A real PostgreSQL for the tests: Debian's server binaries, a throw-away cluster in a temporary
directory, listening on 127.0.0.1 and a free port only, stopped at the end of the session.

Loaded as a plugin (``pytest_plugins = ["pg_fixtures"]``). PostgreSQL refuses to run as root,
so under root the cluster belongs to ``nobody``. ``make test`` installs Debian's
``postgresql`` when its binaries are missing; without them the tests fail and say so.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

USER = "assistant"


def postgres_bin() -> Path:
    """The newest installed server's bin directory (/usr/lib/postgresql/<major>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    if found:
        return found[-1].parent
    on_path = shutil.which("postgres")
    if on_path:
        return Path(on_path).parent
    pytest.fail("PostgreSQL's server is missing: apt-get install -y postgresql (make test does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_unprivileged(root: Path) -> dict[str, Any]:
    """subprocess arguments that run the server as ``nobody`` when we are root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    os.chown(root, nobody.pw_uid, nobody.pw_gid)
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def _wait_accepting(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start: "
                                   + log.read_text(errors="replace")[-2000:]) from None
            time.sleep(0.1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A running server; yields its base URL (no database name)."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
    run_as = _as_unprivileged(root)
    data, log = root / "data", root / "server.log"
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
                    "-E", "UTF8", "--no-locale", "--no-sync"],
                   check=True, cwd=root, capture_output=True, **run_as)
    port = _free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            cwd=root, stdout=out, stderr=subprocess.STDOUT, **run_as,
        )
    base = f"postgresql://{USER}@127.0.0.1:{port}"
    try:
        _wait_accepting(base + "/postgres", process, log)
        yield base
    finally:
        process.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, then stop
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def create_database(base: str) -> str:
    """A new, empty database on the server at ``base``; its URL."""
    import psycopg

    name = "t_" + secrets.token_hex(6)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


@pytest.fixture()
def postgres_url(postgres_server: str) -> str:
    """A fresh database for one test."""
    return create_database(postgres_server)
