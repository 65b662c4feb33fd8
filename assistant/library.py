"""Adding and removing one document through the ingest pipeline, for the HTTP API.

Both build a complete new generation with ``assistant.ingest.pipeline.ingest`` (atomic: readers
keep the old one until ``CURRENT`` switches; ``IndexHolder`` reloads on its next ``get()``).

* add: the upload is copied into ``<data_dir>/staging/`` under a temporary name
  (``<pid>.<replica>-<token>--<doc_id><ext>``, the replica as a short hash of
  ``ASSISTANT_REPLICA``), read by its loader (a refused file goes no further), and ingested as if
  it were ``<data_dir>/uploads/<doc_id><ext>``; only after the ingest commits is it moved there.
  A process killed mid-way leaves only the staged file, and ``sweep()`` at start-up settles it:
  moved into place if the index already holds exactly it, else deleted. Replicas sharing the
  data dir each settle only their own: another machine's pid says nothing here.
* remove: the remaining documents' source files are ingested again with ``prune=True``;
  unchanged files are copied from the current generation by content hash, nothing is re-embedded.

Curated facts files (``facts.yaml``/``facts.csv``) are only found when ``ingest`` walks a
directory, so each run passes copies of the ones beside the indexed documents (and in the corpus
dir) in a staging directory: otherwise a one-file ingest would drop them from the new generation.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import shutil
import tempfile
import threading
import unicodedata
import zlib
from pathlib import Path
from typing import BinaryIO

from .bots.callbacks import CallbackPolicy
from .errors import AssistantError, ConflictError, InputError, NotFoundError, TooLargeError
from .index.embeddings import Embedder
from .index.loaded import IndexHolder
from .ingest.fetch import fetch
from .ingest.loaders import SUPPORTED, load_file, select_loader
from .ingest.pipeline import IngestReport, ingest
from .ingest.sources import CURATED, content_hash, is_doc_id, make_doc_id
from .settings import Settings

UPLOADS = "uploads"
STAGING = "staging"
_CHUNK = 1024 * 1024

log = logging.getLogger(__name__)


def upload_name(filename: str) -> str:
    """The base name of an uploaded file, checked: printable, not hidden, with an extension.

    Raises:
        InputError: a name with control characters, or none at all.
        UnsupportedFileError: a type no loader reads.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InputError(
            f"upload file name {name[:100]!r} contains control or invisible characters; "
            "rename the file"
        )
    if not name or name.startswith(".") or len(name) > 255:
        raise InputError(
            f"upload needs a file name with an extension (at most 255 characters), got "
            f"{filename[:100]!r}"
        )
    select_loader(Path(name))
    return name


class Library:
    """Uploads and deletions of single documents; one at a time per process."""

    def __init__(self, settings: Settings, holder: IndexHolder,
                 fetch_policy: CallbackPolicy | None = None) -> None:
        self.settings = settings
        self.holder = holder
        self.fetch_policy = fetch_policy  # None: resolve and connect as ASSISTANT_FETCH_ALLOW says
        self._lock = threading.Lock()
        self._replica = f"{zlib.crc32(settings.replica.encode()):08x}"

    @property
    def uploads(self) -> Path:
        return Path(self.settings.data_dir) / UPLOADS

    @property
    def staging(self) -> Path:
        return Path(self.settings.data_dir) / STAGING

    @property
    def embedder(self) -> Embedder:
        return self.holder.embedder

    def add(
        self, filename: str, source: BinaryIO, doc_id: str | None = None
    ) -> tuple[str, IngestReport]:
        """Stage, check and ingest one uploaded file; returns its document id and the report.

        Raises:
            UnsupportedFileError: not one of the loaders' types.
            UnreadableFileError: the loader refused it (its message says why).
            TooLargeError: over ``max_upload_bytes``.
            InputError: a bad file name or document id.
        """
        name = upload_name(filename)
        suffix = Path(name).suffix.lower()
        doc_id = doc_id or make_doc_id(Path(name))
        if not is_doc_id(doc_id):
            raise InputError(f"invalid document id {doc_id!r}; pass a doc_id form field")
        target = self.uploads / f"{doc_id}{suffix}"
        with self._lock:
            staged = self._stage(source, doc_id, suffix)
            try:
                # The loader reads it first: its messages name the client's file, not a path.
                load_file(Path(name), staged.read_bytes())
                report = self._ingest([staged], prune=False, stored_as={staged: target})
                mine = [e for e in report.errors if Path(e.path) == staged]
                if mine:
                    raise InputError(mine[0].message.replace(str(staged), name))
                if doc_id in report.added or doc_id in report.replaced:
                    self._place(staged, target)
            finally:
                staged.unlink(missing_ok=True)
        return doc_id, report

    def add_url(self, url: str, doc_id: str | None = None,
                policy: CallbackPolicy | None = None) -> tuple[str, IngestReport]:
        """Fetch ``url`` (``ingest/fetch.py``: checked, pinned, size-limited) and add it as an
        upload named from its path and content type.

        Raises:
            FetchError: refused or failed; and whatever ``add`` raises.
        """
        fetched = fetch(url, self.settings, policy or self.fetch_policy)
        return self.add(fetched.name, io.BytesIO(fetched.data), doc_id)

    def _stage(self, source: BinaryIO, doc_id: str, suffix: str) -> Path:
        """Copy the upload to a staging file, refusing it past ``max_upload_bytes``."""
        self.staging.mkdir(parents=True, exist_ok=True)
        staged = self.staging / (f"{os.getpid()}.{self._replica}-{secrets.token_hex(6)}"
                                 f"--{doc_id}{suffix}")
        limit = self.settings.max_upload_bytes
        size = 0
        with open(staged, "wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    out.close()
                    staged.unlink(missing_ok=True)
                    raise TooLargeError(
                        f"the file is over {limit} bytes, the upload limit "
                        "(ASSISTANT_MAX_UPLOAD_BYTES)"
                    )
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        return staged

    def _place(self, staged: Path, target: Path) -> None:
        """Move a committed upload into place; other types of the same id are removed."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        stem = target.name[: -len(target.suffix)]
        for sibling in self.uploads.glob(f"{stem}.*"):
            if sibling != target and sibling.suffix.lower() in SUPPORTED:
                sibling.unlink(missing_ok=True)

    def sweep(self) -> list[str]:
        """Settle uploads a killed process left staged; returns what was done, for the log.

        A staged file whose process still runs (another worker's upload), or that another
        replica staged (it settles its own when it starts), is left alone. One
        the current index already records as ``uploads/<doc_id><ext>`` with the same content
        hash was committed before the kill: it is moved into place. Any other is deleted.
        """
        if not self.staging.is_dir():
            return []
        done: list[str] = []
        with self._lock:
            for staged in sorted(self.staging.iterdir()):
                head, _, rest = staged.name.partition("--")
                pid, _, replica = head.split("-", 1)[0].partition(".")
                if not rest or (replica and replica != self._replica):  # another replica's
                    continue
                if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
                    continue
                target = self.uploads / rest
                if self._committed(staged, target):
                    self._place(staged, target)
                    done.append(f"moved {rest} into uploads/ (its ingest had committed)")
                else:
                    staged.unlink(missing_ok=True)
                    done.append(f"removed the unfinished upload {rest}")
        return done

    def _committed(self, staged: Path, target: Path) -> bool:
        try:
            documents = self.holder.get().documents
        except AssistantError:
            return False
        doc = documents.get(make_doc_id(target))
        return (doc is not None and doc.path == str(target)
                and doc.content_hash == content_hash(staged.read_bytes(), {}))

    def remove(self, doc_id: str) -> IngestReport:
        """Build a generation without ``doc_id``; an uploaded file is deleted as well.

        Raises:
            NotFoundError: no such document.
            ConflictError: the other documents' source files are gone, it is the last one, or
                a curated facts file refers to it.
        """
        with self._lock:
            index = self.holder.get()
            if doc_id not in index.documents:
                raise NotFoundError(f"no document {doc_id!r}; GET /v1/documents lists them")
            remaining = [d for d in index.documents.values() if d.doc_id != doc_id]
            if not remaining:
                raise ConflictError(
                    f"{doc_id!r} is the only document; an index needs at least one. Upload "
                    "another document first"
                )
            missing = [d.doc_id for d in remaining if not d.path or not Path(d.path).is_file()]
            if missing:
                raise ConflictError(
                    "cannot rebuild the index without this document: the source files of "
                    f"{', '.join(missing[:5])} are no longer on disk. Re-ingest the corpus with "
                    "`assistant ingest --prune` instead"
                )
            try:
                report = self._ingest([Path(d.path) for d in remaining if d.path], prune=True)
            except InputError as exc:  # e.g. a curated facts row still names this document
                raise ConflictError(f"cannot remove {doc_id!r}: {exc.message}") from None
            gone = index.documents[doc_id].path
            if gone and Path(gone).parent.resolve() == self.uploads.resolve():
                Path(gone).unlink(missing_ok=True)
        return report

    def _ingest(self, paths: list[Path], prune: bool,
                stored_as: dict[Path, Path] | None = None) -> IngestReport:
        with tempfile.TemporaryDirectory(prefix="assistant-curated-") as stage:
            curated = self._stage_curated(Path(stage))
            return ingest([*paths, *curated], self.settings, prune=prune, embedder=self.embedder,
                          stored_as=stored_as)

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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
