"""The layout of the Meridian Centre's research PDFs: A4 cover with type, title, authors and date; then the text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mirrors.kit.dates import uk_date
from mirrors.kit.pdf import Document, Footer, names

if TYPE_CHECKING:
    from mirrors.meridian.content import Publication

_FOOTER = Footer("Meridian Centre for Migration Research  |  meridianmigration.org  |  {page}", 8, -15, 10)


def build(pub: Publication) -> bytes:
    """The PDF bytes of one research output (deterministic: fixed creation date)."""
    pdf = Document("A4", (20, 20, 20), auto_break=20, footer=_FOOTER)
    created = datetime(pub.published.year, pub.published.month, pub.published.day, 9, tzinfo=UTC)
    byline = names([a.name for a in pub.authors])
    pdf.describe(created, pub.title, byline, "LibreOffice 7.6", "en")
    pdf.title_page(("MERIDIAN CENTRE FOR MIGRATION RESEARCH", 12, 8), 30, pub.kind.label.upper(), pub.title,
                   byline, uk_date(pub.published))  # fmt: skip
    pdf.report_body(("Summary", pub.summary), pub.body, ("About this paper", pub.pdf_snippet or ""))
    return pdf.bytes()
