"""The authors a page shows in its byline when its metadata names none."""

from __future__ import annotations

import re
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
