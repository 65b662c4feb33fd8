"""The answer builder on the seed: contract invariants and each behaviour with a case that
would fail without it."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.answer.numbers import check_numbers, mask_markers, stated_numbers
from assistant.types import Answer, Citation, Fact

pytestmark = pytest.mark.slow

ANSWERABLE = [
    ("What was global tungsten output in 2024?", ["81,000 tons"]),
    ("What is the average grade of the North Katapar deposit?", ["0.13% - 0.15%"]),
    ("What is the average grade of the North Katappar deposit?", ["0.13% - 0.15%"]),
    ("What is the melting point of tungsten?", ["3410℃"]),
    ("How many exploration permits has Kazakhstan issued since 2018?", ["2,906"]),
    ("When did the United States stop producing tungsten?", ["2015"]),
    ("What are the WO3 reserves of the Baku Ta deposit?", ["231,500 tons"]),
    ("What tariff did the Trump administration add on Chinese tungsten products?", ["25%"]),
    ("How large was the Export-Import Bank loan for the Ima mine?", ["$255 million"]),
    ("Where is Almonty Industries headquartered?", ["Toronto"]),
    ("What share of global tungsten reserves does Kazakhstan hold?", ["20.7%"]),
]
# Questions the corpus has nothing on. Which of the subtler ones (a property the article never
# states of a thing it names) are refused is measured by the seed suite (docs/evals.md), not
# asserted here: that is the selector's calibrated judgement, not a rule.
UNANSWERABLE = [
    "Who is the CEO of Almonty Industries?",
    "How much gold does Peru produce?",
    "What is the population of Brazil?",
    "Who won the 1998 football world cup?",
]


def check_contract(answer: Answer, texts: dict[str, str]) -> None:
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.answer)}
    ids = {c.id for c in answer.citations}
    assert markers == ids, (answer.answer, ids)
    for c in answer.citations:
        assert texts[c.doc_id][c.start : c.end] == c.quote
    # every numeral in the answer is listed, recognised quantity or not
    listed = " ".join(n.text for n in answer.numbers)
    for numeral in re.findall(r"\d+", mask_markers(answer.answer)):
        assert numeral in listed, (numeral, answer.answer)
    stated = stated_numbers(answer.answer)
    assert [q.text for q in stated] == [n.text for n in answer.numbers if n.unit or n.fact_id]
    for n in answer.numbers:
        assert n.status in ("verified", "conflict", "unverified")
    if answer.refused:
        assert not answer.citations and not answer.numbers
        assert not re.search(r"\d", answer.answer)


@pytest.mark.parametrize(("question", "expected"), ANSWERABLE)
def test_answers_with_verified_numbers(seed_assistant, question, expected) -> None:
    answer = seed_assistant.answer(question)
    texts = {d: doc.text for d, doc in seed_assistant.holder.get().documents.items()}
    check_contract(answer, texts)
    assert not answer.refused, answer.answer
    for e in expected:
        assert e in answer.answer
    assert all(n.status == "verified" for n in answer.numbers), answer.numbers
    if any(c.isdigit() for e in expected for c in e):
        assert answer.numbers


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_refuses_when_unsupported(seed_assistant, question) -> None:
    answer = seed_assistant.answer(question)
    check_contract(answer, {})
    assert answer.refused, answer.answer


def test_conflicting_values_are_each_cited_and_flagged(seed_assistant) -> None:
    answer = seed_assistant.answer("What are the rare earth reserves of the Kuyrektykol deposit?")
    assert answer.conflict and not answer.refused
    assert "different figures" in answer.answer
    statuses = {n.text: n.status for n in answer.numbers}
    assert statuses.get("8 million tons") == "conflict"
    assert statuses.get("282 million tons") == "conflict"


def test_a_breakdown_is_not_a_conflict(seed_assistant) -> None:
    answer = seed_assistant.answer("What share of US tungsten imports came from Germany?")
    assert not answer.conflict and "14% from Germany" in answer.answer


def test_scale_slip_never_verifies() -> None:
    fact = Fact(
        "d:f1",
        "d",
        "2.4 million tons",
        10,
        26,
        0,
        40,
        "quantity",
        2_400_000.0,
        2_400_000.0,
        2_400_000.0,
        "t",
        "Mine",
        "output",
    )
    cite = Citation(1, "d", "T", "x" * 40, 0, 40)
    good = check_numbers("Output was 2.4 million tons [1].", [cite], {1: [fact]})
    bad = check_numbers("Output was 2.4 tons [1].", [cite], {1: [fact]})
    wrong_unit = check_numbers("Output was 2.4 million dollars [1].", [cite], {1: [fact]})
    assert [n.status for n in good] == ["verified"]
    assert [n.status for n in bad] == ["unverified"]
    assert [n.status for n in wrong_unit] == ["unverified"]


def test_numerals_that_are_no_quantity_are_listed_but_never_verified() -> None:
    cite = Citation(1, "d", "T", "The F-35 order of 10/27/2017 stood.", 0, 35)
    checks = check_numbers("The F-35 order of 10/27/2017 stood [1].", [cite], {1: []})
    listed = " ".join(n.text for n in checks)
    for numeral in ("35", "10", "27", "2017"):
        assert numeral in listed
    assert {n.status for n in checks} == {"unverified"}
    assert all(n.citation == 1 for n in checks)


def test_citation_markers_are_not_numbers() -> None:
    assert stated_numbers("It grew [1] and [12].") == []


WORDS = [
    "tungsten",
    "reserves",
    "Kazakhstan",
    "grade",
    "mine",
    "who",
    "what",
    "how",
    "much",
    "when",
    "Katapar",
    "zzqx",
    "2024",
    "tons",
    "loan",
    "the",
    "of",
    "?",
    "%",
    "$5",
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=10))
def test_random_questions_keep_the_contract(seed_assistant, words) -> None:
    question = " ".join(words)
    texts = {d: doc.text for d, doc in seed_assistant.holder.get().documents.items()}
    first = seed_assistant.answer(question)
    check_contract(first, texts)
    again = seed_assistant.answer(question)
    assert (again.answer, again.citations, again.numbers) == (
        first.answer,
        first.citations,
        first.numbers,
    )


def test_two_sources_telling_one_sentence_differently_are_both_cited(tmp_path, embedder) -> None:
    from assistant.index.loaded import IndexHolder
    from assistant.ingest.pipeline import ingest
    from assistant.service import Assistant
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = (
        "The 2031 Lakeside Marathon was held on a cold morning in April. "
        "{winner} won the 2031 Lakeside Marathon in a record time, the organisers said. "
        "The race drew runners from forty countries.\n"
    )
    (corpus / "wire-a.txt").write_text(story.format(winner="Maria Okonkwo"), encoding="utf-8")
    (corpus / "wire-b.txt").write_text(story.format(winner="Lena Varga"), encoding="utf-8")
    (corpus / "other.txt").write_text("Tickets for the harbour ferry cost more this year.\n")
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], settings, embedder=embedder)
    assistant = Assistant(settings, IndexHolder(settings, embedder))
    answer = assistant.answer("Who won the 2031 Lakeside Marathon?")
    texts = {d: doc.text for d, doc in assistant.holder.get().documents.items()}
    check_contract(answer, texts)
    assert answer.conflict and not answer.refused
    assert "Maria Okonkwo" in answer.answer and "Lena Varga" in answer.answer
    assert {c.doc_id for c in answer.citations} == {"wire-a", "wire-b"}
    # one source alone is not a disagreement
    (corpus / "wire-b.txt").unlink()
    ingest([corpus], settings, prune=True, embedder=embedder)
    single = assistant.answer("Who won the 2031 Lakeside Marathon?")
    assert not single.conflict and "Maria Okonkwo" in single.answer


def _assistant_over(tmp_path, embedder, files: dict[str, str]):
    from assistant.index.loaded import IndexHolder
    from assistant.ingest.pipeline import ingest
    from assistant.service import Assistant
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], settings, embedder=embedder)
    return Assistant(settings, IndexHolder(settings, embedder))


FILLER = "Tickets for the harbour ferry cost more this year.\n"


WINNERS = (
    "Maria Okonkwo won the 2031 Lakeside Marathon in a record time.\n",
    "Lena Varga won the 2031 Lakeside Marathon after a late sprint, the race's website "
    "reported.\n",
)
OPENINGS = (
    "The Kestrel Bridge opened on March 3, 2029, after four years of work.\n",
    "The Kestrel Bridge opened to traffic on May 12, 2031, the city council announced.\n",
)


@pytest.mark.parametrize(("tellings", "question", "values", "conflicting"), [
    (WINNERS, "Who won the 2031 Lakeside Marathon?", ("Maria Okonkwo", "Lena Varga"), ()),
    (OPENINGS, "When did the Kestrel Bridge open?", ("March 3, 2029", "May 12, 2031"),
     ("March 3, 2029", "May 12, 2031")),
], ids=["names", "dates"])
def test_two_sources_answering_otherwise_in_their_own_words_are_both_cited(
    tmp_path, embedder, tellings, question, values, conflicting
) -> None:
    assistant = _assistant_over(tmp_path, embedder, {
        "wire-a.txt": tellings[0], "wire-b.txt": tellings[1], "other.txt": FILLER,
    })
    answer = assistant.answer(question)
    texts = {d: doc.text for d, doc in assistant.holder.get().documents.items()}
    check_contract(answer, texts)
    assert answer.conflict and not answer.refused
    assert all(v in answer.answer for v in values)
    # a date disagreement marks both dates as conflicting; names are not numbers
    assert {n.text for n in answer.numbers if n.status == "conflict"} == set(conflicting)


def test_a_winner_of_another_year_is_no_disagreement(tmp_path, embedder) -> None:
    assistant = _assistant_over(tmp_path, embedder, {
        "wire-a.txt": WINNERS[0],
        "wire-b.txt": "Lena Varga won the 2030 Lakeside Marathon after a late sprint, the "
                      "race's website reported.\n",
        "other.txt": FILLER,
    })
    answer = assistant.answer("Who won the 2031 Lakeside Marathon?")
    assert not answer.conflict and "Maria Okonkwo" in answer.answer
