"""Number finding and normalisation: the seed article's ground truth, each rule, the matcher."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.text.quantities import find_quantities, parse_quantity, same_quantity
from assistant.types import Fact, Quantity

SEED_NAME = "000_fa04363b0b6fbf05.txt"
FIXTURE = Path(__file__).parent / "fixtures" / "seed_quantities.yaml"


def _seed_path() -> Path:
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED_NAME
    if shared.exists():
        return shared
    return Path(__file__).resolve().parents[1] / "corpus" / SEED_NAME  # the repo's copy


@pytest.fixture(scope="module")
def seed_text() -> str:
    return _seed_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_body(seed_text: str) -> tuple[int, int]:
    start = seed_text.index("November 21 2025")
    return start, seed_text.index("If you have any inquiries")


def one(text: str) -> Quantity:
    found = find_quantities(text)
    assert len(found) == 1, found
    return found[0]


def _matches(item: dict[str, Any], q: Quantity) -> bool:
    if (q.text, q.kind, q.unit) != (item["text"], item["kind"], item["unit"]):
        return False
    if "iso" in item and q.iso != item["iso"]:
        return False
    if "counted" in item and q.counted != item["counted"]:
        return False
    # float(): PyYAML reads "4.0e9" (no exponent sign) as a string
    if "value" in item:
        return q.value is not None and math.isclose(q.value, float(item["value"]), rel_tol=1e-9)
    if "low" in item:
        return q.value is None and math.isclose(q.low, float(item["low"]), rel_tol=1e-9) and (
            math.isclose(q.high, float(item["high"]), rel_tol=1e-9)
        )
    return q.value is None  # dates


# -- the seed article ------------------------------------------------------------------------


def test_seed_recall_against_hand_written_ground_truth(seed_text: str) -> None:
    expected = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    assert len(expected) >= 60
    remaining = list(find_quantities(seed_text))
    missed = []
    for item in expected:
        hit = next((q for q in remaining if _matches(item, q)), None)
        if hit is None:
            missed.append(item)
        else:
            remaining.remove(hit)
    recall = 1 - len(missed) / len(expected)
    assert recall >= 0.95, f"recall {recall:.1%} ({len(expected) - len(missed)}/{len(expected)}); "\
        f"missed: {missed}"


def test_seed_precision_in_article_body(seed_text: str, seed_body: tuple[int, int]) -> None:
    expected = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    start, end = seed_body
    found = [q for q in find_quantities(seed_text) if start <= q.start and q.end <= end]
    spurious = list(found)
    for item in expected:
        hit = next((q for q in spurious if _matches(item, q)), None)
        if hit is not None:
            spurious.remove(hit)
    precision = 1 - len(spurious) / len(found)
    assert precision >= 0.95, f"precision {precision:.1%}; spurious: {spurious}"


def test_seed_offsets_round_trip(seed_text: str) -> None:
    found = find_quantities(seed_text)
    for q in found:
        assert seed_text[q.start : q.end] == q.text
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


def test_nothing_inside_wo3_and_no_heading_ordinals(seed_text: str) -> None:
    found = find_quantities(seed_text)
    at = [i for i in range(len(seed_text)) if seed_text.startswith("WO₃", i)]
    assert len(at) >= 4
    for i in at:
        assert not [q for q in found if q.start < i + 3 and i < q.end]
    line_starts = {0} | {i + 1 for i, c in enumerate(seed_text) if c == "\n"}
    assert not [q for q in found if q.start in line_starts and q.text in ("01", "02", "03")]


def test_seed_special_loan_and_range(seed_text: str) -> None:
    by_text = {q.text: q for q in find_quantities(seed_text)}
    loan = by_text["$255 million"]
    assert (loan.kind, loan.value, loan.unit) == ("currency", 255e6, "USD")
    grade = by_text["0.13% - 0.15%"]
    assert (grade.value, grade.low, grade.high, grade.unit) == (None, 0.13, 0.15, "%")


# -- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("2.4 million tons", 2.4e6, "t"),
        ("1.216 million tons", 1.216e6, "t"),
        ("39,600 tons", 39600, "t"),
        ("231,500 tonnes", 231500, "t"),
        ("3.3 million metric tons", 3.3e6, "t"),
        ("6,195 t", 6195, "t"),
        ("2 kt", 2000, "t"),
        ("4 Mt", 4e6, "t"),
        ("3 kilotons", 3000, "t"),
        ("500 kg", 0.5, "t"),
        ("5kg", 0.005, "t"),
        ("250 g", 0.00025, "t"),
        ("5 Moz", 5e6, "oz"),
        ("10 km", 10_000, "m"),
        ("300 mm", 0.3, "m"),
        ("3,000 km²", 3e9, "m²"),
        ("500 ha", 5e6, "m²"),
        ("50 MW", 5e7, "W"),
        ("1.2 GWh", 1.2e9, "Wh"),
        ("2 million barrels", 2e6, "bbl"),
        ("3 Mtpa", 3e6, "t/yr"),
        ("5 tons per year", 5, "t/yr"),
        ("200,000 bpd", 2e5, "bbl/d"),
        ("2.5 g/t", 2.5, "g/t"),
        ("1'000 tons", 1000, "t"),
        ("1\u202f000 tons", 1000, "t"),
    ],
)
def test_units_normalise_to_base(text: str, value: float, unit: str) -> None:
    q = one(text)
    assert q.kind == "quantity"
    assert q.text == text
    assert q.unit == unit
    assert q.value == pytest.approx(value, rel=1e-9)
    assert q.low == q.high == q.value


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("$255 million", 255e6, "USD"),
        ("$75.1 million", 75.1e6, "USD"),
        ("$4.2 billion", 4.2e9, "USD"),
        ("US$5m", 5e6, "USD"),
        ("$5M", 5e6, "USD"),
        ("€12 bn", 12e9, "EUR"),
        ("RMB 3 billion", 3e9, "CNY"),
        ("¥500", 500, "JPY"),
        ("£3.2 million", 3.2e6, "GBP"),
        ("USD 10 million", 10e6, "USD"),
        ("10 million dollars", 10e6, "USD"),
        ("5 billion yuan", 5e9, "CNY"),
        ("$1.2tn", 1.2e12, "USD"),
        ("$50 per ton", 50, "USD/t"),
        ("US$20/lb", 20, "USD/lb"),
    ],
)
def test_currency(text: str, value: float, unit: str) -> None:
    q = one(text)
    assert (q.kind, q.text, q.unit) == ("currency", text, unit)
    assert q.value == pytest.approx(value, rel=1e-9)


@pytest.mark.parametrize(
    ("text", "low", "high", "unit", "kind"),
    [
        ("$3-4 billion", 3e9, 4e9, "USD", "currency"),
        ("$4-5 billion", 4e9, 5e9, "USD", "currency"),
        ("$3 billion to $4 billion", 3e9, 4e9, "USD", "currency"),
        ("0.13% - 0.15%", 0.13, 0.15, "%", "percent"),
        ("20-30%", 20, 30, "%", "percent"),
        ("3 to 4 million tons", 3e6, 4e6, "t", "quantity"),
    ],
)
def test_ranges(text: str, low: float, high: float, unit: str, kind: str) -> None:
    q = one(text)
    assert (q.kind, q.text, q.unit, q.value) == (kind, text, unit, None)
    assert (q.low, q.high) == (pytest.approx(low), pytest.approx(high))


def test_between_and_is_a_range_but_from_to_is_not() -> None:
    q = one("between 3 and 4 million tons")
    assert (q.text, q.low, q.high, q.unit) == ("3 and 4 million tons", 3e6, 4e6, "t")
    change = find_quantities("output rose from 20% to 60%")
    assert [(q.text, q.value) for q in change] == [("20%", 20), ("60%", 60)]
    assert [q.text for q in find_quantities("revenue rose 5% to $3 billion")] == [
        "5%", "$3 billion"
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("12.5%", 12.5, "%"),
        ("0.132%", 0.132, "%"),
        ("6.45%", 6.45, "%"),
        ("50 percent", 50, "%"),
        ("7 per cent", 7, "%"),
        ("-3.2%", -3.2, "%"),
        ("2 percentage points", 2, "pp"),
        ("50 bps", 50, "bp"),
    ],
)
def test_percent(text: str, value: float, unit: str) -> None:
    q = one(text)
    assert (q.kind, q.text, q.unit) == ("percent", text, unit)
    assert q.value == pytest.approx(value)


def test_qualifiers_stay_outside_the_span() -> None:
    text = ("approximately 81,000 tons, about 20.7%, exceed 2 million tons, nearly 87%, "
            "over 4500 tons")
    assert [q.text for q in find_quantities(text)] == [
        "81,000 tons", "20.7%", "2 million tons", "87%", "4500 tons"
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("1500℃", 1500, "°C"), ("3410℃", 3410, "°C"), ("1,500 °C", 1500, "°C"),
     ("212°F", 212, "°F"), ("30 degrees Celsius", 30, "°C")],
)
def test_temperature(text: str, value: float, unit: str) -> None:
    q = one(text)
    assert (q.kind, q.text, q.value, q.unit) == ("temperature", text, value, unit)


@pytest.mark.parametrize(
    ("text", "literal", "value", "counted"),
    [
        ("1,234 permits", "1,234", 1234, "permits"),
        ("2,906 exploration permits", "2,906", 2906, "permits"),
        ("111 production permits", "111", 111, "permits"),
        ("5 million people", "5 million", 5e6, "people"),
        ("2000 employees", "2000", 2000, "employees"),
    ],
)
def test_counts(text: str, literal: str, value: float, counted: str) -> None:
    q = one(text)
    assert (q.kind, q.text, q.value, q.unit, q.counted) == ("count", literal, value, "count",
                                                            counted)


def test_bare_number_without_a_unit() -> None:
    q = one("under Section 301.")
    assert (q.kind, q.value, q.unit, q.text) == ("number", 301, "", "301")


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("in 2024", [2024]),
        ("It stopped in 2015.", [2015]),
        ("from 2020 to 2023", [2020, 2023]),
        ("2020-2023", [2020, 2023]),
        ("since 2018", [2018]),
        ("after the collapse in 1991,", [1991]),
        ("the 2025 Mineral Commodity Summaries", [2025]),
        ("by mid-2025", [2025]),
    ],
)
def test_years(text: str, years: list[int]) -> None:
    found = find_quantities(text)
    assert [(q.kind, q.value, q.unit, q.iso) for q in found] == [
        ("year", y, "year", str(y)) for y in years
    ]


def test_year_like_numbers_with_units_are_amounts() -> None:
    assert one("over 4500 tons").kind == "quantity"
    assert one("1991 tons").unit == "t"
    assert one("2,024 permits").kind == "count"
    decade = one("in the 1990s")
    assert (decade.kind, decade.value, decade.low, decade.high) == ("year", None, 1990, 1999)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("November 21 2025", "2025-11-21"),
        ("November 21, 2025", "2025-11-21"),
        ("21 November 2025", "2025-11-21"),
        ("2025-11-21", "2025-11-21"),
        ("September 2025", "2025-09"),
        ("April 2025", "2025-04"),
        ("November 7", "--11-07"),
        ("October 27", "--10-27"),
        ("Nov. 7", "--11-07"),
    ],
)
def test_dates(text: str, iso: str) -> None:
    q = one(text)
    assert (q.kind, q.text, q.iso, q.unit, q.value) == ("date", text, iso, "date", None)


def test_date_ordinals_bound_the_period() -> None:
    month = one("in April 2025")
    assert month.text == "April 2025"
    assert (month.high - month.low) == 29
    day = one("on November 21, 2025")
    assert day.low == day.high
    assert one("on November 7").low == 0.0


def test_time_after_a_date_is_not_a_number() -> None:
    found = find_quantities("November 21 2025 08:57:57China Geological Survey")
    assert [(q.text, q.kind) for q in found] == [("November 21 2025", "date")]


@pytest.mark.parametrize(
    "text",
    ["WO₃ reserves", "CO2 emissions", "H2O", "F-35 jets", "COVID-19 cases", "3D printing",
     "5G networks", "at 08:57", "version 1.2.3", "浙B2-20080131-44", "x2y",
     "01 Tungsten's strategic value", "02 Global tungsten production", "1. Scope"],
)
def test_not_quantities(text: str) -> None:
    assert find_quantities(text) == []


def test_heading_rule_only_at_line_start() -> None:
    found = find_quantities("ranked 01 Global")  # mid-line: still a number
    assert [q.text for q in found] == ["01"]


def test_a_failed_range_keeps_both_numbers() -> None:
    assert [(q.text, q.kind) for q in find_quantities("won 3-1 at home")] == [
        ("3", "number"), ("1", "number")
    ]
    assert [(q.text, q.kind) for q in find_quantities("the 2024-25 season")] == [
        ("2024", "year"), ("25", "number")
    ]


def test_number_words_are_skipped() -> None:
    assert find_quantities("three to four decades, three times, a dozen") == []


def test_parse_quantity() -> None:
    q = parse_quantity("reserves of 1.216 million tons and 39,600 tons")
    assert q is not None and (q.value, q.unit) == (1.216e6, "t")
    assert parse_quantity("no numbers here") is None


# -- matcher ---------------------------------------------------------------------------------


def test_scale_can_never_be_dropped() -> None:
    assert not same_quantity(one("2.4 million tons"), one("2.4 tons"))
    assert same_quantity(one("2.4 million tons"), one("2,400,000 tonnes"))
    assert same_quantity(one("2.4 million tons"), one("2.4 Mt"))


def test_matcher_ranges_exact() -> None:
    answer = one("$4-5 billion")
    assert same_quantity(answer, one("$4 billion to $5 billion"))
    assert not same_quantity(answer, one("$4.5 billion"))
    assert not same_quantity(answer, one("$4-6 billion"))
    assert not same_quantity(one("$4 billion"), answer)


def test_matcher_units_and_kinds() -> None:
    assert not same_quantity(one("12%"), one("12 tons"))
    assert not same_quantity(one("$12 million"), one("€12 million"))
    assert same_quantity(one("50%"), one("50 percent"))
    assert same_quantity(one("2,906 exploration permits"), one("issued 2,906."))  # count ~ number
    assert same_quantity(one("November 7"), one("7 November"))
    assert not same_quantity(one("November 7"), one("November 7, 2025"))
    assert same_quantity(one("in 2024"), one("since 2024"))
    assert not same_quantity(one("in 2024"), one("2024 tons"))


def test_matcher_accepts_facts() -> None:
    fact = Fact(fact_id="d:f1", doc_id="d", text="$255 million", start=0, end=12,
                sentence_start=0, sentence_end=20, kind="currency", value=255e6, low=255e6,
                high=255e6, unit="USD", subject="", attribute="special loan")
    assert same_quantity(one("$255m"), fact)
    assert not same_quantity(one("$255"), fact)


# -- robustness ------------------------------------------------------------------------------

_LITERALS = st.sampled_from([
    "2.4", "1,216", "39,600", "0.13", "$3", "US$5", "€12", "4500", "2024", "1991", "08:57",
    "3410℃", "12.5%", "-3", "1'000", "1.2.3", "WO₃", "CO2", "F-35", "November 7", "2025-11-21",
    "01", "21st", "1990s", "5k", "£", "%", "-", "–", "to", "and", "between", "from", "in",
])
_WORDS = st.sampled_from([
    "million", "billion", "bn", "m", "tons", "t", "kg", "km²", "percent", "per", "cent", "year",
    "a", "permits", "people", "the", "April", "May", "of", "°C", "dollars", "yuan", "\n", ",", ".",
    "(", ")", "Deposit", "reserves",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LITERALS, _WORDS, st.text(max_size=6)), max_size=25),
       st.sampled_from([" ", "", "\u00a0", "  "]))
def test_offsets_round_trip_on_random_text(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    found = find_quantities(text)
    for q in found:
        assert text[q.start : q.end] == q.text
        assert q.text
        assert q.low <= q.high
        if q.value is not None:
            assert q.low == q.value == q.high
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
