"""Hand-written facts: a YAML list or a CSV file, anchored in the documents they describe.

A team that knows a figure better than the extractor writes it down in ``facts.yaml`` or
``facts.csv`` beside the corpus. Each row names its document and, ideally, the literal as it
appears there; the literal is found in the cleaned text (first whole-word occurrence) to give
exact offsets and the enclosing sentence, and missing value, unit or kind are parsed from it.
Every problem is an ``InputError`` naming the file, the row and the fix.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, UnreadableFileError
from ..text.quantities import find_quantities, parse_quantity
from ..types import Fact, Quantity, Sentence, Span
from .sentences import split_sentences

KEYS = ("doc_id", "subject", "attribute", "text", "value", "low", "high", "unit", "kind", "note")
KINDS = ("quantity", "currency", "percent", "temperature", "count", "year", "date", "number")


@dataclass(frozen=True)
class _Anchor:
    """Where a row's literal stands in its document, and the quantity read from it."""

    start: int | None = None
    end: int | None = None
    sentence: Span | None = None
    parsed: Quantity | None = None


def load_curated_facts(
    path: Path,
    documents: Mapping[str, str],
    sentences: Mapping[str, Sequence[Sentence]] | None = None,
) -> list[Fact]:
    """Read hand-written facts from a YAML list or a CSV file with a header.

    Keys: doc_id (required), subject, attribute, text (the literal as it appears in the
    document), value, low, high, unit, kind, note (kept in the file only).

    Args:
        path: the facts file; its name goes into each fact's provenance.
        documents: doc_id -> cleaned text.
        sentences: optional doc_id -> sentences; otherwise sentences are split here.

    Returns:
        Facts with ids ``{doc_id}:c{row}`` and provenance ``curated:{file}#{row}``, rows counted
        from 1 (data rows, not counting a CSV header).

    Raises:
        InputError: an unknown doc_id, a literal not found, a bad number or kind, an unknown
            key; the message names the file, the row and the fix.
    """
    spans: dict[str, list[Span]] = {
        doc_id: [Span(s.start, s.end) for s in found] for doc_id, found in (sentences or {}).items()
    }
    facts: list[Fact] = []
    for n, row in enumerate(_read_rows(path), start=1):
        where = f"curated facts file {path.name}, row {n}"
        doc_id = _doc_id(where, row, documents)
        if doc_id not in spans:
            spans[doc_id] = split_sentences(documents[doc_id])
        anchor = _anchor(where, row, doc_id, documents[doc_id], spans[doc_id])
        facts.append(_curated_fact(where, row, f"{doc_id}:c{n}", doc_id, anchor, path.name, n))
    return facts


def _doc_id(where: str, row: Mapping[str, Any], documents: Mapping[str, str]) -> str:
    unknown = sorted(str(k) for k in row if k not in KEYS)
    if unknown:
        raise InputError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(KEYS)}"
        )
    doc_id = str(row.get("doc_id") or "").strip()
    if not doc_id:
        raise InputError(f"{where}: doc_id is missing; give the id of an ingested document")
    if doc_id not in documents:
        known = ", ".join(sorted(documents)[:5]) or "none are ingested"
        raise InputError(
            f"{where}: unknown doc_id {doc_id!r}; use the id of an ingested "
            f"document (e.g. {known}) or ingest that document first"
        )
    return doc_id


def _anchor(
    where: str, row: Mapping[str, Any], doc_id: str, doc_text: str, spans: Sequence[Span]
) -> _Anchor:
    literal = str(row["text"]) if row.get("text") is not None else ""
    if not literal:
        return _Anchor()
    start = _locate(doc_text, literal)
    if start is None:
        raise InputError(
            f"{where}: text {literal!r} is not in document {doc_id!r}; copy it exactly "
            "from the document's cleaned text (GET /v1/documents/{id}/text), or leave "
            "text empty and give value and unit"
        )
    end = start + len(literal)
    sentence = next((s for s in spans if s.start <= start and end <= s.end), None)
    offset = sentence.start if sentence else 0
    context = doc_text[sentence.start : sentence.end] if sentence else doc_text
    inside = (
        q for q in find_quantities(context) if start <= q.start + offset and q.end + offset <= end
    )
    return _Anchor(start, end, sentence, next(inside, None) or parse_quantity(literal))


def _curated_fact(
    where: str,
    row: Mapping[str, Any],
    fact_id: str,
    doc_id: str,
    anchor: _Anchor,
    file_name: str,
    n: int,
) -> Fact:
    value, low, high = _values(where, row, anchor.parsed)
    unit, kind, iso = _unit_kind(where, row, anchor.parsed, value)
    literal = str(row["text"]) if row.get("text") else ""
    return Fact(
        fact_id=fact_id,
        doc_id=doc_id,
        text=literal or _format_value(value, low, high, unit),
        start=anchor.start,
        end=anchor.end,
        sentence_start=anchor.sentence.start if anchor.sentence else None,
        sentence_end=anchor.sentence.end if anchor.sentence else None,
        kind=kind,
        value=value,
        low=low,
        high=high,
        unit=unit,
        subject=str(row.get("subject") or ""),
        attribute=str(row.get("attribute") or ""),
        provenance=f"curated:{file_name}#{n}",
        iso=iso,
    )


def _values(
    where: str, row: Mapping[str, Any], parsed: Quantity | None
) -> tuple[float | None, float, float]:
    """(value, low, high) from the row, else from the literal's quantity."""
    value, low, high = (_number(where, row, k) for k in ("value", "low", "high"))
    if value is None and low is None and high is None:
        if parsed is None:
            raise InputError(
                f"{where}: no value; give value (or low and high) and unit, "
                "or a text literal containing the number"
            )
        return parsed.value, parsed.low, parsed.high
    if value is not None:
        low = value if low is None else low
        high = value if high is None else high
    if low is None or high is None:
        raise InputError(f"{where}: a range needs both low and high")
    if low > high:
        raise InputError(f"{where}: low {low} is greater than high {high}; swap them")
    return value, low, high


def _unit_kind(
    where: str, row: Mapping[str, Any], parsed: Quantity | None, value: float | None
) -> tuple[str, str, str | None]:
    """(unit, kind, ISO date) from the row, else from the literal's quantity."""
    unit = str(row["unit"]) if row.get("unit") is not None else (parsed.unit if parsed else "")
    if row.get("kind"):
        kind = str(row["kind"])
    else:
        kind = parsed.kind if parsed and parsed.unit == unit else _kind_for(unit)
    if kind not in KINDS:
        raise InputError(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    iso = parsed.iso if parsed and parsed.kind == kind else None
    if iso is None and kind == "year" and value is not None:
        iso = str(int(value))
    return unit, kind, iso


def _read_rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise InputError(
            f"curated facts file {path.name}: unsupported type {suffix or '(none)'!r}; "
            "use .yaml, .yml or .csv"
        )
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputError(f"curated facts file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFileError(f"curated facts file {path.name} cannot be read: {exc}") from exc
    return _csv_rows(path, raw) if suffix == ".csv" else _yaml_rows(path, raw)


def _csv_rows(path: Path, raw: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(raw.splitlines())
    if "doc_id" not in (reader.fieldnames or []):
        raise InputError(
            f"curated facts file {path.name}: the header has no doc_id column; the first "
            f"line must name the columns, from: {', '.join(KEYS)}"
        )
    return [{k: (v if v not in ("", None) else None) for k, v in row.items()} for row in reader]


def _yaml_rows(path: Path, raw: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise UnreadableFileError(
            f"curated facts file {path.name} is not valid YAML: {exc}"
        ) from exc
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InputError(
            f"curated facts file {path.name}: expected a YAML list of mappings, one per fact, "
            f"with keys from: {', '.join(KEYS)}"
        )
    return data


def _number(where: str, row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(f"{where}: {key} must be a number, not {value!r}")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", "").replace("_", "").strip())
    except ValueError:
        raise InputError(
            f"{where}: {key} {value!r} is not a number; write it like 2400000 or 2.4e6"
        ) from None


def _locate(doc_text: str, literal: str) -> int | None:
    pattern = re.escape(literal)
    if literal[:1].isalnum():
        pattern = r"(?<![\w.])" + pattern
    if literal[-1:].isalnum():
        pattern += r"(?![^\W_])"
    m = re.search(pattern, doc_text)
    return m.start() if m else None


def _kind_for(unit: str) -> str:
    if unit == "%" or unit in ("pp", "bp"):
        return "percent"
    if unit in ("°C", "°F"):
        return "temperature"
    if unit in ("count", "year", "date"):
        return unit
    if unit.split("/")[0].isupper() and len(unit.split("/")[0]) == 3:
        return "currency"
    return "quantity" if unit else "number"


def _format_value(value: float | None, low: float, high: float, unit: str) -> str:
    amount = f"{value:g}" if value is not None else f"{low:g}-{high:g}"
    return f"{amount} {unit}".strip()
