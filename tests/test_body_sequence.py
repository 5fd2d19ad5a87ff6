"""trafilatura_body runs trafilatura's extraction step by step (extract/body_tree.py `_sequence`) with a cheaper check
before the recall escalation: its text equals `trafilatura.bare_extraction`'s on real pages and on a page that
escalates, and the bounds that spare reading the page's text are never below that text's length."""

from __future__ import annotations

import gzip
import json
from copy import copy
from pathlib import Path

import pytest
import trafilatura
from lxml.etree import _Element, tostring
from lxml.html import HtmlElement
from trafilatura.baseline import html2txt
from trafilatura.external import try_readability
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.utils import load_html, trim
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from extract.body_tree import _own_text_stands, _PageText, _short_of_the_page, trafilatura_body

QUALITY = Path(__file__).parent / "quality"
# Every third page of the quality gate's real pages (WCXB and ScrapingHub): articles, listings, forums, products.
PAGES = sorted(json.loads((QUALITY / "truth.json").read_text(encoding="utf-8")).items())[::3]


def _tree(name: str) -> HtmlElement:
    dataset, key = name.split("/")
    tree = load_html(gzip.decompress((QUALITY / dataset / f"{key}.html.gz").read_bytes()))
    assert tree is not None
    return tree


def _bare(tree: HtmlElement, url: str, *, favor_recall: bool) -> str:
    doc = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, include_tables=True, favor_recall=favor_recall
    )
    return (getattr(doc, "text", None) or "").strip()


@pytest.mark.parametrize(("name", "item"), PAGES, ids=[name for name, _ in PAGES])
def test_the_text_is_bare_extractions(name: str, item: dict[str, str]) -> None:
    tree = _tree(name)
    for favor_recall in (False, True):
        assert trafilatura_body(tree, item["url"], favor_recall=favor_recall) == _bare(
            tree, item["url"], favor_recall=favor_recall
        ), favor_recall


@pytest.mark.parametrize(("name", "item"), PAGES, ids=[name for name, _ in PAGES])
def test_the_bounds_are_never_below_the_pages_text(name: str, item: dict[str, str]) -> None:
    """On the page as loaded and as the escalation check sees it (after trafilatura's two prunes of the raw tree)."""
    tree = _tree(name)
    for page in (tree, _pruned(tree)):
        assert _PageText(page).html2txt_bound() >= len(html2txt(page))


def _pruned(tree: HtmlElement) -> HtmlElement:
    """The page as trafilatura's later steps see it: after its two prunes of the raw tree."""
    return prune_unwanted_nodes(prune_unwanted_nodes(copy(tree), RAW_TREE_PRUNE_XPATH), REMOVE_COMMENTS_AND_LISTS_XPATH)


def _readability_length(tree: HtmlElement) -> int:
    """The length of readability's text as compare_extraction measures it."""
    return len(trim(tostring(try_readability(copy(tree)), method="text", encoding="utf-8").decode("utf-8")))


@pytest.mark.parametrize(("name", "item"), PAGES, ids=[name for name, _ in PAGES])
def test_the_readability_bound_is_never_below_readabilitys_text(name: str, item: dict[str, str]) -> None:
    pruned = _pruned(_tree(name))
    bound = _PageText(pruned).readability_bound
    assert bound is None or bound >= _readability_length(pruned)


def test_a_video_readability_writes_into_is_counted_and_an_escaped_raw_text_gets_no_bound() -> None:
    video = "<iframe src='https://www.youtube.com/embed/abc'></iframe>"
    tree = load_html(f"<html><body><div class='post'>{_paragraphs('Video', 3)}{video}</div></body></html>")
    assert tree is not None
    assert "VIDEO" in tostring(try_readability(copy(tree)), method="text", encoding="unicode")
    bound = _PageText(tree).readability_bound
    assert bound is not None
    assert bound >= _readability_length(tree)
    escaped = load_html(f"<html><body><div>{_paragraphs('Code', 3)}<xmp>a &lt; b</xmp></div></body></html>")
    assert escaped is not None
    assert _PageText(escaped).readability_bound is None


def _own(tree: HtmlElement) -> tuple[Extractor, _Element, str]:
    options = Extractor(output_format="python", comments=False, tables=True)
    body, text = extract_content(_pruned(tree), options)
    return options, body, text


def test_readability_is_not_run_where_the_own_text_is_most_of_the_page() -> None:
    tree = load_html(
        "<html><head><title>A report</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<main>{_paragraphs('Report', 10)}</main></body></html>"
    )
    assert tree is not None
    options, body, text = _own(tree)
    assert _own_text_stands(body, text, _PageText(_pruned(tree)), options)
    assert trafilatura_body(tree, "https://example.org/report") == _bare(
        tree, "https://example.org/report", favor_recall=False
    )


def test_readability_is_run_where_its_text_may_be_longer() -> None:
    """A page whose own extraction is a third of its text: readability may find twice as much."""
    tree = load_html(
        "<html><head><title>A report</title></head><body>"
        f"<article>{_paragraphs('Report', 3)}</article><div class='more'>{_paragraphs('Annex', 6)}</div>"
        "</body></html>"
    )
    assert tree is not None
    options, body, text = _own(tree)
    assert not _own_text_stands(body, text, _PageText(_pruned(tree)), options)
    assert trafilatura_body(tree, "https://example.org/report") == _bare(
        tree, "https://example.org/report", favor_recall=False
    )


def _paragraphs(topic: str, n: int) -> str:
    return "".join(
        f"<p>{topic} {i}: the ministry's figures on asylum decisions, returns and appeals for each region, "
        f"with what the people affected told the researchers about the year.</p>"
        for i in range(n)
    )


def _links(section: int, n: int = 30) -> str:
    return "".join(
        f"<li><a href='/s{section}/{i}'>Section {section} story {i} on the region's asylum and return figures</a></li>"
        for i in range(n)
    )


# A short article and a page of link lists around it: the default pass keeps the article, under a fifth of the
# page's text, so trafilatura retries in recall mode.
ESCALATES = (
    "<html lang='en'><head><title>Figures</title></head><body>"
    f"<article><h1>Figures</h1>{_paragraphs('Summary', 2)}</article>"
    + "".join(f"<nav><ul>{_links(s)}</ul></nav>" for s in range(8))
    + "<script>var tracking = 'a b c d e f g h i j k l m n o p q r s t u v w x y z';</script></body></html>"
)


def test_a_page_that_escalates_reads_its_text_and_gets_bare_extractions() -> None:
    tree = load_html(ESCALATES)
    assert tree is not None
    default = _bare(tree, "https://example.org/figures", favor_recall=False)
    assert 0 < len(default) < 3000
    assert _short_of_the_page(_PageText(_pruned(tree)), len(default))  # the bounds did not settle it: html2txt was read
    assert trafilatura_body(tree, "https://example.org/figures") == default


def test_a_page_whose_text_is_mostly_its_body_needs_no_page_text() -> None:
    """The bound settles it: the extraction is most of the page."""
    tree = load_html(
        f"<html><head><title>A report</title></head><body><main>{_paragraphs('Report', 10)}</main></body></html>"
    )
    assert tree is not None
    text = trafilatura_body(tree, "https://example.org/report")
    assert len(text) > 1000
    assert len(text) >= 0.2 * _PageText(_pruned(tree)).html2txt_bound()
    assert text == _bare(tree, "https://example.org/report", favor_recall=False)
