"""An assistant over a one-document corpus written by a test, and the candidates it gathers for
a question: what the selector's guard tests (off-subject, asks) need, in one place."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.answer.candidates import Candidate, gather_candidates
from assistant.index.loaded import IndexHolder
from assistant.ingest.pipeline import ingest
from assistant.retrieve.hybrid import search
from assistant.service import Assistant
from assistant.settings import Settings


def assistant_over(root: Path, name: str, text: str, embedder) -> Assistant:
    """Ingest ``text`` as ``corpus/<name>`` under ``root`` and serve it."""
    (root / "corpus").mkdir()
    (root / "corpus" / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=root / "data")
    ingest([root / "corpus"], settings, embedder=embedder)
    return Assistant(settings, holder=IndexHolder(settings, embedder))


def candidates_for(assistant: Assistant, question: str) -> tuple[list[Candidate], np.ndarray]:
    """The candidates the answer path gathers for ``question``, and the question's vector."""
    index = assistant.holder.get()
    result = search(index, assistant.holder.embedder, question, top_k_hits=5, candidates=20,
                    rrf_k=60)
    return gather_candidates(index, result.hits), result.query_vector
