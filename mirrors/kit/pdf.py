"""The one PDF maker of the mirrors (fpdf2, core fonts, Latin-1 text): `Document` layouts, staleness, writing.

Each site lays out its documents with `Document` (see its `pdfs.py`); its `Site.pdf_files()` says which files
it serves from `Site.pdf_folder`; `python -m mirrors.kit.make_pdfs [--check]` writes or checks them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

from mirrors.kit.markup import Block, plain

if TYPE_CHECKING:
    from mirrors.kit.site import Site

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


def names(people: Sequence[str]) -> str:
    """'A, B and C', as title pages and citations list authors."""
    return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]


@dataclass(frozen=True, slots=True)
class Footer:
    """A running footer: `text` with `{page}` for the page number, on every page or from page 2."""

    text: str
    size: float = 8
    y: float = -15
    height: float = 10
    align: str = "C"
    first_page: bool = False


class Document(FPDF):
    """A report or paper: page setup, metadata, a title page, headings, paragraphs and body blocks."""

    def __init__(
        self,
        page_format: str,
        margins: tuple[float, float, float],
        auto_break: float | None = None,
        footer: Footer | None = None,
    ) -> None:
        super().__init__(format=page_format)
        self._footer = footer
        if auto_break is not None:
            self.set_auto_page_break(auto=True, margin=auto_break)
        self.set_margins(*margins)

    def footer(self) -> None:
        """Print the running footer, if the layout has one."""
        spec = self._footer
        if spec is None or (self.page_no() == 1 and not spec.first_page):
            return
        self.set_y(spec.y)
        self.set_font("Helvetica", size=spec.size)
        self.cell(0, spec.height, spec.text.format(page=self.page_no()), align=spec.align)

    def describe(
        self, created: datetime, title: str, author: str, creator: str, lang: str, subject: str | None = None
    ) -> None:
        """Set the document information; `created` fixed so that the bytes depend on the content only."""
        self.set_creation_date(created)
        self.set_title(latin1(title))
        self.set_author(latin1(author))
        if subject is not None:
            self.set_subject(latin1(subject))
        self.set_creator(creator)
        self.set_lang(lang)

    def text_line(self, text: str, size: float, height: float, style: str = "", wrap: bool = False) -> None:
        """One line (or, with `wrap`, a paragraph) of Helvetica text, then the next line."""
        self.set_font("Helvetica", style, size)
        if wrap:
            self.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")
        else:
            self.cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def title_page(self, masthead: tuple[str, float, float], gap: float, label: str, title: str, byline: str,
                   when: str) -> None:  # fmt: skip
        """A report's cover: masthead (text, size, height), series label, title, authors and date."""
        self.add_page()
        text, size, height = masthead
        self.text_line(text, size, height, "B")
        self.ln(gap)
        self.text_line(label, 11, 8)
        self.text_line(title, 22, 10, "B", wrap=True)
        self.ln(6)
        self.text_line(byline, 13, 7, wrap=True)
        self.ln(4)
        self.text_line(when, 13, 7)

    def heading(self, text: str) -> None:
        """A section heading of a report."""
        self.ln(3)
        self.set_font("Helvetica", "B", 13)
        self.multi_cell(0, 7, latin1(plain(text)), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, keep_together: bool = False) -> None:
        """A paragraph of a report; `keep_together` moves it whole to the next page rather than split it."""
        self.set_font("Helvetica", size=10.5)
        text = latin1(plain(text))
        if keep_together:
            # Text extraction puts the running footer inside a paragraph split across pages; keep this one whole.
            lines = self.multi_cell(0, 5.5, text, dry_run=True, output="LINES")
            assert isinstance(lines, list)
            if self.will_page_break(5.5 * len(lines)):
                self.add_page()
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2.5)

    def blocks(self, body: Iterable[Block]) -> None:
        """A report's body: headings, paragraphs, list items as "- " paragraphs; videos have no print form."""
        for block in body:
            if block.kind in ("h2", "h3"):
                self.heading(block.text)
            elif block.kind == "ul":
                for item in block.items:
                    self.paragraph("- " + item)
            elif block.kind != "video":
                self.paragraph(block.text)

    def report_body(self, summary: tuple[str, str], body: Iterable[Block], method: tuple[str, str]) -> None:
        """A report after its cover: (heading, text) of the summary, the body, (heading, text) of the methods note."""
        self.add_page()
        self.heading(summary[0])
        self.paragraph(summary[1])
        self.blocks(body)
        self.heading(method[0])
        self.paragraph(method[1], keep_together=True)

    def citation(self, text: str) -> None:
        """The suggested citation, small and in italics."""
        self.ln(4)
        self.text_line(text, 9, 5, "I", wrap=True)

    def paper_blocks(self, body: Iterable[Block], family: str, size: float, heading: tuple[float, float]) -> None:
        """A short paper's body in `family` at `size`; `heading` is (space above, line height) of its headings."""
        above, height = heading
        for block in body:
            if block.kind in ("h2", "h3"):
                if above:
                    self.ln(above)
                self.set_font(family, "B", 12)
                self.multi_cell(0, height, latin1(plain(block.text)), new_x="LMARGIN", new_y="NEXT")
                continue
            self.set_font(family, "", size)
            prefix = "- " if block.kind == "ul" else ""
            for item in block.items if block.kind == "ul" else [block.text]:
                self.multi_cell(0, 5.5, latin1(prefix + plain(item)), new_x="LMARGIN", new_y="NEXT")
            self.ln(2)

    def bytes(self) -> bytes:
        """The finished file."""
        return bytes(self.output())


def stale(site: Site) -> list[Path]:
    """The site's PDF files that are missing or differ from what its content makes now."""
    return [path for path, data in site.pdf_files().items() if not path.exists() or path.read_bytes() != data]


def write(site: Site) -> tuple[int, int, int]:
    """Write the site's stale PDFs and remove orphans; (files, written, removed)."""
    files = site.pdf_files()
    written = stale(site)
    for path in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path])
    orphans = [p for p in site.pdf_folder.rglob("*.pdf") if p not in files] if site.pdf_folder else []
    for path in orphans:
        path.unlink()
    return len(files), len(written), len(orphans)
