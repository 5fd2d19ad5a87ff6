"""Write the PDF of every ODI research output (fpdf2, core fonts, Latin-1 text).

Run from the repository root after editing mirrors/odi/publications.yaml:
    .venv/bin/python -m mirrors.odi.make_pdfs            # (re)write mirrors/odi/files/*.pdf
    .venv/bin/python -m mirrors.odi.make_pdfs --check    # exit 1 if a committed PDF is stale or missing
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from mirrors.odi.content import FILES, Content, Publication, load
from mirrors.odi.text import month_year, plain

_LATIN1 = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "…": "...", "\u00a0": " ", "\u2011": "-"}
)


def latin1(text: str) -> str:
    """Text the PDF core fonts can show: typographic punctuation simplified, other characters decomposed."""
    out = []
    for char in text.translate(_LATIN1):
        if ord(char) < 256:
            out.append(char)
        else:
            out.append(unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1"))
    return "".join(out)


def _names(pub: Publication) -> str:
    names = [a.name for a in pub.authors]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _citation_names(pub: Publication) -> str:
    """'Hennessey, G. and Hagen-Zanker, J.' as ODI's suggested citations write authors."""

    def short(name: str) -> str:
        words = name.split()
        start = len(words) - 1
        while start > 1 and words[start - 1] in ("te", "van", "de", "von"):
            start -= 1
        initials = "".join(f"{w[0]}." for w in words[:start])
        return f"{' '.join(words[start:])}, {initials}"

    parts = [short(a.name) for a in pub.authors]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class _Document(FPDF):
    """ODI's report layout: running footer with the series and the page number."""

    series = ""

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"ODI {self.series}  |  {self.page_no()}", align="R")


def build(pub: Publication) -> bytes:
    """The PDF bytes of one publication (deterministic: fixed dates, content-derived file id)."""
    pdf = _Document(format="A4")
    pdf.series = pub.doc_type.series
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(20, 20, 20)
    created = datetime(pub.published.year, pub.published.month, pub.published.day, 11, tzinfo=UTC)
    pdf.set_creation_date(created)
    pdf.set_title(latin1(pub.title))
    pdf.set_author(latin1(_names(pub)))
    pdf.set_subject(latin1(pub.summary))
    pdf.set_creator("Adobe InDesign 17.4 (Windows)")
    pdf.set_lang("en-GB")

    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, "ODI", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(40)
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, latin1(pub.doc_type.series), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(0, 10, latin1(pub.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", size=13)
    pdf.multi_cell(0, 7, latin1(_names(pub)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 7, month_year(pub.published), new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    _heading(pdf, "Key messages")
    _paragraph(pdf, pub.summary)
    for block in pub.body:
        if block.kind in ("h2", "h3"):
            _heading(pdf, block.text)
        elif block.kind == "ul":
            for item in block.items:
                _paragraph(pdf, "- " + item)
        else:
            _paragraph(pdf, block.text)
    _heading(pdf, "Methodology")
    _paragraph(
        pdf,
        f"This {pub.doc_type.series.lower()} draws on a review of the literature, administrative data and key "
        f"informant interviews. {pub.pdf_snippet} All figures are rounded.",
        keep_together=True,
    )
    _heading(pdf, "Acknowledgements")
    _paragraph(
        pdf,
        "The authors are grateful to the peer reviewers and to colleagues across ODI for their comments, and to "
        "the communications team for editing and design. The views presented are those of the authors.",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    cite = (
        f"Suggested citation: {_citation_names(pub)} ({pub.published.year}) '{pub.title}'. "
        f"ODI {pub.doc_type.series}. London: ODI."
    )
    pdf.multi_cell(0, 5, latin1(cite), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(
        0,
        5,
        latin1(
            "Readers are encouraged to reproduce material for their own publications, as long as they are not "
            "being sold commercially. This work is licensed under CC BY-NC-ND 4.0. (c) ODI "
            f"{pub.published.year}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 7, latin1(plain(text)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _paragraph(pdf: FPDF, text: str, keep_together: bool = False) -> None:
    pdf.set_font("Helvetica", size=10.5)
    text = latin1(plain(text))
    if keep_together:
        # Text extraction puts the running footer inside a paragraph split across pages; keep this one whole.
        lines = pdf.multi_cell(0, 5.5, text, dry_run=True, output="LINES")
        assert isinstance(lines, list)
        if pdf.will_page_break(5.5 * len(lines)):
            pdf.add_page()
    pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2.5)


def expected(content: Content) -> dict[Path, bytes]:
    """File path -> PDF bytes for every publication with a PDF."""
    return {FILES / p.pdf_name: build(p) for p in content.publications if p.pdf_name}


def main(argv: list[str] | None = None) -> int:
    """Write the PDFs, or with --check report stale ones; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args(argv)
    files = expected(load())
    stale = [path for path, data in files.items() if not path.exists() or path.read_bytes() != data]
    if args.check:
        for path in stale:
            print(f"stale or missing: {path}", file=sys.stderr)
        return 1 if stale else 0
    FILES.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.write_bytes(files[path])
    orphans = [p for p in FILES.glob("*.pdf") if p not in files]
    for path in orphans:
        path.unlink()
    print(f"{len(files)} PDFs, {len(stale)} written, {len(orphans)} removed, in {FILES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
