"""Remove site chrome from a page flattened to text and read its title, date and source.

Everything here works on line *shapes*, never on one site's strings:

- Hard-wrapped lines (PDF, plain text) are first joined into their paragraph: a long line that
  does not end a sentence, or one followed by a lowercase start, continues on the next line.
- A line (or wrapped paragraph) is **prose** when it reads like a paragraph (ends a sentence and
  has a few words, or is long); **short** when it is a few words with no sentence punctuation
  (menu items, language names in any script, sign-in links), bullets and number rows excepted;
  a **label** when it is a few words ending in ":" (form fields, empty widgets);
  **punctuation-only** ("*", "|").
- A line is **chrome on its own** when it is a copyright/licence line, an ICP licence number,
  a breadcrumb ("A > B > C"), or contact boilerplate (an e-mail address plus a contact verb).
- Consecutive short/label/punctuation/chrome lines form a *run*; a run is removed when it holds
  chrome, or when it has three or more lines (a menu) not introduced by a line ending in ":".
  Lone "*"/"|" markers go everywhere.
- Removed runs cut the page into segments. The segment holding most prose is the article;
  small or prose-free segments after it are footer blocks and go too.
- Before the article's first paragraph sits the header: the *dateline* (a short line holding a
  date) gives the published date and the source (what follows the date, less a trailing
  editor tag such as "(lkhu)"); the title is the last title-like line above the dateline, or
  else the longest title-like line in the header. The title is kept as the first paragraph;
  the dateline and page furniture above the title go.

Kept lines keep their characters: only trailing whitespace goes, whitespace-only lines
(``\\u00a0``) count as blank, and blank-line runs become one blank line. The lines of one
hard-wrapped paragraph are joined into one line with a space (a word hyphenated across the
break is joined whole when the joined word is an English word), so a wrap never ends a
sentence; a line starting with a bullet or a list number starts a new line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..text.words import MONTHS
from ..types import Page

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’»)\]」』]*$")
_LABEL_END = re.compile(r"[:：]$")
_HAS_WORD = re.compile(r"\w")
_SECTION_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]?|[IVXivx]{1,4}[.)])\s+\S")
_BULLET = re.compile(r"^(?:[-•*·▪‣◦–—]|\d{1,3}[.)])\s+\S")
_CRUMB_SEPARATOR = re.compile(r"\s+[>»›→]\s+")
_BAR_SEPARATOR = re.compile(r"\s+\|\s+")
_COPYRIGHT = re.compile(
    r"©|\(c\)\s*(?:19|20)\d\d|\ball rights reserved\b|^\W*copyright\b"
    r"|\bcopyright\s+(?:notice|statement|\d{4})|版权所有|版权声明",
    re.IGNORECASE,
)
_LICENCE = re.compile(
    r"\bICP\b|ICP[备證证]|公网安备|[\u4e00-\u9fff][A-Z]\d-\d{6,}-\d+", re.IGNORECASE
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CONTACT_VERB = re.compile(
    r"\b(?:contact|inquir|enquir|question|e-?mail|write to|reach (?:us|out)|get in touch"
    r"|feedback|support|customer service|help)",
    re.IGNORECASE,
)
_CONTACT_LABEL = re.compile(r"^(?:tel|phone|fax|hotline|e-?mail)\b.{0,12}[:：]", re.IGNORECASE)

_MONTHS = MONTHS
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = (
    r"(?:(?:\s*,\s*|\s+|T)(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?)?"
)
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_DATE_PATTERNS = [
    re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR + _TIME, re.I),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+" + _YEAR + _TIME, re.I),
    re.compile(
        r"(?<!\d)"
        + _YEAR
        + r"(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)"
        + _TIME,
        re.I,
    ),
]
_SOURCE_LEAD = re.compile(
    r"^[\s|,;:·•—–-]*(?:(?:source|from|via|来源|來源|出典)\s*[:：]?\s*)?", re.IGNORECASE
)
_BYLINE = re.compile(r"^(?:by|from|written by|posted by|作者)\b", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_EDITOR_TAG = re.compile(r"\s*\((?P<tag>[^()\s]{1,12})\)\s*$")


@dataclass
class _Line:
    text: str  # the line as kept: original characters, trailing whitespace removed
    block: int  # lines of one block were separated by single newlines
    unit: int  # lines of one unit are one hard-wrapped paragraph
    weight: int  # these flags describe the line's unit: the line, or its wrapped paragraph
    prose: bool
    short: bool
    label: bool
    punctuation: bool
    chrome: bool

    @property
    def chromeish(self) -> bool:
        return self.short or self.label or self.punctuation or self.chrome

    @property
    def lone_marker(self) -> bool:  # "*" or "|" left over from a form or a menu
        return self.punctuation and len(self.text.strip()) <= 2


def _weight(stripped: str) -> int:
    return len(stripped.split()) + len(_CJK.findall(stripped)) // 2


def _mostly_digits(stripped: str) -> bool:
    alnum = [c for c in stripped if c.isalnum()]
    return bool(alnum) and sum(c.isdigit() for c in alnum) > 0.3 * len(alnum)


def _is_breadcrumb(stripped: str) -> bool:
    for separator, least in ((_CRUMB_SEPARATOR, 2), (_BAR_SEPARATOR, 3)):
        parts = separator.split(stripped)
        if len(parts) >= least and all(
            0 < _weight(p) <= 5 and not _SENTENCE_END.search(p) for p in parts
        ):
            return True
    return False


def _is_chrome(stripped: str, weight: int) -> bool:
    if _COPYRIGHT.search(stripped) or _LICENCE.search(stripped) or _is_breadcrumb(stripped):
        return True
    if _EMAIL.search(stripped) and _CONTACT_VERB.search(stripped) and weight <= 60:
        return True
    return bool(_CONTACT_LABEL.search(stripped)) and weight <= 12


def _continues(previous: str, following: str) -> bool:
    """Whether ``following`` is the next line of a hard-wrapped paragraph (PDF, plain text)."""
    if len(previous) < 35 or _find_date(following) is not None:
        return False  # menus are short lines; a title is not wrapped into its dateline
    if _BULLET.match(following):
        return False  # a list item starts its own line
    if following[:1].islower():
        return True
    return not (_SENTENCE_END.search(previous) or _LABEL_END.search(previous))


def _classify(texts: list[str], block: int, unit: int) -> list[_Line]:
    stripped = " ".join(text.strip() for text in texts)
    weight = _weight(stripped)
    ends = bool(_SENTENCE_END.search(stripped))
    punctuation = not _HAS_WORD.search(stripped)
    heading = bool(_SECTION_NUMBER.match(stripped)) and weight >= 4
    label = bool(_LABEL_END.search(stripped)) and weight <= 5 and len(stripped) <= 40
    short = (
        not (punctuation or heading or label or ends)
        and weight <= 6
        and len(stripped) <= 60
        and not _BULLET.match(stripped)  # list items are content
        and not _mostly_digits(stripped)  # so are table rows
    )
    chrome = _is_chrome(stripped, weight)
    prose = (ends and weight >= 6) or weight >= 20
    return [
        _Line(text, block, unit, weight, prose, short, label, punctuation, chrome)
        for text in texts
    ]


def _split_lines(raw: str) -> list[_Line]:
    lines: list[_Line] = []
    block = 0
    unit: list[str] = []
    for physical in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        text = physical.rstrip()
        if not text.strip():
            lines.extend(_classify(unit, block, len(lines)) if unit else [])
            unit = []
            block += 1
        elif unit and not _continues(unit[-1].strip(), text.strip()):
            lines.extend(_classify(unit, block, len(lines)))
            unit = [text]
        else:
            unit.append(text)
    lines.extend(_classify(unit, block, len(lines)) if unit else [])
    return lines


def _is_list(lines: list[_Line], first: int) -> bool:
    """A run of short lines introduced by a body line ending in ':' is a list, not a menu."""
    before = lines[first - 1] if first > 0 else None
    return (
        before is not None and not before.chromeish and bool(_LABEL_END.search(before.text.strip()))
    )


def _removed_runs(lines: list[_Line]) -> set[int]:
    removed: set[int] = set()
    i = 0
    while i < len(lines):
        if not lines[i].chromeish:
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and lines[j + 1].chromeish:
            j += 1
        run = lines[i : j + 1]
        has_chrome = any(line.chrome for line in run)
        if has_chrome or (len(run) >= 3 and not _is_list(lines, i)):
            removed.update(range(i, j + 1))
        else:
            removed.update(k for k in range(i, j + 1) if lines[k].lone_marker)
        i = j + 1
    return removed


def _segments(lines: list[_Line], removed: set[int]) -> list[list[int]]:
    segments: list[list[int]] = []
    current: list[int] = []
    for index in range(len(lines)):
        if index in removed:
            if current:
                segments.append(current)
                current = []
        else:
            current.append(index)
    if current:
        segments.append(current)
    return segments


def _prose_chars(lines: list[_Line], segment: list[int]) -> int:
    return sum(len(lines[i].text) for i in segment if lines[i].prose)


def _find_date(stripped: str) -> tuple[re.Match[str], str] | None:
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(stripped):
            iso = _iso(match)
            if iso is not None:
                return match, iso
    return None


def _iso(match: re.Match[str]) -> str | None:
    parts = match.groupdict()
    month = _MONTHS[parts["mon"].lower()] if parts.get("mon") else int(parts["month"])
    hour = int(parts["hour"]) if parts.get("hour") else None
    minute = int(parts["minute"]) if parts.get("minute") else 0
    second = int(parts["second"]) if parts.get("second") else 0
    if hour is not None and parts.get("ampm"):
        hour = hour % 12 + (12 if parts["ampm"].lower() == "p" else 0)
    try:
        moment = datetime(int(parts["year"]), month, int(parts["day"]), hour or 0, minute, second)
    except ValueError:
        return None
    if hour is None:
        return moment.date().isoformat()
    return moment.isoformat(timespec="seconds" if parts.get("second") else "minutes")


def _dateline(lines: list[_Line], zone: list[int]) -> tuple[int, str, str | None] | None:
    """The first short header line holding a date: (index, ISO date, source or None)."""
    for index in zone:
        stripped = lines[index].text.strip()
        if _weight(stripped) > 20:
            continue
        found = _find_date(stripped)
        if found is None:
            continue
        match, iso = found
        if _weight(stripped[: match.start()]) > 6:
            continue
        rest = _SOURCE_LEAD.sub("", stripped[match.end() :])
        tag = _EDITOR_TAG.search(rest)
        if tag and not tag.group("tag").isupper():  # an editor's initials, not an acronym
            rest = rest[: tag.start()]
        return index, iso, rest.strip(" \t|,;:·•—–-") or None
    return None


def _title_like(line: _Line) -> bool:
    stripped = line.text.strip()
    return (
        3 <= _weight(stripped) <= 30
        and len(stripped) <= 250
        and not line.chrome
        and not line.label
        and not line.punctuation
        and not _mostly_digits(stripped)
        and not _BYLINE.match(stripped)
        and _find_date(stripped) is None
    )


_HYPHENATED = re.compile(r"([^\W\d_]+)-\Z")
_WORD_START = re.compile(r"\A([^\W\d_]+)")


def join_wrapped(previous: str, following: str) -> str:
    """Two lines of one hard-wrapped paragraph as one, joined by a space. A line ending in a
    hyphen after a word is a break inside a word: joined whole without the hyphen when that
    makes an English word ("electri-" + "city"), else with it ("cutting-" + "edge")."""
    head = _HYPHENATED.search(previous)
    tail = _WORD_START.match(following)
    if head and tail and tail.group(1).islower():
        from wordfreq import zipf_frequency

        word = head.group(1) + tail.group(1)
        if zipf_frequency(word.lower(), "en") > 1.5:
            return previous[:-1] + following
        return previous + following
    return previous + " " + following


WRAP_WIDTH = 55  # a paragraph hard-wrapped narrower than this is a title block, not a wrap


def _wrapped(previous: str, following: str, width: int) -> bool:
    """Whether two lines of one unit are one sentence wrapped: the next line goes on in lower
    case, or the first line reaches the unit's wrap width (a title over its subtitle does not:
    its lines are short and the unit narrow)."""
    if following[:1].islower():
        return True
    return width >= WRAP_WIDTH and len(previous) >= 0.6 * width


def _normalise(lines: list[_Line], keep: list[int]) -> str:
    paragraphs: list[str] = []
    block = unit = None
    widths: dict[int, int] = {}
    for line in lines:
        widths[line.unit] = max(widths.get(line.unit, 0), len(line.text.strip()))
    previous = ""
    for index in keep:
        line = lines[index]
        joined = line.block == block and line.unit == unit and paragraphs
        if joined and _wrapped(previous, line.text.strip(), widths[line.unit]):
            paragraphs[-1] = join_wrapped(paragraphs[-1], line.text.strip())
        elif line.block == block and paragraphs:
            paragraphs[-1] += "\n" + line.text
        else:
            paragraphs.append(line.text)
        block, unit, previous = line.block, line.unit, line.text.strip()
    return "\n\n".join(paragraphs)


def clean_page(raw: str) -> Page:
    """Strip menus, forms, copyright and contact boilerplate from a flattened page.

    Args:
        raw: the page as text, paragraphs separated by blank lines.

    Returns:
        A ``Page`` whose text is the title (when found) followed by the article's paragraphs,
        each line unchanged, paragraphs separated by ``"\\n\\n"``; ``title``, ``published``
        (ISO 8601) and ``source`` are filled when the header shows them.
    """
    lines = _split_lines(raw)
    if not lines:
        return Page(text="")
    removed = _removed_runs(lines)
    segments = _segments(lines, removed)
    prose_lines = [i for i, line in enumerate(lines) if line.prose and i not in removed]

    if segments and prose_lines:
        main = max(segments, key=lambda segment: _prose_chars(lines, segment))
        main_chars = sum(len(lines[i].text) for i in main)
        for segment in segments:
            if segment[0] <= main[-1]:
                continue
            has_prose = any(lines[i].prose for i in segment)
            small = sum(len(lines[i].text) for i in segment) < min(400, main_chars // 4)
            if not has_prose or (small and max(lines[i].weight for i in segment) < 15):
                removed.update(segment)
        first_prose = next((i for i in main if lines[i].prose), main[0])
        zone = list(range(first_prose))
    else:
        zone = list(range(min(len(lines), 20)))

    published: str | None = None
    source: str | None = None
    title_index = None
    dateline = _dateline(lines, zone)
    if dateline is not None:
        date_index, published, source = dateline
        removed.add(date_index)
        above = [i for i in zone if i < date_index and _title_like(lines[i])]
        if above:
            title_index = above[-1]
            removed.update(range(title_index))
    if title_index is None:
        candidates = [i for i in zone if _title_like(lines[i]) and not lines[i].prose]
        if candidates:
            title_index = max(candidates, key=lambda i: len(lines[i].text.strip()))
            removed.update(i for i in range(title_index) if lines[i].chromeish)
    title = None
    if title_index is not None:
        removed.discard(title_index)
        if removed:  # chrome or a dateline went: make the title a paragraph of its own
            lines[title_index].block = -1
        title = _MARKDOWN_HEADING.sub("", lines[title_index].text.strip())

    keep = [i for i in range(len(lines)) if i not in removed]
    return Page(text=_normalise(lines, keep), title=title, published=published, source=source)
