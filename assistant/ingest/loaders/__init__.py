"""Loaders: one file in, a ``Page`` out — the stored text every quote points into, plus its
structure (``Block`` per line, ``TableCell`` per table value) with exact offsets.

One module per family of formats; this one maps a file's extension to its loader. An unknown
type is refused with ``UnsupportedFileError`` naming the supported ones; a file its library
cannot open, or with no text, with ``UnreadableFileError`` saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...errors import UnreadableFileError, UnsupportedFileError
from ...types import Page
from .markdown import load_markdown
from .pdf import load_pdf
from .plain import load_text
from .sheets import load_csv, load_xlsx
from .slides import load_pptx
from .web import load_html
from .word import load_docx

Loader = Callable[[Path, bytes], Page]

_LOADERS: dict[str, Loader] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
}
SUPPORTED = tuple(_LOADERS)


def select_loader(path: Path) -> Loader:
    """The loader for ``path``'s type; raises ``UnsupportedFileError`` naming valid types."""
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'!r}; "
            f"supported types are {', '.join(SUPPORTED)}"
        )
    return loader


def load_file(path: Path, data: bytes | None = None) -> Page:
    """Read one file (or its ``data``, already read) into a ``Page``."""
    loader = select_loader(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFileError(f"{path}: cannot be read ({exc.strerror})") from None
    return loader(path, data)
