"""Find the numbers in text and normalise them into ``Quantity`` values.

Every number written with digits is found with exact ``[start, end)`` code-point offsets
(``text[start:end] == q.text``). The span covers a currency prefix, the number, a scale word and
the unit ("$4-5 billion", "2.4 million tons", "0.13% - 0.15%"); never a qualifier ("about").

Kinds and units (the strings other modules compare):

============  ===========================================================================
kind          unit
============  ===========================================================================
quantity      one base unit per dimension, values converted into it: mass ``t`` (tonnes;
              kg, g, lb, kt, Mt, ... are converted), troy mass ``oz``, length ``m``, area
              ``m²``, volume ``m³``, oil ``bbl`` and ``boe``, power ``W``, energy ``Wh``,
              grade ``g/t``, ``ppm``, ``ppb``, speed ``km/h``. A time rate adds a suffix
              ("3 Mtpa", "5 tons per year" -> ``t/yr``; also ``/d``, ``/mo``, ``/wk``, ``/h``).
currency      ISO 4217 code: ``USD``, ``EUR``, ``GBP``, ``CNY`` (RMB, yuan, ￥), ``JPY`` (¥),
              ... A price per unit gets the denominator as written: ``USD/t``, ``USD/oz``,
              ``USD/share``, ``USD/yr`` (denominators are not converted).
percent       ``%`` (value as written: 12.5 for "12.5%"), ``pp`` (percentage points), ``bp``.
temperature   ``°C`` or ``°F`` (not converted).
count         ``count``; ``Quantity.counted`` holds the counted head noun ("employees"). A
              number followed (within four words) by a plural noun that is not a unit.
year          ``year``; value 2024, ``iso`` "2024". A decade "1990s" is the range 1990..1999
              with ``iso`` "1990/1999".
date          ``date``; ``value`` is None, ``iso`` is "2025-11-21", "2025-04" (a month) or
              "--11-07" (month and day without a year, the ISO 8601 truncated form).
              ``low``/``high`` are the proleptic ordinals (``date.toordinal()``) of the first
              and last day covered, 0.0 when the year is unknown.
number        ``""``: a number with nothing to say what it measures ("Section 301", "21st").
============  ===========================================================================

A range ("$3-4 billion", "0.13% - 0.15%", "between 3 and 4 million tons") has ``value=None``
and ``low``/``high``; a point has ``low == high == value``. Scale words (thousand, million,
billion, trillion, k, mn, bn, tn; m and b after a currency) multiply the value. A range
needs low < high and, when both ends carry a unit, the same unit; "from X to Y" is a change,
not a range, and two years ("2020-2023", "from 2020 to 2023") stay two years.

Not quantities, by design: digits inside words and codes (CO2, H₂O, F-35, B2-2008), times and
ratios (08:57, 3:1), version numbers (1.2.3), and a line-initial section number ("01 Global
...", "2. Scope"): a zero-padded number, or a one- or two-digit number with ``.``/``)``,
followed by a capitalised word. Numbers written as words ("three", "a dozen") are skipped.
Thousands separators are ``,``, thin spaces and ``'``; a decimal comma is not understood.
A four-digit number from 1800 to 2100 without separator, scale or unit is a year, unless a
plural noun follows it and no year word ("in", "since", ...) precedes it ("2000 employees").
"pounds" is mass (lb); money in pounds is "£" or "pounds sterling". "Mt" is a megatonne, "mt"
and "MT" a metric ton. A single "m" after a number is metres unless a currency precedes it.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from ..types import Quantity
from .words import FUNCTION_WORDS, MONTHS

__all__ = ["find_quantities", "parse_quantity", "same_quantity"]

_SP = "[ \u00a0\u2009\u202f]"  # one space between a number and what follows it

# -- tables ----------------------------------------------------------------------------------

# (forms, unit, factor, case-sensitive). Words are matched case-insensitively.
_MASS_LB = 0.00045359237
_UNIT_TABLE: list[tuple[tuple[str, ...], str, float, bool]] = [
    # mass, base tonne
    (("metric tons", "metric tonnes", "metric ton", "metric tonne", "tonnes", "tonne", "tons",
      "ton"), "t", 1.0, False),
    (("t", "mt", "MT"), "t", 1.0, True),
    (("short tons", "short ton"), "t", 0.90718474, False),
    (("long tons", "long ton"), "t", 1.0160469088, False),
    (("kilotonnes", "kilotons", "kilotonne", "kiloton"), "t", 1e3, False),
    (("kt",), "t", 1e3, True),
    (("megatonnes", "megatons", "megatonne", "megaton"), "t", 1e6, False),
    (("Mt",), "t", 1e6, True),
    (("Gt",), "t", 1e9, True),
    (("kilograms", "kilogram", "kilogrammes", "kilogramme", "kilos"), "t", 1e-3, False),
    (("kg", "kgs"), "t", 1e-3, True),
    (("grams", "gram", "grammes", "gramme"), "t", 1e-6, False),
    (("g",), "t", 1e-6, True),
    (("milligrams", "milligram"), "t", 1e-9, False),
    (("mg",), "t", 1e-9, True),
    (("pounds", "pound"), "t", _MASS_LB, False),
    (("lb", "lbs"), "t", _MASS_LB, True),
    (("Mlb", "Mlbs"), "t", _MASS_LB * 1e6, True),
    (("troy ounces", "troy ounce", "ounces", "ounce"), "oz", 1.0, False),
    (("oz", "ozt", "toz"), "oz", 1.0, True),
    (("koz",), "oz", 1e3, True),
    (("Moz",), "oz", 1e6, True),
    # mass rates
    (("tpa", "tpy"), "t/yr", 1.0, True),
    (("ktpa", "ktpy"), "t/yr", 1e3, True),
    (("Mtpa", "mtpa", "Mtpy"), "t/yr", 1e6, True),
    (("tpd",), "t/d", 1.0, True),
    # length, base metre
    (("kilometres", "kilometers", "kilometre", "kilometer"), "m", 1e3, False),
    (("km",), "m", 1e3, True),
    (("metres", "meters", "metre", "meter"), "m", 1.0, False),
    (("m",), "m", 1.0, True),
    (("centimetres", "centimeters", "centimetre", "centimeter"), "m", 1e-2, False),
    (("cm",), "m", 1e-2, True),
    (("millimetres", "millimeters", "millimetre", "millimeter"), "m", 1e-3, False),
    (("mm",), "m", 1e-3, True),
    (("miles", "mile"), "m", 1609.344, False),
    (("feet", "foot"), "m", 0.3048, False),
    (("ft",), "m", 0.3048, True),
    (("inches", "inch"), "m", 0.0254, False),
    # area, base square metre
    (("square kilometres", "square kilometers", "square kilometre", "square kilometer",
      "sq km"), "m²", 1e6, False),
    (("km²", "km2"), "m²", 1e6, True),
    (("square metres", "square meters", "square metre", "square meter", "sq m"), "m²", 1.0,
     False),
    (("m²", "m2"), "m²", 1.0, True),
    (("hectares", "hectare"), "m²", 1e4, False),
    (("ha",), "m²", 1e4, True),
    (("acres", "acre"), "m²", 4046.8564224, False),
    (("square miles", "square mile", "sq mi"), "m²", 2589988.110336, False),
    # volume, base cubic metre; oil in barrels
    (("cubic metres", "cubic meters", "cubic metre", "cubic meter"), "m³", 1.0, False),
    (("m³", "m3"), "m³", 1.0, True),
    (("litres", "liters", "litre", "liter"), "m³", 1e-3, False),
    (("cubic feet", "cu ft"), "m³", 0.028316846592, False),
    (("bcm",), "m³", 1e9, True),
    (("bcf",), "m³", 0.028316846592e9, True),
    (("tcf",), "m³", 0.028316846592e12, True),
    (("barrels of oil equivalent", "barrel of oil equivalent"), "boe", 1.0, False),
    (("boe",), "boe", 1.0, True),
    (("barrels", "barrel"), "bbl", 1.0, False),
    (("bbl", "bbls"), "bbl", 1.0, True),
    (("bpd", "b/d", "bopd"), "bbl/d", 1.0, True),
    # power and energy
    (("watts", "watt"), "W", 1.0, False),
    (("kilowatts", "kilowatt"), "W", 1e3, False),
    (("megawatts", "megawatt"), "W", 1e6, False),
    (("gigawatts", "gigawatt"), "W", 1e9, False),
    (("W",), "W", 1.0, True),
    (("kW",), "W", 1e3, True),
    (("MW",), "W", 1e6, True),
    (("GW",), "W", 1e9, True),
    (("TW",), "W", 1e12, True),
    (("kilowatt-hours", "kilowatt hours", "kilowatt-hour", "kilowatt hour"), "Wh", 1e3, False),
    (("megawatt-hours", "megawatt hours", "megawatt-hour", "megawatt hour"), "Wh", 1e6, False),
    (("gigawatt-hours", "gigawatt hours", "gigawatt-hour", "gigawatt hour"), "Wh", 1e9, False),
    (("Wh",), "Wh", 1.0, True),
    (("kWh",), "Wh", 1e3, True),
    (("MWh",), "Wh", 1e6, True),
    (("GWh",), "Wh", 1e9, True),
    (("TWh",), "Wh", 1e12, True),
    # grades and concentrations, speed
    (("g/t", "gpt"), "g/t", 1.0, True),
    (("grams per tonne", "grams per ton"), "g/t", 1.0, False),
    (("ppm",), "ppm", 1.0, True),
    (("ppb",), "ppb", 1.0, True),
    (("km/h", "kph"), "km/h", 1.0, True),
    (("mph",), "km/h", 1.609344, True),
]

_CURRENCY_CODES = (
    "USD EUR GBP CNY JPY CHF CAD AUD HKD NZD SGD INR KRW RUB BRL ZAR MXN SEK NOK DKK PLN TRY "
    "KZT AED SAR IDR MYR THB PHP VND TWD CZK HUF ILS EGP NGN ARS CLP COP PEN UAH"
).split()
_CURRENCY_SYMBOLS = {
    "US$": "USD", "U.S.$": "USD", "$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "HK$": "HKD", "NZ$": "NZD", "S$": "SGD", "R$": "BRL", "NT$": "TWD",
    "€": "EUR", "£": "GBP", "¥": "JPY", "￥": "CNY", "₹": "INR", "₩": "KRW", "₽": "RUB",
    "₺": "TRY", "₸": "KZT", "₦": "NGN", "₱": "PHP", "RMB": "CNY",
}
_CURRENCY_WORDS = {
    "dollars": "USD", "dollar": "USD", "us dollars": "USD", "u.s. dollars": "USD",
    "american dollars": "USD", "australian dollars": "AUD", "canadian dollars": "CAD",
    "hong kong dollars": "HKD", "singapore dollars": "SGD", "new zealand dollars": "NZD",
    "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP", "sterling": "GBP", "yuan": "CNY",
    "renminbi": "CNY", "yen": "JPY", "rubles": "RUB", "roubles": "RUB", "ruble": "RUB",
    "rouble": "RUB", "rupees": "INR", "rupee": "INR", "tenge": "KZT", "swiss francs": "CHF",
    "francs": "CHF", "元": "CNY",
}
_SCALES = {
    "hundred": 1e2, "thousand": 1e3, "lakh": 1e5, "crore": 1e7, "million": 1e6, "mn": 1e6,
    "mln": 1e6, "billion": 1e9, "bn": 1e9, "bln": 1e9, "trillion": 1e12, "tn": 1e12,
    "trn": 1e12,
}
_CURRENCY_SCALES = {"m": 1e6, "M": 1e6, "b": 1e9, "B": 1e9}
_TIME_DENOMS = {
    "year": "yr", "yr": "yr", "annum": "yr", "day": "d", "month": "mo", "mo": "mo",
    "week": "wk", "wk": "wk", "hour": "h", "hr": "h",
}
_SLASH_TIME_DENOMS = {"a": "yr", "y": "yr", "d": "d", "h": "h"}
_PRICE_DENOMS = {
    "metric ton": "t", "metric tonne": "t", "tonne": "t", "ton": "t", "t": "t", "mt": "t",
    "kilogram": "kg", "kg": "kg", "pound": "lb", "lb": "lb", "ounce": "oz", "troy ounce": "oz",
    "oz": "oz", "barrel": "bbl", "bbl": "bbl", "share": "share", "mtu": "mtu",
    "metric ton unit": "mtu", "mwh": "MWh", "kwh": "kWh", "mmbtu": "MMBtu", "gallon": "gal",
    "litre": "L", "liter": "L", "square metre": "m²", "square meter": "m²", "sq m": "m²",
}
_MONTHS = MONTHS
# A year follows these words whatever comes after the number ("in 2000 companies ..." is rare).
_STRONG_YEAR_WORDS = frozenset(
    "in since until till during circa fiscal year years mid early late end pre post".split()
)
# Words after a number that are not its unit ("5 of them", "20 years ago", "3 per share").
_STOPWORDS = FUNCTION_WORDS | frozenset(
    """about after ago all before both down either even just neither off only out over own per
    same still under up versus via vs yet""".split()
)
_NOT_PLURAL = frozenset(
    """always perhaps thus whereas towards afterwards besides sometimes gas bias lens chaos
    canvas atlas news""".split()
)
_IRREGULAR_PLURALS = frozenset(
    "people children men women staff personnel police cattle data media criteria mice".split()
)


def _form_pattern(form: str, case_sensitive: bool) -> str:
    pattern = re.escape(form).replace(r"\ ", f"{_SP}+")
    return pattern if case_sensitive else f"(?i:{pattern})"


def _alternation(forms: list[tuple[str, bool]]) -> str:
    return "|".join(_form_pattern(f, c) for f, c in sorted(forms, key=lambda fc: -len(fc[0])))


_UNIT_EXACT: dict[str, tuple[str, float]] = {}
_UNIT_FOLDED: dict[str, tuple[str, float]] = {}
_unit_forms: list[tuple[str, bool]] = []
for _forms, _unit, _factor, _case in _UNIT_TABLE:
    for _form in _forms:
        (_UNIT_EXACT if _case else _UNIT_FOLDED)[_form if _case else _form.lower()] = (
            _unit,
            _factor,
        )
        _unit_forms.append((_form, _case))
_UNIT_RE = re.compile(rf"{_SP}?(?P<u>{_alternation(_unit_forms)})(?![^\W_])")

_CUR_PREFIX = (
    r"(?<![^\W\d_])(?:"
    + "|".join(re.escape(s) for s in sorted(_CURRENCY_SYMBOLS, key=len, reverse=True))
    + "|(?:" + "|".join(_CURRENCY_CODES) + r")(?=[ \u00a0]?\d)"
    + ")"
)
_NUM = r"(?:\d{1,3}(?:[,\u2009\u202f']\d{3}(?!\d))+|\d+)(?:\.\d+)?"
_START_RE = re.compile(rf"(?:(?P<cur>{_CUR_PREFIX})[ \u00a0]?)?(?P<num>{_NUM})")
_SCALE_RE = re.compile(
    rf"{_SP}?(?P<s>(?i:{'|'.join(sorted(_SCALES, key=len, reverse=True))}))s?(?![^\W_])"
)
_K_RE = re.compile(r"(?P<s>[kK])(?![^\W_])")
_CUR_SCALE_RE = re.compile(rf"{_SP}?(?P<s>[mMbB])(?![^\W_])")
_PERCENT_RE = re.compile(
    rf"{_SP}?(?P<pct>[%％])"
    rf"|{_SP}+(?P<pp>(?i:percentage{_SP}+points?|pp|ppts?))(?![^\W_])"
    rf"|{_SP}?(?P<bp>(?i:basis{_SP}+points?)|bps|bp)(?![^\W_])"
    rf"|{_SP}+(?P<word>(?i:per{_SP}?cent|pct))(?![^\W_])"
)
_TEMP_RE = re.compile(
    rf"{_SP}?(?:(?P<c>℃)|(?P<f>℉)|[°º˚]{_SP}?(?:(?P<c2>C)|(?P<f2>F))(?![^\W_]))"
    rf"|{_SP}+degrees?{_SP}+(?:(?P<c3>Celsius|centigrade|C)|(?P<f3>Fahrenheit|F))(?![^\W_])"
)
_CUR_WORD_RE = re.compile(
    rf"{_SP}?(?P<w>元)|{_SP}+(?P<word>"
    + _alternation([(w, False) for w in _CURRENCY_WORDS if w != "元"])
    + "|"
    + "|".join([*_CURRENCY_CODES, "RMB"])
    + r")(?![^\W_])"
)
_TIME_WORDS = "|".join(sorted(_TIME_DENOMS, key=len, reverse=True))
_PRICE_WORDS = _alternation([(w, False) for w in _PRICE_DENOMS])
_RATE_RE = re.compile(
    rf"{_SP}*/{_SP}*(?P<slash>(?i:{_TIME_WORDS}|{_PRICE_WORDS}|a|y|d|h))(?![^\W_])"
    rf"|{_SP}+(?:(?i:per|an?)){_SP}+(?P<per>(?i:{_TIME_WORDS}|{_PRICE_WORDS}))s?(?![^\W_]|-)"
    rf"|{_SP}+(?P<annual>(?i:annually|per{_SP}+annum|yearly))(?![^\W_])"
)
_RANGE_SEP_RE = re.compile(
    r"[ \u00a0]*[-\u2010\u2011\u2012\u2013\u2014~][ \u00a0]*|[ \u00a0]+to[ \u00a0]+"
)
_AND_SEP_RE = re.compile(r"[ \u00a0]+and[ \u00a0]+")
_PREV_WORD_RE = re.compile(r"([^\W\d_]+)[^\w\n]{0,3}\Z")
_NEXT_WORD_RE = re.compile(rf"{_SP}+([^\W\d_][\w'’\-]*)")
_TIME_TOKEN_RE = re.compile(r"\d*(?::\d+)+")
_VERSION_TOKEN_RE = re.compile(r"[\d.]*")
_ORDINAL_RE = re.compile(r"(?:st|nd|rd|th)(?![^\W_])")
_DECADE_RE = re.compile(r"['’]?s(?![^\W_])")
_HEADING_RE = re.compile(r"(?:0\d+[ \t]+|\d{1,2}[.)][ \t]+)[A-Z]")

_MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
_MON = rf"(?<![^\W\d_])(?P<mon>{_MONTH_NAMES})(?:\.|(?![a-z]))"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})(?![\d])"
_DATE_PATTERNS = [
    re.compile(rf"{_MON}{_SP}+{_DAY},?{_SP}+{_YEAR}(?!,\d)"),
    re.compile(rf"(?<![\w.,$€£¥-]){_DAY}{_SP}+(?:of{_SP}+)?{_MON},?{_SP}+{_YEAR}"),
    re.compile(r"(?<![\w.\-/])(?P<year>\d{4})(?P<sep>[-/])(?P<mnum>\d{2})(?P=sep)(?P<day>\d{2})"
               r"(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w\-/])"),
    re.compile(rf"{_MON},?{_SP}+{_YEAR}(?!,\d)"),
    re.compile(rf"{_MON}{_SP}+{_DAY}(?![\d%])(?![.,]\d)(?![^\W\d_])"),
    re.compile(rf"(?<![\w.,$€£¥-]){_DAY}{_SP}+(?:of{_SP}+)?{_MON}"),
]


# -- dates -----------------------------------------------------------------------------------


def _date_quantity(text: str, m: re.Match[str]) -> Quantity | None:
    groups = m.groupdict()
    month = _MONTHS[groups["mon"].lower()] if groups.get("mon") else int(groups["mnum"])
    year = int(groups["year"]) if groups.get("year") else None
    day = int(groups["day"]) if groups.get("day") else None
    if not 1 <= month <= 12 or (year is not None and not 1000 <= year <= 2999):
        return None
    if day is not None:
        last = calendar.monthrange(year if year is not None else 2000, month)[1]
        if not 1 <= day <= last:
            return None
    if year is not None and day is not None:
        iso = f"{year:04d}-{month:02d}-{day:02d}"
        low = high = float(date(year, month, day).toordinal())
    elif year is not None:
        iso = f"{year:04d}-{month:02d}"
        low = float(date(year, month, 1).toordinal())
        high = float(date(year, month, calendar.monthrange(year, month)[1]).toordinal())
    else:
        iso = f"--{month:02d}-{day:02d}"
        low = high = 0.0
    return Quantity(text=m.group(), start=m.start(), end=m.end(), kind="date", value=None,
                    low=low, high=high, unit="date", iso=iso)


def _find_dates(text: str) -> list[Quantity]:
    found: list[tuple[int, int, int, Quantity]] = []
    for priority, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(text):
            q = _date_quantity(text, m)
            if q is not None:
                found.append((q.start, -(q.end - q.start), priority, q))
    found.sort(key=lambda item: item[:3])
    dates: list[Quantity] = []
    for _, _, _, q in found:
        if not dates or q.start >= dates[-1].end:
            dates.append(q)
    return dates


# -- numbers ---------------------------------------------------------------------------------


@dataclass
class _Amount:
    start: int  # includes a currency prefix or a sign
    end: int  # after the number and its scale word
    num_end: int  # after the digits
    token: str  # the digits as written
    value: float  # scaled
    currency: str | None
    scale: float  # 1.0 without a scale word


@dataclass
class _Unit:
    end: int
    kind: str
    unit: str
    factor: float = 1.0


def _is_word_char(c: str) -> bool:
    return c.isalnum() and ord(c) < 0x2E80  # CJK text runs into numbers without spaces


def _prev_word(text: str, pos: int) -> str:
    m = _PREV_WORD_RE.search(text, max(0, pos - 40), pos)
    return m.group(1).lower() if m else ""


def _rejected_before(text: str, s: int) -> bool:
    """Whether the digits at ``s`` are glued to a word or code ("CO2", "F-35", "B2-2008")."""
    if s == 0:
        return False
    c = text[s - 1]
    if _is_word_char(c) or c == "_":
        return True
    before = text[s - 2] if s >= 2 else ""
    if c in ".:" and before and _is_word_char(before):
        return True
    if c in "-\u2010\u2011/" and before:
        if before.isdigit():
            if c == "/":
                return True
            k = s - 2  # "3-1" after a failed range: a number; "B2-2008", "2008-44": a code
            while k >= 0 and (text[k].isdigit() or text[k] in ",."):
                k -= 1
            return k >= 0 and (_is_word_char(text[k]) or text[k] in "-\u2010\u2011/_")
        if _is_word_char(before):
            word = _PREV_WORD_RE.search(text, max(0, s - 40), s - 1)
            token = word.group(1) if word else ""
            return not (len(token) >= 3 and token.islower())  # "mid-2025", "top-10"
    return False


def _read_amount(text: str, m: re.Match[str], first: bool = True) -> _Amount | None:
    """The number matched by ``m`` with its currency prefix, sign and scale word."""
    s, num_end = m.start("num"), m.end("num")
    token = m.group("num")
    currency = _CURRENCY_SYMBOLS.get(m.group("cur") or "") or (m.group("cur") or None)
    start = m.start()
    sign = 1.0
    if not currency and first:
        if _rejected_before(text, s):
            return None
        if s >= 1 and text[s - 1] in "-\u2212+" and (s == 1 or text[s - 2] in " \t\n(["):
            start = s - 1
            sign = -1.0 if text[s - 1] != "+" else 1.0
    value = sign * float(re.sub(r"[,\u2009\u202f']", "", token))
    end = num_end
    factor = 1.0
    scale = _SCALE_RE.match(text, end) or _K_RE.match(text, end)
    if scale is None and currency:
        scale = _CUR_SCALE_RE.match(text, end)
    if scale is not None:
        word = scale.group("s")
        factor = _SCALES.get(word.lower()) or _CURRENCY_SCALES.get(word) or 1e3
        value *= factor
        end = scale.end()
    return _Amount(start, end, num_end, token, value, currency, factor)


def _read_rate(text: str, pos: int, currency: bool) -> tuple[int, str] | None:
    m = _RATE_RE.match(text, pos)
    if m is None:
        return None
    if m.group("annual"):
        return m.end(), "yr"
    word = re.sub(rf"{_SP}+", " ", m.group("slash") or m.group("per")).lower()
    if word in _TIME_DENOMS:
        return m.end(), _TIME_DENOMS[word]
    if m.group("slash") and word in _SLASH_TIME_DENOMS:
        return m.end(), _SLASH_TIME_DENOMS[word]
    if currency and word in _PRICE_DENOMS:
        return m.end(), _PRICE_DENOMS[word]
    return None


def _read_unit(text: str, pos: int, currency: str | None) -> _Unit | None:
    """The percent sign, temperature, currency word or unit at ``pos``, with a rate suffix."""
    if currency is None:
        m = _PERCENT_RE.match(text, pos)
        if m is not None:
            symbol = "pp" if m.group("pp") else "bp" if m.group("bp") else "%"
            return _Unit(m.end(), "percent", symbol)
        m = _TEMP_RE.match(text, pos)
        if m is not None:
            celsius = m.group("c") or m.group("c2") or m.group("c3")
            return _Unit(m.end(), "temperature", "°C" if celsius else "°F")
        m = _CUR_WORD_RE.match(text, pos)
        if m is not None:
            word = re.sub(rf"{_SP}+", " ", m.group("w") or m.group("word"))
            code = _CURRENCY_WORDS.get(word.lower()) or _CURRENCY_SYMBOLS.get(word) or word
            unit = _Unit(m.end(), "currency", code)
        else:
            m = _UNIT_RE.match(text, pos)
            if m is None:
                return None
            form = re.sub(rf"{_SP}+", " ", m.group("u"))
            base, factor = _UNIT_EXACT.get(form) or _UNIT_FOLDED[form.lower()]
            unit = _Unit(m.end(), "quantity", base, factor)
    else:
        unit = _Unit(pos, "currency", currency)
    if "/" not in unit.unit:
        rate = _read_rate(text, unit.end, unit.kind == "currency")
        if rate is not None:
            unit = _Unit(rate[0], unit.kind, f"{unit.unit}/{rate[1]}", unit.factor)
    return unit


def _counted_noun(text: str, pos: int, lowercase_only: bool) -> str | None:
    """The plural head noun within four words after ``pos`` ("new wind farms")."""
    for _ in range(4):
        m = _NEXT_WORD_RE.match(text, pos)
        if m is None:
            return None
        word = m.group(1).rstrip("'’-")
        lower = word.lower()
        if lower in _STOPWORDS or (lowercase_only and not word.islower()):
            return None
        if lower in _IRREGULAR_PLURALS or (
            len(lower) > 3
            and lower.endswith("s")
            and not lower.endswith(("ss", "us", "is", "'s", "’s"))
            and lower not in _NOT_PLURAL
        ):
            return lower
        pos = m.end()
        if pos < len(text) and text[pos] not in " \u00a0":
            return None
    return None


def _is_year_token(a: _Amount) -> bool:
    return (
        len(a.token) == 4 and a.token.isdigit() and 1800 <= a.value <= 2100
        and a.scale == 1.0 and a.currency is None and a.start == a.num_end - 4
    )


def _year(text: str, a: _Amount) -> Quantity:
    return Quantity(text=text[a.start : a.num_end], start=a.start, end=a.num_end, kind="year",
                    value=a.value, low=a.value, high=a.value, unit="year", iso=a.token)


def _make(text: str, start: int, end: int, kind: str, low: float, high: float | None,
          unit: str, counted: str | None = None) -> Quantity:
    if high is None or math.isclose(low, high):
        return Quantity(text[start:end], start, end, kind, low, low, low, unit, counted)
    return Quantity(text[start:end], start, end, kind, None, low, high, unit, counted)


def _at_line_start(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return not text[line_start:pos].strip()


def _match_end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    m = pattern.match(text, pos)
    return m.end() if m else pos


def _read_quantity(text: str, m: re.Match[str], date_start: int) -> tuple[list[Quantity], int]:
    """Quantities starting at the number matched by ``m``, and where to resume scanning."""
    num_end = m.end("num")
    following = text[num_end : num_end + 2]
    if following[:1] == ":" and following[1:2].isdigit():  # a time or ratio: 08:57, 3:1
        return [], _match_end(_TIME_TOKEN_RE, text, num_end)
    if following[:1] == "." and following[1:2].isdigit():  # a version: 1.2.3
        return [], _match_end(_VERSION_TOKEN_RE, text, num_end)
    first = _read_amount(text, m)
    if first is None:
        return [], num_end
    if first.currency is None and _at_line_start(text, first.start):
        if _HEADING_RE.match(text, first.start):
            return [], num_end
    unit1 = _read_unit(text, first.end, first.currency)
    end1 = unit1.end if unit1 else first.end

    ranged = _read_range(text, first, unit1, end1, date_start)
    if ranged is not None:
        return ranged
    nxt = text[first.num_end : first.num_end + 1]
    if unit1 is None and first.scale == 1.0 and nxt and _is_word_char(nxt):
        o_end = _match_end(_ORDINAL_RE, text, first.num_end)
        if o_end > first.num_end:
            return [_make(text, first.start, o_end, "number", first.value, None, "")], o_end
        decade = _DECADE_RE.match(text, first.num_end)
        if decade and _is_year_token(first) and first.token.endswith("0"):
            q = Quantity(text[first.start : decade.end()], first.start, decade.end(), "year",
                         None, first.value, first.value + 9, "year",
                         iso=f"{first.token}/{int(first.token) + 9}")
            return [q], decade.end()
        return [], _skip_word(text, first.num_end)
    return [_finish(text, first.start, end1, first.value, None, unit1, first)], end1


def _read_range(
    text: str, first: _Amount, unit1: _Unit | None, end1: int, date_start: int
) -> tuple[list[Quantity], int] | None:
    """A range starting with ``first``: "$3-4 billion", "0.13% - 0.15%", "20 to 30 tons",
    "between 3 and 4 million", or two years "2023-2024"; None when there is none."""
    prev = _prev_word(text, first.start)
    sep = _RANGE_SEP_RE.match(text, end1)
    if sep is not None and prev == "from" and sep.group().strip() == "to":
        sep = None
    if sep is None and prev == "between":
        sep = _AND_SEP_RE.match(text, end1)
    if sep is None:
        return None
    m2 = _START_RE.match(text, sep.end())
    second = _read_amount(text, m2, first=False) if m2 and m2.end() <= date_start else None
    if second is None:
        return None
    if _is_year_token(first) and unit1 is None:
        if _is_year_token(second):
            return [_year(text, first), _year(text, second)], second.num_end
        return None
    if (second.currency or first.currency) and second.currency not in (None, first.currency):
        return None
    unit2 = _read_unit(text, second.end, second.currency or first.currency)
    same = unit1 is None or (
        unit2 is not None
        and (unit1.kind, unit1.unit, unit1.factor) == (unit2.kind, unit2.unit, unit2.factor)
    )
    low = first.value * (second.scale if first.scale == 1.0 else 1.0)
    if not same or low >= second.value:
        return None
    unit = unit2 or unit1
    end = unit.end if unit else second.end
    nxt = text[end : end + 1]
    if unit is None and nxt and _is_word_char(nxt):
        return None
    return [_finish(text, first.start, end, low, second.value, unit, first)], end


def _skip_word(text: str, pos: int) -> int:
    while pos < len(text) and (_is_word_char(text[pos]) or text[pos] == "_"):
        pos += 1
    return pos


def _finish(text: str, start: int, end: int, low: float, high: float | None,
            unit: _Unit | None, first: _Amount) -> Quantity:
    """The quantity over ``[start, end)``, its kind decided by its unit or what follows."""
    if unit is not None:
        f = unit.factor
        return _make(text, start, end, unit.kind, low * f, None if high is None else high * f,
                     unit.unit)
    if high is None and _is_year_token(first):
        prev = _prev_word(text, first.start)
        month_before = prev in _MONTHS
        if prev in _STRONG_YEAR_WORDS or month_before:
            return _year(text, first)
        counted = _counted_noun(text, end, lowercase_only=True)
        if counted is None:
            return _year(text, first)
        return _make(text, start, end, "count", low, high, "count", counted)
    counted = _counted_noun(text, end, lowercase_only=False)
    if counted is not None:
        return _make(text, start, end, "count", low, high, "count", counted)
    return _make(text, start, end, "number", low, high, "")


def find_quantities(text: str) -> list[Quantity]:
    """Find every number written with digits in ``text``, normalised.

    Args:
        text: any text (a document, a sentence, an answer).

    Returns:
        Quantities in order of position, non-overlapping, each with
        ``text[q.start:q.end] == q.text``. See the module docstring for kinds and units.
    """
    dates = _find_dates(text)
    found: list[Quantity] = list(dates)
    di = 0
    pos = 0
    while True:
        m = _START_RE.search(text, pos)
        if m is None:
            break
        while di < len(dates) and dates[di].end <= m.start():
            di += 1
        if di < len(dates) and dates[di].start <= m.start("num") < dates[di].end:
            pos = dates[di].end
            continue
        date_start = dates[di].start if di < len(dates) else len(text)
        quantities, resume = _read_quantity(text, m, date_start)
        found.extend(q for q in quantities if q.end <= date_start)
        pos = max(resume, m.end("num"))
    found.sort(key=lambda q: q.start)
    return found


def parse_quantity(text: str) -> Quantity | None:
    """The first quantity in ``text``, or None when it has no number."""
    found = find_quantities(text)
    return found[0] if found else None


class _Measured(Protocol):
    """A Quantity or a Fact (frozen dataclasses: read-only members)."""

    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def unit(self) -> str: ...
    @property
    def iso(self) -> str | None: ...


_UNITLESS = frozenset({"count", "number"})


def same_quantity(a: _Measured, b: _Measured) -> bool:
    """Whether two quantities (or facts) state the same amount.

    Exact after normalisation: kinds must agree (a count and a bare number are compatible),
    units must be equal, dates must have the same ``iso``, and a point matches only a point
    (values within a relative tolerance of 1e-6) and a range only a range with the same bounds.
    "2.4 million tons" never matches "2.4 tons"; "$4-5 billion" matches the range 4e9..5e9.
    """
    if a.kind != b.kind and not (a.kind in _UNITLESS and b.kind in _UNITLESS):
        return False
    if a.kind not in _UNITLESS and a.unit != b.unit:
        return False
    if a.kind == "date":
        return a.iso is not None and a.iso == b.iso
    if (a.value is None) != (b.value is None):
        return False
    if a.value is not None and b.value is not None:
        return _close(a.value, b.value)
    return _close(a.low, b.low) and _close(a.high, b.high)


def _close(x: float, y: float) -> bool:
    return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-12)
