"""Where state lives under the data dir, and the atomic switch between index generations.

    <data_dir>/
      CURRENT                   name of the generation readers use (replaced atomically)
      generations/<name>/       catalog.sqlite, bm25.npz, bm25.json, chroma/ (embedded mode)
      embeddings.sqlite         embedding cache by chunk-text hash, shared by generations
      conversations.sqlite      the embedded shared-state database (state/): conversations,
                                feedback, bot threads; unused when ASSISTANT_DATABASE_URL is set
      ingest.lock               one ingest at a time

An ingest builds a complete new generation beside the current one and only then replaces
``CURRENT``; a process killed half-way leaves the old generation serving, and its leftover
directory is removed by the next ingest.

A reader holds a *lease* on the generation it loaded: a shared ``flock`` on
``generations/<name>/LEASE``, kept until the loaded index is garbage-collected. An old
generation is removed only under an exclusive lock on that file, so never while any request, in
this process or another worker, still reads it (``DataDir.retire``); a leased one is left for a
later ingest to remove.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import BusyError

LEASE = "LEASE"
COMPLETE = "COMPLETE"


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def generations(self) -> Path:
        return self.root / "generations"

    @property
    def embedding_cache(self) -> Path:
        return self.root / "embeddings.sqlite"

    @property
    def conversations(self) -> Path:
        return self.root / "conversations.sqlite"

    def current(self) -> str | None:
        """The serving generation's name, or None before the first ingest."""
        try:
            name = (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and (self.generations / name).is_dir() else None

    def current_stamp(self) -> float:
        """Modification time of CURRENT (0 when absent): cheap change detection for readers."""
        try:
            return (self.root / "CURRENT").stat().st_mtime_ns / 1e9
        except FileNotFoundError:
            return 0.0

    def path(self, name: str) -> Path:
        return self.generations / name

    def new_generation(self) -> tuple[str, Path]:
        name = time.strftime("g%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
        path = self.generations / name
        path.mkdir(parents=True)
        return name, path

    def commit(self, name: str) -> None:
        """Point readers at generation ``name``: write, fsync, then rename over CURRENT."""
        (self.generations / name / COMPLETE).touch()
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "CURRENT")
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def stale(self, keep: int = 2) -> list[str]:
        """Generations to remove: leftovers of interrupted ingests, and complete ones beyond
        the current one and the ``keep - 1`` newest others (kept for readers still on them)."""
        current = self.current()
        if not self.generations.is_dir():
            return []
        names = sorted((p.name for p in self.generations.iterdir() if p.is_dir()), reverse=True)
        others = [n for n in names if n != current]
        complete = [n for n in others if (self.generations / n / COMPLETE).exists()]
        leftovers = [n for n in others if n not in complete]
        return leftovers + complete[max(0, keep - 1) :]

    def remove(self, name: str) -> None:
        shutil.rmtree(self.generations / name, ignore_errors=True)

    def lease(self, name: str) -> Lease | None:
        """A shared lease on generation ``name``, or None when it is gone (or going)."""
        try:
            fd = os.open(self.generations / name / LEASE, os.O_RDONLY | os.O_CREAT, 0o644)
        except (FileNotFoundError, NotADirectoryError):
            return None
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a retire is deleting it
        if not (self.generations / name / COMPLETE).exists():
            os.close(fd)
            return None
        return Lease(fd)

    def retire(self, name: str) -> bool:
        """Remove generation ``name`` unless a reader holds a lease on it; True if removed."""
        path = self.generations / name
        if not (path / COMPLETE).exists():  # an interrupted build: nobody ever read it
            self.remove(name)
            return True
        try:
            fd = os.open(path / LEASE, os.O_RDONLY | os.O_CREAT, 0o644)
        except (FileNotFoundError, NotADirectoryError):
            return True
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            (path / COMPLETE).unlink(missing_ok=True)  # a reader that waited sees it is gone
            self.remove(name)
            return True
        finally:
            os.close(fd)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the ingest lock; a second ingest fails fast with a clear message."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "ingest.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BusyError(
                    "another ingest is running on this data dir (an upload, a delete or "
                    "`assistant ingest`); wait for it to finish and try again"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class Lease:
    """A shared ``flock`` on a generation's LEASE file; ``release`` is idempotent."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
