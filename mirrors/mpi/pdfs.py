"""The MPI report layout: a title page, an executive summary, the body, notes on data, authors and citation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mirrors.kit.dates import month_year
from mirrors.kit.pdf import Document, Footer, names
from mirrors.mpi.content import FILES, Content, Publication

OUT = FILES / "publications"


def build(pub: Publication) -> bytes:
    """The PDF bytes of one publication (deterministic: fixed dates, content-derived file id)."""
    authors = names([a.name for a in pub.authors])
    pdf = Document("Letter", (22, 20, 22), auto_break=20, footer=Footer("Migration Policy Institute  |  {page}"))
    created = datetime(pub.published.year, pub.published.month, pub.published.day, 12, tzinfo=UTC)
    pdf.describe(created, pub.title, authors, "Adobe InDesign 18.5 (Macintosh)", "en", subject=pub.summary)
    pdf.title_page(("MIGRATION POLICY INSTITUTE", 11, 8), 40, pub.doc_type.singular.upper(), pub.title,
                   f"By {authors}", month_year(pub.published))  # fmt: skip
    note = (
        f"This {pub.doc_type.singular.lower()} draws on official statistics, the research literature and "
        f"interviews with government officials and practitioners. {pub.pdf_snippet} Figures are rounded, and "
        "totals may not add up because of rounding."
    )
    pdf.report_body(("Executive Summary", pub.summary), pub.body, ("A Note on Data and Methods", note))
    pdf.heading("About the Authors")
    for person in pub.authors:
        pdf.paragraph(f"{person.name} is {person.role[0].lower() + person.role[1:]}.")
    pdf.heading("Acknowledgments")
    pdf.paragraph(
        "The authors thank their colleagues at the Migration Policy Institute for comments on earlier drafts, and "
        "Lauren Shaw for her edits. Any errors are the authors' own."
    )
    cite = (
        f"Suggested citation: {authors}. {pub.published.year}. {pub.title}. Washington, DC: Migration Policy Institute."
    )
    pdf.citation(cite)
    return pdf.bytes()


def expected(content: Content) -> dict[Path, bytes]:
    """File path -> PDF bytes for every publication with a PDF."""
    return {OUT / f"{p.pdf}-final.pdf": build(p) for p in content.publications if p.pdf}
