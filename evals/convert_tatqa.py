"""Build an evaluation suite and its corpus from TAT-QA's dev set (text-span questions).

TAT-QA (Zhu et al., ACL 2021), licence CC BY 4.0. The data is read from ../shared/data
(never copied into the repository); the output goes under ``--out`` (default ``evals/data/``,
which git ignores):

    <out>/tatqa/corpus/       one .txt document per context (its paragraphs, in order), with
                              corpus.yaml (doc_id, title, source); tables are not included
    <out>/tatqa/suite.jsonl   the questions with answer_from == "text" and answer_type == "span":
                              each expects the answer span; evidence is the span as the paragraph
                              words it
    <out>/tatqa/train.jsonl   the other one-span questions whose span the paragraphs hold
                              (answer_from "table-text"): training data for the answer selector
                              only (evals/selector.toml), never an evaluation suite
    <out>/tatqa-tables/corpus/  one Markdown report per context: its paragraphs, then its table
                              (caption rows as a heading, header rows merged), read through the
                              real Markdown loader; same doc ids as tatqa/corpus
    <out>/tatqa-tables/suite.jsonl  the questions with answer_from == "table" and answer_type ==
                              "span" whose answer is one cell of the table

Then: ``ASSISTANT_DATA_DIR=/tmp/idx-tatqa assistant ingest <out>/tatqa/corpus`` and
``ASSISTANT_DATA_DIR=/tmp/idx-tatqa assistant eval <out>/tatqa/suite.jsonl`` (likewise
tatqa-tables).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from converting import SHARED_DATA, fresh, write_jsonl
from converting import main as command_line

DEFAULT_SOURCE = SHARED_DATA / "tatqa" / "tatqa_dataset_dev.json"
SOURCE_NAME = "TAT-QA dev (Zhu et al., 2021; CC BY 4.0)"
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


def context_text(context: dict[str, Any]) -> str:
    """A context's paragraphs in order, separated by blank lines."""
    paragraphs = sorted(context["paragraphs"], key=lambda p: int(p.get("order", 0)))
    return "\n\n".join(p["text"].strip() for p in paragraphs if p["text"].strip())


def is_text_span(question: dict[str, Any]) -> bool:
    return question.get("answer_from") == "text" and question.get("answer_type") == "span"


def answer_span(question: dict[str, Any]) -> str | None:
    answer = question.get("answer")
    if isinstance(answer, list) and answer:
        answer = answer[0]
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        answer = f"{answer:g}"
    return str(answer).strip() if answer is not None and str(answer).strip() else None


def find_evidence(text: str, span: str) -> str | None:
    """``span`` as ``text`` words it (exact casing and spacing), if it occurs there."""
    flat = _SPACE.sub(" ", text)
    needle = _SPACE.sub(" ", span)
    at = flat.lower().find(needle.lower())
    return flat[at:at + len(needle)] if at >= 0 else None


def _item(question: dict[str, Any], text: str, doc_id: str, span: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"tatqa-{question['uid'][:8]}",
        "question": question["question"].strip(),
        "expected": [span],
    }
    evidence = find_evidence(text, span)
    if evidence:
        item["evidence"] = evidence
    item["tags"] = ["tatqa", "number" if _DIGIT.search(span) else "text"]
    item["meta"] = {"uid": question["uid"], "doc_id": doc_id, "scale": question.get("scale", "")}
    return item


def is_training_span(question: dict[str, Any], text: str) -> bool:
    """A one-span question, not a suite one, whose span the paragraphs hold."""
    answer = question.get("answer")
    spans = answer if isinstance(answer, list) else [answer]
    return (not is_text_span(question) and question.get("answer_type") == "span"
            and len(spans) == 1 and find_evidence(text, str(spans[0]).strip()) is not None)


def _cell(value: Any) -> str:
    return _SPACE.sub(" ", str(value)).strip().replace("|", "\\|")


def _filled(row: list[str]) -> int:
    return sum(bool(c) for c in row[1:])


def table_markdown(rows: list[list[str]]) -> str:
    """A TAT-QA table as a Markdown pipe table: leading rows with at most one filled cell are a
    caption (a heading above it); the first row filling most value columns is the header, and
    the rows right after it with an empty first cell and no digit-only value join it (a unit
    row: "", "$m", "$m")."""
    rows = [[_cell(c) for c in row] for row in rows if any(str(c).strip() for c in row)]
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    caption: list[str] = []
    while rows and width > 1 and _filled(rows[0]) * 2 < width - 1:
        caption += [c for c in rows.pop(0) if c]
    if not rows:
        return ""
    header = rows.pop(0)
    while rows and not rows[0][0] and _filled(rows[0]) and not any(
            c.replace(",", "").replace(".", "").isdigit() for c in rows[0]):
        header = [f"{h} {c}".strip() for h, c in zip(header, rows.pop(0), strict=True)]
    lines = [f"## {' '.join(caption)}", ""] if caption else []
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def table_values(rows: list[list[str]]) -> list[str]:
    """The value cells of a table: past its first column, in rows whose first cell names
    them (a header row's years and units are not values)."""
    return [_SPACE.sub(" ", str(c)).strip() for row in rows if str(row[0]).strip()
            for c in row[1:]]


def is_table_span(question: dict[str, Any], cells: list[str]) -> bool:
    """A one-span question answered from the table whose span is one of its value cells (a
    lookup; "which year was largest" answered by a header is a comparison, not asked here)."""
    span = answer_span(question)
    return (question.get("answer_from") == "table" and question.get("answer_type") == "span"
            and span is not None and cells.count(span) >= 1)


def _write_manifest(corpus: Path, manifest: dict[str, dict[str, str]]) -> None:
    header = f"# Generated by evals/convert_tatqa.py from {SOURCE_NAME}.\n"
    (corpus / "corpus.yaml").write_text(
        header + yaml.safe_dump({"documents": manifest}, sort_keys=True, allow_unicode=True),
        encoding="utf-8",
    )


def convert_tables(contexts: list[dict[str, Any]], out: Path) -> dict[str, int]:
    """Write ``out/tatqa-tables``: each context as a Markdown report with its table, and the
    table-span questions; returns counts."""
    base = fresh(out / "tatqa-tables")
    corpus = fresh(base / "corpus")
    manifest: dict[str, dict[str, str]] = {}
    items: list[dict[str, Any]] = []
    for n, context in enumerate(contexts, start=1):
        rows = context["table"]["table"]
        table = table_markdown(rows)
        if not table:
            continue
        doc_id = f"tatqa-{str(context['table']['uid'])[:8]}"
        name = f"{doc_id}.md"
        text = "\n\n".join(filter(None, [context_text(context), table]))
        (corpus / name).write_text(text + "\n", encoding="utf-8")
        manifest[name] = {"doc_id": doc_id, "title": f"TAT-QA report {n}", "source": SOURCE_NAME}
        cells = table_values(rows)
        for question in context["questions"]:
            span = answer_span(question)
            if span is not None and is_table_span(question, cells):
                item = _item(question, "", doc_id, span)
                item.update(id=f"tatqa-table-{question['uid'][:8]}",
                            tags=["tatqa", "table", *item["tags"][1:]])
                items.append(item)
    _write_manifest(corpus, manifest)
    write_jsonl(base / "suite.jsonl", items)
    return {"table_documents": len(manifest), "table_questions": len(items)}


def convert(source: Path, out: Path) -> dict[str, int]:
    """Write the suite and corpus under ``out/tatqa``; returns counts."""
    contexts = json.loads(source.read_text(encoding="utf-8"))
    base = fresh(out / "tatqa")
    corpus = fresh(base / "corpus")
    manifest: dict[str, dict[str, str]] = {}
    items: list[dict[str, Any]] = []
    training: list[dict[str, Any]] = []
    skipped = 0
    for n, context in enumerate(contexts, start=1):
        text = context_text(context)
        uid = str(context["table"]["uid"])
        doc_id = f"tatqa-{uid[:8]}"
        name = f"{doc_id}.txt"
        (corpus / name).write_text(text + "\n", encoding="utf-8")
        manifest[name] = {"doc_id": doc_id, "title": f"TAT-QA report {n}", "source": SOURCE_NAME}
        for question in context["questions"]:
            span = answer_span(question)
            if is_training_span(question, text) and span is not None:
                training.append(_item(question, text, doc_id, span))
            if not is_text_span(question):
                continue
            if span is None:
                skipped += 1
                continue
            items.append(_item(question, text, doc_id, span))
    _write_manifest(corpus, manifest)
    write_jsonl(base / "suite.jsonl", items)
    write_jsonl(base / "train.jsonl", training)
    return {"documents": len(manifest), "questions": len(items), "skipped": skipped,
            "training": len(training), **convert_tables(contexts, out)}


def _describe(out: Path, counts: dict[str, int]) -> str:
    return (
        f"{out / 'tatqa'}: {counts['questions']} questions over {counts['documents']} documents "
        f"({counts['skipped']} without an answer skipped); {counts['training']} more for "
        f"training the selector (train.jsonl); {out / 'tatqa-tables'}: "
        f"{counts['table_questions']} table questions over {counts['table_documents']} reports"
    )


def main(argv: list[str] | None = None) -> int:
    what = "TAT-QA dev JSON"
    return command_line(argv, __doc__ or "", DEFAULT_SOURCE, what, convert, _describe)


if __name__ == "__main__":
    sys.exit(main())
