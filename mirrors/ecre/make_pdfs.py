"""Write the PDFs attached to ECRE mirror posts (fpdf2, core fonts): `python -m mirrors.ecre.make_pdfs [--check]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fpdf import FPDF

from mirrors.ecre.site import FILES, Post, load
from mirrors.mpi.text import plain
from mirrors.tools.make_pdfs import latin1


class _Paper(FPDF):
    """ECRE's A4 layout: a running footer with the address and the page number."""

    def footer(self) -> None:
        """Print the running footer."""
        self.set_y(-14)
        self.set_font("Helvetica", size=7.5)
        self.cell(0, 8, f"ECRE, Avenue des Arts 7/8, 1210 Brussels  |  www.ecre.org  |  {self.page_no()}", align="C")


def build(post: Post) -> bytes:
    """The PDF bytes of one post's attachment (deterministic: fixed creation date)."""
    pdf = _Paper(format="A4")
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.set_margins(22, 20, 22)
    pdf.set_creation_date(post.date)
    pdf.set_title(latin1(post.title))
    pdf.set_author("European Council on Refugees and Exiles")
    pdf.set_creator("Adobe InDesign 19.2 (Windows)")
    pdf.set_lang(post.lang)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, latin1(post.category.name.upper()), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 17)
    pdf.multi_cell(0, 8, latin1(post.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 10.5)
    pdf.multi_cell(0, 5.5, latin1(post.summary), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in post.body:
        if block.kind in ("h2", "h3"):
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 6.5, latin1(plain(block.text)), new_x="LMARGIN", new_y="NEXT")
            continue
        pdf.set_font("Helvetica", size=10.5)
        for item in block.items if block.kind == "ul" else [block.text]:
            prefix = "- " if block.kind == "ul" else ""
            pdf.multi_cell(0, 5.5, latin1(prefix + plain(item)), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.multi_cell(0, 5.5, latin1(post.pdf_snippet or ""), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def expected() -> dict[Path, bytes]:
    """File path -> PDF bytes for every post with a PDF."""
    return {FILES / Path(p.pdf).name: build(p) for p in load().posts if p.pdf}


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
