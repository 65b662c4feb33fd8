"""What the selector is trained on: suites, the corpora they ask about, how to group them.

A TOML file (``evals/selector.toml`` is the shipped one) lists sources::

    [training]
    folds = 5                 # k of the grouped k-fold cross-validation
    holdout = 0.2             # share of groups never trained on while tuning (reported apart)
    seed = 7
    false_refusal = 0.05      # refusal threshold: at most this share of answerable refused

    [[source]]
    name = "seed"
    suite = "evals/seed.jsonl"
    corpus = "corpus"
    group_by = "item"         # one document: group by conversation
    generate = 0              # generated questions per document (0: none)

Paths are relative to the TOML file's directory's parent (the repository root for the shipped
file), or absolute.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TrainingConfigError

GROUPINGS = ("document", "item")


@dataclass(frozen=True)
class Source:
    name: str
    suite: Path
    corpus: Path
    group_by: str = "document"  # "document": questions answered by one document together
    generate: int = 0  # generated questions per document
    weight: float = 1.0  # weight of each of its questions in the ranker's loss
    generated_weight: float = 0.3  # ... times this for a generated question


@dataclass(frozen=True)
class TrainingConfig:
    sources: tuple[Source, ...]
    folds: int = 5
    holdout: float = 0.2
    seed: int = 7
    false_refusal: float = 0.05


def _source(raw: Any, root: Path, where: str) -> Source:
    if not isinstance(raw, dict):
        raise TrainingConfigError(f"{where}: each [[source]] must be a table")
    missing = [k for k in ("name", "suite", "corpus") if not isinstance(raw.get(k), str)]
    if missing:
        raise TrainingConfigError(f"{where}: a [[source]] needs {', '.join(missing)} (strings)")
    group_by = raw.get("group_by", "document")
    if group_by not in GROUPINGS:
        raise TrainingConfigError(
            f"{where}: group_by = {group_by!r}; choose one of {', '.join(GROUPINGS)}"
        )
    generate = raw.get("generate", 0)
    weight = raw.get("weight", 1.0)
    generated_weight = raw.get("generated_weight", 0.3)
    if not isinstance(generate, int) or generate < 0:
        raise TrainingConfigError(f"{where}: generate must be a whole number >= 0")
    for key, value in (("weight", weight), ("generated_weight", generated_weight)):
        if not isinstance(value, int | float) or value <= 0:
            raise TrainingConfigError(f"{where}: {key} must be a positive number")
    return Source(
        name=raw["name"],
        suite=(root / raw["suite"]).resolve(),
        corpus=(root / raw["corpus"]).resolve(),
        group_by=group_by,
        generate=generate,
        weight=float(weight),
        generated_weight=float(generated_weight),
    )


def read_config(path: Path) -> TrainingConfig:
    """Read and check a training file (see the module docstring).

    Raises:
        TrainingConfigError: the file is missing, not TOML, or a value is out of range.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrainingConfigError(f"{path}: no such training file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TrainingConfigError(f"{path}: cannot be read as TOML ({exc})") from None
    root = path.resolve().parent.parent
    sources = tuple(_source(s, root, str(path)) for s in raw.get("source", []))
    if not sources:
        raise TrainingConfigError(f"{path}: no [[source]] tables; add at least one suite")
    table = raw.get("training", {})
    folds = table.get("folds", 5)
    holdout = table.get("holdout", 0.2)
    if not isinstance(folds, int) or folds < 2:
        raise TrainingConfigError(f"{path}: folds must be a whole number >= 2")
    if not isinstance(holdout, int | float) or not 0 <= holdout < 1:
        raise TrainingConfigError(f"{path}: holdout must be in [0, 1)")
    return TrainingConfig(
        sources=sources,
        folds=folds,
        holdout=float(holdout),
        seed=int(table.get("seed", 7)),
        false_refusal=float(table.get("false_refusal", 0.05)),
    )
