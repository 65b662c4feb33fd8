"""Which files an ingest run reads: discovery, manifests, document ids and content hashes.

The first step of the ingest path. A directory is walked (hidden files skipped); a
``corpus.yaml`` beside files gives their metadata; ``facts.yaml``/``facts.csv`` are curated
facts, set aside for the catalog. Each readable file becomes a :class:`Source` whose
``content_hash`` decides whether it must be processed again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError

# Bump when cleaning, splitting, chunking or fact extraction changes, so documents re-ingest.
PIPELINE_VERSION = "6"
MANIFEST = "corpus.yaml"
CURATED = ("facts.yaml", "facts.yml", "facts.csv")
# Starts and ends with a letter or digit: ``make_doc_id`` strips the others from the ends, so an
# id like "notes-" would be stored as "notes". Matched whole (``fullmatch``: no "\n" at the end).
DOC_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,126}[a-z0-9])?$"
DOC_ID_RE = re.compile(DOC_ID_PATTERN)


@dataclass(frozen=True)
class FileError:
    """A file an ingest run refused, and why, in words for the person who gave it."""

    path: str
    message: str


@dataclass(frozen=True)
class Source:
    """One file's bytes and identity, read once."""

    path: Path  # where the bytes are read
    recorded: Path  # the path the document records (its upload's final place)
    doc_id: str
    meta: dict[str, Any]
    content_hash: str
    data: bytes


def make_doc_id(path: Path) -> str:
    """A document id from a file name: lower-case, safe characters only."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower())[:128].strip("-._")
    return slug or "doc"


def is_doc_id(doc_id: str) -> bool:
    """Whether ``doc_id`` is a well-formed document id, exactly as it would be stored."""
    return DOC_ID_RE.fullmatch(doc_id) is not None


def content_hash(data: bytes, meta: dict[str, Any]) -> str:
    """What a document's ``content_hash`` is for these bytes and manifest entry."""
    h = hashlib.sha256(data)
    h.update(json.dumps(meta, sort_keys=True, default=str).encode())
    h.update(PIPELINE_VERSION.encode())
    return h.hexdigest()


def curated_hash(paths: Sequence[Path]) -> str:
    """One hash over every curated facts file, so a changed one rebuilds the catalog."""
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    for path in sorted(paths):
        h.update(str(path.name).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def read_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """``directory``'s ``corpus.yaml`` as {file name: metadata}; {} when there is none."""
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML ({exc}); fix or remove it") from None
    docs = raw.get("documents", {}) if isinstance(raw, dict) else None
    if not isinstance(docs, dict):
        raise InputError(f"{path}: expected a mapping `documents: {{file name: {{title: …}}}}`")
    return {str(k): dict(v or {}) for k, v in docs.items()}


def discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, dict[str, Any]]], list[Path]]:
    """(file, manifest entry) pairs to ingest, and curated facts files found."""
    files: list[tuple[Path, dict[str, Any]]] = []
    curated: list[Path] = []
    for root in paths:
        if not root.exists():
            raise InputError(f"{root}: no such file or directory")
        if root.is_file():
            files.append((root, read_manifest(root.parent).get(root.name, {})))
            continue
        manifests: dict[Path, dict[str, dict[str, Any]]] = {}
        for path in sorted(root.rglob("*")):
            if not path.is_file() or any(p.startswith(".") for p in path.relative_to(root).parts):
                continue
            if path.name == MANIFEST:
                continue
            if path.name in CURATED:
                curated.append(path)
                continue
            if path.parent not in manifests:
                manifests[path.parent] = read_manifest(path.parent)
            files.append((path, manifests[path.parent].get(path.name, {})))
    return files, curated


def read_sources(
    files: Sequence[tuple[Path, dict[str, Any]]], stored_as: Mapping[Path, Path]
) -> tuple[dict[str, Source], list[FileError]]:
    """Each file read once into a :class:`Source` by doc id; bad ids, clashing ids and
    unreadable files become :class:`FileError`s while the others go on."""
    sources: dict[str, Source] = {}
    errors: list[FileError] = []
    for path, meta in files:
        recorded = stored_as.get(path, path)
        doc_id = str(meta.get("doc_id") or make_doc_id(recorded))
        problem = _id_problem(doc_id, sources)
        if problem:
            errors.append(FileError(str(path), problem))
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            errors.append(FileError(str(path), f"cannot be read ({exc.strerror})"))
            continue
        sources[doc_id] = Source(path, recorded, doc_id, meta, content_hash(raw, meta), raw)
    return sources, errors


def _id_problem(doc_id: str, sources: Mapping[str, Source]) -> str | None:
    if not is_doc_id(doc_id):
        return (
            f"invalid doc_id {doc_id!r} in {MANIFEST}; use lower-case letters, digits, '.', '_' "
            "and '-', starting and ending with a letter or digit"
        )
    if doc_id in sources:
        used = sources[doc_id].path
        return f"doc_id {doc_id!r} is already used by {used}; rename one of the files"
    return None
