"""Markup repairs before extraction (extract/repair.py), each on a page written with the shape it fixes."""

from __future__ import annotations

from trafilatura.utils import load_html

from extract.page import extract_page
from extract.repair import adopt_stray_content

TEXT = (
    "The study followed two hundred families who crossed the border in 2023 and asked them how the new reception "
    "rules changed their first year, from housing and schooling to the work permits they waited for."
)

# A template whose header include ends the document: the article comes after </body></html>.
CLOSED_EARLY = (
    "<html><head><title>Reception rules in practice</title></head>"
    "<body><header><nav><a href='/'>Home</a> <a href='/research'>Research</a></nav></header></body></html>\n"
    "<div class='post-page'><h1>Reception rules in practice</h1>"
    + "".join(f"<p>{TEXT} Part {i}.</p>" for i in range(4))
    + "</div><footer><p>Contact us</p></footer>"
)


def test_content_after_the_closing_html_tag_is_moved_into_the_body() -> None:
    tree = load_html(CLOSED_EARLY)
    assert tree is not None
    body = tree.find("body")
    assert body is not None
    assert "Part 3" not in body.text_content()
    adopt_stray_content(tree)
    assert [el.tag for el in body] == ["header", "div", "footer"]
    assert "Part 3" in body.text_content()


def test_the_article_after_the_closing_html_tag_is_extracted() -> None:
    page = extract_page(CLOSED_EARLY, "https://research.example.org/posts/reception-rules")
    assert "Part 0" in page.body
    assert "Part 3" in page.body
    assert page.title == "Reception rules in practice"


def test_a_well_formed_page_is_left_as_it_was() -> None:
    html = f"<html><head><title>t</title></head><body><main><p>{TEXT}</p></main></body></html>"
    tree = load_html(html)
    assert tree is not None
    assert adopt_stray_content(tree) is tree
    body = tree.find("body")
    assert body is not None
    assert [el.tag for el in body] == ["main"]
