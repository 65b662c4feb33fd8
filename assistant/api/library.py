"""Adding and removing one document through the ingest pipeline, for the HTTP API.

Both build a complete new generation with ``assistant.ingest.pipeline.ingest`` (atomic: readers
keep the old one until ``CURRENT`` switches; ``IndexHolder`` reloads on its next ``get()``).

* add: the upload is read by its loader in memory first, so a refused file never reaches the
  disk or the index; then it is saved under ``<data_dir>/uploads/`` and ingested (no prune).
* remove: the remaining documents' source files are ingested again with ``prune=True``;
  unchanged files are copied from the current generation by content hash, nothing is re-embedded.

Curated facts files (``facts.yaml``/``facts.csv``) are only found when ``ingest`` walks a
directory, so each run passes copies of the ones beside the indexed documents (and in the corpus
dir) in a staging directory: otherwise a one-file ingest would drop them from the new generation.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

from ..errors import AssistantError, InputError, NotFoundError
from ..index.embeddings import Embedder
from ..index.loaded import IndexHolder
from ..ingest.loaders import SUPPORTED, load_file
from ..ingest.pipeline import CURATED, IngestReport, ingest, make_doc_id
from ..settings import Settings

UPLOADS = "uploads"


class LibraryConflict(AssistantError):
    """The change cannot be made in the index's present state (HTTP 409)."""

    code = "conflict"


class Library:
    """Uploads and deletions of single documents; one at a time per process."""

    def __init__(self, settings: Settings, holder: IndexHolder) -> None:
        self.settings = settings
        self.holder = holder
        self._lock = threading.Lock()

    @property
    def uploads(self) -> Path:
        return Path(self.settings.data_dir) / UPLOADS

    @property
    def embedder(self) -> Embedder:
        return self.holder.embedder

    def add(
        self, filename: str, data: bytes, doc_id: str | None = None
    ) -> tuple[str, IngestReport]:
        """Save and ingest one uploaded file; returns its document id and the ingest report.

        Raises:
            UnsupportedFileError: not one of the loaders' types.
            UnreadableFileError: the loader refused it (its message says why).
            InputError: a bad file name or document id.
        """
        name = Path(filename.replace("\\", "/")).name.strip()
        if not name or name.startswith("."):
            raise InputError(f"upload needs a file name with an extension, got {filename!r}")
        suffix = Path(name).suffix.lower()
        # Read it with its loader first: the messages name the client's file, not a server path,
        # and a refused file never touches the disk.
        load_file(Path(name), data)
        doc_id = doc_id or make_doc_id(Path(name))
        with self._lock:
            self.uploads.mkdir(parents=True, exist_ok=True)
            target = self.uploads / f"{doc_id}{suffix}"
            previous = target.read_bytes() if target.exists() else None
            _write_atomically(target, data)
            try:
                report = self._ingest([target], prune=False)
            except BaseException:
                _restore(target, previous)
                raise
            mine = [e for e in report.errors if Path(e.path).name == target.name]
            if mine:
                _restore(target, previous)
                raise InputError(mine[0].message.replace(str(target), name))
            for sibling in self.uploads.glob(f"{doc_id}.*"):
                if sibling != target and sibling.suffix.lower() in SUPPORTED:
                    sibling.unlink(missing_ok=True)
        return doc_id, report

    def remove(self, doc_id: str) -> IngestReport:
        """Build a generation without ``doc_id``; an uploaded file is deleted as well.

        Raises:
            NotFoundError: no such document.
            LibraryConflict: the other documents' source files are gone, it is the last one, or
                a curated facts file refers to it.
        """
        with self._lock:
            index = self.holder.get()
            if doc_id not in index.documents:
                raise NotFoundError(f"no document {doc_id!r}; GET /v1/documents lists them")
            remaining = [d for d in index.documents.values() if d.doc_id != doc_id]
            if not remaining:
                raise LibraryConflict(
                    f"{doc_id!r} is the only document; an index needs at least one. Upload "
                    "another document first"
                )
            missing = [d.doc_id for d in remaining if not d.path or not Path(d.path).is_file()]
            if missing:
                raise LibraryConflict(
                    "cannot rebuild the index without this document: the source files of "
                    f"{', '.join(missing[:5])} are no longer on disk. Re-ingest the corpus with "
                    "`assistant ingest --prune` instead"
                )
            try:
                report = self._ingest([Path(d.path) for d in remaining if d.path], prune=True)
            except InputError as exc:  # e.g. a curated facts row still names this document
                raise LibraryConflict(f"cannot remove {doc_id!r}: {exc.message}") from None
            gone = index.documents[doc_id].path
            if gone and Path(gone).parent.resolve() == self.uploads.resolve():
                Path(gone).unlink(missing_ok=True)
        return report

    def _ingest(self, paths: list[Path], prune: bool) -> IngestReport:
        with tempfile.TemporaryDirectory(prefix="assistant-curated-") as stage:
            curated = self._stage_curated(Path(stage))
            return ingest([*paths, *curated], self.settings, prune=prune, embedder=self.embedder)

    def _stage_curated(self, stage: Path) -> list[Path]:
        """Copies of the curated facts files beside indexed documents and in the corpus dir."""
        dirs: list[Path] = [Path(self.settings.corpus_dir)]
        try:
            documents = self.holder.get().documents.values()
        except AssistantError:
            documents = []  # type: ignore[assignment]
        dirs += [Path(d.path).parent for d in documents if d.path]
        found: dict[Path, Path] = {}
        for directory in dirs:
            for name in CURATED:
                path = directory / name
                if path.is_file():
                    found.setdefault(path.resolve(), path)
        if not found:
            return []
        for i, path in enumerate(sorted(found.values())):
            sub = stage / f"{i:03d}"
            sub.mkdir()
            shutil.copyfile(path, sub / path.name)
        return [stage]


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _restore(path: Path, previous: bytes | None) -> None:
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        _write_atomically(path, previous)
