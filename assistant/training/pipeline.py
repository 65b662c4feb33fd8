"""``assistant train-selector``: examples in, a fitted selector and honest figures out.

1. Each source's corpus is ingested into its own data dir under ``work`` (incremental).
2. Examples: every suite turn, plus questions generated from the corpus (``generate.py``).
3. A held-out share of the groups is set aside; the rest is cross-validated (grouped k-fold):
   each fold is scored by a selector fitted on the other folds. Those out-of-fold scores give
   the selection accuracy and calibration figures, and calibrate every model.
4. A selector fitted on all non-held-out groups scores the held-out ones (a second, untouched
   figure); the shipped selector is fitted on everything.
5. Written: the selector (``--out``), its model card, and the fold selectors with the item ->
   fold map (``--folds-out``) so ``assistant eval --cross-fit`` can answer every question with
   a selector that never saw it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..answer.selector import Selector, quoted
from ..evals.calibration import Reliability, reliability
from ..index.loaded import IndexHolder
from ..ingest.pipeline import ingest
from ..settings import Settings
from .config import Source, TrainingConfig
from .examples import (
    Example,
    foreign_examples,
    generated_examples,
    made_unanswerable,
    suite_examples,
)
from .fit import (
    CrossValidation,
    Prepared,
    Scored,
    cross_validate,
    finish,
    fit_parts,
    in_holdout,
    prepare,
)

Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class SourceFigures:
    """Out-of-fold selection figures of one source's suite questions."""

    name: str
    questions: int
    answerable: int
    generated: int
    reachable: float  # share of answerable questions with an answering candidate at all
    selected: float  # share of answerable questions whose best candidate answers (out-of-fold)
    holdout_questions: int
    holdout_selected: float | None


@dataclass(frozen=True)
class TrainingReport:
    sources: tuple[SourceFigures, ...]
    calibration: Reliability  # out-of-fold: best candidate's probability against being right
    threshold: float
    seconds: float
    folds: int
    trained_on: int  # questions (suite and generated) the shipped selector was fitted on
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d"))


def _examples(source: Source, settings: Settings, seed: int, say: Progress) -> list[Example]:
    say(f"{source.name}: ingesting {source.corpus}")
    ingest([source.corpus], settings)
    holder = IndexHolder(settings)
    found, groups = suite_examples(source, settings, holder)
    say(f"{source.name}: {len(found)} suite questions")
    if source.generate:
        made = generated_examples(source, settings, holder, groups, seed)
        say(f"{source.name}: {len(made)} generated questions")
        found += made
    return found


FOREIGN = 150  # questions from the other sources asked of each corpus (unanswerable there)


def _foreign(source: Source, config: TrainingConfig, by_source: dict[str, list[Example]],
             settings: Settings) -> list[Example]:
    """Suite questions of sources with another corpus, asked of ``source``'s corpus."""
    import random

    pool = [(e.question.text, e.group) for other in config.sources
            if other.corpus != source.corpus for e in by_source[other.name]
            if not e.generated]
    random.Random(config.seed).shuffle(pool)
    return foreign_examples(source, pool[:FOREIGN], settings, IndexHolder(settings))


def balanced(examples: Sequence[Example]) -> list[Example]:
    """Suite questions weighted so that every source counts as much as the largest one in the
    ranker's loss (a small suite is not drowned by a big one); generated ones keep theirs."""
    counts: dict[str, int] = {}
    for e in examples:
        if not e.generated and not e.made:
            counts[e.source] = counts.get(e.source, 0) + 1
    top = max(counts.values(), default=1)
    return [e if e.generated else replace(e, weight=e.weight * top / counts.get(e.source, top))
            for e in examples]


def corpus_slug(corpus: Path) -> str:
    """The data dir name (under ``work``) of a corpus: sources sharing one share the index."""
    import re

    return re.sub(r"[^\w.-]+", "-", str(corpus.resolve())).strip("-.") or "corpus"


def _selected(item: Prepared, chosen: int) -> bool:
    """Whether the quoted candidate (index ``chosen``, -1 for none) holds the answer."""
    return chosen >= 0 and bool(item.example.answers[chosen])


def _figures(name: str, items: Sequence[Prepared], chosen: Sequence[int],
             held: Sequence[bool]) -> SourceFigures:
    own = [(p, s, h) for p, s, h in zip(items, chosen, held, strict=True)
           if p.example.source == name and not p.example.generated and not p.example.made]
    answerable = [(p, s, h) for p, s, h in own if p.example.answerable]
    inside = [(p, s) for p, s, h in answerable if not h]
    outside = [(p, s) for p, s, h in answerable if h]
    return SourceFigures(
        name=name,
        questions=len(own),
        answerable=len(answerable),
        generated=sum(p.example.source == name and p.example.generated for p in items),
        reachable=float(np.mean([p.example.answers.any() for p, _ in inside]))
        if inside else 0.0,
        selected=float(np.mean([_selected(p, s) for p, s in inside])) if inside else 0.0,
        holdout_questions=len(outside),
        holdout_selected=float(np.mean([_selected(p, s) for p, s in outside]))
        if outside else None,
    )


def training_items(config: TrainingConfig, base: Settings, work: Path,
                   say: Progress = lambda _: None) -> list[Prepared]:
    """Every source's examples (suite, generated, made unanswerable), weighted and with their
    features computed; each corpus is indexed under ``work``."""
    by_source: dict[str, list[Example]] = {}
    settings_of: dict[str, Settings] = {}
    for source in config.sources:
        settings_of[source.name] = base.model_copy(
            update={"data_dir": work / corpus_slug(source.corpus)})
        by_source[source.name] = _examples(source, settings_of[source.name], config.seed, say)
    examples: list[Example] = []
    for source in config.sources:
        own = by_source[source.name]
        foreign = _foreign(source, config, by_source, settings_of[source.name])
        say(f"{source.name}: {len(foreign)} questions about other corpora asked of it")
        examples += own + made_unanswerable(own, foreign)
    say(f"computing features of {len(examples)} questions")
    return prepare(balanced(examples))


def calibrated_folds(cv: CrossValidation, items: Sequence[Prepared], false_refusal: float
                     ) -> list[Selector]:
    """Each fold's selector: its parts, calibrated on the other folds' out-of-fold scores."""
    return [
        finish(parts, [s for s, f in zip(cv.scores, cv.fold, strict=True) if f != k],
               [p for p, f in zip(items, cv.fold, strict=True) if f != k], false_refusal)
        for k, parts in enumerate(cv.parts)
    ]


def train(config: TrainingConfig, base: Settings, work: Path, out: Path,
          folds_out: Path | None = None, say: Progress = lambda _: None) -> TrainingReport:
    """Run the whole training (see the module docstring) and write the artefacts."""
    from ..answer.selector import save_selector

    started = time.perf_counter()
    items = training_items(config, base, work, say)
    held = [in_holdout(p.example.group, config.holdout, config.seed) for p in items]
    inside = [p for p, h in zip(items, held, strict=True) if not h]
    outside = [p for p, h in zip(items, held, strict=True) if h]
    say(f"cross-validating on {len(inside)} questions ({config.folds} folds)")
    cv = cross_validate(inside, config.folds, config.seed)
    fold_selectors = calibrated_folds(cv, inside, config.false_refusal)
    say(f"fitting on all {len(inside)} to score the {len(outside)} held out")
    held_parts = fit_parts(inside, config.folds, config.seed)
    held_selector = finish(held_parts, cv.scores, inside, config.false_refusal)
    outside_scores = [held_parts.scores(p) for p in outside]
    say(f"fitting the shipped selector on all {len(items)}")
    all_scores = _merge(items, held, cv.scores, outside_scores)
    final = finish(fit_parts(items, config.folds, config.seed), all_scores, items,
                   config.false_refusal)
    calibrated = _reliability(final, all_scores, items)
    chosen = _merge(  # each question's quote, by the calibration of a selector that never saw it
        items, held,
        [quoted(fold_selectors[k].calibration, s)[0]
         for s, k in zip(cv.scores, cv.fold, strict=True)],
        [quoted(held_selector.calibration, s)[0] for s in outside_scores])
    report = TrainingReport(
        sources=tuple(_figures(s.name, items, chosen, held) for s in config.sources),
        calibration=calibrated, threshold=final.threshold,
        seconds=time.perf_counter() - started, folds=config.folds, trained_on=len(items),
    )
    save_selector(replace(final, card=report_dict(report)), out)
    if folds_out is not None:
        _save_folds(folds_out, config, inside, cv.fold, fold_selectors, outside, held_selector)
    return report


def _reliability(selector: Selector, scores: Sequence[Scored],
                 items: Sequence[Prepared]) -> Reliability:
    """Out-of-fold reliability of the confidence an answer states (the quoted candidate's
    probability, through ``Selector.stated``), suite questions only."""
    confidences, outcomes = [], []
    for p, s in zip(items, scores, strict=True):
        if p.example.generated or p.example.made:
            continue
        top, probability = quoted(selector.calibration, s)
        confidences.append(selector.stated(probability))
        outcomes.append(p.example.answerable and _selected(p, top))
    return reliability(confidences, outcomes)


def _merge(items: Sequence[Prepared], held: Sequence[bool], inside: Sequence[T],
           outside: Sequence[T]) -> list[T]:
    a, b = iter(inside), iter(outside)
    return [next(b) if h else next(a) for h in held]


def _save_folds(directory: Path, config: TrainingConfig, inside: Sequence[Prepared],
                fold: np.ndarray, selectors: Sequence[object], outside: Sequence[Prepared],
                held_selector: object) -> None:
    from ..answer.selector import Selector, save_selector

    for k, selector in enumerate(selectors):
        assert isinstance(selector, Selector)
        save_selector(selector, directory / f"fold-{k}")
    assert isinstance(held_selector, Selector)
    save_selector(held_selector, directory / "holdout")
    from ..evals.crossfit import suite_digest

    suites = {s.name: str(s.suite) for s in config.sources}
    digests = {s.name: suite_digest(s.suite) for s in config.sources}
    assignment: dict[str, dict[str, str]] = {name: {} for name in suites}
    for p, k in zip(inside, fold, strict=True):
        if not p.example.generated and not p.example.made:
            assignment[p.example.source][p.example.key.split("#")[0]] = f"fold-{k}"
    for p in outside:
        if not p.example.generated and not p.example.made:
            assignment[p.example.source][p.example.key.split("#")[0]] = "holdout"
    payload = {"suites": suites, "digests": digests, "items": assignment}
    (directory / "folds.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")


def report_dict(report: TrainingReport) -> dict[str, object]:
    """The report as JSON-ready data (stored in the artefact as its model card)."""
    from dataclasses import asdict

    return asdict(report)
