"""Evaluation suites (docs/contract.md §2): JSONL in, validated frozen items out.

Every problem is reported as ``file:line: what is wrong``, so a suite author can fix it without
reading this code. A suite file is one JSON object a line; blank lines are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SuiteError

ITEM_KEYS = frozenset({"id", "question", "expected", "evidence", "answerable", "tags", "turns",
                       "meta"})
TURN_KEYS = frozenset({"question", "expected", "evidence", "answerable", "meta"})


@dataclass(frozen=True)
class Turn:
    """One question and how its answer is judged."""

    question: str
    expected: tuple[tuple[str, ...], ...] = ()  # every entry needed; any alternative will do
    evidence: str | None = None
    answerable: bool = True


@dataclass(frozen=True)
class Item:
    """One suite line: a single question, or a conversation of several turns."""

    id: str
    turns: tuple[Turn, ...]
    tags: tuple[str, ...] = ()
    suite: str = ""
    line: int = 0
    conversation: bool = False
    documents: tuple[str, ...] = ()  # meta.doc_id: the documents the item is about, if named


@dataclass(frozen=True)
class Suite:
    path: str
    name: str
    items: tuple[Item, ...]

    @property
    def turn_count(self) -> int:
        return sum(len(item.turns) for item in self.items)


def _fail(where: str, problem: str) -> SuiteError:
    return SuiteError(f"{where}: {problem}")


def _string(value: Any, where: str, field: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _fail(where, f"`{field}` must be a non-empty string, got {json.dumps(value)}")
    return value


def _expected(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list):
        raise _fail(where, "`expected` must be a list of strings (or of lists of alternative "
                    f"strings), got {json.dumps(value)}")
    entries: list[tuple[str, ...]] = []
    for n, entry in enumerate(value, start=1):
        alternatives = entry if isinstance(entry, list) else [entry]
        if not alternatives:
            raise _fail(where, f"`expected` entry {n} is an empty list; give at least one string")
        for alt in alternatives:
            if not isinstance(alt, str) or not alt.strip():
                raise _fail(where, f"`expected` entry {n} must be a non-empty string or a list of "
                            f"them, got {json.dumps(entry)}")
        entries.append(tuple(alternatives))
    return tuple(entries)


def _turn(raw: dict[str, Any], where: str, keys: frozenset[str]) -> Turn:
    unknown = sorted(set(raw) - keys)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(map(repr, unknown))}; "
                    f"known: {', '.join(sorted(keys))}")
    if "question" not in raw:
        raise _fail(where, "`question` is missing")
    question = _string(raw["question"], where, "question")
    answerable = raw.get("answerable", True)
    if not isinstance(answerable, bool):
        raise _fail(where, f"`answerable` must be true or false, got {json.dumps(answerable)}")
    expected = _expected(raw["expected"], where) if "expected" in raw else ()
    evidence = raw.get("evidence")
    if evidence is not None:
        evidence = _string(evidence, where, "evidence")
    if answerable and not expected:
        raise _fail(where, "`expected` is required (a non-empty list) unless `answerable` is false")
    if not answerable and (expected or evidence):
        raise _fail(where, "an `answerable: false` question takes no `expected` or `evidence`")
    meta = raw.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise _fail(where, "`meta` must be an object")
    return Turn(question=question, expected=expected, evidence=evidence, answerable=answerable)


def parse_item(raw: Any, where: str, suite: str = "", line: int = 0) -> Item:
    """One suite line, validated.

    Raises:
        SuiteError: naming ``where`` and the problem.
    """
    if not isinstance(raw, dict):
        raise _fail(where, f"expected a JSON object, got {type(raw).__name__}")
    if "id" not in raw:
        raise _fail(where, "`id` is missing")
    item_id = raw["id"]
    if isinstance(item_id, int) and not isinstance(item_id, bool):
        item_id = str(item_id)
    item_id = _string(item_id, where, "id").strip()
    where = f"{where} (id {item_id!r})"
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise _fail(where, f"`tags` must be a list of non-empty strings, got {json.dumps(tags)}")
    tags = tuple(dict.fromkeys(t.strip() for t in tags))
    unknown = sorted(set(raw) - ITEM_KEYS)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(map(repr, unknown))}; "
                    f"known: {', '.join(sorted(ITEM_KEYS))}")
    documents = _documents(raw.get("meta"))
    if "turns" in raw:
        extra = sorted(set(raw) & (TURN_KEYS - {"meta"}))
        if extra:
            raise _fail(where, f"an item with `turns` puts {', '.join(map(repr, extra))} inside "
                        "each turn, not beside `turns`")
        turns_raw = raw["turns"]
        if not isinstance(turns_raw, list) or not turns_raw:
            raise _fail(where, "`turns` must be a non-empty list of objects")
        turns = []
        for n, t in enumerate(turns_raw, start=1):
            if not isinstance(t, dict):
                raise _fail(f"{where} turn {n}", f"expected a JSON object, got {type(t).__name__}")
            turns.append(_turn(t, f"{where} turn {n}", TURN_KEYS))
        return Item(item_id, tuple(turns), tags, suite, line, conversation=True,
                    documents=documents)
    fields = {k: v for k, v in raw.items() if k in TURN_KEYS}
    return Item(item_id, (_turn(fields, where, TURN_KEYS),), tags, suite, line,
                documents=documents)


def _documents(meta: Any) -> tuple[str, ...]:
    """``meta.doc_id`` (a string or a list of them), the documents an item is about."""
    value = meta.get("doc_id") if isinstance(meta, dict) else None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def load_suite(path: Path | str) -> Suite:
    """Read and validate one JSONL suite.

    Raises:
        SuiteError: the file is missing, unreadable, empty, or a line is invalid (``file:line``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SuiteError(f"{path}: no such suite file") from None
    except IsADirectoryError:
        raise SuiteError(f"{path}: is a directory; give a .jsonl suite file") from None
    except UnicodeDecodeError as exc:
        raise SuiteError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SuiteError(f"{path}: cannot be read ({exc.strerror})") from None
    name = path.parent.name if path.stem == "suite" else path.stem
    items: list[Item] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(where, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        item = parse_item(raw, where, name, number)
        if item.id in seen:
            raise _fail(where, f"duplicate id {item.id!r} (first used on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise SuiteError(f"{path}: the suite has no items (one JSON object a line)")
    return Suite(str(path), name, tuple(items))


def load_suites(paths: Sequence[Path | str]) -> list[Suite]:
    """Several suites; suite names that collide get their index appended."""
    suites = [load_suite(p) for p in paths]
    names: dict[str, int] = {}
    out: list[Suite] = []
    for s in suites:
        n = names.get(s.name, 0)
        names[s.name] = n + 1
        if n:
            renamed = f"{s.name}-{n + 1}"
            items = tuple(
                Item(i.id, i.turns, i.tags, renamed, i.line, i.conversation) for i in s.items
            )
            s = Suite(s.path, renamed, items)
        out.append(s)
    return out
