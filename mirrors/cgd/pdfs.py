"""The layout of CGD papers: Letter, Times, series and date, title, authors, abstract, body, data note."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mirrors.kit.pdf import Document, latin1

if TYPE_CHECKING:
    from mirrors.cgd.content import Publication

ADDRESS = "2055 L Street NW, Washington, DC 20036"


def _times(pdf: Document, text: str, style: str, size: float, height: float) -> None:
    """A paragraph in Times (the core font of Word's default template)."""
    pdf.set_font("Times", style, size)
    pdf.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")


def build(pub: Publication) -> bytes:
    """The PDF bytes of one paper (deterministic: fixed creation date)."""
    names = ", ".join(a.name for a in pub.authors)
    pdf = Document("Letter", (25, 22, 25))
    created = datetime(pub.published.year, pub.published.month, pub.published.day, 12, tzinfo=UTC)
    pdf.describe(created, pub.title, names, "Microsoft Word for Microsoft 365", "en")
    pdf.add_page()
    pdf.set_font("Times", "B", 10)
    series = f"{pub.kind['series']} {pub.number}" if pub.number else pub.kind["series"]
    pdf.cell(0, 6, f"{series}  |  {pub.published:%B %Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    _times(pdf, pub.title, "B", 18, 8)
    _times(pdf, names, "", 12, 7)
    pdf.ln(4)
    pdf.set_font("Times", "B", 12)
    pdf.cell(0, 7, "Abstract", new_x="LMARGIN", new_y="NEXT")
    _times(pdf, pub.summary, "I", 11, 5.5)
    pdf.ln(3)
    pdf.paper_blocks(pub.body, "Times", 11, heading=(2, 6))
    _times(pdf, f"Data note. {pub.pdf_snippet}", "", 11, 5.5)
    pdf.ln(3)
    _times(pdf, f"Center for Global Development, {ADDRESS}. www.cgdev.org", "I", 9, 4.5)
    return pdf.bytes()
