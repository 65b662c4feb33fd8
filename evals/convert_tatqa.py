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

Then: ``ASSISTANT_DATA_DIR=/tmp/idx-tatqa assistant ingest <out>/tatqa/corpus`` and
``ASSISTANT_DATA_DIR=/tmp/idx-tatqa assistant eval <out>/tatqa/suite.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

# ../shared beside the repository (where CI and the developers have it).
DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "tatqa" / "tatqa_dataset_dev.json"
)
DEFAULT_OUT = Path(__file__).resolve().parent / "data"
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


def convert(source: Path, out: Path) -> dict[str, int]:
    """Write the suite and corpus under ``out/tatqa``; returns counts."""
    contexts = json.loads(source.read_text(encoding="utf-8"))
    base = out / "tatqa"
    if base.exists():
        shutil.rmtree(base)
    corpus = base / "corpus"
    corpus.mkdir(parents=True)
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
    header = f"# Generated by evals/convert_tatqa.py from {SOURCE_NAME}.\n"
    (corpus / "corpus.yaml").write_text(
        header + yaml.safe_dump({"documents": manifest}, sort_keys=True, allow_unicode=True),
        encoding="utf-8",
    )
    for name, rows in (("suite.jsonl", items), ("train.jsonl", training)):
        with (base / name).open("w", encoding="utf-8") as f:
            for item in rows:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
    return {"documents": len(manifest), "questions": len(items), "skipped": skipped,
            "training": len(training)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"TAT-QA dev JSON (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output directory (default evals/data/)")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"error: {args.source}: no such file", file=sys.stderr)
        return 2
    counts = convert(args.source, args.out)
    print(f"{args.out / 'tatqa'}: {counts['questions']} questions over "
          f"{counts['documents']} documents ({counts['skipped']} without an answer skipped); "
          f"{counts['training']} more for training the selector (train.jsonl)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
