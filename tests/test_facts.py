"""Fact extraction (subjects and attributes on the seed article) and the curated facts loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.ingest.curated import load_curated_facts
from assistant.ingest.facts import extract_facts, normalise_name
from assistant.ingest.sentences import sentence_objects
from assistant.text.quantities import find_quantities
from assistant.types import Fact, Sentence

SEED_NAME = "000_fa04363b0b6fbf05.txt"


def _seed_path() -> Path:
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED_NAME
    if shared.exists():
        return shared
    return Path(__file__).resolve().parents[1] / "corpus" / SEED_NAME


@pytest.fixture(scope="module")
def seed_text() -> str:
    return _seed_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_facts(seed_text: str) -> list[Fact]:
    return extract_facts("seed", seed_text, sentence_objects("seed", seed_text))


def fact_for(facts: list[Fact], literal: str, occurrence: int = 0) -> Fact:
    matching = [f for f in facts if f.text == literal]
    assert len(matching) > occurrence, f"no fact {literal!r} (#{occurrence})"
    return matching[occurrence]


# -- extraction on the seed ------------------------------------------------------------------


def test_seed_facts_quote_the_document(seed_text: str, seed_facts: list[Fact]) -> None:
    assert len(seed_facts) >= 70
    for n, fact in enumerate(seed_facts, start=1):
        assert fact.fact_id == f"seed:f{n}"
        assert fact.doc_id == "seed"
        assert fact.provenance == "extracted"
        assert fact.start is not None and fact.end is not None
        assert seed_text[fact.start : fact.end] == fact.text
        assert fact.sentence_start is not None and fact.sentence_end is not None
        assert fact.sentence_start <= fact.start < fact.end <= fact.sentence_end
    starts = [f.start or 0 for f in seed_facts]
    assert starts == sorted(starts)


def test_seed_facts_carry_the_quantity(seed_facts: list[Fact]) -> None:
    grade = fact_for(seed_facts, "0.13% - 0.15%")
    assert (grade.kind, grade.value, grade.low, grade.high, grade.unit) == (
        "percent", None, 0.13, 0.15, "%")
    year = fact_for(seed_facts, "1991")
    assert (year.kind, year.value, year.iso) == ("year", 1991, "1991")
    date = fact_for(seed_facts, "November 7")
    assert (date.kind, date.iso) == ("date", "--11-07")


# Checked by reading each sentence of the article.
SEED_CASES = [
    # literal, occurrence, words the subject must contain, the attribute
    ("0.13% - 0.15%", 0, "north katapar", "average grade"),
    ("1 million tons", 0, "north katapar", "wo3 reserves"),
    ("1.216 million tons", 0, "ust khakaljinzhenskoye deposit", "wo3 reserves"),
    ("0.132%", 0, "ust khakaljinzhenskoye", "average grade"),
    ("231,500 tons", 0, "baku ta tungsten deposit", "wo3 reserves"),
    ("6,195 tons", 0, "mirolyubovsky district", "predicted tungsten resource volume"),
    ("85%", 0, "sangdong", "tungsten concentrate recovery rate"),
    ("50%", 0, "united states", "total tungsten import dependence"),
    ("2,906", 0, "kazakhstan", "exploration permits"),
    ("111", 0, "kazakhstan", "production permits"),
    ("$255 million", 0, "american tungsten corp", "special loan"),
    ("$900 million", 0, "export import bank", "letter of intent"),
    ("20.7%", 0, "kazakhstan", "reserves"),
    ("3410℃", 0, "", "highest melting point"),
    ("81,000 tons", 0, "", "global tungsten output"),
    ("12,000 tons", 0, "", "demand for lithium tungstate"),
    ("87.74%", 0, "", "beneficiation recovery rate"),
    ("$150 million", 0, "", "additional investment"),
    ("25%", 0, "", "additional tariff"),
    ("6.45%", 0, "", "tungsten concentrate mining quota"),
    ("87%", 0, "", "tungsten reserves"),
    ("14%", 0, "", "proportion of imports"),  # inherited from "27% from China, 14% ..."
    ("$4.2 billion", 0, "wabtec", "agreement"),
    ("25%", 1, "u.s.", "additional tariff"),  # a clause cut at ";": its subject carries over
    ("3.3 million tons", 0, "", "tungsten ore"),
]


@pytest.mark.parametrize(("literal", "occurrence", "subject", "attribute"), SEED_CASES)
def test_seed_subject_and_attribute(seed_facts: list[Fact], literal: str, occurrence: int,
                                   subject: str, attribute: str) -> None:
    fact = fact_for(seed_facts, literal, occurrence)
    assert subject in normalise_name(fact.subject), fact
    assert fact.attribute == attribute, fact


def test_subject_drops_a_leading_the(seed_facts: list[Fact]) -> None:
    assert fact_for(seed_facts, "1 million tons").subject == "North Katapar Deposit"
    assert not any(f.subject.lower().startswith("the ") for f in seed_facts)


# -- extraction on other text ----------------------------------------------------------------


def _sentences(doc_id: str, text: str) -> list[Sentence]:
    return sentence_objects(doc_id, text)


def test_subject_carries_to_the_next_sentence_within_a_paragraph() -> None:
    text = (
        "Acme Mining Corp. reported revenue of $5.2 billion in 2023. "
        "Its copper output was 120,000 tonnes.\n\n"
        "Demand grew by 4%."
    )
    facts = extract_facts("acme", text, _sentences("acme", text))
    assert [(f.text, f.subject, f.attribute) for f in facts] == [
        ("$5.2 billion", "Acme Mining Corp.", "revenue"),
        ("2023", "Acme Mining Corp.", "revenue"),
        ("120,000 tonnes", "Acme Mining Corp.", "copper output"),
        ("4%", "", "demand"),  # a new paragraph: nothing carried
    ]
    assert facts[2].value == 120_000 and facts[2].unit == "t"


def test_clauses_split_at_semicolons_keep_their_own_subject() -> None:
    text = ("The main mines include:The Red Hill Mine, with copper reserves of 2 million tons;"
            "The Blue Lake Mine, with an average grade of 1.5%.")
    facts = extract_facts("m", text, [Sentence("m", 0, 0, len(text), text)])
    assert [(f.subject, f.attribute) for f in facts] == [
        ("Red Hill Mine", "copper reserves"),
        ("Blue Lake Mine", "average grade"),
    ]


def test_prepositional_names_are_not_subjects() -> None:
    text = "Since 2019, Northwind Energy has built 14 wind farms in Scotland."
    facts = extract_facts("n", text, _sentences("n", text))
    assert [(f.text, f.subject, f.attribute) for f in facts] == [
        ("2019", "Northwind Energy", ""),
        ("14", "Northwind Energy", "wind farms"),
    ]


def test_facts_match_find_quantities_per_sentence(seed_text: str,
                                                  seed_facts: list[Fact]) -> None:
    sentences = sentence_objects("seed", seed_text)
    expected = sum(len(find_quantities(s.text)) for s in sentences)
    assert len(seed_facts) == expected


def test_normalise_name() -> None:
    assert normalise_name("WO₃ Reserves") == "wo3 reserves"
    assert normalise_name("  Baku-Tau   Deposit ") == "baku tau deposit"
    assert normalise_name("Café Déjà–vu") == "cafe deja vu"


# -- curated facts ---------------------------------------------------------------------------

DOCS = {
    "mine": "The Example mine produced about 12,500 tons of copper in 2023. Output rose 25% "
            "then 5%. Grades were 0.13% - 0.15%.",
}


def test_curated_yaml_happy_path(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(
        """
- doc_id: mine
  subject: Example mine
  attribute: copper output
  text: "12,500 tons"
  note: from the annual report
- {doc_id: mine, subject: Example mine, attribute: copper output, value: 12.5, unit: kt}
- {doc_id: mine, subject: Example mine, attribute: output growth, text: "5%"}
- {doc_id: mine, subject: Example mine, attribute: year, text: "2023"}
- {doc_id: mine, subject: Example mine, attribute: grade, text: "0.13% - 0.15%"}
- {doc_id: mine, subject: Example mine, attribute: cash, low: 1, high: 2, unit: USD}
""",
        encoding="utf-8",
    )
    facts = load_curated_facts(path, DOCS)
    text = DOCS["mine"]
    first = facts[0]
    assert (first.fact_id, first.provenance) == ("mine:c1", "curated:facts.yaml#1")
    assert (first.kind, first.value, first.unit) == ("quantity", 12500, "t")
    assert first.start is not None and text[first.start : first.end] == "12,500 tons"
    assert (first.sentence_start, first.sentence_end) == (0, text.index(".") + 1)
    assert (first.subject, first.attribute) == ("Example mine", "copper output")

    second = facts[1]
    assert (second.start, second.end, second.sentence_start) == (None, None, None)
    assert (second.value, second.unit, second.kind) == (12.5, "kt", "quantity")

    growth = facts[2]
    assert growth.start == text.index("then 5%") + 5  # whole literal, not inside "25%"
    assert (growth.kind, growth.value) == ("percent", 5)

    year = facts[3]
    assert (year.kind, year.iso, year.unit) == ("year", "2023", "year")

    grade = facts[4]
    assert (grade.value, grade.low, grade.high) == (None, 0.13, 0.15)

    cash = facts[5]
    assert (cash.kind, cash.value, cash.low, cash.high) == ("currency", None, 1, 2)
    assert [f.fact_id for f in facts] == [f"mine:c{n}" for n in range(1, 7)]


def test_curated_csv_happy_path(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_text(
        "doc_id,subject,attribute,text,value,low,high,unit,kind,note\n"
        "mine,Example mine,copper output,\"12,500 tons\",,,,,,checked\n"
        "mine,Example mine,output growth,,\"1,000\",,,t,quantity,\n",
        encoding="utf-8",
    )
    facts = load_curated_facts(path, DOCS)
    assert [(f.fact_id, f.provenance, f.value, f.unit) for f in facts] == [
        ("mine:c1", "curated:facts.csv#1", 12500, "t"),
        ("mine:c2", "curated:facts.csv#2", 1000, "t"),
    ]


def test_curated_uses_given_sentences(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text('- {doc_id: mine, text: "25%"}\n', encoding="utf-8")
    text = DOCS["mine"]
    start = text.index("Output")
    sentences = {"mine": [Sentence("mine", 0, 0, start, text[:start]),
                          Sentence("mine", 1, start, len(text), text[start:])]}
    (fact,) = load_curated_facts(path, DOCS, sentences)
    assert (fact.sentence_start, fact.sentence_end) == (start, len(text))


def test_curated_unknown_doc(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text('- {doc_id: mine, text: "2023"}\n- {doc_id: nope, text: "2023"}\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_curated_facts(path, DOCS)
    message = err.value.message
    assert "facts.yaml" in message and "row 2" in message and "'nope'" in message
    assert "mine" in message  # names a valid id


def test_curated_literal_not_found(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_text("doc_id,text\nmine,\"99,999 tons\"\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_curated_facts(path, DOCS)
    message = err.value.message
    assert "facts.csv" in message and "row 1" in message and "99,999 tons" in message
    assert "copy it exactly" in message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('- {doc_id: mine, vaule: 3, unit: t}\n', "unknown key"),
        ('- {doc_id: mine, value: lots, unit: t}\n', "not a number"),
        ('- {doc_id: mine, value: 3, unit: t, kind: volume}\n', "unknown kind"),
        ('- {doc_id: mine, low: 3, unit: t}\n', "both low and high"),
        ('- {doc_id: mine, subject: x}\n', "no value"),
        ('- {subject: x, value: 3}\n', "doc_id is missing"),
        ('doc_id: mine\n', "YAML list"),
    ],
)
def test_curated_bad_rows(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=fragment):
        load_curated_facts(path, DOCS)


def test_curated_unsupported_file(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="use .yaml"):
        load_curated_facts(path, DOCS)
