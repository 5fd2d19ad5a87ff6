"""Write the PDF of every CGD mirror paper (fpdf2, core fonts): `python -m mirrors.cgd.make_pdfs [--check]`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from mirrors.cgd.site import FILES, Publication, load
from mirrors.mpi.text import plain
from mirrors.tools.make_pdfs import latin1

ADDRESS = "2055 L Street NW, Washington, DC 20036"


def build(pub: Publication) -> bytes:
    """The PDF bytes of one paper (deterministic: fixed creation date)."""
    names = ", ".join(a.name for a in pub.authors)
    pdf = FPDF(format="Letter")
    pdf.set_margins(25, 22, 25)
    pdf.set_creation_date(datetime(pub.published.year, pub.published.month, pub.published.day, 12, tzinfo=UTC))
    pdf.set_title(latin1(pub.title))
    pdf.set_author(latin1(names))
    pdf.set_creator("Microsoft Word for Microsoft 365")
    pdf.set_lang("en")
    pdf.add_page()
    pdf.set_font("Times", "B", 10)
    series = f"{pub.kind['series']} {pub.number}" if pub.number else pub.kind["series"]
    pdf.cell(0, 6, f"{series}  |  {pub.published:%B %Y}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Times", "B", 18)
    pdf.multi_cell(0, 8, latin1(pub.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Times", "", 12)
    pdf.multi_cell(0, 7, latin1(names), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Times", "B", 12)
    pdf.cell(0, 7, "Abstract", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Times", "I", 11)
    pdf.multi_cell(0, 5.5, latin1(pub.summary), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in pub.body:
        if block.kind in ("h2", "h3"):
            pdf.ln(2)
            pdf.set_font("Times", "B", 12)
            pdf.multi_cell(0, 6, latin1(plain(block.text)), new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("Times", "", 11)
            prefix = "- " if block.kind == "ul" else ""
            for item in block.items if block.kind == "ul" else [block.text]:
                pdf.multi_cell(0, 5.5, latin1(prefix + plain(item)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.set_font("Times", "", 11)
    pdf.multi_cell(0, 5.5, latin1(f"Data note. {pub.pdf_snippet}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Times", "I", 9)
    pdf.multi_cell(0, 4.5, f"Center for Global Development, {ADDRESS}. www.cgdev.org", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def expected() -> dict[Path, bytes]:
    """File path -> PDF bytes for every publication with a PDF."""
    return {FILES / f"{p.slug}.pdf": build(p) for p in load().publications if p.pdf_path}


def main(argv: list[str] | None = None) -> int:
    """Write the PDFs (removing orphans), or with --check report stale ones; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    files = expected()
    stale = [path for path, data in files.items() if not path.exists() or path.read_bytes() != data]
    if parser.parse_args(argv).check:
        for path in stale:
            print(f"stale or missing: {path}", file=sys.stderr)
        return 1 if stale else 0
    FILES.mkdir(exist_ok=True)
    for path in stale:
        path.write_bytes(files[path])
    for orphan in set(FILES.glob("*.pdf")) - set(files):
        orphan.unlink()
    print(f"{len(files)} PDFs, {len(stale)} written, in {FILES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
