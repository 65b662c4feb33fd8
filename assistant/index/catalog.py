"""The SQLite catalog of one index generation: documents, sentences, chunks and facts.

Facts are queryable by subject, attribute and value (``query_facts``); names are matched on
their folded form (``assistant.text.tokens.fold``) so case, accents and hyphens don't matter.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..text.entities import Entity
from ..text.tokens import fold
from ..types import Block, Chunk, Document, Fact, Sentence

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, content_hash TEXT NOT NULL,
    path TEXT, source TEXT, published TEXT, url TEXT
);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    PRIMARY KEY (doc_id, ordinal)
);
CREATE TABLE IF NOT EXISTS chunks (
    idx INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks (doc_id, ordinal);
CREATE TABLE IF NOT EXISTS facts (
    fact_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, text TEXT NOT NULL,
    start INTEGER, "end" INTEGER, sentence_start INTEGER, sentence_end INTEGER,
    kind TEXT NOT NULL, value REAL, low REAL NOT NULL, high REAL NOT NULL, unit TEXT NOT NULL,
    subject TEXT NOT NULL, attribute TEXT NOT NULL, provenance TEXT NOT NULL, iso TEXT,
    subject_key TEXT NOT NULL, attribute_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS facts_doc ON facts (doc_id, start);
CREATE INDEX IF NOT EXISTS facts_subject ON facts (subject_key);
CREATE INDEX IF NOT EXISTS facts_value ON facts (low, high);
CREATE TABLE IF NOT EXISTS entities (
    doc_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, label TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entities_doc ON entities (doc_id, start);
CREATE TABLE IF NOT EXISTS blocks (
    doc_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, kind TEXT NOT NULL,
    level INTEGER NOT NULL, tbl INTEGER
);
CREATE INDEX IF NOT EXISTS blocks_doc ON blocks (doc_id, start);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_FACT_COLUMNS = (
    'fact_id, doc_id, text, start, "end", sentence_start, sentence_end, kind, value, low, high, '
    "unit, subject, attribute, provenance, iso"
)


def _key(name: str) -> str:
    return " ".join(fold(name).replace("-", " ").split())


class Catalog:
    """Read and write one generation's ``catalog.sqlite``. Safe to share across threads."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            self._db = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30
            )
        else:
            self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
            self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    # -- writing -------------------------------------------------------------------------

    def add_document(
        self,
        doc: Document,
        sentences: Sequence[Sentence],
        chunks: Sequence[Chunk],
        facts: Sequence[Fact],
        entities: Sequence[Entity] = (),
        blocks: Sequence[Block] = (),
    ) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc.doc_id,
                    doc.title,
                    doc.text,
                    doc.content_hash,
                    doc.path,
                    doc.source,
                    doc.published,
                    doc.url,
                ),
            )
            self._db.executemany(
                "INSERT INTO sentences VALUES (?, ?, ?, ?)",
                [(s.doc_id, s.ordinal, s.start, s.end) for s in sentences],
            )
            self._db.executemany(
                'INSERT INTO chunks (chunk_id, doc_id, ordinal, start, "end", first_sentence, '
                "last_sentence, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.chunk_id,
                        c.doc_id,
                        c.ordinal,
                        c.start,
                        c.end,
                        c.first_sentence,
                        c.last_sentence,
                        c.text,
                    )
                    for c in chunks
                ],
            )
            self._db.executemany(
                "INSERT INTO entities VALUES (?, ?, ?, ?)",
                [(doc.doc_id, e.start, e.end, e.label) for e in entities],
            )
            self._db.executemany(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                [(doc.doc_id, b.start, b.end, b.kind, b.level, b.table) for b in blocks],
            )
        self.add_facts(facts)

    def add_facts(self, facts: Iterable[Fact]) -> None:
        rows = [
            (
                f.fact_id,
                f.doc_id,
                f.text,
                f.start,
                f.end,
                f.sentence_start,
                f.sentence_end,
                f.kind,
                f.value,
                f.low,
                f.high,
                f.unit,
                f.subject,
                f.attribute,
                f.provenance,
                f.iso,
                _key(f.subject),
                _key(f.attribute),
            )
            for f in facts
        ]
        with self._lock, self._db:
            self._db.executemany(
                f"INSERT OR REPLACE INTO facts ({_FACT_COLUMNS}, subject_key, attribute_key) "
                "VALUES (" + ",".join("?" * 18) + ")",
                rows,
            )

    def copy_documents_from(self, other: Path, doc_ids: Sequence[str]) -> None:
        """Copy unchanged documents (and their rows) from another generation's catalog.

        Curated facts (provenance ``curated:…``) are not copied: they are merged anew.
        """
        if not doc_ids:
            return
        with self._lock:
            self._db.execute("ATTACH DATABASE ? AS old", (f"file:{other}?mode=ro",))
            try:
                with self._db:
                    self._db.execute("CREATE TEMP TABLE keep (doc_id TEXT PRIMARY KEY)")
                    self._db.executemany("INSERT INTO keep VALUES (?)", [(d,) for d in doc_ids])
                    for table, cols in (
                        ("documents", "*"),
                        ("sentences", "*"),
                        ("entities", "*"),
                        ("blocks", "*"),
                    ):
                        self._db.execute(
                            f"INSERT INTO {table} SELECT {cols} FROM old.{table} "
                            "WHERE doc_id IN (SELECT doc_id FROM keep)"
                        )
                    self._db.execute(
                        'INSERT INTO chunks (chunk_id, doc_id, ordinal, start, "end", '
                        "first_sentence, last_sentence, text) SELECT chunk_id, doc_id, ordinal, "
                        'start, "end", first_sentence, last_sentence, text FROM old.chunks '
                        "WHERE doc_id IN (SELECT doc_id FROM keep) ORDER BY idx"
                    )
                    self._db.execute(
                        "INSERT INTO facts SELECT * FROM old.facts WHERE doc_id IN "
                        "(SELECT doc_id FROM keep) AND provenance = 'extracted'"
                    )
                    self._db.execute("DROP TABLE temp.keep")
            finally:
                self._db.execute("DETACH DATABASE old")

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        rows = self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    # -- reading -------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def document_hashes(self) -> dict[str, tuple[str, str | None]]:
        """doc_id -> (content hash, source path)."""
        return {
            d: (h, p) for d, h, p in self._rows("SELECT doc_id, content_hash, path FROM documents")
        }

    def documents(self) -> list[Document]:
        """Every document, without loading texts twice (text included)."""
        return [
            Document(*row)
            for row in self._rows(
                "SELECT doc_id, title, text, content_hash, path, source, published, url "
                "FROM documents ORDER BY doc_id"
            )
        ]

    def document_texts(self) -> dict[str, str]:
        return dict(self._rows("SELECT doc_id, text FROM documents"))

    def document(self, doc_id: str) -> Document | None:
        rows = self._rows(
            "SELECT doc_id, title, text, content_hash, path, source, published, url "
            "FROM documents WHERE doc_id = ?",
            (doc_id,),
        )
        return Document(*rows[0]) if rows else None

    def chunks(self) -> list[Chunk]:
        """All chunks in index order (BM25 document ``i`` is ``chunks()[i]``)."""
        return [
            Chunk(*row)
            for row in self._rows(
                'SELECT chunk_id, doc_id, ordinal, start, "end", text, first_sentence, '
                "last_sentence FROM chunks ORDER BY idx"
            )
        ]

    def sentence_texts(self) -> tuple[list[str], dict[str, int]]:
        """Every sentence's text in (doc_id, ordinal) order, and each document's first row.

        Sentence ordinals run 0..n-1 within a document, so sentence ``(d, o)`` is row
        ``base[d] + o``; the ingest stores sentence vectors in this order.
        """
        texts: list[str] = []
        base: dict[str, int] = {}
        for doc_id, text in self._rows("SELECT doc_id, text FROM documents ORDER BY doc_id"):
            base[doc_id] = len(texts)
            spans = self._rows(
                'SELECT start, "end" FROM sentences WHERE doc_id = ? ORDER BY ordinal', (doc_id,)
            )
            texts.extend(text[s:e] for s, e in spans)
        return texts, base

    def sentence_bases(self) -> dict[str, int]:
        """Each document's first sentence row (see ``sentence_texts``)."""
        base: dict[str, int] = {}
        row = 0
        for doc_id, n in self._rows(
            "SELECT d.doc_id, COUNT(s.ordinal) FROM documents d LEFT JOIN sentences s "
            "ON s.doc_id = d.doc_id GROUP BY d.doc_id ORDER BY d.doc_id"
        ):
            base[doc_id] = row
            row += n
        return base

    def iter_chunk_texts(self) -> Iterator[str]:
        for (text,) in self._rows("SELECT text FROM chunks ORDER BY idx"):
            yield text

    def sentences(self, doc_id: str, first: int, last: int, text: str) -> list[Sentence]:
        """Sentences ``first..last`` (inclusive ordinals) of a document, with their text."""
        return [
            Sentence(doc_id, o, s, e, text[s:e])
            for o, s, e in self._rows(
                'SELECT ordinal, start, "end" FROM sentences WHERE doc_id = ? AND ordinal '
                "BETWEEN ? AND ? ORDER BY ordinal",
                (doc_id, first, last),
            )
        ]

    def blocks(self, doc_id: str) -> tuple[Block, ...]:
        """A document's structure (headings, paragraphs, list items, table lines), in order;
        none for a generation written before structure was stored."""
        try:
            rows = self._rows(
                'SELECT start, "end", kind, level, tbl FROM blocks WHERE doc_id = ? '
                "ORDER BY start", (doc_id,))
        except sqlite3.OperationalError:  # an older generation: no blocks table
            return ()
        return tuple(Block(kind, start, end, level, table) for start, end, kind, level, table
                     in rows)

    def facts_between(self, doc_id: str, start: int, end: int) -> list[Fact]:
        """Facts whose literal lies inside ``[start, end)`` of a document."""
        return [
            Fact(*row)
            for row in self._rows(
                f'SELECT {_FACT_COLUMNS} FROM facts WHERE doc_id = ? AND start >= ? AND "end" <= ? '
                "ORDER BY start",
                (doc_id, start, end),
            )
        ]

    def entities_between(self, doc_id: str, start: int, end: int) -> list[Entity]:
        """Named entities inside ``[start, end)`` of a document, in document offsets."""
        return [
            Entity(s, e, label)
            for s, e, label in self._rows(
                'SELECT start, "end", label FROM entities WHERE doc_id = ? AND start >= ? '
                'AND "end" <= ? ORDER BY start',
                (doc_id, start, end),
            )
        ]

    def query_facts(
        self,
        q: str | None = None,
        subject: str | None = None,
        attribute: str | None = None,
        value: float | None = None,
        unit: str | None = None,
        doc_id: str | None = None,
        limit: int = 100,
    ) -> list[Fact]:
        """Facts matching every given filter.

        Args:
            q: words that must all occur in the subject, attribute or literal.
            subject / attribute: a folded substring of the fact's subject / attribute.
            value: a number inside the fact's [low, high].
            unit: exact normalised unit ("t", "USD", "%").
            doc_id: one document.
        """
        where: list[str] = []
        args: list[object] = []
        if subject:
            where.append("subject_key LIKE ?")
            args.append(f"%{_key(subject)}%")
        if attribute:
            where.append("attribute_key LIKE ?")
            args.append(f"%{_key(attribute)}%")
        if value is not None:
            where.append("low <= ? AND high >= ?")
            args.extend(
                [
                    value * (1 + 1e-9) if value >= 0 else value * (1 - 1e-9),
                    value * (1 - 1e-9) if value >= 0 else value * (1 + 1e-9),
                ]
            )
        if unit:
            where.append("unit = ?")
            args.append(unit)
        if doc_id:
            where.append("doc_id = ?")
            args.append(doc_id)
        for word in _key(q or "").split():
            where.append("(subject_key || ' ' || attribute_key || ' ' || lower(text)) LIKE ?")
            args.append(f"%{word}%")
        sql = f"SELECT {_FACT_COLUMNS} FROM facts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY doc_id, start LIMIT ?"
        args.append(limit)
        return [Fact(*row) for row in self._rows(sql, args)]

    def all_facts(self) -> list[Fact]:
        return [
            Fact(*row)
            for row in self._rows(f"SELECT {_FACT_COLUMNS} FROM facts ORDER BY doc_id, start")
        ]

    def counts(self) -> dict[str, int]:
        return {
            table: self._rows(f"SELECT COUNT(*) FROM {table}")[0][0]
            for table in ("documents", "sentences", "chunks", "facts", "entities")
        }
