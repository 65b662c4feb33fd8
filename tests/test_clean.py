"""Chrome removal and metadata on the seed page, a made-up site, and a plain article."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.clean import clean_page

HEADINGS = [
    "01 Tungsten's strategic value highlights and leverages the evolution of the global "
    "resource pattern",
    "01 Geopolitical conflicts and great power competition intensify the global struggle for "
    "tungsten resources",
    "02 Global tungsten production and supply chain is highly concentrated, exacerbating "
    "Western strategic anxiety",
    "03 The United States takes multiple measures to accelerate the localization of domestic "
    "tungsten production.",
    "02 Seizing top-tier untapped resources becomes key to US comeback",
    "01 Core Options for Global Alternative Supplies",
    "02 The advantage of early development cooperation between China and Kazakhstan",
    '03 The United States\' unconventional means "interception" action',
    "03 Global supply chain restructuring and the chain reaction of the geopolitical pattern",
]

BODY_SENTENCES = [
    "Tungsten, as a critical mineral for the national defense industry and high - end "
    "manufacturing, the global supply chain pattern of tungsten directly affects the strategic "
    "security of major powers.",
    "In 2024, the global tungsten output was approximately 81,000 tons.",
    "The tungsten concentrate mining quota issued in April 2025 decreased by 6.45% year - on - "
    "year.",
    "Tungsten belongs to the niche metal market, and the mainstream valuation covering the entire "
    "industrial chain is concentrated around $4-5 billion.",
    "Since 2018, Kazakhstan has issued 2,906 exploration permits and 111 production permits, but "
    "only a dozen or so locations are actively being explored.",
    "The North Katapar Deposit(in Karaganda), with WO₃ reserves of about 1 million tons, an "
    "average grade of 0.13% - 0.15%, unmined;",
    "The project, led by Jiangxi Copper Group, officially started production in November 2024.",
    "The U.S. Export-Import Bank provided a letter of intent for $900 million in support, and "
    "private capital filled the $200 million gap, significantly enhancing the competitiveness of "
    "U.S. companies in the bidding process.",
    "Its mining cost is significantly lower than similar projects in China.",
    "However, the unconventional intervention of the US government has led to the loss of mining "
    "rights by Jiangxi Copper at the last minute.",
    "Driven by the dual forces of great power politics and industrial transformation, the "
    "strategic value of core resources will continue to be highlighted, becoming a key variable "
    "affecting national competitiveness and the global pattern.",
]

SEED_CHROME = [
    "SunSirs--China Commodity Data Group",
    "Language",
    "中文",
    "日本語",
    "Русский",
    "Tiếng Việt",
    "Sign In",
    "Join Now",
    "Contact Us",
    "About SunSirs",
    "Home > News > News Detail",
    "News Detail",
    "November 21 2025",
    "(lkhu)",
    "support@sunsirs.com",
    "If you have any inquiries",
    "Copyright Notice",
    "please mark the source SunSirs",
    "Related Information",
    "Exchange Rate:",
    "8 Industries",
    "Rubber & Plastics",
    "Agricultural & Sideline Products",
    "Building Materials",
    "All Rights Reserved",
    "B2-20080131-44",
    "Please fill in the information carefully",
    "User Name:",
    "Password:",
    "Phone Number:",
    "Address:",
]


@pytest.fixture(scope="module")
def seed_page(seed_raw: str):
    return clean_page(seed_raw)


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def test_seed_chrome_is_gone(seed_page) -> None:
    for chrome in SEED_CHROME:
        assert chrome not in seed_page.text, chrome
    lines = _lines(seed_page.text)
    assert "News" not in lines
    assert "*" not in lines
    assert "Energy" not in lines and "Steel" not in lines and "Textile" not in lines


def test_seed_body_survives_verbatim(seed_page) -> None:
    for sentence in BODY_SENTENCES + HEADINGS:
        assert sentence in seed_page.text, sentence
    paragraphs = seed_page.text.split("\n\n")
    for heading in HEADINGS:
        assert heading in paragraphs  # each heading stays a paragraph of its own
    assert paragraphs[1].startswith("Tungsten, as a critical mineral")
    assert paragraphs[-1].startswith("In the future, the competition for key global minerals")


def test_seed_every_body_line_is_kept_in_order(seed_raw: str, seed_page) -> None:
    raw_lines = seed_raw.split("\n")
    first = next(i for i, line in enumerate(raw_lines) if line.startswith("Tungsten, as a"))
    last = next(i for i, line in enumerate(raw_lines) if line.startswith("In the future, the c"))
    body = [line for line in raw_lines[first : last + 1] if line.strip()]
    assert _lines(seed_page.text)[1:] == body


def test_seed_metadata(seed_page) -> None:
    assert seed_page.title == (
        "SunSirs: U.S. Rushes to Claim Stake in Kazakhstan’s Tungsten Amid Global Resource "
        "Competition"
    )
    assert seed_page.published == "2025-11-21T08:57:57"
    assert seed_page.source == "China Geological Survey"
    assert seed_page.text.split("\n\n")[0] == seed_page.title


def test_seed_whitespace_is_normalised(seed_page) -> None:
    text = seed_page.text
    assert "\n\n\n" not in text
    assert "\u00a0\n" not in text and not text.endswith("\u00a0")
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert text == text.strip()


OTHER_SITE = """\
MetalWire Daily

Idioma
Nederlands
Polski
Svenska
हिन्दी
ไทย
Ελληνικά

Log in | Register | Newsletter

Start » Markets » Article

Copper Smelters Cut Output as Ore Supply Tightens in Chile
Published: 3 March 2024 | Andes Mining Review

Chile's largest copper smelters reduced output by 12% in February, according to the national \
mining ministry. The cut follows a sharp fall in concentrate shipments from the Escondida mine.

Analysts at Cochilco expect refined production of 2.1 million tonnes this year. That would be \
the lowest figure since 2019.

1 Why concentrate is scarce

Treatment charges fell to $10 per tonne, a level at which many smelters lose money. Several \
plants have postponed maintenance to keep furnaces running.

   \u00a0

Questions? Write to our desk at desk@metalwire.example for assistance.
Copyright 2024 MetalWire Media Ltd. Reproduction prohibited.

Topics
Base Metals
Precious Metals
Battery Materials
Energy Markets

Subscribe to our newsletter
Full Name:
*
E-mail Address:
*
Country:
"""


def test_other_site_is_cleaned_without_site_strings() -> None:
    page = clean_page(OTHER_SITE)
    assert page.title == "Copper Smelters Cut Output as Ore Supply Tightens in Chile"
    assert page.published == "2024-03-03"
    assert page.source == "Andes Mining Review"
    paragraphs = page.text.split("\n\n")
    assert paragraphs == [
        "Copper Smelters Cut Output as Ore Supply Tightens in Chile",
        "Chile's largest copper smelters reduced output by 12% in February, according to the "
        "national mining ministry. The cut follows a sharp fall in concentrate shipments from the "
        "Escondida mine.",
        "Analysts at Cochilco expect refined production of 2.1 million tonnes this year. That "
        "would be the lowest figure since 2019.",
        "1 Why concentrate is scarce",
        "Treatment charges fell to $10 per tonne, a level at which many smelters lose money. "
        "Several plants have postponed maintenance to keep furnaces running.",
    ]


def test_plain_article_comes_back_intact() -> None:
    plain = (
        "Tungsten prices in Europe\n\n"
        "Prices of ammonium paratungstate rose 4% in May. Traders cited thin supply.\n"
        "A second line of the same paragraph follows here.\n\n\n\n"
        "Key points:\n"
        "- Chinese export quotas tightened\n"
        "- Vietnamese output was flat\n"
        "- Stocks at Rotterdam fell\n\n"
        "Demand from the carbide sector stayed firm through the quarter.   \n"
    )
    page = clean_page(plain)
    expected = plain.replace("\n\n\n\n", "\n\n").replace("   \n", "\n").strip()
    assert page.text == expected
    assert page.title == "Tungsten prices in Europe"
    assert page.published is None and page.source is None


WRAPPED_REPORT = """\
Annual Report on Critical Minerals 2024
Prepared for the Ministry of Industry

1. Introduction
Tungsten is a strategic metal used in cutting tools, armour-piercing
ammunition and lighting filaments. Global production in 2024 was
about 81,000 tons, of which China mined the largest share.
2. Supply risks
Supply is concentrated in a handful of countries:
China
Vietnam
Russia
Bolivia
Export controls introduced in 2023 have tightened availability."""

MARKDOWN = """\
# Tungsten Market Notes

## Supply

China produced most of the world's tungsten in 2024. Output was
approximately 81,000 tons, according to the
USGS.

| Country | Output |
|---|---|
| China | 67,000 |
| Vietnam | 3,400 |

## Demand

- Carbide tools
- Filaments
- Alloys

Prices rose."""


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (WRAPPED_REPORT, "Annual Report on Critical Minerals 2024"),
        (MARKDOWN, "Tungsten Market Notes"),
    ],
)
def test_wrapped_lines_lists_and_tables_are_kept(text: str, title: str) -> None:
    page = clean_page(text)
    assert page.title == title
    kept = page.text.split("\n")
    for line in text.split("\n"):  # every line is kept, in order, either alone or joined
        assert line in page.text
    for line in text.split("\n"):
        if line[:1] in "#|-" or line.istitle():  # headings, table rows, list items stay lines
            assert line in kept


def test_wrapped_sentences_are_joined_and_a_title_block_is_not() -> None:
    page = clean_page(WRAPPED_REPORT)
    lines = page.text.split("\n")
    assert lines[:2] == ["Annual Report on Critical Minerals 2024",
                         "Prepared for the Ministry of Industry"]
    assert (
        "Tungsten is a strategic metal used in cutting tools, armour-piercing ammunition and "
        "lighting filaments. Global production in 2024 was about 81,000 tons, of which China "
        "mined the largest share."
    ) in lines
    assert "2. Supply risks" in lines and "Bolivia" in lines  # list lines stay lines
    md = clean_page(MARKDOWN).text
    assert "approximately 81,000 tons, according to the USGS." in md


def test_a_word_broken_across_lines_is_joined_whole() -> None:
    from assistant.ingest.clean import join_wrapped

    assert join_wrapped("a steady supply of electri-", "city to the mines") == (
        "a steady supply of electricity to the mines"
    )
    assert join_wrapped("a cutting-", "edge mill") == "a cutting-edge mill"
    assert join_wrapped("in", "2024") == "in 2024"


def test_chinese_page() -> None:
    raw = (
        "首页 > 新闻 > 正文\n"
        "钨价上涨，出口管制收紧\n"
        "2024-05-06 10:20 来源：中国有色金属报\n"
        "5月份，钨精矿价格上涨4%。市场人士认为，供应偏紧是主要原因。\n"
        "版权所有 © 2024 某某网 京ICP备12345678号\n"
    )
    page = clean_page(raw)
    assert (
        page.text
        == "钨价上涨，出口管制收紧\n\n5月份，钨精矿价格上涨4%。市场人士认为，供应偏紧是主要原因。"
    )
    assert page.title == "钨价上涨，出口管制收紧"
    assert page.published == "2024-05-06T10:20"
    assert page.source == "中国有色金属报"


def test_byline_is_not_the_title() -> None:
    raw = (
        "Skip to content\nMenu\nSearch\nMarkets\n"
        "Tungsten hits decade high on Chinese curbs\nBy Jane Doe\n12 June 2024\n"
        "Tungsten prices hit their highest level in a decade on Wednesday, traders said.\n"
    )
    page = clean_page(raw)
    assert page.title == "Tungsten hits decade high on Chinese curbs"
    assert page.published == "2024-06-12"
    assert page.text == (
        "Tungsten hits decade high on Chinese curbs\n\nBy Jane Doe\n"
        "Tungsten prices hit their highest level in a decade on Wednesday, traders said."
    )


def test_text_without_a_title_has_none() -> None:
    text = "The mine reopened in 2021. It produced 3,000 tons of concentrate last year."
    page = clean_page(text)
    assert page.text == text
    assert page.title is None


def test_empty_page() -> None:
    assert clean_page(" \n\u00a0\n\n").text == ""


@pytest.mark.parametrize(
    ("dateline", "published", "source"),
    [
        ("March 5, 2024 | Mining Weekly", "2024-03-05", "Mining Weekly"),
        ("2023-12-01 14:30 Source: Metal Bulletin", "2023-12-01T14:30", "Metal Bulletin"),
        ("Updated 7 Sept 2022", "2022-09-07", None),
        ("Jan. 9 2021 3:05 pm — Ore Desk (jd)", "2021-01-09T15:05", "Ore Desk"),
        ("Posted 2020/02/29 by staff", "2020-02-29", "by staff"),
    ],
)
def test_dateline_formats(dateline: str, published: str, source: str | None) -> None:
    body = "The smelter restarted its second line after a three-month outage in the spring."
    page = clean_page(f"Smelter Restart Lifts Regional Output\n{dateline}\n\n{body}")
    assert page.published == published
    assert page.source == source
    assert page.title == "Smelter Restart Lifts Regional Output"
    assert page.text == f"Smelter Restart Lifts Regional Output\n\n{body}"


def test_impossible_date_is_not_a_dateline() -> None:
    page = clean_page("Quarterly Review of Metals\n2024-13-45\n\nOutput rose in all regions.")
    assert page.published is None
    assert "2024-13-45" in page.text


_LINES = st.sampled_from(
    [
        "Home > Metals > Story",
        "Sign up",
        "Deutsch",
        "中文",
        "Email:",
        "*",
        "© 2024 Example Media",
        "Write to help@example.org with questions.",
        "March 5, 2024 | Wire",
        "A Headline About Tungsten Supply Chains",
        "01 A numbered section heading about tungsten",
        "Output rose 5% in 2024, the ministry said on Monday in a statement.",
        "Short line",
        "",
        "\u00a0",
        "   ",
    ]
)


@given(st.lists(st.one_of(_LINES, st.text(max_size=60)), max_size=40))
@settings(max_examples=200, deadline=None)
def test_output_is_an_ordered_subset_of_input_lines(lines: list[str]) -> None:
    """Each kept line is an input line, or consecutive input lines of one wrapped paragraph
    joined (by a space, or whole across a hyphen): no character is invented or reordered."""
    raw = "\n".join(lines)
    page = clean_page(raw)

    def bare(text: str) -> str:
        return "".join(text.split()).replace("-", "")

    source = [
        bare(line) for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    at = 0
    for line in filter(None, page.text.split("\n")):
        wanted, found = bare(line), False
        while at < len(source) and not found:
            joined, end = "", at
            while end < len(source) and len(joined) < len(wanted):
                joined += source[end]
                end += 1
            found = joined == wanted and end > at
            at = end if found else at + 1
        assert found, line  # found, and in order
    assert "\n\n\n" not in page.text
    assert page.text == page.text.rstrip() and not page.text.startswith("\n")
