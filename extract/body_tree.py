"""Markup fixes made before trafilatura reads a page without a configured body selector.

trafilatura takes the first container that looks like an article body, and everything inside it, minus what
looks like site furniture. Three common shapes defeat that: a body a CMS cut into several containers (between
ads), related posts marked up as <article>s inside the article, and a quoted tweet inside a "social" or
"widget" wrapper. All are fixed on a copy; the caller's tree is left as it was.
"""

from __future__ import annotations

from copy import deepcopy

from lxml.html import HtmlElement
from trafilatura.xpaths import BODY_XPATH

# trafilatura's first, most specific body expression (article-body, entry-content, itemprop=articleBody, ...).
_BODY_CONTAINER = BODY_XPATH[0]


def _article_of(el: HtmlElement) -> HtmlElement | None:
    return next(el.iterancestors("article"), None)


def _split_body(tree: HtmlElement) -> list[HtmlElement]:
    """The containers of one body cut into pieces: same tag and class, none inside another, same <article>."""
    found = [el for el in _BODY_CONTAINER(tree) if el is not None]
    if len(found) < 2 or not found[0].get("class"):
        return []
    first = found[0]
    pieces = [first]
    for el in found[1:]:
        # The posts of a blog index each have their own entry-content: those are separate publications.
        alike = (el.tag, el.get("class"), _article_of(el)) == (first.tag, first.get("class"), _article_of(first))
        if alike and not any(p in el.iterancestors() or el in p.iterancestors() for p in pieces):
            pieces.append(el)
    return pieces if len(pieces) > 1 else []


def _nested(article: HtmlElement) -> list[HtmlElement]:
    return [a for a in article.iterdescendants("article") if _article_of(a) is article]


def _with_related(tree: HtmlElement) -> list[HtmlElement]:
    """<article>s holding two or more <article>s (one may be the page's real article inside a wrapper)."""
    return [a for a in tree.iter("article") if len(_nested(a)) >= 2]


_TWEETS = "//blockquote[contains(concat(' ', normalize-space(@class), ' '), ' twitter-tweet ')]"


def _wrapper(quote: HtmlElement) -> HtmlElement:
    """The outermost element around an embedded tweet that holds nothing else (trafilatura drops it as furniture)."""
    text = " ".join(quote.text_content().split())
    top = quote
    for el in quote.iterancestors():
        if el.tag in ("body", "article", "main") or " ".join(el.text_content().split()) != text:
            break
        top = el
    return top


def prepare_body_tree(tree: HtmlElement, *, one_article: bool) -> HtmlElement:
    """The tree itself, or a copy with a split body joined and (on a page that says it is one article) related
    <article>s removed."""
    # HTML5: articles nested in an article are related to it (comments, related posts), not part of it. On a
    # page that does not say it is an article, nested articles may be a listing's cards, which decide its kind.
    split, related = bool(_split_body(tree)), one_article and bool(_with_related(tree))
    # A tweet the article quotes is its text: a minister's statement, an agency's figures.
    tweets = [q for q in tree.xpath(_TWEETS) if _wrapper(q) is not q]
    if not (split or related or tweets):
        return tree
    tree = deepcopy(tree)
    if split:
        first, *rest = _split_body(tree)
        for piece in rest:
            first.extend(list(piece))
            piece.drop_tree()  # keeps the tail text
    if related:
        for outer in _with_related(tree):
            for inner in _nested(outer):
                inner.drop_tree()
    for quote in tree.xpath(_TWEETS):
        top = _wrapper(quote)
        if top is not quote:
            parent = top.getparent()
            quote.tail = top.tail
            parent.replace(top, quote)
    return tree
