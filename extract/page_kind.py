"""What a page is, from its structure: a publication, an index of others, or another kind of page.

Index pages (listings, product collections, archives, tag, author and search pages) are many alike blocks, each a
link with a little text; a publication is one block of running prose; products, forums, documentation and service
pages say so in their schema.org types, their addresses or their furniture. The signals are read once
(`signals`), then weighed (`classify`): schema.org and og:type first, then the address, then the layout.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from extract.metadata import ARTICLE_TYPES, PageMeta
from migdigest.config import Source
from migdigest.models import PageKind

# Page furniture: what sits here is never the page's content, so neither its links nor its text count.
_FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "select", "script", "style", "noscript"})
_FURNITURE = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|megamenu|footer|header|breadcrumbs?|sidebar|cookie|consent|"
    r"skip|social|share|sharing|newsletter|subscribe|masthead|topbar|toolbar|offcanvas|drawer|modal|popup)"
    r"(?:$|[-_\s])",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
_PRICE = re.compile(r"(?:[$€£¥₹]\s?\d[\d.,]*|\d[\d.,]*\s?(?:€|USD|EUR|GBP|zł|kr))")
_DIGITS = re.compile(r"\d+")
_SENTENCE = re.compile(r"\w[.!?;:](?:\s|$)")
_BLOCKS = frozenset({"p", "div", "li", "td", "dd", "blockquote", "section", "article", "span"})


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _is_furniture(el: HtmlElement, page_words: int) -> bool:
    if el.tag in ("script", "style", "noscript", "select"):
        return True
    marked = el.tag in _FURNITURE_TAGS or el.get("role") in ("navigation", "banner", "contentinfo", "search", "menu")
    marks = f"{el.get('class', '')} {el.get('id', '')}"
    if not (marked or (marks.strip() and _FURNITURE.search(marks))):
        return False
    # A wrapper of most of the page ("has-header", a <header> around the whole article) is not furniture.
    return _words(el.text_content()) < 0.5 * page_words


def _content_elements(tree: HtmlElement) -> list[HtmlElement]:
    """Every element of the page outside furniture, in document order."""
    body = tree.find(".//body")
    root = body if body is not None else tree
    page_words = _words(root.text_content())
    found: list[HtmlElement] = []
    stack = [root]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str) or (el is not root and _is_furniture(el, page_words)):
            continue
        found.append(el)
        stack.extend(reversed(list(el)))
    return found


_INLINE = frozenset({"a", "em", "strong", "b", "i", "span", "sup", "sub", "code", "abbr", "cite", "q", "mark",
                     "small", "u", "time", "font", "br"})  # fmt: skip


def _block_of(el: HtmlElement) -> HtmlElement | None:
    """The nearest block-level ancestor: the paragraph an inline element is read in."""
    return next((a for a in el.iterancestors() if a.tag not in _INLINE), None)


def _block_text(el: HtmlElement) -> str:
    """The text of a block without its block-level children: a paragraph as read."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in _INLINE:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return " ".join(parts)


def _own_text(el: HtmlElement) -> str:
    return (el.text or "") + "".join(child.tail or "" for child in el)


@dataclass(frozen=True, slots=True)
class Signals:
    """What a page shows of its kind; numbers are words or counts outside page furniture."""

    ld_types: frozenset[str]
    og_type: str
    published_meta: bool  # article:published_time or a dated JSON-LD article
    words: int  # text of the page outside furniture
    link_words: int  # of which inside links
    items: int  # the largest group of alike sibling blocks that each hold a link
    item_words: int  # words inside that group
    item_headings: int  # of its blocks, how many hold a heading
    prose: int  # words of the largest run of sibling prose paragraphs (the article's own text)
    prose_all: int  # words of all prose paragraphs
    prose_free: int  # of which outside the repeated blocks
    prices: int
    pager: bool
    body_words: int  # what the body extractor kept

    @property
    def link_density(self) -> float:
        """Share of the page's words that are link text."""
        return self.link_words / self.words if self.words else 0.0

    @property
    def item_share(self) -> float:
        """Share of the page's words inside the repeated blocks."""
        return self.item_words / self.words if self.words else 0.0

    @property
    def prose_share(self) -> float:
        """Share of the page's words in its main run of prose."""
        return self.prose / self.words if self.words else 0.0


def _group_key(el: HtmlElement) -> tuple[str, str]:
    # Numbers in classes tell items apart ("post-123"), not kinds.
    return el.tag, _DIGITS.sub("", " ".join(sorted(el.get("class", "").split())))


def _has_link(el: HtmlElement) -> bool:
    return any((a.get("href") or "#")[:1] not in ("#", "") and not a.get("href", "").startswith("javascript")
               for a in el.iter("a"))  # fmt: skip


_PAGER = (
    "//*[contains(@class, 'pager') or contains(@class, 'pagination') or @aria-label='pagination' or "
    "@aria-label='Pagination']"
    "[count(.//a[translate(normalize-space(.), '0123456789', '') = '' and normalize-space(.) != '']) >= 2]"
    " | //link[@rel='next'] | //a[@rel='next']"
)


def signals(tree: HtmlElement, meta: PageMeta, body: str) -> Signals:
    """Read the signals of a page once."""
    content = _content_elements(tree)
    inside = set(map(id, content))
    words = link_words = prices = 0
    for el in content:
        text = _own_text(el)
        n = _words(text)
        words += n
        if n and (el.tag == "a" or any(a.tag == "a" for a in el.iterancestors())):
            link_words += n
        prices += len(_PRICE.findall(text))
    # Alike siblings that each hold a link: the cards of an index (furniture left out).
    best: tuple[int, int, int] = (0, 0, 0)
    best_members: list[HtmlElement] = []
    prose_runs: dict[int, int] = defaultdict(int)
    prose_blocks: list[tuple[HtmlElement, int]] = []
    for el in content:
        children = [c for c in el if isinstance(c.tag, str) and id(c) in inside]
        if len(children) >= 3:
            groups: dict[tuple[str, str], list[HtmlElement]] = defaultdict(list)
            for child in children:
                groups[_group_key(child)].append(child)
            for members in groups.values():
                linked = [m for m in members if _has_link(m) and _words(m.text_content()) >= 2]
                if len(linked) < 3:
                    continue
                texts = [_words(m.text_content()) for m in linked]
                heads = sum(1 for m in linked if m.find(".//h2") is not None or m.find(".//h3") is not None
                            or m.find(".//h4") is not None or m.find(".//h5") is not None)  # fmt: skip
                found = (sum(texts), len(linked), heads)
                if found > best:
                    best, best_members = found, linked
        if el.tag in _BLOCKS:
            text = _block_text(el)
            n = _words(text)
            if n >= 12 and _SENTENCE.search(text):
                linked_words = sum(_words(a.text_content()) for a in el.iter("a") if _block_of(a) is el)
                if linked_words < 0.5 * n:
                    parent = el.getparent()
                    prose_blocks.append((el, n))
                    if parent is not None:
                        prose_runs[id(parent)] += n
    members = best_members
    in_items = {id(d) for m in members for d in m.iter()}
    prose_free = sum(n for el, n in prose_blocks if id(el) not in in_items)
    og_type = (meta.first("og:type") or "").lower()
    ld_types = frozenset(meta.types())
    dated = bool(ld_types & set(ARTICLE_TYPES)) and bool(meta.ld("datePublished", ARTICLE_TYPES))
    return Signals(
        ld_types=ld_types,
        og_type=og_type,
        published_meta=bool(meta.first("article:published_time")) or dated,
        words=words,
        link_words=link_words,
        items=best[1],
        item_words=best[0],
        item_headings=best[2],
        prose=max(prose_runs.values(), default=0),
        prose_all=sum(n for _, n in prose_blocks),
        prose_free=prose_free,
        prices=prices,
        pager=bool(tree.xpath(_PAGER)),
        body_words=_words(body),
    )


_TAG_PATH = re.compile(r"/(?:tag|tags|label|labels|keyword|keywords)(?:/|$)")
_AUTHOR_PATH = re.compile(r"/(author|authors|people|person|staff|our-people|profile|experts?|team)/[^/]+/?$")
_SEARCH_URL = re.compile(r"/search(?:/|$)|[?&](?:s|q|query|search)=")
_ARCHIVE_PATH = re.compile(r"/(?:archives?|(?:19|20)\d\d(?:/(?:0?[1-9]|1[0-2]))?)(?:/page/\d+)?/?$")
_CATEGORY_PATH = re.compile(r"/(?:category|categories|topics?|collections?)(?:/|$)|/page/\d+/?$|[?&]page=\d+")
# A post's own address: a date and a slug (/2019/10/22/slug, /2017/7/slug) or WordPress's ?p=123.
_POST_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])/((0?[1-9]|[12]\d|3[01])/)?(?!page/)[^/?#]{4,}|[?&]p=\d+$")
_FORUM_PATH = re.compile(r"/(?:threads?|questions|forums?|showthread\.php|viewtopic\.php|comments|t)/")
_DOCS_URL = re.compile(r"^(?:docs?|devdocs|manual|man\d?)\.|/(?:docs|documentation|manual|man-pages|api-reference)/")
_PRODUCT_TYPES = frozenset({"Product", "ProductGroup", "IndividualProduct", "Car"})
_FORUM_TYPES = frozenset({"QAPage", "DiscussionForumPosting", "Question"})
_NOT_ARTICLES = frozenset({"DiscussionForumPosting", "SocialMediaPosting", "CreativeWork", "APIReference"})
# How many signs of an index a page must show (see _index_score); tuned on half of WCXB's dev split.
INDEX_SCORE = 5


def _slug_words(path: str) -> int:
    segments = [s for s in path.split("/") if s]
    return len(re.split(r"[-_+]+", segments[-1])) if segments else 0


def _index_score(sig: Signals, path: str, declared: bool) -> int:
    """Signs of an index of other pages, less signs of one publication."""
    score = 2 if sig.link_density >= 0.25 else 1 if sig.link_density >= 0.15 else 0
    score += 2 if sig.prose < 100 else 1 if sig.prose < 250 else 0  # no long run of prose of its own
    score += sig.prose < 0.3 * sig.prose_all  # its prose is scattered over many teasers
    score += sig.items >= 8  # many alike blocks, each a link
    score += sig.item_headings >= 6  # ... each with a heading
    score += sig.pager
    score += _slug_words(path) <= 1  # "/news", "/science/": not a headline turned into an address
    score += sig.prices >= 8
    score += 2 if path in ("", "/") else 0  # a site's home page
    score -= sig.items < 5 and not sig.pager  # a few alike links beside a text: related items, not an index
    score -= 3 if declared else 0
    score -= 2 if sig.prose >= 800 else 0
    score -= _slug_words(path) >= 5
    return int(score)


def classify(sig: Signals, url: str) -> PageKind:
    """The kind of a page from its signals and address."""
    parts = urlsplit(url)
    path = parts.path.lower()
    address = path + (f"?{parts.query}" if parts.query else "")
    ld = sig.ld_types
    article_ld = bool(ld & (set(ARTICLE_TYPES) - _NOT_ARTICLES))
    # A publication date or a post's address is the page's own word; og:type and JSON-LD types are often
    # templates' defaults, so they only weigh against the layout's signs.
    dated = sig.published_meta or bool(_POST_PATH.search(address))
    declared = dated or article_ld or sig.og_type == "article"
    if "SearchResultsPage" in ld or _SEARCH_URL.search(address):
        return "search"
    if _TAG_PATH.search(path):
        return "tag"
    if sig.og_type == "profile" or "ProfilePage" in ld or _AUTHOR_PATH.search(path):
        return "author"
    if (ld & _FORUM_TYPES or sig.og_type == "qa" or _FORUM_PATH.search(path)) and not article_ld:
        return "forum"
    if (ld & _PRODUCT_TYPES or sig.og_type == "product") and not declared:
        return "product"
    if _DOCS_URL.search(f"{parts.hostname or ''}{path}") and not declared:
        return "documentation"
    # An ItemList inside an article is a list in the article (a listicle, a recipe's steps), not a listing.
    listing_ld = bool(ld & {"CollectionPage", "ItemList"}) and not article_ld
    if dated:
        return "archive" if _ARCHIVE_PATH.search(address) and not sig.prose else "article"
    score = _index_score(sig, path, declared)
    if (
        listing_ld
        or score >= INDEX_SCORE
        or (_CATEGORY_PATH.search(address) and sig.prose < 250 and sig.link_density >= 0.15)
    ):
        if _ARCHIVE_PATH.search(address):
            return "archive"
        return "collection" if sig.prices >= max(4, sig.items // 2) else "listing"
    if _ARCHIVE_PATH.search(address) and not declared and sig.prose < 400:
        return "archive"
    return "article"


def page_kind(tree: HtmlElement, meta: PageMeta, url: str, body: str, source: Source | None = None) -> PageKind:
    """Is this a publication ('article'), an index of others, or another kind of page?"""
    if source and any(urlsplit(listing.url).path.rstrip("/") == urlsplit(url).path.rstrip("/")
                      for listing in source.discovery.listings):  # fmt: skip
        return "listing"  # the site's configuration names it as one of its listings
    return classify(signals(tree, meta, body), url)
