"""What the public-data converters (convert_rgb.py, convert_tatqa.py) share: where the data
and the output live, writing suites, and the command line."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# ../shared beside the repository (where CI and the developers have it).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OUT = Path(__file__).resolve().parent / "data"


def fresh(path: Path) -> Path:
    """``path`` as an empty directory (what an earlier run wrote there is removed)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """One JSON object a line, UTF-8 kept as it is."""
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(
    argv: list[str] | None,
    doc: str,
    default_source: Path,
    what: str,
    convert: Callable[[Path, Path], dict[str, int]],
    describe: Callable[[Path, dict[str, int]], str],
) -> int:
    """Parse ``--source``/``--out``, convert, print ``describe(out, counts)``; 2 when the source
    file is missing."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--source", type=Path, default=default_source,
                        help=f"{what} (default {default_source})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output directory (default evals/data/)")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"error: {args.source}: no such file", file=sys.stderr)
        return 2
    print(describe(args.out, convert(args.source, args.out)))
    return 0
