"""``assistant train-selector``: fit the answer selector from suites and their corpora."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import AssistantError
from ..settings import REPO_ROOT
from .main import app, err, fail, out

DEFAULT_CONFIG = REPO_ROOT / "evals" / "selector.toml"


def _figures_table(report: object) -> Table:
    from ..training.pipeline import TrainingReport

    assert isinstance(report, TrainingReport)
    table = Table(title="selection, out-of-fold (a candidate holding the answer is chosen)")
    for head in ("source", "questions", "generated", "reachable", "selected", "held out",
                 "held-out selected"):
        table.add_column(head, justify="right")
    for s in report.sources:
        held = "n/a" if s.holdout_selected is None else f"{s.holdout_selected:.1%}"
        table.add_row(escape(s.name), str(s.questions), str(s.generated),
                      f"{s.reachable:.1%}", f"{s.selected:.1%}", str(s.holdout_questions), held)
    return table


@app.command("train-selector")
def train_selector(
    config: Annotated[Path, typer.Argument(help="Training file (TOML): suites and corpora.")] = (
        DEFAULT_CONFIG
    ),
    out_dir: Annotated[Path, typer.Option(
        "--out", help="Where to write the selector (default: the one the package ships).")] = (
        REPO_ROOT / "assistant" / "answer" / "model"
    ),
    folds_out: Annotated[Path | None, typer.Option(
        "--folds-out", help="Also write the fold selectors here, for `assistant eval "
        "--cross-fit`.")] = None,
    work: Annotated[Path | None, typer.Option(
        help="Where the training corpora are indexed (default: <data dir>/training).")] = None,
) -> None:
    """Train the answer selector on suites (evals/selector.toml) and report out-of-fold figures."""
    from ..settings import get_settings
    from ..training.card import write_card
    from ..training.config import read_config
    from ..training.pipeline import train

    settings = get_settings()
    try:
        cfg = read_config(config)
        report = train(cfg, settings, work or settings.data_dir / "training", out_dir,
                       folds_out, say=lambda m: err.print(escape(m), style="dim"))
    except AssistantError as exc:
        raise fail(exc) from None
    write_card(report, cfg, out_dir)
    out.print(_figures_table(report))
    ece = report.calibration.ece
    out.print(f"calibration (out-of-fold): ECE {ece:.3f}" if ece is not None else "", end=" ")
    out.print(f"· refusal threshold {report.threshold:.3f} · {report.seconds:.0f} s")
    out.print(f"wrote {out_dir} (model card: {out_dir / 'MODEL_CARD.md'})", markup=False)
