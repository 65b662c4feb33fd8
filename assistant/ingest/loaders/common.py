"""What every loader shares: decoding text files, refusing empty ones, judging titles."""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import UnreadableFileError
from ...types import Page

# Titles that tools write when they know none: a browser's blank page, a URL, a file name, a
# word processor's default. Shapes, not a list of documents.
_JUNK_TITLE = re.compile(
    r"^(?:about:\w+|[a-z][\w+.-]*://\S*|\S+\.(?:docx?|pptx?|xlsx?|pdf|html?|txt|md|csv|rtf|odt)"
    r"|untitled(?:\s+document)?|document\d*|presentation\d*|book\d*|slide\s*\d*"
    r"|microsoft (?:word|powerpoint|excel) - .*|title|none|null|-+)$",
    re.IGNORECASE,
)


def is_junk_title(title: str | None) -> bool:
    """Whether a metadata title says nothing about the document ("about:blank", a URL, a file
    name, "Untitled")."""
    text = " ".join((title or "").split())
    return not text or len(text) < 3 or bool(_JUNK_TITLE.match(text))


def good_title(*titles: str | None) -> str | None:
    """The first of ``titles`` that is not junk, on one line."""
    for title in titles:
        if not is_junk_title(title):
            return " ".join(str(title).split())
    return None


def decode(path: Path, data: bytes) -> str:
    """``data`` as UTF-8 text (a BOM is dropped); refuses empty, binary and other encodings."""
    if not data.strip():
        raise UnreadableFileError(f"{path}: the file is empty; there is nothing to ingest")
    if b"\x00" in data[:8192]:
        raise UnreadableFileError(
            f"{path}: looks like a binary file (it contains NUL bytes), not text; "
            "give it the extension of its real type (.pdf, .docx, .xlsx, ...), or remove it "
            "from the corpus"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"{path}: is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it to UTF-8, for example with `iconv -f latin1 -t utf-8`"
        ) from None


def require_text(path: Path, page: Page, what: str) -> Page:
    """``page``, or an error saying ``path`` holds no text (``what`` says where we looked)."""
    if not page.text.strip():
        raise UnreadableFileError(f"{path}: no text found {what}; there is nothing to ingest")
    return page


def broken(path: Path, kind: str, exc: Exception) -> UnreadableFileError:
    """The error for a file its library could not open."""
    return UnreadableFileError(
        f"{path}: is not a readable {kind} file ({exc.__class__.__name__}: "
        f"{str(exc)[:200] or 'no details'}); re-save or re-export it, or remove it from the corpus"
    )
