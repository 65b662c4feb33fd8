"""The answer builder's few remaining tunables, in one frozen object.

What a question wants and which passage answers it are learned (``selector.py``); these values
only shape how a chosen passage is quoted and when two passages disagree. Each says what it does
and how it was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnswerParams:
    # Quoting
    excerpt_words: int = 50  # a passage longer than this is cut to its answering clauses;
    #   the largest that keeps the median answer under 35 words (CONTRACT: answers are short;
    #   seed 33 at 50, ~37 at 55). At 40 the cut dropped the clause that answers (a "why" or
    #   "what" answered by no entity): 50 gained 1 of the 101 TAT-QA training-only questions,
    #   then 8 of the 349 suite questions (docs/evals.md).
    # Related passages shown with a refusal
    related: int = 3  # enough to point somewhere without burying the refusal.
    # Disagreements
    rival_share: float = 0.5  # a disagreeing passage must be at least this likely to answer,
    #   relative to the chosen one; set so RGB's swapped passages (both ~equally likely) are
    #   reported while unrelated figures of one document are not (seed suite, conflict tag).
    near_duplicate: float = 0.5  # token Jaccard above which two sentences tell the same thing.
    same_telling: float = 0.8  # ... and above which, their names and numbers aside, they are one
    #   telling (a swap), not two statements; both from the first builder, kept as they were.


PARAMS = AnswerParams()
