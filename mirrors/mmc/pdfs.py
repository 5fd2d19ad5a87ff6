"""The MMC report layout (A4, running footer from page 2), and the other PDFs the site uploads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mirrors.kit.markup import parse_blocks
from mirrors.kit.pdf import Document, Footer, names
from mirrors.mmc.content import FILES, Content, Item
from mirrors.mmc.render import ANNUAL_REPORT

OUT = FILES / "uploads"
LAUNCH_AGENDA = "/wp-content/uploads/2020/11/MMR2020-launch-agenda.pdf"
_FOOTER = Footer("Mixed Migration Centre  |  mixedmigration.org  |  {page}")


def _names(item: Item) -> str:
    return names([a.name for a in item.authors]) if item.authors else "Mixed Migration Centre"


def _new(title: str, author: str, subject: str, created: datetime) -> Document:
    pdf = Document("A4", (20, 20, 20), auto_break=20, footer=_FOOTER)
    pdf.describe(created, title, author, "Adobe InDesign 16.4 (Windows)", "en", subject=subject)
    return pdf


def build(item: Item) -> bytes:
    """The PDF bytes of one publication (deterministic: fixed dates, content-derived file id)."""
    assert item.kind is not None
    assert item.pdf_snippet
    created = item.published.astimezone(UTC).replace(hour=12, minute=0)
    pdf = _new(item.title, _names(item), item.summary, created)
    label = item.kind.label.upper()
    pdf.title_page(("MIXED MIGRATION CENTRE", 11, 8), 36, label, item.title, _names(item), f"{item.published:%B %Y}")
    note = (
        "MMC's 4Mi project collects data through interviews with refugees and migrants on the move. "
        f"{item.pdf_snippet} The sample is not representative of all people on the move, and the findings "
        "should be read as indicative."
    )
    pdf.report_body(("Summary", item.summary), item.body, ("Methodology", note))
    pdf.heading("About MMC")
    pdf.paragraph(
        "The Mixed Migration Centre is a global network engaged in data collection, research, analysis and "
        "policy development on mixed migration. MMC is part of, and governed by, the Danish Refugee Council."
    )
    cite = f"Suggested citation: {_names(item)} ({item.published.year}). {item.title}. Mixed Migration Centre."
    pdf.citation(cite)
    return pdf.bytes()


def _leaflet(title: str, created: datetime, body: str) -> bytes:
    """A short PDF that is not a publication (the annual report, an event agenda)."""
    pdf = _new(title, "Mixed Migration Centre", title, created)
    pdf.add_page()
    pdf.text_line("MIXED MIGRATION CENTRE", 11, 8, "B")
    pdf.ln(20)
    pdf.text_line(title, 20, 10, "B", wrap=True)
    pdf.ln(6)
    pdf.blocks(parse_blocks(body))
    return pdf.bytes()


def _file(path: str) -> Path:
    return FILES / path.removeprefix("/wp-content/")


def expected(content: Content) -> dict[Path, bytes]:
    """File path -> PDF bytes for every publication with a PDF, plus the other uploaded PDFs."""
    files = {_file(i.pdf_path): build(i) for i in content.publications if i.pdf_path}
    files[_file(ANNUAL_REPORT)] = _leaflet(
        "MMC Annual Report 2021",
        datetime(2022, 4, 20, 10, tzinfo=UTC),
        "\n\n".join(
            [
                "## 2021 in brief",
                "In 2021 the Mixed Migration Centre conducted more than 18,000 4Mi interviews in 15 countries, "
                "published 60 resources and launched the fourth Mixed Migration Review.",
                "## Looking ahead",
                "In 2022 MMC will expand data collection in Latin America, strengthen its urban research and "
                "continue its engagement in the review of the Global Compact for Migration.",
            ]
        ),
    )
    files[_file(LAUNCH_AGENDA)] = _leaflet(
        "Virtual launch of the Mixed Migration Review 2020: agenda",
        datetime(2020, 11, 20, 10, tzinfo=UTC),
        """
        ## 24 November 2020, 14:00 to 15:30 CET

        - Welcome and presentation of the Mixed Migration Review 2020
        - Panel 1: Protection and risks in cities
        - Panel 2: Cities of opportunities
        - Panel 3: National versus local migration policies
        - Questions from the audience and closing remarks
        """,
    )
    return files
