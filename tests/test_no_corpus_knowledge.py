"""The product knows nothing of any one corpus: no word distinctive of the shipped article
appears anywhere in the package (code, comments, templates, the web UI)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
# Words that mark the seed article (Kazakhstan's tungsten): its places, companies, people,
# source and subject vocabulary. General English words it also uses are not listed.
SEED_WORDS = (
    "tungsten", "kazakhstan", "katapar", "almonty", "sunsirs", "samruk", "kazyna", "baku-tau",
    "bakutau", "kuyrektykol", "sangdong", "gentung", "tokayev", "tau-ken", "jiangxi", "wolfram",
    "scheelite", "wolframite", "oblast", "smelter", "deposit", "molybdenum", "karaganda",
)
TEXT_FILES = (".py", ".js", ".css", ".html", ".json", ".md", ".txt", ".toml", ".yaml")


def test_no_seed_article_word_in_the_package() -> None:
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, SEED_WORDS)) + r")", re.I)
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix not in TEXT_FILES:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = pattern.search(line)
            if match:
                found.append(f"{path.relative_to(PACKAGE)}:{n}: {match.group()}")
    assert not found, "corpus words in the product:\n" + "\n".join(found)
