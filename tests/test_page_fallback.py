"""extract_page's shortcuts equal what they replace on real pages: trafilatura's metadata read field by field, the
recall trigger's word count in one walk instead of an XPath, the author search skipped where it cannot find
anything, and the byline's lead-in pieces chosen in C."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from lxml.html import HtmlElement
from trafilatura.metadata import extract_author, extract_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import load_html

from extract.body_tree import _MAIN, _PAGE_TEXT, _page_words, _visible_words
from extract.byline import _CANDIDATE_PIECES, _STARTS_WITH_LEAD_IN
from extract.page import _may_name_author, _TrafilaturaMeta
from extract.repair import adopt_stray_content

QUALITY = Path(__file__).parent / "quality"
# Every fifth page of the quality gate's real pages (WCXB and ScrapingHub): pages with and without meta tags,
# JSON-LD, bylines and dates, in several languages.
PAGES = sorted(json.loads((QUALITY / "truth.json").read_text(encoding="utf-8")).items())[::5]


@pytest.mark.parametrize(("name", "item"), PAGES, ids=[name for name, _ in PAGES])
def test_each_field_is_trafilaturas(name: str, item: dict[str, str]) -> None:
    dataset, key = name.split("/")
    tree = load_html(gzip.decompress((QUALITY / dataset / f"{key}.html.gz").read_bytes()))
    assert tree is not None
    whole = extract_metadata(tree, item["url"], {**set_date_params(True), "original_date": True})
    fields = _TrafilaturaMeta(tree, item["url"])
    for field in ("title", "author", "date"):
        assert fields.get(field) == (getattr(whole, field) or None), field


@pytest.mark.parametrize(("name", "item"), PAGES, ids=[name for name, _ in PAGES])
def test_visible_words_count_what_the_xpath_selects(name: str, item: dict[str, str]) -> None:
    """The recall pass's trigger counts words in one walk; the XPath it replaced is the definition."""
    dataset, key = name.split("/")
    tree = load_html(gzip.decompress((QUALITY / dataset / f"{key}.html.gz").read_bytes()))
    assert tree is not None
    tree = adopt_stray_content(tree)
    assert _page_words(tree) == sum(len(str(t).split()) for t in tree.xpath(_PAGE_TEXT))
    inside = ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
    for box in tree.xpath(_MAIN):
        assert _visible_words(box) == sum(len(str(t).split()) for t in box.xpath(inside))


def test_hidden_text_is_not_counted() -> None:
    tree = load_html(
        "<html><body><main>One two <script>var a = 1;</script>three<noscript><p>four <b>five</b></p> six"
        "<style>p {}</style></noscript> seven<!-- eight nine --> ten</main></body></html>"
    )
    assert tree is not None
    assert _page_words(tree) == 5  # one two three seven ten
    assert _visible_words(tree.xpath("//main")[0]) == 5
    assert _visible_words(tree.xpath("//p")[0]) == 0  # inside a <noscript>


def test_an_unknown_field_is_refused() -> None:
    tree = load_html("<html><body><p>Text</p></body></html>")
    assert tree is not None
    with pytest.raises(ValueError, match="language"):
        _TrafilaturaMeta(tree, "https://example.org/").get("language")


ALL_PAGES = sorted(json.loads((QUALITY / "truth.json").read_text(encoding="utf-8")).items())


def _tree(name: str) -> HtmlElement:
    dataset, key = name.split("/")
    tree = load_html(gzip.decompress((QUALITY / dataset / f"{key}.html.gz").read_bytes()))
    assert tree is not None
    return adopt_stray_content(tree)


def test_the_author_search_is_skipped_only_where_it_finds_nothing() -> None:
    """_may_name_author is False only on pages where trafilatura's author search returns None (every gate page)."""
    skipped = found = 0
    for name, _ in ALL_PAGES:
        tree = _tree(name)
        if not _may_name_author(tree):
            skipped += 1
            assert extract_author(tree) is None, name
        else:
            found += extract_author(tree) is not None
    assert skipped  # both kinds of page are among them
    assert found


def test_the_author_search_is_tried_where_a_mark_names_an_author() -> None:
    for markup in ("<span class='AuthorName'>", "<div id='zuozhe'>", "<p data-component='Byline'>", "<author>"):
        tree = load_html(f"<html><body><article><p>Text of the page.</p>{markup}Ana Pérez</article></body></html>")
        assert tree is not None
        assert _may_name_author(tree), markup
    tree = load_html("<html><body><article><p class='lede'>Text of the page by Ana Pérez.</p></article></body></html>")
    assert tree is not None
    assert not _may_name_author(tree)
    assert extract_author(tree) is None


def test_written_out_bylines_are_read_from_the_pieces_the_xpath_keeps() -> None:
    """The lead-in pieces labelled_bylines reads come from an XPath that keeps a superset of what its regex takes."""
    for name, _ in ALL_PAGES:
        tree = _tree(name)
        every = [str(p) for p in tree.xpath("//body//text()") if len(p) <= 120 and _STARTS_WITH_LEAD_IN.match(p)]
        chosen = [str(p) for p in tree.xpath(_CANDIDATE_PIECES) if _STARTS_WITH_LEAD_IN.match(p)]
        assert chosen == every, name
