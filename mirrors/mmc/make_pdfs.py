"""Write the PDFs of the MMC mirror (fpdf2, core fonts, Latin-1 text) under mirrors/mmc/files/uploads/.

Run from the repository root after editing mirrors/mmc/publications.yaml:
    .venv/bin/python -m mirrors.mmc.make_pdfs            # (re)write the PDFs
    .venv/bin/python -m mirrors.mmc.make_pdfs --check    # exit 1 if a committed PDF is stale or missing
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from mirrors.mmc.content import FILES, Content, Item, load
from mirrors.mmc.render import ANNUAL_REPORT
from mirrors.mmc.text import Block, parse_blocks, plain

OUT = FILES / "uploads"
LAUNCH_AGENDA = "/wp-content/uploads/2020/11/MMR2020-launch-agenda.pdf"
_LATIN1 = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "…": "...", "\u00a0": " "})


def latin1(text: str) -> str:
    """Text the PDF core fonts can show: typographic punctuation simplified, other characters decomposed."""
    text = text.translate(_LATIN1)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
        else:
            out.append(unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1"))
    return "".join(out)


def _names(item: Item) -> str:
    names = [a.name for a in item.authors]
    if not names:
        return "Mixed Migration Centre"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class _Document(FPDF):
    """The MMC layout: running footer with the centre's name and the page number."""

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Mixed Migration Centre  |  mixedmigration.org  |  {self.page_no()}", align="C")


def _new(title: str, author: str, subject: str, created: datetime) -> _Document:
    pdf = _Document(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(20, 20, 20)
    pdf.set_creation_date(created)
    pdf.set_title(latin1(title))
    pdf.set_author(latin1(author))
    pdf.set_subject(latin1(subject))
    pdf.set_creator("Adobe InDesign 16.4 (Windows)")
    pdf.set_lang("en")
    return pdf


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


def _body(pdf: FPDF, blocks: Sequence[Block]) -> None:
    for block in blocks:
        if block.kind in ("h2", "h3"):
            _heading(pdf, block.text)
        elif block.kind == "ul":
            for entry in block.items:
                _paragraph(pdf, "- " + entry)
        elif block.kind != "video":
            _paragraph(pdf, block.text)


def build(item: Item) -> bytes:
    """The PDF bytes of one publication (deterministic: fixed dates, content-derived file id)."""
    assert item.kind is not None and item.pdf_snippet
    created = item.published.astimezone(UTC).replace(hour=12, minute=0)
    pdf = _new(item.title, _names(item), item.summary, created)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 8, "MIXED MIGRATION CENTRE", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(36)
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, latin1(item.kind.label.upper()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 22)
    pdf.multi_cell(0, 10, latin1(item.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", size=13)
    pdf.multi_cell(0, 7, latin1(_names(item)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(0, 7, f"{item.published:%B %Y}", new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    _heading(pdf, "Summary")
    _paragraph(pdf, item.summary)
    _body(pdf, item.body)
    _heading(pdf, "Methodology")
    _paragraph(
        pdf,
        "MMC's 4Mi project collects data through interviews with refugees and migrants on the move. "
        f"{item.pdf_snippet} The sample is not representative of all people on the move, and the findings "
        "should be read as indicative.",
        keep_together=True,
    )
    _heading(pdf, "About MMC")
    _paragraph(
        pdf,
        "The Mixed Migration Centre is a global network engaged in data collection, research, analysis and "
        "policy development on mixed migration. MMC is part of, and governed by, the Danish Refugee Council.",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    cite = f"Suggested citation: {_names(item)} ({item.published.year}). {item.title}. Mixed Migration Centre."
    pdf.multi_cell(0, 5, latin1(cite), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _leaflet(title: str, created: datetime, body: str) -> bytes:
    """A short PDF that is not a publication (the annual report, an event agenda)."""
    pdf = _new(title, "Mixed Migration Centre", title, created)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 8, "MIXED MIGRATION CENTRE", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(20)
    pdf.set_font("Helvetica", "B", 20)
    pdf.multi_cell(0, 10, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    _body(pdf, parse_blocks(body))
    return bytes(pdf.output())


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
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path])
    orphans = [p for p in OUT.rglob("*.pdf") if p not in files]
    for path in orphans:
        path.unlink()
    print(f"{len(files)} PDFs, {len(stale)} written, {len(orphans)} removed, in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
