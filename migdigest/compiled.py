"""CSS selectors and XPath expressions compiled once per thread, for the crawl and extraction of every page."""

from __future__ import annotations

import threading

from lxml import etree
from lxml.cssselect import CSSSelector

# lxml's compiled expressions are not to be shared between threads; compiling one costs far more than running it
# (a configured CSS selector: ~0.3 ms, on every page; bench/README.md, issue 20).
_local = threading.local()


def css(selector: str, translator: str = "xml") -> etree.XPath:
    """`CSSSelector(selector, translator=translator)`, compiled on first use in this thread."""
    cache: dict[tuple[str, str], etree.XPath] = _local.__dict__.setdefault("css", {})
    key = (selector, translator)
    if key not in cache:
        cache[key] = CSSSelector(selector, translator=translator)
    return cache[key]


def xpath(expression: str) -> etree.XPath:
    """`etree.XPath(expression)`, compiled on first use in this thread."""
    cache: dict[str, etree.XPath] = _local.__dict__.setdefault("xpath", {})
    if expression not in cache:
        cache[expression] = etree.XPath(expression)
    return cache[expression]
