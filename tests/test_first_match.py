"""The first match of a selector from a page parsed only in part (spiders/first_match.py) is the whole page's.

Checked on every HTML page of the mirrors (the scaled MPI mirror included) and every saved page under tests/.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from migdigest.compiled import css as compiled_css
from migdigest.config import load_config
from spiders.first_match import _prefix_end, _prefix_safe, _root, _upward, first_href

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "http://127.0.0.1:9"
# Selectors beyond the configured ones: each combinator and pseudo-class the prefix parse accepts, and some it
# refuses (they look past an element's start tag), which must still give the whole page's answer.
EXTRA = [
    "a",
    "a[href$='.pdf']",
    "main a[href]",
    "div > a + a",
    "li ~ li a",
    "li:first-child a",
    "li:nth-child(2n+1) > a",
    "p:first-of-type a",
    "a:not(.nav):not([rel])",
    "a:is(.btn, .download)",
    "li:last-child a",
    "ul:has(> li) a",
    "p:empty + a",
    "a:only-child",
    "main > article a[href$='.pdf'], aside a",
    "ul li > a:not(.nav)",
    "#main-content ~ div a, .main-content a[href*='pdf']",
    "body > div a:first-child",
]


@cache
def pages() -> list[tuple[str, bytes]]:
    """Every HTML page of the mirrors and saved pages, with a name for the failure message."""
    from mirrors import SITES
    from mirrors.scaled import register

    found: list[tuple[str, bytes]] = []
    names = [name for name in SITES if name != "mpi-night2"] + [register(40)]
    for name in names:
        rendering = SITES[name].rendering(BASE)
        for key, page in sorted(rendering.pages.items()):
            if "html" in page.content_type:
                found.append((f"{name}{key}", page.body))
    for saved in sorted(FIXTURES.rglob("*.html")):
        found.append((str(saved.relative_to(FIXTURES)), saved.read_bytes()))
    assert len(found) > 500
    return found


def selectors() -> list[str]:
    """Every selector the sources configure that names links, and the extra ones."""
    configured: set[str] = set()
    for source in load_config().sources.values():
        configured.update(css for css in (source.selectors.pdf, *(x.next for x in source.discovery.listings)) if css)
        configured.update(f"{x.item} {x.link}" for x in source.discovery.listings)
    return sorted(configured) + EXTRA


def test_the_first_href_is_the_whole_pages_for_every_page_and_selector() -> None:
    checked = from_prefix = 0
    for name, body in pages():
        whole = _root(body, "utf-8")  # the spider's whole-page parse
        for css in selectors():
            expected = next((str(el.get("href")) for el in compiled_css(css)(whole) if el.get("href")), None)
            assert first_href(body, "utf-8", css) == expected, (name, css)
            checked += 1
            from_prefix += _prefix_end(body, "utf-8", css) is not None
    assert checked > 10_000
    assert from_prefix > 300  # the prefix is tried, not only the whole page


def test_the_upward_xpath_selects_what_the_selector_does() -> None:
    """spiders.first_match._upward, the selector read from the right, on whole pages too."""
    upward = {css: _upward(css) for css in selectors()}
    assert sum(x is not None for x in upward.values()) >= 10
    for name, body in pages()[::3]:
        root = _root(body, "utf-8")
        for css, expression in upward.items():
            if expression is not None:
                assert etree.XPath(expression)(root) == compiled_css(css)(root), (name, css)


def test_the_mpi_mirrors_pdf_links_are_read_from_a_prefix() -> None:
    with_pdf = from_prefix = 0
    for name, body in pages():
        if not name.startswith("mpi") or not compiled_css(MPI_PDF)(_root(body, "utf-8")):
            continue
        with_pdf += 1
        cut = _prefix_end(body, "utf-8", MPI_PDF)
        if cut is not None and compiled_css(MPI_PDF)(_root(body[:cut], "utf-8")):
            assert cut < len(body) * 0.6, name
            from_prefix += 1
    assert from_prefix == with_pdf > 20


def _signature(elements: list[Any]) -> list[tuple[Any, ...]]:
    """Per element in document order: tag, attributes, and its parent's place in that order."""
    index = {id(el): i for i, el in enumerate(elements)}
    return [
        (el.tag, tuple(el.attrib.items()), index.get(id(el.getparent()), -1) if el.getparent() is not None else -1)
        for el in elements
    ]


def _cuts(body: bytes) -> Iterator[int]:
    """Eight places through the page: after a '>' and anywhere (never inside a UTF-8 character)."""
    for eighth in range(1, 8):
        at = len(body) * eighth // 8
        while at < len(body) and body[at] & 0xC0 == 0x80:
            at += 1
        yield at
        after = body.find(b">", at)
        if after > 0:
            yield after + 1


def test_every_element_of_a_prefix_but_its_last_is_the_whole_pages() -> None:
    """The lemma first_match stands on: libxml2 builds in source order and never moves a node."""
    compared = 0
    for name, body in pages():
        whole = [el for el in _root(body, "utf-8").iter() if isinstance(el.tag, str)]
        expected = _signature(whole)
        for cut in _cuts(body):
            part = [el for el in _root(body[:cut], "utf-8").iter() if isinstance(el.tag, str)]
            got = _signature(part)[:-1]  # the last may be a start tag cut short
            assert got == expected[: len(got)], (name, cut)
            compared += len(got)
    assert compared > 100_000


MPI_PDF = ".field--name-field-full-report a[type='application/pdf']"
FILLER = "<p>" + "Migration policy changed in several ways across the region. " * 20 + "</p>"


def test_a_selector_that_looks_past_the_start_tag_is_answered_by_the_whole_page() -> None:
    links = '<a href="/a.pdf">A</a> <a href="/b.pdf">B</a>'
    body = f"<html><body><main><div class='dl'>{links}</div>{FILLER}{FILLER}</main></body></html>".encode()
    assert not _prefix_safe(".dl a:last-child")
    assert first_href(body, "utf-8", ".dl a:last-child") == "/b.pdf"
    assert first_href(body, "utf-8", ".dl a:first-child") == "/a.pdf"
    assert _prefix_end(body, "utf-8", ".dl a:first-child") is not None


def test_a_match_whose_start_tag_the_prefix_cuts_is_read_from_the_whole_page() -> None:
    # The prefix ends at the first '>' 512 bytes past the selector's literals: here inside the link's title.
    title = "x" * 600 + ">" + "y" * 50
    link = f'<a href="/r.pdf" type="application/pdf" title="{title}" class="late">Full report</a>'
    body = f"<html><body><div class='field--name-field-full-report'>{link}</div>{FILLER}</body></html>".encode()
    cut = _prefix_end(body, "utf-8", MPI_PDF)
    assert cut is not None
    assert cut < body.index(b'class="late"')  # the prefix does end inside the start tag
    assert first_href(body, "utf-8", MPI_PDF) == "/r.pdf"
    assert first_href(body, "utf-8", f"{MPI_PDF}.late") == "/r.pdf"


def test_the_first_of_several_matches_is_taken_and_an_empty_href_passed_over() -> None:
    links = '<a type="application/pdf" href="">none</a><a type="application/pdf" href="/one.pdf">1</a>'
    later = '<a type="application/pdf" href="/two.pdf">2</a>'
    body = f"<div class='field--name-field-full-report'>{links}{FILLER}{later}</div>{FILLER}".encode()
    assert first_href(body, "utf-8", MPI_PDF) == "/one.pdf"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_a_page_in_another_encoding_is_parsed_whole(encoding: str) -> None:
    html = f"<div class='field--name-field-full-report'><a type='application/pdf' href='/é.pdf'>r</a></div>{FILLER}"
    body = html.encode(encoding)
    assert _prefix_end(body, encoding, MPI_PDF) is None
    assert first_href(body, encoding, MPI_PDF) == "/é.pdf"


def test_the_tree_is_the_spiders() -> None:
    from parsel import Selector

    for name, body in pages()[:200]:
        ours = etree.tostring(_root(body, "utf-8"))
        assert ours == etree.tostring(Selector(body=body, encoding="utf-8", type="html").root), name
