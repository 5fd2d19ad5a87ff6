"""What a page is, from its structure: a publication, an index of others, or another kind of page.

Index pages (listings, product collections, archives, tag, author and search pages) are many alike blocks, each a
link with a little text; a publication is one block of running prose; products, forums, documentation and service
pages say so in their schema.org types, their addresses or their furniture. The signals are read once
(`signals`), then weighed (`classify`): schema.org and og:type first, then the address, then the layout, which a
logistic regression over `features()` weighs (an index page when its log-odds reach the threshold). Its weights
and threshold sit in page_kind_weights.json, fitted by bench/page_kind_fit.py on WCXB's dev split with the
threshold set so that under 1% of articles are taken for index pages.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from extract.metadata import ARTICLE_TYPES, PageMeta
from migdigest.config import Source
from migdigest.models import PageKind

# Page furniture: what sits here is never the page's content, so neither its links nor its text count. ("skip" is
# not a mark: `id="skip-to-products"` names the target of a skip link, the content itself; the link is "#...".)
_FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "select", "script", "style", "noscript"})
_FURNITURE = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|megamenu|footer|header|breadcrumbs?|sidebar|cookie|consent|"
    r"social|share|sharing|newsletter|subscribe|masthead|topbar|toolbar|offcanvas|drawer|modal|popup)"
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


# A text's words, and whether it begins and ends with a word character (`\w` is exactly str.isalnum() or "_"):
# the words of texts run together are their sum less one for each seam that joins two words.
_Piece = tuple[int, bool, bool]
_BLANK: _Piece = (0, False, False)


def _piece(text: str) -> _Piece:
    if text.isspace():  # most tails: the markup's indentation
        return _BLANK
    first, last = text[0], text[-1]
    return len(_WORD.findall(text)), first.isalnum() or first == "_", last.isalnum() or last == "_"


_HIDDEN = frozenset({"script", "style", "noscript", "template"})


def _is_furniture(el: HtmlElement, page_words: int, tally: _Tally) -> bool:
    if el.tag in ("script", "style", "noscript", "select"):
        return True
    marked = el.tag in _FURNITURE_TAGS or el.get("role") in ("navigation", "banner", "contentinfo", "search", "menu")
    marks = f"{el.get('class', '')} {el.get('id', '')}"
    if not (marked or (marks.strip() and _FURNITURE.search(marks))):
        return False
    # A wrapper of most of the page ("has-header", a <header> around the whole article) is not furniture.
    return tally.of(el) < 0.5 * page_words


def _content_elements(root: HtmlElement, tally: _Tally) -> list[HtmlElement]:
    """Every element of the page outside furniture, in document order."""
    page_words = tally.of(root)
    found: list[HtmlElement] = []
    stack = [root]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str) or (el is not root and _is_furniture(el, page_words, tally)):
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


class _Tally:
    """Words a reader sees under every element (scripts' and styles' text, a framework's page data, left out) and
    whether it holds a link, read once bottom-up over the page.

    Signals ask the same of nested blocks many times (a card, its list, the list's section); read from the tree each
    time, the text of an element deep in the page was counted once for each of its ancestors.
    """

    __slots__ = ("_elements", "_tails", "_texts", "linked", "words")

    def __init__(self, root: HtmlElement) -> None:
        self.words: dict[int, int] = {}
        self.linked: dict[int, bool] = {}
        # Each text and tail is counted once, here; an element's own text and a paragraph's words are then summed
        # from these pieces (`own_words`, `block_words`) instead of counted again from strings joined anew.
        self._texts: dict[int, _Piece] = {}  # element -> its text (not a hidden element's)
        self._tails: dict[int, _Piece] = {}  # node -> its tail
        # Kept alive: lxml reuses an element's Python object only while it lives, and ids key the counts.
        self._elements = list(root.iter())
        for el in reversed(self._elements):
            if not isinstance(el.tag, str):
                continue
            n = 0
            if el.text and el.tag not in _HIDDEN:
                piece = self._texts[id(el)] = _piece(el.text)
                n = piece[0]
            link = el.tag == "a" and _real_link(el.get("href"))
            for child in el:
                key = id(child)
                n += self.words.get(key, 0)
                if child.tail:
                    piece = self._tails[key] = _piece(child.tail)
                    n += piece[0]
                link = link or self.linked.get(key, False)
            self.words[id(el)] = n
            self.linked[id(el)] = link

    def _text(self, el: HtmlElement) -> _Piece | None:
        piece = self._texts.get(id(el))
        return _piece(el.text) if piece is None and el.text else piece  # a hidden element's: counted when asked

    def own_words(self, el: HtmlElement) -> int:
        """`_words(_own_text(el))`: the element's text and its children's tails, run together."""
        n, in_word = 0, False
        for piece in (self._text(el), *map(self._tails.get, map(id, el))):
            if piece is not None:
                n += piece[0] - (in_word and piece[1])
                in_word = piece[2]
        return n

    def block_words(self, el: HtmlElement) -> int:
        """`_words(_block_text(el))`: its parts are joined with spaces, so their words add up."""
        n = piece[0] if (piece := self._text(el)) else 0
        for child in el:
            if isinstance(child.tag, str) and child.tag in _INLINE:
                if len(child):
                    n += _words(child.text_content())
                elif piece := self._text(child):
                    n += piece[0]
            if piece := self._tails.get(id(child)):
                n += piece[0]
        return n

    def of(self, el: HtmlElement) -> int:
        """Words a reader sees under an element."""
        return self.words.get(id(el), 0)

    def has_link(self, el: HtmlElement) -> bool:
        """Whether an element is, or holds, a link to somewhere else."""
        return self.linked.get(id(el), False)


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
    # Repeated structure anywhere in the content, not only among siblings: alike blocks (same tag and classes
    # under the same kind of parent), each a link with a little text, the teasers or cards of an index.
    card_words: int = 0  # words inside the largest such group
    card_groups: int = 0  # how many such groups of at least four
    headed_links: int = 0  # h2-h4 headings that are, or hold, a link
    article_elements: int = 0  # <article> elements outside furniture
    same_shape_links: int = 0  # distinct internal addresses of one shape (first segment, depth) in the content
    headline_links: int = 0  # distinct addresses linked by four words or more: teasers' headlines
    # Third pass (issue 16): what a reader sees first and what a shop or an index is built of.
    title_words: int = 0  # words of the <title>'s longest part (the site's name cut off): a headline is long
    h1_words: int = 0  # words of the first <h1> in the content
    long_paragraphs: int = 0  # <p> of 40 words or more: an article's paragraphs, not teasers
    links: int = 0  # links in the content
    image_links: int = 0  # of which around an image: product tiles and cards
    buttons: int = 0  # <button>s in the content: "add to cart", filters, "load more"
    inputs: int = 0  # <input>s anywhere: a shop's filters and sort order, a search box
    repeated_anchor: int = 0  # the most times one short link text recurs ("Read more", "Shop now", "Details")
    dates: int = 0  # dates written out in the content's text: a list of dated items
    microdata: frozenset[str] = frozenset()  # schema.org types named by itemtype attributes
    microdata_products: int = 0  # elements typed Product: one on a product's page, many on a shop's listing
    # Fourth pass (issue 16): the listing's repetition read in document order, and its paging.
    page_links: int = 0  # links to a numbered page of this list (?page=2, /page/2/): a pager without its class
    dated_items: int = 0  # of the alike sibling blocks, how many show a date: a list of dated posts
    longest_gap: int = 0  # most words read between two headline links (or an end): an article's own text
    headline_span: float = 0.0  # share of the content's words between the first and the last headline link
    # Tenth session (issue 16 item 1): the template the CMS names, and what comes before the page's longest text.
    template: int = 0  # +1 the <body>'s classes name an index template (archive, category ...), -1 a single item's
    heads_before_gap: int = 0  # headline links read before the longest gap (the page's longest text) begins
    # Eleventh session (issue 16 item 1): the controls a listing gives its reader, anywhere on the page (a shop's
    # filters sit in a sidebar or a form), the class names its CMS gives the grid and its cards, and what the page
    # calls itself.
    control_labels: int = 0  # short labels "Sort by", "Filter", "Refine", "Filters" (and in a few languages)
    buy_buttons: int = 0  # "Add to cart", "Quick view", "Add", "Compare", "Shop now", "Buy now", "View details"
    grid_marks: int = 0  # elements whose class or id names a product grid or a results list
    card_marks: int = 0  # elements whose class names a card, a tile, a product, a teaser or a result
    index_words: bool = False  # the <title>'s longest part or the <h1> names a list: "News", "All products", "Rezepte"

    @property
    def link_density(self) -> float:
        """Share of the page's words that are link text."""
        return self.link_words / self.words if self.words else 0.0

    @property
    def item_share(self) -> float:
        """Share of the page's words inside the repeated blocks."""
        return self.item_words / self.words if self.words else 0.0

    @property
    def card_share(self) -> float:
        """Share of the page's words inside the largest group of alike linked blocks."""
        return self.card_words / self.words if self.words else 0.0

    @property
    def prose_share(self) -> float:
        """Share of the page's words in its main run of prose."""
        return self.prose / self.words if self.words else 0.0


def _group_key(el: HtmlElement) -> tuple[str, str]:
    # Numbers in classes tell items apart ("post-123"), not kinds.
    return el.tag, _DIGITS.sub("", " ".join(sorted(el.get("class", "").split())))


def _real_link(href: str | None) -> bool:
    return (href or "#")[:1] not in ("#", "") and not (href or "").startswith("javascript")


_PAGER = (
    "//*[contains(@class, 'pager') or contains(@class, 'pagination') or @aria-label='pagination' or "
    "@aria-label='Pagination']"
    "[count(.//a[translate(normalize-space(.), '0123456789', '') = '' and normalize-space(.) != '']) >= 2]"
    " | //link[@rel='next'] | //a[@rel='next']"
)


# What _PAGER's predicates test, lower-cased (a superset): a page none of whose classes, ARIA labels or link
# relations hold one of these has no pager, told without evaluating its XPath over every element (~0.4 ms a page).
_PAGER_ATTRIBUTES = "//@class | //@aria-label | //link/@rel | //a/@rel"
_PAGER_MARKS = ("pager", "pagination", "next")


def _has_pager(tree: HtmlElement) -> bool:
    values = "\n".join(tree.xpath(_PAGER_ATTRIBUTES, smart_strings=False)).lower()
    return any(mark in values for mark in _PAGER_MARKS) and bool(tree.xpath(_PAGER))


def _signature(el: HtmlElement) -> tuple[str, str, str, str]:
    parent = el.getparent()
    return (*_group_key(el), *(_group_key(parent) if parent is not None else ("", "")))


def _cards(content: list[HtmlElement], tally: _Tally) -> tuple[int, int]:
    """Words in the largest group of alike linked blocks anywhere in the content, and how many such groups."""
    groups: dict[tuple[str, str, str, str], list[HtmlElement]] = defaultdict(list)
    for el in content:
        if el.tag in _INLINE or el.tag in ("ul", "ol", "tbody", "table", "body", "main", "html"):
            continue
        n = tally.of(el)
        if 2 <= n <= 120 and tally.has_link(el):
            groups[_signature(el)].append(el)
    best = count = 0
    for members in groups.values():
        if len(members) < 4:
            continue
        ids = {id(m) for m in members}
        # Only the outermost members of a group count, so nested alike blocks are not read twice.
        outer = [m for m in members if not any(id(a) in ids for a in m.iterancestors())]
        if len(outer) < 4:
            continue
        count += 1
        best = max(best, sum(tally.of(m) for m in outer))
    return best, count


def _same_shape_links(content: list[HtmlElement], url: str) -> int:
    here = urlsplit(url)
    shapes: dict[tuple[str, int], set[str]] = defaultdict(set)
    for el in content:
        if el.tag != "a":
            continue
        href = (el.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        parts = urlsplit(href)
        if parts.netloc and parts.netloc.lower() != (here.netloc or "").lower():
            continue
        segments = [s for s in parts.path.split("/") if s]
        if not segments or parts.path.rstrip("/") == here.path.rstrip("/"):
            continue
        shapes[(segments[0] if len(segments) > 1 else "", len(segments))].add(parts.path.rstrip("/"))
    return max((len(v) for v in shapes.values()), default=0)


_TITLE_PARTS = re.compile(r"\s[|\-–—:»·]\s|\s[|»·]|[|»·]\s")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\b{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)\d\d\b|\b\d{{1,2}} {_MONTHS} (?:19|20)\d\d\b|"
    r"\b(?:19|20)\d\d[-/.]\d\d[-/.]\d\d\b|\b\d\d?[/.]\d\d?[/.](?:19|20)\d\d\b",
    re.IGNORECASE,
)


def _title_words(tree: HtmlElement) -> int:
    """Words of the title's longest part: "Men's sneakers | Shop" gives 2, a headline many more."""
    title = tree.find(".//title")
    parts = _TITLE_PARTS.split(" ".join(title.text_content().split())) if title is not None else []
    return max((_words(p) for p in parts), default=0)


def _link_counts(content: list[HtmlElement], tally: _Tally) -> tuple[int, int, int]:
    """Links in the content, those around an image, and the most times one short link text recurs."""
    links = image_links = 0
    texts: dict[str, int] = defaultdict(int)
    for el in content:
        if el.tag != "a" or (el.get("href") or "").strip()[:1] in ("", "#"):
            continue
        links += 1
        image_links += el.find(".//img") is not None or el.find(".//picture") is not None
        if 0 < tally.of(el) <= 4:
            texts[" ".join(el.text_content().split()).lower()] += 1
    repeated = max(texts.values(), default=0)
    return links, image_links, repeated if repeated >= 3 else 0


_PAGE_LINK = re.compile(r"[?&](?:page|pg|paged|pagenum)=\d+|/page/\d+/?(?:$|[?#])|/p(?:age)?-?\d+/?$")


def _page_links(tree: HtmlElement) -> int:
    """Links anywhere on the page to a numbered page of a list."""
    return sum(1 for href in tree.xpath("//a/@href") if _PAGE_LINK.search(str(href)))


def _reading_order(content: list[HtmlElement], own: dict[int, int], tally: _Tally) -> tuple[int, float, int]:
    """In document order: the most words between two headline links (or an end of the content), the share
    of the content's words between the first and the last headline link, and how many headline links come before
    that longest text (a shop's grid above its SEO text; an article's text first, its related links after).

    An index reads as headline, a few words, headline ...; an article as one long text, its related links after.
    """
    counts: list[tuple[int, bool]] = []  # (words, is a headline link) in document order
    seen: set[str] = set()
    inside: set[int] = set()  # elements within a headline link, read with it
    for el in content:
        if id(el) in inside:
            continue
        href = (el.get("href") or "").strip() if el.tag == "a" else ""
        if href and href[:1] != "#" and href not in seen and tally.of(el) >= 4:
            seen.add(href)
            inside.update(id(d) for d in el.iterdescendants())
            counts.append((tally.of(el), True))
        else:
            counts.append((own[id(el)], False))
    total = sum(n for n, _ in counts)
    heads = [i for i, (_, head) in enumerate(counts) if head]
    gap = longest = passed = start = before = 0  # before: headline links read before the longest gap began
    for n, head in counts:
        if head:
            if gap > longest:
                longest, before = gap, start
            passed += 1
            gap, start = 0, passed
        else:
            gap += n
    if gap > longest:
        longest, before = gap, start
    span = sum(n for n, _ in counts[heads[0] : heads[-1] + 1]) if heads else 0
    return longest, span / total if total else 0.0, before


# The template a CMS names in the <body>'s classes: WordPress's archive pages, WooCommerce's and Magento's product
# categories, Shopify's collections, Drupal's taxonomy terms, BigCommerce's categories, Squarespace's list view ...
_INDEX_TEMPLATE = re.compile(
    r"archive|category|post-type-archive(?:-[\w-]+)?|tax-[\w-]+|term-[\w-]+|catalog-category-view|"
    r"catalogsearch-result-index|template-(?:collection|list-collections|blog|search)|page-type-category|"
    r"path-taxonomy|page-taxonomy-term|product-listing-page|page-category|woocommerce-shop|view-list"
)
# ... and one item's: WordPress's single post, Shopify's article and product, Drupal's node of a type, Magento's
# product, Squarespace's item view.
_SINGLE_TEMPLATE = re.compile(
    r"single|single-(?:post|product|format-[\w-]+)|postid-\d+|post-template-default|template-(?:article|product)|"
    r"(?:page-)?node-type-[\w-]+|catalog-product-view|page-type-product|view-item"
)


def _template(page: HtmlElement | None) -> int:
    """+1 when the <body>'s classes name an index template, -1 when they name a single item's, else 0."""
    classes = (page.get("class") or "").lower().split() if page is not None else []
    if any(_INDEX_TEMPLATE.fullmatch(c) for c in classes):
        return 1
    return -1 if any(_SINGLE_TEMPLATE.fullmatch(c) for c in classes) else 0


# Listing controls (eleventh session): what a listing gives its reader to sort and filter its items, and the buttons
# a shop repeats on each item. Labels are whole short texts, so an article's sentence never matches.
_CONTROL_LABEL = re.compile(
    r"(?:sort|sort by|sorting|filter|filters|filter by|filter & sort|filter and sort|sort & filter|refine|refine by|"
    r"refine results|show filters|hide filters|all filters|clear all|clear filters|reset filters|sortieren|"
    r"sortieren nach|filtern|trier|trier par|filtrer|filtres|ordenar|ordenar por|filtrar|filtros|ordina|ordina per|"
    r"filtri|sorteer|sorteren|filteren)\s*:?",
    re.IGNORECASE,
)
_BUY = re.compile(
    r"(?:\+\s*)?(?:add to (?:cart|bag|basket|trolley)|quick ?(?:view|shop|add|buy)|choose options|select options|"
    r"in den warenkorb|ajouter au panier|añadir al carrito|aggiungi al carrello|add|compare|add to compare|"
    r"add to wishlist|shop now|buy now|view product|view details)",
    re.IGNORECASE,
)
_GRID_MARK = re.compile(
    r"product-?(?:grid|list|listing|results|collection)|products-?(?:grid|list)|search-?results|plp|"
    r"category-?(?:products|grid)|collection-?(?:grid|products)|listing-?grid",
    re.IGNORECASE,
)
_CARD_MARK = re.compile(
    r"(?:^|[-_\s])(?:product-?(?:card|tile|item|grid|list|box|thumb|block)|productcard|producttile|plp|grid-tile|"
    r"product|card|tile|teaser|post-item|list-item|result|search-result)s?(?:$|[-_\s])",
    re.IGNORECASE,
)
# Words every class name the two patterns match holds: most class names hold none, and a substring test is cheap.
_GRID_HINTS = ("product", "result", "plp", "category", "collection", "listing")
_CARD_HINTS = ("product", "card", "tile", "teaser", "item", "result", "plp")
_LABEL_TAGS = frozenset({"button", "a", "label", "span", "div", "h2", "h3", "p", "summary", "legend", "option", "li",
                         "strong", "small", "time"})  # fmt: skip


def _listing_controls(root: HtmlElement, tally: _Tally) -> dict[str, int]:
    """Sort and filter labels, shop buttons and the class names of a grid and its cards, over the whole page."""
    found = dict.fromkeys(("control_labels", "buy_buttons", "grid_marks", "card_marks"), 0)
    # A page repeats a few class names on many elements (its cards): each is read once.
    classes_read: dict[str, tuple[bool, bool]] = {}
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        classes, ident = el.get("class"), el.get("id")
        if classes:
            marked = classes_read.get(classes)
            if marked is None:
                low = classes.lower()
                grid = any(hint in low for hint in _GRID_HINTS) and bool(_GRID_MARK.search(low))
                card = any(hint in low for hint in _CARD_HINTS) and bool(_CARD_MARK.search(low))
                marked = classes_read[classes] = (grid, card)
            found["card_marks"] += marked[1]
            found["grid_marks"] += marked[0] or bool(ident and _GRID_MARK.search(ident))
        elif ident:
            found["grid_marks"] += bool(_GRID_MARK.search(ident))
        # A label is a leaf's text ("<button><span>Add to cart</span></button>": the span's). Reading every small
        # element's text_content() found 73 -> 75 index pages with a label (WCXB dev) and one more held out, for
        # twice the time (2.7 against 1.7 ms a page).
        if tag not in _LABEL_TAGS or len(el) or not el.text or not 1 <= tally.of(el) <= 8:
            continue
        text = " ".join(el.text.split())
        if len(text) > 50:
            continue
        found["control_labels"] += bool(_CONTROL_LABEL.fullmatch(text))
        found["buy_buttons"] += tag in ("a", "button", "span") and bool(_BUY.fullmatch(text))
    return found


# Words a page uses to name a list of things, read in its <title> and <h1> (a few languages WCXB holds): generic
# vocabulary of listings, shops and archives, never a site's name.
_INDEX_WORDS = re.compile(
    r"\b(?:news|blog|articles|stories|posts|recipes|courses|products|shop|collections?|category|categories|archives?|"
    r"results|catalog|catalogue|directory|resources|latest|guides|events|jobs|press releases|publications|insights|"
    r"topics?|list of|lists of|all|browse|deals|sale|nachrichten|neuigkeiten|aktuelles|artikel|kategorie|archiv|"
    r"produkte|rezepte|kurse|actualités|catégorie|produits|recettes|cours|noticias|artículos|categoría|productos|"
    r"recetas|cursos|notizie|articoli|categoria|prodotti|ricette|corsi)\b",
    re.IGNORECASE,
)


def _index_words(tree: HtmlElement, h1: HtmlElement | None) -> bool:
    """Whether the <title>'s longest part (the site's name cut off) or the first <h1> names a list ("All products")."""
    title = tree.find(".//title")
    parts = _TITLE_PARTS.split(" ".join(title.text_content().split())) if title is not None else []
    names = [max(parts, key=_words, default=""), h1.text_content() if h1 is not None else ""]
    return any(_INDEX_WORDS.search(name) for name in names)


def signals(tree: HtmlElement, meta: PageMeta, body: str, url: str = "") -> Signals:
    """Read the signals of a page once."""
    page = tree.find(".//body")
    root = page if page is not None else tree
    tally = _Tally(root)
    content = _content_elements(root, tally)
    inside = set(map(id, content))
    own: dict[int, int] = {}
    in_link: set[int] = set()  # content elements that are, or sit inside, a link (parents come first)
    texts = []
    for el in content:
        own[id(el)] = n = tally.own_words(el)
        parent = el.getparent()
        if el.tag == "a" or (parent is not None and id(parent) in in_link):
            in_link.add(id(el))
        # Only texts with a digit: every date and price has one, and no match spans the NUL between two texts.
        if n and _DIGITS.search(text := _own_text(el)):
            texts.append(text)
    words = sum(own.values())
    link_words = sum(own[key] for key in in_link)
    # One search over all the content's text; a NUL between elements, so no match spans two of them.
    joined = "\0".join(texts)
    dates = len(_DATE.findall(joined))
    prices = len(_PRICE.findall(joined))
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
                linked = [m for m in members if tally.has_link(m) and tally.of(m) >= 2]
                if len(linked) < 3:
                    continue
                counts = [tally.of(m) for m in linked]
                heads = sum(1 for m in linked if m.find(".//h2") is not None or m.find(".//h3") is not None
                            or m.find(".//h4") is not None or m.find(".//h5") is not None)  # fmt: skip
                found = (sum(counts), len(linked), heads)
                if found > best:
                    best, best_members = found, linked
        if el.tag in _BLOCKS:
            n = tally.block_words(el)
            if n >= 12 and _SENTENCE.search(_block_text(el)):
                linked_words = sum(tally.of(a) for a in el.iter("a") if _block_of(a) is el)
                if linked_words < 0.5 * n:
                    parent = el.getparent()
                    prose_blocks.append((el, n))
                    if parent is not None:
                        prose_runs[id(parent)] += n
    members = best_members
    dated_items = sum(1 for m in members if m.find(".//time") is not None or _DATE.search(m.text_content()))
    longest_gap, headline_span, heads_before_gap = _reading_order(content, own, tally)
    in_items = {id(d) for m in members for d in m.iter()}
    prose_free = sum(n for el, n in prose_blocks if id(el) not in in_items)
    card_words, card_groups = _cards(content, tally)
    links, image_links, repeated_anchor = _link_counts(content, tally)
    itemtypes = [t.rstrip("/").rsplit("/", 1)[-1] for t in tree.xpath("//@itemtype") for t in str(t).split()]
    paragraphs = [el for el in content if el.tag == "p"]
    h1 = next((el for el in content if el.tag == "h1"), None)
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
        pager=_has_pager(tree),
        body_words=_words(body),
        card_words=card_words,
        card_groups=card_groups,
        headed_links=sum(
            1 for el in content if el.tag in ("h2", "h3", "h4") and (tally.has_link(el) or id(el) in in_link)
        ),
        article_elements=sum(1 for el in content if el.tag == "article"),
        same_shape_links=_same_shape_links(content, url),
        headline_links=len({a.get("href") for a in content if a.tag == "a" and tally.of(a) >= 4}),
        title_words=_title_words(tree),
        h1_words=tally.of(h1) if h1 is not None else 0,
        long_paragraphs=sum(1 for p in paragraphs if tally.of(p) >= 40),
        links=links,
        image_links=image_links,
        buttons=sum(1 for el in content if el.tag == "button"),
        inputs=sum(1 for _ in tree.iter("input")),
        repeated_anchor=repeated_anchor,
        dates=dates,
        microdata=frozenset(itemtypes),
        microdata_products=sum(1 for t in itemtypes if t in _PRODUCT_TYPES),
        page_links=_page_links(tree),
        dated_items=dated_items,
        longest_gap=longest_gap,
        headline_span=headline_span,
        template=_template(page),
        heads_before_gap=heads_before_gap,
        **_listing_controls(root, tally),
        index_words=_index_words(tree, h1),
    )


_TAG_PATH = re.compile(r"/(?:tag|tags|label|labels|keyword|keywords)(?:/|$)")
_AUTHOR_PATH = re.compile(r"/(author|authors|people|person|staff|our-people|profile|experts?|team)/[^/]+/?$")
_SEARCH_URL = re.compile(r"/search(?:/|$)|[?&](?:s|q|query|search)=")
_ARCHIVE_PATH = re.compile(r"/(?:archives?|(?:19|20)\d\d(?:/(?:0?[1-9]|1[0-2]))?)(?:/page/\d+)?/?$")
_CATEGORY_PATH = re.compile(r"/(?:category|categories|topics?|collections?)(?:/|$)|/page/\d+/?$|[?&]page=\d+")
# A post's own address: a date and a slug (/2019/10/22/slug, /2017/7/slug) or WordPress's ?p=123.
# Addresses of shops' and catalogues' index pages: /c/, /cat/, /browse/, /product-category/, /departments/ ...
_LISTING_SEGMENT = re.compile(
    r"/(?:c|cat|category|categories|collections?|browse|product-category|departments?|catalogs?|lists?|shop|"
    r"archives?|topics?|sections?|hub)/"
)
_POST_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])/((0?[1-9]|[12]\d|3[01])/)?(?!page/)[^/?#]{4,}|[?&]p=\d+$")
# Forum software's addresses: phpBB's viewtopic.php?t=, vBulletin's showthread.php?t=, SMF's ?topic=, MyBB's
# thread-123.html, NodeBB's /topic/123/, Flarum's /d/123-.
_FORUM_PATH = re.compile(
    r"/(?:threads?|questions|forums?|comments|t|boards?|discussions?)/|/(?:topic|d)/\d+|/thread-\d+|"
    r"(?:showthread|viewtopic|showtopic)\.php|[?&]topic=\d|/showtopic-"
)
# Documentation hosts and sections: docs.*, developer.*, wiki.*, Read the Docs, GitBook, /docs/, /reference/ ...
_DOCS_URL = re.compile(
    r"^(?:docs?|devdocs|developer|wiki|manual|man\d?)\.|\.readthedocs\.io/|\.gitbook\.io/|"
    r"/(?:docs?|documentation|manual|man-pages|api-reference|reference|tutorial|handbook|wiki)/"
)
# MediaWiki's category namespace (Wikipedia and every other MediaWiki site): a list of the pages filed under it.
_WIKI_CATEGORY = re.compile(r"/wiki/category:|[?&]title=category:", re.IGNORECASE)
# Fewer words than this in what the body extractor kept: nothing of a publication's own to store. A shop's
# category whose products a script draws, a listing of links without teasers. (None at all: the extractor failed.)
THIN_BODY = 50
_PRODUCT_TYPES = frozenset({"Product", "ProductGroup", "IndividualProduct", "Car"})
_FORUM_TYPES = frozenset({"QAPage", "DiscussionForumPosting", "Question"})
_NOT_ARTICLES = frozenset({"DiscussionForumPosting", "SocialMediaPosting", "CreativeWork", "APIReference"})
# Weights of the index model over features(), fitted by bench/page_kind_fit.py on WCXB's dev split.
WEIGHTS_FILE = Path(__file__).with_name("page_kind_weights.json")


def _slug_words(path: str) -> int:
    segments = [s for s in path.split("/") if s]
    return len(re.split(r"[-_+]+", segments[-1])) if segments else 0


def _index_score(sig: Signals, path: str, declared: bool) -> int:
    """Signs of an index of other pages, less signs of one publication: the first pass's hand count, a feature now."""
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


def _log(n: float) -> float:
    return math.log1p(max(n, 0.0)) / math.log(1000)


def features(sig: Signals, url: str) -> dict[str, float]:
    """The layout's signs of an index, each scaled to about 0..1, as the fitted model reads them."""
    parts = urlsplit(url)
    path = parts.path.lower()
    address = path + (f"?{parts.query}" if parts.query else "")
    slug = _slug_words(path)
    declared = sig.og_type == "article" or bool(sig.ld_types & (set(ARTICLE_TYPES) - _NOT_ARTICLES))
    return {
        "link_density": sig.link_density,
        "prose": _log(sig.prose),
        "prose_share": sig.prose_share,
        "long_prose": float(sig.prose >= 800),
        "scattered_prose": float(sig.prose < 0.3 * sig.prose_all),
        "items": _log(sig.items),
        "item_headings": _log(sig.item_headings),
        "item_share": sig.item_share,
        "card_share": sig.card_share,
        "card_groups": _log(sig.card_groups),
        "headed_links": _log(sig.headed_links),
        "article_elements": _log(sig.article_elements),
        "same_shape_links": _log(sig.same_shape_links),
        "headline_links": _log(sig.headline_links),
        "headline_density": min(sig.headline_links / (1 + sig.words / 100), 3.0) / 3,
        "prices": _log(sig.prices),
        "pager": float(sig.pager),
        "words": _log(sig.words),
        "short_slug": float(slug <= 1),
        "long_slug": float(slug >= 5),
        "home": float(path in ("", "/")),
        "category_path": float(bool(_CATEGORY_PATH.search(address))),
        "listing_segment": float(bool(_LISTING_SEGMENT.search(path + "/"))),
        "og_website": float(sig.og_type == "website"),
        "many_prices": float(sig.prices >= 8),
        "sign_count": _index_score(sig, path, declared) / 10,
        "declared_article": float(declared),
        "title_words": min(sig.title_words, 15) / 15,
        "short_title": float(sig.title_words <= 3),
        "h1_words": _log(sig.h1_words),
        "long_paragraphs": _log(sig.long_paragraphs),
        "links": _log(sig.links),
        "image_links": _log(sig.image_links),
        "buttons": _log(sig.buttons),
        "inputs": _log(sig.inputs),
        "repeated_anchor": _log(sig.repeated_anchor),
        "dates": _log(sig.dates),
        # The page's own date weighs against an index, as a weight: a listing's template may stamp one too.
        "dated_meta": float(sig.published_meta),
        "page_links": _log(sig.page_links),
        "dated_items": _log(sig.dated_items),
        "longest_gap": _log(sig.longest_gap),
        "short_gap": float(sig.longest_gap < 150),
        "headline_span": sig.headline_span,
        "depth": min(len([s for s in path.split("/") if s]), 6) / 6,
        "index_template": float(sig.template > 0),
        "single_template": float(sig.template < 0),
        "heads_before_gap": _log(sig.heads_before_gap),
        "heads_before_share": sig.heads_before_gap / sig.headline_links if sig.headline_links else 0.0,
        "control_labels": float(sig.control_labels > 0),
        "buy_buttons": float(sig.buy_buttons > 2),
        "grid_marks": float(sig.grid_marks > 0),
        "card_marks": _log(sig.card_marks),
        "index_words": float(sig.index_words),
    }


@dataclass(frozen=True, slots=True)
class Model:
    """A logistic regression over features(): an index page when the weighted sum reaches the threshold."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def score(self, sig: Signals, url: str) -> float:
        """Log-odds of an index page."""
        return self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features(sig, url).items())


def load_model(path: Path = WEIGHTS_FILE) -> Model:
    """The fitted model stored beside this module."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return Model(weights=dict(data["features"]), bias=float(data["bias"]), threshold=float(data["threshold"]))


def is_dated(sig: Signals, url: str) -> bool:
    """A publication date in the page's metadata, or a post's address (a date and a slug, WordPress's ?p=)."""
    parts = urlsplit(url)
    address = parts.path.lower() + (f"?{parts.query}" if parts.query else "")
    return sig.published_meta or bool(_POST_PATH.search(address))


@cache
def _default_model() -> Model:
    return load_model()


def classify(sig: Signals, url: str, model: Model | None = None) -> PageKind:
    """The kind of a page from its signals and address."""
    parts = urlsplit(url)
    path = parts.path.lower()
    address = path + (f"?{parts.query}" if parts.query else "")
    ld = sig.ld_types
    article_ld = bool(ld & (set(ARTICLE_TYPES) - _NOT_ARTICLES))
    # A publication date or a post's address is the page's own word; og:type and JSON-LD types are often
    # templates' defaults, so they only weigh against the layout's signs.
    dated = is_dated(sig, url)
    declared = dated or article_ld or sig.og_type == "article"
    if "SearchResultsPage" in ld or _SEARCH_URL.search(address):
        return "search"
    if _TAG_PATH.search(path):
        return "tag"
    if sig.og_type == "profile" or "ProfilePage" in ld or _AUTHOR_PATH.search(path):
        return "author"
    # A Question in microdata is as often an article's FAQ as a forum's thread, so it is not read there.
    threads = bool(sig.microdata & {"QAPage", "DiscussionForumPosting"})
    forum_markup = threads or ("Comment" in sig.microdata and not dated)
    if (ld & _FORUM_TYPES or forum_markup or sig.og_type == "qa" or _FORUM_PATH.search(address)) and not article_ld:
        return "forum"
    if sig.og_type in ("product.group", "product:group") and not dated:
        return "collection"  # Shopify's and others' name for a category page
    # og:type article is a shop's or a documentation site's template default (WooCommerce, Yoast): only a date
    # or an article's JSON-LD outweighs a product's markup or a documentation address.
    # A site's home page is not one product, whatever its markup says (a shop's front page marks its best seller).
    one_product = path not in ("", "/") and (
        bool(ld & _PRODUCT_TYPES) or 1 <= sig.microdata_products <= 2 or sig.og_type == "product"
    )
    # ... unless the page is one of many (a pager) and laid out as an index: a shop's category whose JSON-LD
    # describes its products one by one.
    model = model or _default_model()
    if one_product and not (dated or article_ld) and not (sig.pager and model.score(sig, url) >= model.threshold):
        return "product"
    if _WIKI_CATEGORY.search(address):
        return "listing"
    if _DOCS_URL.search(f"{parts.hostname or ''}{path}") and not dated:
        return "documentation"
    # An ItemList inside an article is a list in the article (a listicle, a recipe's steps), not a listing.
    listing_ld = bool(ld & {"CollectionPage", "ItemList"}) and not article_ld
    if dated and _ARCHIVE_PATH.search(address) and not sig.prose:
        return "archive"
    if _POST_PATH.search(address) and not (listing_ld and "CollectionPage" in ld):
        return "article"  # a post's own address: a date and a slug, or WordPress's ?p=123
    # A date in the page's metadata weighs in the model against the layout: a blog's front page dated by its
    # latest post, a shop's category stamped by its template, are indexes all the same. A CollectionPage
    # outweighs a date.
    undated_signs = not dated and (
        listing_ld
        # A category or a numbered page of one, with little prose of its own.
        or (_CATEGORY_PATH.search(address) and sig.prose < 250 and sig.link_density >= 0.15)
        or 0 < sig.body_words < THIN_BODY
    )
    if undated_signs or (listing_ld and "CollectionPage" in ld) or model.score(sig, url) >= model.threshold:
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
    # A configured body selector's text is not the extractor's reading: its length says nothing of the layout.
    read_body = "" if source and source.selectors.body else body
    return classify(signals(tree, meta, read_body, url), url)
