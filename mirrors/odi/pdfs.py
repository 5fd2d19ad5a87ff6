"""The ODI report layout: A4, a title page, key messages, the body, methodology, citation and licence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mirrors.kit.dates import month_year
from mirrors.kit.pdf import Document, Footer, names
from mirrors.odi.content import FILES, Content, Publication


def _citation_names(pub: Publication) -> str:
    """'Hennessey, G. and Hagen-Zanker, J.' as ODI's suggested citations write authors."""

    def short(name: str) -> str:
        words = name.split()
        start = len(words) - 1
        while start > 1 and words[start - 1] in ("te", "van", "de", "von"):
            start -= 1
        initials = "".join(f"{w[0]}." for w in words[:start])
        return f"{' '.join(words[start:])}, {initials}"

    return names([short(a.name) for a in pub.authors])


def build(pub: Publication) -> bytes:
    """The PDF bytes of one publication (deterministic: fixed dates, content-derived file id)."""
    series = pub.doc_type.series
    authors = names([a.name for a in pub.authors])
    pdf = Document("A4", (20, 20, 20), auto_break=20, footer=Footer(f"ODI {series}  |  {{page}}", align="R"))
    created = datetime(pub.published.year, pub.published.month, pub.published.day, 11, tzinfo=UTC)
    pdf.describe(created, pub.title, authors, "Adobe InDesign 17.4 (Windows)", "en-GB", subject=pub.summary)
    pdf.title_page(("ODI", 20, 10), 40, series, pub.title, authors, month_year(pub.published))
    note = (
        f"This {series.lower()} draws on a review of the literature, administrative data and key "
        f"informant interviews. {pub.pdf_snippet} All figures are rounded."
    )
    pdf.report_body(("Key messages", pub.summary), pub.body, ("Methodology", note))
    pdf.heading("Acknowledgements")
    pdf.paragraph(
        "The authors are grateful to the peer reviewers and to colleagues across ODI for their comments, and to "
        "the communications team for editing and design. The views presented are those of the authors."
    )
    cite = (
        f"Suggested citation: {_citation_names(pub)} ({pub.published.year}) '{pub.title}'. ODI {series}. London: ODI."
    )
    pdf.citation(cite)
    pdf.ln(2)
    pdf.multi_cell(
        0,
        5,
        "Readers are encouraged to reproduce material for their own publications, as long as they are not "
        "being sold commercially. This work is licensed under CC BY-NC-ND 4.0. (c) ODI "
        f"{pub.published.year}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return pdf.bytes()


def expected(content: Content) -> dict[Path, bytes]:
    """File path -> PDF bytes for every publication with a PDF."""
    return {FILES / p.pdf_name: build(p) for p in content.publications if p.pdf_name}
