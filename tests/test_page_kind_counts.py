"""Page kind's counts read from the pieces its tally counted once (extract/page_kind.py `_Tally.own_words`,
`block_words`) equal the words of the texts they stand for, and the pager's prefilter never hides a pager: on every
real page of the quality gate and on pages built to make each case happen."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from extract.page_kind import _BLOCKS, _PAGER, _block_text, _has_pager, _own_text, _Tally, _words
from extract.repair import adopt_stray_content

QUALITY = Path(__file__).parent / "quality"
PAGES = sorted(json.loads((QUALITY / "truth.json").read_text(encoding="utf-8")))


def _tree(html: bytes | str) -> HtmlElement:
    tree = load_html(html)
    assert tree is not None
    return adopt_stray_content(tree)


def _gate_tree(name: str) -> HtmlElement:
    dataset, key = name.split("/")
    return _tree(gzip.decompress((QUALITY / dataset / f"{key}.html.gz").read_bytes()))


def _check_counts(tree: HtmlElement) -> int:
    """Assert both counts on every element under the <body>; how many seams joined two words into one."""
    root = tree.find(".//body")
    root = root if root is not None else tree
    tally = _Tally(root)
    seams = 0
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        own = _own_text(el)
        assert tally.own_words(el) == _words(own), (el.tag, own[:200])
        pieces = [el.text or "", *(c.tail or "" for c in el)]
        seams += sum(_words(p) for p in pieces) - _words(own)
        if el.tag in _BLOCKS:
            assert tally.block_words(el) == _words(_block_text(el)), (el.tag, _block_text(el)[:200])
    return seams


@pytest.mark.parametrize("name", PAGES)
def test_counts_from_pieces_are_the_texts_words(name: str) -> None:
    _check_counts(_gate_tree(name))


def test_words_run_together_across_a_child_count_once() -> None:
    """`foo<b>x</b>bar` reads "foobar" as the element's own text: one word, not two; hidden and inline children too."""
    tree = _tree(
        "<html><body><div>foo<b>x</b>bar baz<!-- c -->qux<template>t1 t2</template>_end<span>a<i>b</i>c</span>"
        " tail</div><p>one <em>two <b>three</b></em> four<br>five<script>var s = 1;</script>six</p>"
        "<template>hidden text</template></body></html>"
    )
    assert _check_counts(tree) >= 3  # foo|bar, baz|qux, and the template's tail _end run into their neighbours
    div = tree.find(".//div")
    tally = _Tally(tree.find(".//body"))
    assert tally.own_words(div) == _words(_own_text(div)) == 3  # "foobar baz", "qux_end", " tail"
    assert tally.own_words(tree.find(".//template")) == 2  # a hidden element's own text, counted when asked


@pytest.mark.parametrize("name", PAGES)
def test_the_pager_prefilter_agrees_with_the_xpath(name: str) -> None:
    tree = _gate_tree(name)
    assert _has_pager(tree) == bool(tree.xpath(_PAGER))


@pytest.mark.parametrize(
    ("markup", "pager"),
    [
        ('<nav class="Pagination-x"><a href="?p=1">1</a><a href="?p=2">2</a></nav>', False),  # contains() is cased
        ('<nav class="pagination"><a href="?p=1">1</a><a href="?p=2">2</a></nav>', True),
        ('<div class="mypager"><a href="?p=1"> 1 </a><a href="?p=2">2</a></div>', True),
        ('<div aria-label="Pagination"><a href="?p=1">1</a><a href="?p=2">2</a></div>', True),
        ('<div class="pagination"><a href="?p=1">1</a><a href="/more">More</a></div>', False),
        ('<a rel="next" href="/page/2">Older</a>', True),
        ('<a rel="nofollow next" href="/page/2">Older</a>', False),  # @rel='next' is an equality
        ('<a rel="prev" href="/page/1">Newer</a>', False),
    ],
)
def test_the_pager_prefilter_on_built_pages(markup: str, pager: bool) -> None:
    tree = _tree(f"<html><head><title>t</title></head><body><p>text</p>{markup}</body></html>")
    assert bool(tree.xpath(_PAGER)) == pager
    assert _has_pager(tree) == pager


def test_a_next_link_in_the_head_is_a_pager() -> None:
    tree = _tree('<html><head><link rel="next" href="/page/2"></head><body><p>text</p></body></html>')
    assert _has_pager(tree)
    assert tree.xpath(_PAGER)
