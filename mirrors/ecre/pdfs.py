"""The layout of the PDFs attached to ECRE posts: A4, category line, title, summary, body, running footer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mirrors.kit.pdf import Document, Footer, latin1

if TYPE_CHECKING:
    from mirrors.ecre.content import Post

_FOOTER = Footer("ECRE, Avenue des Arts 7/8, 1210 Brussels  |  www.ecre.org  |  {page}", 7.5, -14, 8, first_page=True)


def build(post: Post) -> bytes:
    """The PDF bytes of one post's attachment (deterministic: fixed creation date)."""
    pdf = Document("A4", (22, 20, 22), auto_break=22, footer=_FOOTER)
    creator = "Adobe InDesign 19.2 (Windows)"
    pdf.describe(post.date, post.title, "European Council on Refugees and Exiles", creator, post.lang)
    pdf.add_page()
    pdf.text_line(post.category.name.upper(), 10, 6, "B")
    pdf.ln(6)
    pdf.text_line(post.title, 17, 8, "B", wrap=True)
    pdf.ln(4)
    pdf.text_line(post.summary, 10.5, 5.5, "I", wrap=True)
    pdf.ln(3)
    pdf.paper_blocks(post.body, "Helvetica", 10.5, heading=(0, 6.5))
    pdf.multi_cell(0, 5.5, latin1(post.pdf_snippet or ""), new_x="LMARGIN", new_y="NEXT")
    return pdf.bytes()
