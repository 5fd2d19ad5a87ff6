"""The authors a page shows in its byline when its metadata names none."""

from __future__ import annotations

from functools import cache

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
# A name in these is a commenter's, a related post's author, or a widget's, not the page's.
_ELSEWHERE = ("comment", "sidebar", "widget", "related", "footer", "respond")
_MAX_CHARS = 120  # a byline, not an author box's biography


@cache
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css)


def _elsewhere(el: HtmlElement) -> bool:
    for anc in (el, *el.iterancestors()):
        if anc.tag in ("aside", "footer", "nav", "head"):
            return True
        marks = f"{anc.get('class', '')} {anc.get('id', '')}".lower()
        if any(word in marks for word in _ELSEWHERE):
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
