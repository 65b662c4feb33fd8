"""A short question word meets the corpus's longer forms of it, when the model agrees.

"At what temperature does the alloy melt?" asked of a text that only says "melting point":
"melt" is four letters, too short for the fuzzy vocabulary's shared-stem rule, so it counted as
a word no passage uses and the answer was refused. Ingest now stores, for every short
beginning of a corpus word, the longer words the embedding model reads as the same word.
"""

from __future__ import annotations

import sqlite3

import pytest
from small_corpus import assistant_over, candidates_for

from assistant.answer.question import analyse
from assistant.index.bm25 import FuzzyVocabulary
from assistant.index.layout import DataDir
from assistant.index.loaded import load_index
from assistant.index.variants import read_variants, short_pairs, word_variants
from assistant.ingest.pipeline import ingest
from assistant.service import Assistant
from assistant.settings import Settings

STORY = (
    "Varnite, a rare alloy with the highest melting point (3,100 degrees), is used in the "
    "nozzles of rocket engines.\n\n"
    "The Korvel plant paid for its gasworks with a loan, and its shipping costs rose in 2024.\n"
)


def test_short_beginnings_pair_with_the_longer_words() -> None:
    words = ["melting", "melt", "gasworks", "ship", "shipping", "a1b2", "meltingpoint"]
    pairs = [(short, long) for short, long, _, _ in short_pairs(words)]
    assert ("melt", "melting") in pairs and ("ship", "shipping") in pairs
    assert ("melt", "meltingpoint") not in pairs  # more than five letters longer
    assert all(short.isalpha() and long.startswith(short) for short, long in pairs)


def test_the_model_keeps_forms_of_one_word_and_drops_shared_letters(embedder) -> None:
    variants = word_variants(
        ["melting", "shipping", "gasworks", "payment", "company", "compensation", "provided",
         "provide", "interest", "internet"],
        embedder.embed_documents,
    )
    assert "melting" in dict(variants["melt"])
    assert "shipping" in dict(variants["ship"])
    assert "payment" in dict(variants["pay"])
    assert "gasworks" not in dict(variants.get("gas", ()))
    # the fuzzy vocabulary pairs these by their letters; the model reads them apart
    assert "provide" in dict(variants["provided"])
    assert "compensation" not in dict(variants.get("company", ()))
    assert "internet" not in dict(variants.get("interest", ()))


def test_a_names_spellings_are_kept_by_their_letters(embedder) -> None:
    # one document spells a place "Morpal" and "Morapar": the name's pieces embed apart
    # (cosine 0.29), its letters agree (rapidfuzz 77)
    variants = word_variants(["morpal", "morapar", "company", "compensation"],
                             embedder.embed_documents)
    assert "morapar" in dict(variants["morpal"])
    assert "compensation" not in dict(variants.get("company", ()))


def test_the_fuzzy_vocabulary_keeps_to_the_confirmed_forms() -> None:
    vocab = dict.fromkeys(["company", "compensation", "provided", "provide"], 0)
    raw = FuzzyVocabulary(vocab)
    assert "compensation" in dict(raw.similar("company"))  # letters alone
    fuzzy = FuzzyVocabulary(vocab, {"provided": (("provide", 0.93),)})
    assert fuzzy.similar("company") == ()
    assert fuzzy.similar("provided") == (("provide", 0.93),)
    # a word the corpus never uses is still repaired by its spelling
    assert "provided" in dict(fuzzy.similar("providde"))


def test_variants_read_back_and_older_generations_have_none() -> None:
    assert read_variants('{"melt": [["melting", 0.8]]}') == {"melt": (("melting", 0.8),)}
    assert read_variants(None) is None


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder) -> Assistant:
    return assistant_over(tmp_path_factory.mktemp("variants"), "alloy.txt", STORY, embedder)


def test_a_short_question_word_matches_its_longer_form(assistant: Assistant) -> None:
    index = assistant.holder.get()
    question = "At what temperature does varnite melt?"
    _, vector = candidates_for(assistant, question)
    analysed = analyse(question, index, vector)
    assert "melt" not in analysed.absent
    melting = "A rare alloy with the highest melting point".lower().split()
    assert analysed.matched(frozenset(melting))[analysed.terms.index("melt")]


def test_a_generation_written_before_variants_is_rewritten_once(tmp_path, embedder) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "alloy.txt").write_text(STORY, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    ingest([tmp_path / "corpus"], settings, embedder=embedder)
    data = DataDir(settings.data_dir)
    older = data.current()
    with sqlite3.connect(data.path(older) / "catalog.sqlite") as db:  # as an older version wrote it
        db.execute("DELETE FROM meta WHERE key = 'variants'")
    assert load_index(settings).fuzzy.similar("melt") == ()

    rewritten = ingest([tmp_path / "corpus"], settings, embedder=embedder)
    assert rewritten.generation is not None and rewritten.generation != older
    assert rewritten.embedded == 0  # every text came from the embedding cache
    assert "melting" in dict(load_index(settings).fuzzy.similar("melt"))
    assert ingest([tmp_path / "corpus"], settings, embedder=embedder).generation is None
