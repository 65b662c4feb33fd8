"""Loaders: one file in, a cleaned ``Page`` out. Supported: .txt, .md, .html/.htm, .pdf.

An unknown or unreadable file is refused with an error naming the file and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..errors import UnreadableFileError, UnsupportedFileError
from ..types import Page
from .clean import clean_page

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise UnreadableFileError(f"{path}: the file is empty; there is nothing to ingest")
    if b"\x00" in data[:8192]:
        raise UnreadableFileError(
            f"{path}: looks like a binary file (it contains NUL bytes), not text; "
            "give it a .pdf name if it is a PDF, or remove it from the corpus"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            f"{path}: is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it to UTF-8, for example with `iconv -f latin1 -t utf-8`"
        ) from None


def _load_text(path: Path, data: bytes) -> Page:
    page = clean_page(_decode(path, data))
    if not page.text.strip():
        raise UnreadableFileError(f"{path}: no text is left after removing page furniture")
    return page


def _load_markdown(path: Path, data: bytes) -> Page:
    page = _load_text(path, data)
    heading = _MD_HEADING.search(page.text)
    if heading and not page.title:
        return Page(page.text, heading.group(1), page.published, page.source, page.url)
    return page


def _load_html(path: Path, data: bytes) -> Page:
    import trafilatura

    html = _decode(path, data)
    text = trafilatura.extract(
        html, output_format="txt", include_comments=False, include_tables=True, favor_recall=True
    )
    if not text or not text.strip():
        raise UnreadableFileError(f"{path}: no main content found in the HTML")
    meta = trafilatura.extract_metadata(html)
    text = re.sub(r"\n{2,}", "\n\n", text.replace("\r\n", "\n")).strip()
    text = re.sub(r"(?<!\n)\n(?!\n)", "\n\n", text)  # trafilatura ends paragraphs with one \n
    title = getattr(meta, "title", None) if meta else None
    page = clean_page(text)
    return Page(
        page.text,
        title or page.title,
        (getattr(meta, "date", None) if meta else None) or page.published,
        (getattr(meta, "sitename", None) or getattr(meta, "author", None) if meta else None)
        or page.source,
        getattr(meta, "url", None) if meta else None,
    )


def _load_pdf(path: Path, data: bytes) -> Page:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise UnreadableFileError(
            f"{path}: is not a readable PDF ({exc.__class__.__name__}: {exc}); "
            "re-export it or remove it from the corpus"
        ) from None
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise UnreadableFileError(
            f"{path}: the PDF has no extractable text (a scan?); run OCR on it first"
        )
    page = clean_page(text)
    title = str(info.title) if info is not None and info.title else None
    return Page(page.text, title or page.title, page.published, page.source, page.url)


_LOADERS: dict[str, Callable[[Path, bytes], Page]] = {
    ".txt": _load_text,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
}


def select_loader(path: Path) -> Callable[[Path, bytes], Page]:
    """The loader for ``path``'s type; raises ``UnsupportedFileError`` naming valid types."""
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileError(
            f"{path}: unsupported file type {path.suffix or '(no extension)'!r}; "
            f"supported types are {', '.join(SUPPORTED)}"
        )
    return loader


def load_file(path: Path, data: bytes | None = None) -> Page:
    """Read and clean one file."""
    loader = select_loader(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFileError(f"{path}: cannot be read ({exc.strerror})") from None
    return loader(path, data)
