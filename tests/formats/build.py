"""The format suite's corpus: one invented document per supported format, written by the same
libraries people's tools use (fpdf2, python-docx, python-pptx, openpyxl, the csv module).

Each document has what made real documents fail (issue 14): hard-wrapped lines, emphasis,
tables, an acronym defined in the text, a fact whose subject and value sit in adjacent
sentences, a PDF exported from a browser (junk "about:blank" title, repeated header and
footer), and a scanned page with no text layer. Every name and figure is invented.

    python tests/formats/build.py OUT_DIR      # then: assistant ingest OUT_DIR
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

TXT = """\
Brackwater Dairy Cooperative
Annual Field Report 2025

The Brackwater Dairy Cooperative collected an average of 48,200 litres of
milk per day in 2025, up from 44,900 litres in 2024. Its members farm
along the Tessel valley and deliver to three plants.

The cooperative runs three plants:
- Eastfold creamery, which makes butter
- Linmoor cheese works, which makes hard cheese
- Tarrow bottling line, which fills glass bottles

Herd health is tracked with the somatic cell count (SCC), measured in every
tanker. The average SCC of the cooperative's herds was 182,000 cells per
millilitre in 2025, below the 200,000 limit set by its buyers.

The Eastfold creamery produced 2,150 tonnes of butter in 2025. Its manager,
Orla Penhallow, plans to add a second churn in the spring of 2026.
"""

MD = """\
---
author: "by Pelling Harbour Authority*"
---
# Pelling Harbour Authority: Quarterly Notes

The authority handled **12,400 tonnes** of grain in the first quarter, the
*highest* quarterly total since the grain terminal opened in 2019.

## Berths

| Berth | Length (m) | Depth (m) | Vessels handled |
|---|---|---|---|
| North Quay | 310 | 14.5 | 126 |
| South Quay | 245 | 11.0 | 98 |
| Ferry Pier | 120 | 6.5 | 412 |

## Containers

Container traffic is counted in twenty-foot equivalent units (TEU). Pelling
handled 58,300 TEU in the quarter, most of it through North Quay.

## People

The authority appointed a new harbour master in March. Her name is Ines Carrow,
and she previously ran a ferry terminal on the east coast.
"""

HTML = """\
<!doctype html>
<html><head><title>Ridgeway Transit ridership report 2025</title>
<meta name="author" content="Ridgeway Transit"></head>
<body>
<nav><a href="/">Home</a> <a href="/routes">Routes</a> <a href="/login">Sign in</a></nav>
<article>
<h1>Ridgeway Transit ridership report 2025</h1>
<p>Ridgeway Transit carried 38.6 million passengers in 2025, its busiest year since the
network opened. The Green Line extension to Hollin Park opened in <b>September 2025</b>.</p>
<p>The table below gives weekday ridership and punctuality for each line.</p>
<table>
<thead><tr><th>Line</th><th>Weekday riders</th><th>On-time rate (%)</th></tr></thead>
<tbody>
<tr><td>Red Line</td><td>41,200</td><td>92.4</td></tr>
<tr><td>Green Line</td><td>27,900</td><td>88.1</td></tr>
<tr><td>Blue Line</td><td>19,300</td><td>95.7</td></tr>
</tbody></table>
<p>The average fare per trip (AFT) was 2.35 euros, unchanged from 2024.</p>
</article>
<footer>&copy; 2025 Ridgeway Transit. All rights reserved.</footer>
</body></html>
"""

PDF_PARAGRAPHS = (
    "The Kestrel Ridge solar farm will have a peak capacity of 84 megawatts when it is "
    "completed in 2027. The site covers 160 hectares of former grazing land north of the "
    "village of Amblecote.",
    "Its levelised cost of energy (LCOE) is estimated at 41 euros per megawatt hour, lower "
    "than the regional wholesale price of 67 euros per megawatt hour.",
    "Construction is led by Halvard Renewables. The company expects to employ 230 people "
    "on site at the peak of the works.",
)
PDF_TABLE = (
    ("Phase", "Capacity (MW)", "Panels", "Start"),
    ("Phase one", "30", "52,000", "2026"),
    ("Phase two", "54", "94,000", "2027"),
)
SCAN_LINES = (
    "Notice of Water Main Works",
    "",
    "The Ostrey Borough Council will replace 3.2 kilometres",
    "of water main on Fenwick Road starting on 4 May 2026.",
    "The works are expected to last eleven weeks.",
)


def write_pdf(path: Path) -> None:
    """A browser's "print to PDF": junk title, a header and a footer on every page."""
    from fpdf import FPDF

    class Browser(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, "about:blank", new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Browser()
    pdf.alias_nb_pages("{nb}")
    pdf.set_title("about:blank")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=18)
    pdf.multi_cell(0, 9, "Kestrel Ridge Solar Farm: Project Brief")
    pdf.ln(3)
    pdf.set_font("Helvetica", size=11)
    for paragraph in PDF_PARAGRAPHS[:2]:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(3)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PDF_PARAGRAPHS[2])
    pdf.ln(3)
    with pdf.table() as table:
        for row in PDF_TABLE:
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.output(str(path))


def write_scan(path: Path) -> None:
    """A scanned page: the text exists only as pixels of an image."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1700, 900), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    for n, line in enumerate(SCAN_LINES):
        draw.text((90, 90 + n * 80), line, fill=0, font=font)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(image, x=10, y=10, w=190)
    pdf.output(str(path))


def write_docx(path: Path) -> None:
    """A Word memo: a Title-styled first line, headings, a list and a table."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Document1"  # a word processor's default: junk
    document.add_paragraph("Almsbury Orchard Trust: Harvest Memo", style="Title")
    document.add_heading("Harvest", level=1)
    document.add_paragraph(
        "The Almsbury Orchard Trust picked 640 tonnes of apples in 2025, its largest harvest. "
        "Most of the fruit went to the Corvell cider press."
    )
    for item in ("Pruning finished in February", "Two new pickers joined in August"):
        document.add_paragraph(item, style="List Bullet")
    document.add_heading("Varieties", level=1)
    rows = (("Variety", "Trees", "Yield (tonnes)"), ("Ashmead Russet", "1,200", "210"),
            ("Bramley", "2,050", "330"), ("Discovery", "640", "100"))
    table = document.add_table(rows=len(rows), cols=3)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph(
        "The trust's integrated pest management (IPM) plan cut spraying by 35% compared "
        "with 2023."
    )
    document.save(str(path))


def write_pptx(path: Path) -> None:
    """A slide deck: a title slide, a bullet slide and a table slide."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = "Northbrook Community Clinic: 2025 Review"
    slide.placeholders[1].text = "Prepared for the clinic's board"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Highlights"
    body = slide.placeholders[1].text_frame
    body.text = "Northbrook Community Clinic recorded 21,400 patient visits in 2025."
    body.add_paragraph().text = "The clinic opened a second dental chair in June 2025."
    body.add_paragraph().text = "Its patient satisfaction score (PSS) rose to 87 out of 100."
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Services"
    rows = (("Service", "Visits", "Average wait (minutes)"), ("General practice", "14,800", "18"),
            ("Dental care", "4,100", "26"), ("Physiotherapy", "2,500", "12"))
    shape = slide.shapes.add_table(len(rows), 3, Inches(0.5), Inches(1.8), Inches(9), Inches(2))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    deck.save(str(path))


def write_xlsx(path: Path) -> None:
    """A workbook with numbers stored as numbers, a header row and a named sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.title = "Calder Council Fleet Budget 2026"
    sheet = book.active
    assert sheet is not None
    sheet.title = "Fleet costs"
    sheet.append(["Vehicle class", "Units", "Annual fuel cost (EUR)", "Maintenance cost (EUR)"])
    sheet.append(["Refuse trucks", 14, 392000, 118000])
    sheet.append(["Street sweepers", 6, 87500, 41200])
    sheet.append(["Pool cars", 32, 64300, 29800])
    book.save(str(path))


def write_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Branch", "Loans in 2025", "Members", "Opening hours per week"])
        writer.writerow(["Harwick Central Library", "186,400", "9,850", "58"])
        writer.writerow(["Saltmere Branch Library", "42,700", "2,310", "30"])
        writer.writerow(["Fennick Mobile Library", "11,900", "640", "22"])


def build_corpus(directory: Path) -> list[Path]:
    """Write every fixture document into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "field-report.txt").write_text(TXT, encoding="utf-8")
    (directory / "harbour-notes.md").write_text(MD, encoding="utf-8")
    (directory / "ridership.html").write_text(HTML, encoding="utf-8")
    writers = {"solar-brief.pdf": write_pdf, "water-notice.pdf": write_scan,
               "orchard-memo.docx": write_docx, "clinic-review.pptx": write_pptx,
               "fleet-budget.xlsx": write_xlsx, "library-loans.csv": write_csv}
    for name, write in writers.items():
        write(directory / name)
    return sorted(directory.iterdir())


if __name__ == "__main__":
    for written in build_corpus(Path(sys.argv[1] if len(sys.argv) > 1 else "formats-corpus")):
        print(written)
