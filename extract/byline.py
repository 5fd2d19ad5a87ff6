"""The authors a page shows in its byline, and which of a page's author candidates wins."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

# Most specific first: schema.org microdata, rel=author links, hCard names, then the class names CMS themes use.
_BYLINE_SELECTORS = (
    "[itemprop~=author] [itemprop~=name]",
    "[itemprop~=author]",
    "a[rel~=author]",
    ".vcard .fn",
    ".byline a",
    ".byline",
    ".author-name, .author_name, .authorName, .by-author, .post-author, .entry-author",
)
# A name in these is a commenter's, a related post's author, or a widget's, not the page's. extract/metadata.py has
# the same idea for <time> as a substring XPath; one shared predicate (this one) cost two dates on
# trafilatura-eval (0.870 to 0.867), so the two stay apart until dates are re-tuned. Whole words only:
# "commentary" is a kind of publication. A footer is the site's (with its hCard address) unless it is an article's.
_ELSEWHERE = re.compile(r"(?<![a-z])(?:comments?|commentlist|respond|sidebar|widgets?|related)(?![a-z])")
_FOOTER = re.compile(r"(?<![a-z])footer(?![a-z])")
_MAX_CHARS = 120  # a byline, not an author box's biography


@cache
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css)


def _elsewhere(el: HtmlElement) -> bool:
    in_article = next(el.iterancestors("article"), None) is not None
    for anc in (el, *el.iterancestors()):
        if anc.tag in ("aside", "nav", "head") or (anc.tag == "footer" and not in_article):
            return True
        marks = f"{anc.get('class', '')} {anc.get('id', '')}".lower()
        if _ELSEWHERE.search(marks) or (not in_article and _FOOTER.search(marks)):
            return True
    return False


def byline_texts(tree: HtmlElement) -> list[str]:
    """Texts of the page's byline elements, from the most specific kind of markup that has one."""
    for css in _BYLINE_SELECTORS:
        texts = [
            text
            for el in _selector(css)(tree)
            if not _elsewhere(el) and 2 < len(text := " ".join(el.text_content().split())) <= _MAX_CHARS
        ]
        if texts:
            return texts
    return []


def _slug_tokens(url: str) -> set[str]:
    """The words of a page's host and path."""
    parts = urlsplit(url)
    return {t for t in re.split(r"[/._\-?=&]+", f"{parts.hostname or ''}/{parts.path}".casefold()) if t}


def is_handle(name: str, url: str = "") -> bool:
    """An account handle rather than a person's name: one token that is all lower case, holds a digit, or is a
    word of the page's address (a CMS account named after the site)."""
    if len(name.split()) != 1:
        return False
    return name == name.lower() or any(c.isdigit() for c in name) or name.casefold() in _slug_tokens(url)


def _folded(names: list[str]) -> set[str]:
    return {" ".join(n.split()).casefold() for n in names}


def pick_authors(structured: list[list[str]], byline: list[str], url: str = "") -> list[str]:
    """The page's authors from its structured candidates (cleaned, most trusted first) and its visible byline.

    The first candidate that names anyone wins, unless another one names the same people and more (a JSON-LD
    author that is only the first of several co-authors a byline or citation_author tags list), or it names
    only account handles while the byline shows a person ("kffnirmitap" over "Nirmita Panchal").
    """
    chosen = next((c for c in structured if c), [])
    if not chosen:
        return byline
    for other in [*structured, byline]:
        if len(other) > len(chosen) and _folded(chosen) <= _folded(other):
            chosen = other
    people = [n for n in byline if not is_handle(n, url)]
    if people and all(is_handle(n, url) for n in chosen):
        return people
    return chosen
