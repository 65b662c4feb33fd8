"""Which fact a numeric answer is about, before its rivals are looked for.

The answer-type model spreads a question like "How reliant is X on imports?" over several
number kinds (a percentage, a quantity, a count), each less likely alone than "no entity";
read by its likeliest kind alone, the question was not about a number, so the source's other
figures for the same measure were never compared and the conflict went unsaid.

Then: another document that answers otherwise in its own words, a different name or a date
as precise, is a disagreement only when it is itself a likely answer, about the same year
asked, and does not mention the first answer (or share a date with it).
"""

from __future__ import annotations

from types import SimpleNamespace

from assistant.answer.conflicts import answer_fact, dated_otherwise, named_otherwise
from assistant.answer.params import PARAMS
from assistant.answer.selector import Choice
from assistant.text.entities import Entity
from assistant.types import Fact


def _fact(text: str, kind: str, value: float, unit: str) -> Fact:
    return Fact("d:f1", "d", text, 10, 10 + len(text), 0, 60, kind, value, value, value, unit,
                "Veltria", "import dependence")


PERCENT = _fact("50%", "percent", 50.0, "%")
PASSAGE = SimpleNamespace(facts=(PERCENT,))
QUESTION = SimpleNamespace(numerals=frozenset())


def test_number_kinds_together_make_a_numeric_question() -> None:
    spread = {"NONE": 0.19, "QUANTITY": 0.14, "PERCENT": 0.13, "CARDINAL": 0.13, "MONEY": 0.1,
              "PERSON": 0.12, "ORG": 0.11, "DATE": 0.08}
    assert answer_fact(PASSAGE, QUESTION, spread) == PERCENT


def test_a_question_likelier_about_something_else_has_no_answering_fact() -> None:
    named = {"PERSON": 0.3, "ORG": 0.25, "NONE": 0.15, "PERCENT": 0.12, "QUANTITY": 0.1,
             "DATE": 0.08}
    assert answer_fact(PASSAGE, QUESTION, named) is None


def test_the_likeliest_kind_alone_still_decides_when_it_is_a_number() -> None:
    assert answer_fact(PASSAGE, QUESTION, {"PERCENT": 0.3, "PERSON": 0.25, "ORG": 0.25,
                                           "NONE": 0.2}) == PERCENT


# -- another document answering otherwise (names, dates) ----------------------------------------

FLOOR = 0.2  # the selector's refusal threshold, as the builder passes it


def _passage(doc_id: str, text: str, names: tuple[str, ...] = (), dates: tuple[str, ...] = ()
             ) -> SimpleNamespace:
    """A candidate of ``doc_id``: ``names`` are PERSON entities, ``dates`` (text, iso) facts."""
    entities = tuple(Entity(text.index(n), text.index(n) + len(n), "PERSON") for n in names)
    facts = tuple(
        Fact(f"{doc_id}:{i}", doc_id, d, text.index(d), text.index(d) + len(d), 0, len(text),
             "date", None, 0.0, 0.0, "date", "", "", iso=iso)
        for i, (d, iso) in enumerate(dates)
    )
    return SimpleNamespace(doc=SimpleNamespace(doc_id=doc_id), text=text, entities=entities,
                           facts=facts, entity_text=lambda e: text[e.start:e.end])


def _choices(*scored: tuple[SimpleNamespace, float]) -> list[Choice]:
    return [Choice(c, p, 0.0) for c, p in scored]  # type: ignore[arg-type]


WHO = {"PERSON": 0.8, "ORG": 0.1, "NONE": 0.1}
WINNER_A = _passage("a", "Maria Okonkwo won the 2031 Lakeside Marathon.", ("Maria Okonkwo",))
WINNER_B = _passage("b", "Lena Varga won the 2031 Lakeside Marathon after a sprint.",
                    ("Lena Varga",))
ASKED = SimpleNamespace(numerals=frozenset({"2031"}), terms=("win", "2031", "lakeside",
                                                             "marathon"))


def test_another_document_naming_another_winner_disagrees() -> None:
    rival = named_otherwise(_choices((WINNER_A, 0.7), (WINNER_B, 0.6)), ASKED, WHO, PARAMS,
                            FLOOR)
    assert rival is WINNER_B


def test_no_disagreement_when_the_other_is_unlikely_or_the_same_document() -> None:
    assert named_otherwise(_choices((WINNER_A, 0.7), (WINNER_B, 0.3)), ASKED, WHO, PARAMS,
                           FLOOR) is None  # under half the best's probability
    assert named_otherwise(_choices((WINNER_A, 0.3), (WINNER_B, 0.19)), ASKED, WHO, PARAMS,
                           FLOOR) is None  # under the refusal threshold
    same_doc = _passage("a", WINNER_B.text, ("Lena Varga",))
    assert named_otherwise(_choices((WINNER_A, 0.7), (same_doc, 0.6)), ASKED, WHO, PARAMS,
                           FLOOR) is None


def test_no_disagreement_when_the_other_names_the_answer_too_or_lacks_the_year() -> None:
    both = _passage("b", "Lena Varga finished behind Maria Okonkwo in the 2031 Lakeside "
                    "Marathon.", ("Lena Varga", "Maria Okonkwo"))
    assert named_otherwise(_choices((WINNER_A, 0.7), (both, 0.6)), ASKED, WHO, PARAMS,
                           FLOOR) is None
    other_year = _passage("b", "Lena Varga won the 2030 Lakeside Marathon.", ("Lena Varga",))
    assert named_otherwise(_choices((WINNER_A, 0.7), (other_year, 0.6)), ASKED, WHO, PARAMS,
                           FLOOR) is None


def test_names_are_not_compared_when_the_answer_is_likeliest_a_number() -> None:
    assert named_otherwise(_choices((WINNER_A, 0.7), (WINNER_B, 0.6)), ASKED,
                           {"CARDINAL": 0.6, "PERSON": 0.4}, PARAMS, FLOOR) is None


WHEN = {"DATE": 0.9, "NONE": 0.1}
OPENED = SimpleNamespace(numerals=frozenset(), terms=("kestrel", "bridge", "open"))
BRIDGE_A = _passage("a", "The Kestrel Bridge opened on March 3, 2029.",
                    dates=(("March 3, 2029", "2029-03-03"),))
BRIDGE_B = _passage("b", "The Kestrel Bridge opened to traffic on May 12, 2031.",
                    dates=(("May 12, 2031", "2031-05-12"),))


def test_another_document_giving_another_date_disagrees() -> None:
    chosen = BRIDGE_A.facts[0]
    rival = dated_otherwise(chosen, _choices((BRIDGE_A, 0.8), (BRIDGE_B, 0.7)), OPENED, WHEN,
                            PARAMS, FLOOR)
    assert rival is not None and rival.fact.iso == "2031-05-12"


def test_dates_of_one_timeline_or_other_precision_do_not_disagree() -> None:
    chosen = BRIDGE_A.facts[0]
    timeline = _passage("b", "Work began on March 3, 2029 and ended on May 12, 2031.",
                        dates=(("March 3, 2029", "2029-03-03"), ("May 12, 2031", "2031-05-12")))
    year_only = _passage("b", "The Kestrel Bridge opened to traffic in 2031.",
                         dates=(("2031", "2031"),))
    for other in (timeline, year_only):
        assert dated_otherwise(chosen, _choices((BRIDGE_A, 0.8), (other, 0.7)), OPENED, WHEN,
                               PARAMS, FLOOR) is None
    assert dated_otherwise(chosen, _choices((BRIDGE_A, 0.8), (BRIDGE_B, 0.7)), OPENED,
                           {"DATE": 0.3, "NONE": 0.7}, PARAMS, FLOOR) is None
