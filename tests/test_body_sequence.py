"""trafilatura_body runs trafilatura's extraction step by step (extract/body_tree.py `_sequence`) without readability's
candidate and with a cheaper check before the recall escalation: its text equals `trafilatura.bare_extraction`'s on
real pages where readability's text does not win there, and on a page that escalates; where readability's would win,
it is trafilatura's own; the bound that spares reading the page's text is never below that text's length."""

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
from trafilatura.core import _forum_thread_page, _prepare_tree
from trafilatura.external import _prefer_readability, try_readability
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.utils import load_html, trim
from trafilatura.xpaths import RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from extract.body_tree import _PageText, _short_of_the_page, trafilatura_body

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


def _readability_wins(tree: HtmlElement, url: str, *, favor_recall: bool) -> bool:
    """Whether bare_extraction's first pass takes readability's text on this page (trafilatura's own rule)."""
    options = Extractor(output_format="python", recall=favor_recall, comments=False, tables=True, url=url)
    raw = prune_unwanted_nodes(copy(tree), RAW_TREE_PRUNE_XPATH)
    if not _forum_thread_page(tree):
        raw = prune_unwanted_nodes(raw, REMOVE_COMMENTS_AND_LISTS_XPATH)
    body, text = extract_content(_prepare_tree(raw, options, url)[0], options)
    if favor_recall and len(text) > options.min_extracted_size * 10:
        return False  # compare_extraction's bypass: readability is not asked
    algo = try_readability(copy(raw))
    algo_text = trim(tostring(algo, method="text", encoding="utf-8").decode("utf-8"))
    return bool(_prefer_readability(body, algo, algo_text, len(text), len(algo_text), options))


# Readability's text won bare_extraction's first pass on a few of these pages; the rest must be equal.
PAGES_READABILITY_WINS = {
    (name, favor_recall)
    for name, item in PAGES
    for favor_recall in (False, True)
    if _readability_wins(_tree(name), item["url"], favor_recall=favor_recall)
}


def test_readability_wins_on_few_gate_pages() -> None:
    """The equality below is held on nearly every page: readability's text wins on few."""
    assert len(PAGES_READABILITY_WINS) <= len(PAGES) // 5


@pytest.mark.parametrize(("name", "item"), PAGES, ids=[name for name, _ in PAGES])
def test_the_text_is_bare_extractions(name: str, item: dict[str, str]) -> None:
    tree = _tree(name)
    for favor_recall in (False, True):
        if (name, favor_recall) in PAGES_READABILITY_WINS:
            continue
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


def _own(tree: HtmlElement) -> tuple[Extractor, _Element, str]:
    options = Extractor(output_format="python", comments=False, tables=True)
    body, text = extract_content(_pruned(tree), options)
    return options, body, text


def test_where_readabilitys_text_would_win_the_own_text_stays() -> None:
    """A page whose own extraction is a third of its text: bare_extraction takes readability's, twice as long;
    trafilatura_body keeps trafilatura's own (clean and long enough: no jusText either)."""
    tree = load_html(
        "<html><head><title>A report</title></head><body>"
        f"<article>{_paragraphs('Report', 3)}</article><div class='more'>{_paragraphs('Annex', 6)}</div>"
        "</body></html>"
    )
    assert tree is not None
    url = "https://example.org/report"
    assert _readability_wins(tree, url, favor_recall=False)
    _, _, own = _own(tree)
    text = trafilatura_body(tree, url)
    assert "Annex" in _bare(tree, url, favor_recall=False)
    assert "Annex" not in text
    assert " ".join(text.split()) == " ".join(own.split())


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
