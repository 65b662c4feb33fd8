"""The selector's model card: what it was trained on, what it reads, how well it does."""

from __future__ import annotations

from pathlib import Path

from ..answer.features import FEATURES
from ..answer.selector import MODEL_DIR
from ..settings import REPO_ROOT
from .config import TrainingConfig
from .fit import RANKER_PARAMS, RANKER_ROUNDS, RANKER_SEEDS
from .pipeline import TrainingReport


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _sources(config: TrainingConfig, report: TrainingReport) -> list[str]:
    lines = ["| source | suite | corpus | grouped by | questions | generated | reachable | "
             "selected (out-of-fold) | held out | held-out selected |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for source, figures in zip(config.sources, report.sources, strict=True):
        held = "n/a" if figures.holdout_selected is None else f"{figures.holdout_selected:.1%}"
        lines.append(
            f"| {source.name} | `{_shown(source.suite)}` | `{_shown(source.corpus)}` | "
            f"{source.group_by} | {figures.questions} | {figures.generated} | "
            f"{figures.reachable:.1%} | {figures.selected:.1%} | {figures.holdout_questions} | "
            f"{held} |"
        )
    return lines


def _reliability(report: TrainingReport) -> list[str]:
    rel = report.calibration
    lines = [f"Expected calibration error of the stated confidence (out-of-fold, "
             f"{rel.count} suite questions): "
             + (f"{rel.ece:.3f}" if rel.ece is not None else "n/a"), "",
             "| probability | questions | mean probability | share right |", "|---|---|---|---|"]
    for b in rel.bins:
        if b.count:
            lines.append(f"| {b.low:.1f}–{b.high:.1f} | {b.count} | {b.confidence:.2f} | "
                         f"{b.accuracy:.2f} |")
    return lines


def write_card(report: TrainingReport, config: TrainingConfig, directory: Path) -> Path:
    """Write ``MODEL_CARD.md`` beside the artefact."""
    target = "the shipped selector" if directory == MODEL_DIR else "this selector"
    lines = [
        "# Answer selector: model card", "",
        f"Trained {report.created} by `assistant train-selector` in {report.seconds:.0f} s; "
        f"{target} was fitted on {report.trained_on} questions (suite and generated).", "",
        "## What it does", "",
        "Given a standalone question and the candidate passages of the retrieved chunks (each "
        "sentence, and each pair of adjacent sentences of a paragraph), it scores the "
        "probability that a candidate answers the question. The builder quotes the most probable "
        "one, or refuses when its probability is under the threshold. See "
        "`assistant/answer/selector.py`.", "",
        "- Type model: logistic regression, question embedding + question word -> the kind of "
        "entity the answer is (spaCy labels, or none).",
        f"- Ranker: LightGBM lambdarank, {RANKER_ROUNDS} rounds, "
        f"{RANKER_PARAMS['num_leaves']} leaves, learning rate {RANKER_PARAMS['learning_rate']}; "
        f"{RANKER_SEEDS} of them, seeded apart, their scores averaged.",
        "- Calibration: logistic regression on the ranker's score, its gap to the question's best "
        "and the candidate's evidence (coverage, missing and absent terms, names other passages "
        "state and it does not, type fit, cosine), "
        "fitted on out-of-fold scores of the suite questions and of each answerable one with "
        "its answering candidates taken away.",
        "- Stated confidence: the quoted candidate's probability through a monotone logistic "
        "map (Platt scaling) fitted out-of-fold on whether it answers; it changes what an answer "
        "says, not what is chosen or refused.",
        f"- Refusal threshold: {report.threshold:.3f}, the out-of-fold probability under which "
        f"{config.false_refusal:.0%} of the answerable questions fall.",
        "- Not learned: a passage about another thing than the one the question names "
        "(`features.off_subject`), and a sentence that only asks a question (`features.asks`), "
        "get probability 0 when the selector runs; the figures "
        "below are the ranker's and calibration's alone, `assistant eval --cross-fit` measures "
        "both.", "",
        "## Data", "",
        "Public data only: the suites below and questions generated from their corpora's own "
        "sentences (`assistant/training/generate.py`). Folds never split a group (questions "
        "about the same document, or one conversation); "
        f"{config.holdout:.0%} of the groups are held out of the cross-validation and scored "
        "by a selector fitted on the rest. The run is reproducible: the same command over the "
        f"same files, seed {config.seed}, writes the same selector (dense search is exact up to "
        "ASSISTANT_DENSE_EXACT_MAX chunks, and LightGBM runs deterministic).", "",
        *_sources(config, report), "",
        "*reachable*: share of answerable questions with a candidate holding the answer at all "
        "(retrieval's ceiling); *selected*: share whose most probable candidate holds it, each "
        f"scored by a selector that never saw its group ({config.folds}-fold). Figures on data "
        "a model was fitted to are not accuracy and are not reported.", "",
        "## Calibration", "", *_reliability(report), "",
        "## Features", "", ", ".join(f"`{f}`" for f in FEATURES), "",
        "## Retrain", "",
        "```sh", "assistant train-selector evals/selector.toml --folds-out evals/models", "```",
        "", "A user's own suite: copy `evals/selector.toml`, add a `[[source]]` for it, train "
        "with `--out DIR`, and point `ASSISTANT_SELECTOR_DIR` at DIR.", "",
    ]
    path = directory / "MODEL_CARD.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
