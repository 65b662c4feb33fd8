"""Cross-fitted evaluation: every question answered by a selector that never saw it.

``assistant train-selector --folds-out DIR`` writes one selector per fold (and one for the
held-out groups) with ``folds.json``: for each training source, its suite file (path and a
digest of its bytes) and which fold holds each item. ``assistant eval --cross-fit DIR`` answers
each item with the selector of its fold, so the accuracy it prints is out-of-fold. A suite is
recognised by its path or, moved or in another checkout, by its content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CrossFitError
from ..settings import REPO_ROOT

if TYPE_CHECKING:
    from ..answer.selector import Selector

FOLDS_FILE = "folds.json"


class CrossFit:
    """Which selector answers which item."""

    def __init__(self, directory: Path) -> None:
        try:
            raw = json.loads((directory / FOLDS_FILE).read_text(encoding="utf-8"))
            self._suites = {str(Path(p).resolve()): name for name, p in raw["suites"].items()}
            self._digests = {str(d): name for name, d in raw.get("digests", {}).items()}
            self._items: dict[str, dict[str, str]] = raw["items"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CrossFitError(
                f"{directory}: not a cross-fit directory ({exc}); write one with "
                "`assistant train-selector --folds-out DIR`"
            ) from None
        self.directory = directory
        self._loaded: dict[str, Selector] = {}

    def fold(self, suite_path: str, item_id: str) -> str:
        """The fold (``fold-<k>`` or ``holdout``) whose selector never saw ``item_id``."""
        resolved = str(Path(suite_path).resolve())
        name = self._suites.get(resolved)
        if name is None and self._digests:  # moved, or another checkout: known by content
            name = self._digests.get(suite_digest(Path(suite_path)))
            if name is not None:
                self._suites[resolved] = name
        if name is None:
            known = ", ".join(sorted(_shown(p) for p in self._suites))
            raise CrossFitError(f"{suite_path} was not part of this training (suites: {known})")
        fold = self._items.get(name, {}).get(item_id)
        if fold is None:
            raise CrossFitError(f"item {item_id!r} of {suite_path} is in no fold; retrain with "
                                "`assistant train-selector --folds-out`")
        return fold

    def selector(self, suite_path: str, item_id: str) -> Selector:
        from ..answer.selector import load_selector

        fold = self.fold(suite_path, item_id)
        if fold not in self._loaded:
            self._loaded[fold] = load_selector(self.directory / fold)
        return self._loaded[fold]


def suite_digest(path: Path) -> str:
    """SHA-256 of a suite file's bytes ("" when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _shown(path: str) -> str:
    try:
        return str(Path(path).relative_to(REPO_ROOT))
    except ValueError:
        return path
