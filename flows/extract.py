"""Turn one saved page into a publication record: trafilatura for the body, structured metadata first.

Precedence, field by field (first that yields a value wins):
- title: source selector > JSON-LD headline > og:title > trafilatura (title/h1); then the site name is cut.
- authors: source selector > JSON-LD author (people only) > meta author/citation_author/dc.creator >
  trafilatura.
- published: source selector > JSON-LD datePublished > article:published_time, citation/DC dates >
  first <time datetime> > listing date > feed date > trafilatura (htmldate, original date only).
- modified: JSON-LD dateModified > article:modified_time, og:updated_time, dcterms.modified > sitemap lastmod.
- summary: meta description > og:description > JSON-LD description > first body paragraph.
- doc_type: source selector (mapped by type_labels) > listing label (mapped) > JSON-LD @type Report >
  url_types patterns > "other".
- language: <html lang> / og:locale > trafilatura.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from flows.metadata import ARTICLE_TYPES, LISTING_TYPES, PageMeta, ld_names, read_meta
from flows.normalise import clean_authors, clean_title, parse_date
from migdigest.config import Source


class ExtractionError(ValueError):
    """The bytes are not an HTML page that can be read."""


@dataclass
class Extracted:
    """What one page says about itself, normalised."""

    url: str
    title: str
    authors: list[str]
    published: str | None
    modified: str | None
    summary: str
    body: str
    language: str | None
    doc_type: str
    page_type: str  # article, listing, author, tag, search or archive
    pdf_url: str | None = None
    canonical: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@functools.lru_cache(maxsize=256)
def _css(selector: str) -> CSSSelector:
    """A compiled CSS selector: compiling to XPath costs more than running it, and sources reuse a few."""
    return CSSSelector(selector)


def _headline(tree: HtmlElement, meta: PageMeta) -> str | None:
    """The page's <h1> when the page's own title names it: the headline without any site-name decoration."""
    titles = " | ".join(
        t for t in (meta.first("og:title", "twitter:title"), tree.findtext(".//title")) if t
    ).casefold()
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        if 3 <= len(text) <= 300 and text.casefold() in titles:
            return text
    return None


def _texts(tree: HtmlElement, css: str | None) -> list[str]:
    if not css:
        return []
    return [" ".join(el.text_content().split()) for el in _css(css)(tree) if el.text_content().strip()]


def _doc_type(label: str | None, source: Source | None) -> str | None:
    if not label or not source:
        return None
    return source.type_labels.get(" ".join(label.split()).lower())


_LISTING_PATH = re.compile(
    r"/(tag|tags|category|categories|topics?|author|authors|people|person|staff|search|page/\d+|archive|"
    r"archives|feed)(/|$)|[?&](page|p|s|q)=",
    re.IGNORECASE,
)


_AUTHOR_PATH = re.compile(r"/(author|authors|people|person|staff|our-people|profile|experts?|team)/[^/]+/?$")


def page_kind(tree: HtmlElement, meta: PageMeta, url: str, body: str, source: Source | None = None) -> str:
    """Is this a publication ('article') or a page of links to others (listing, author, tag, search)?"""
    ld_types = meta.types()
    if ld_types & set(LISTING_TYPES):
        return "search" if "SearchResultsPage" in ld_types else "listing"
    og_type = (meta.first("og:type") or "").lower()
    if og_type == "profile":
        return "author"
    path = urlsplit(url).path.lower()
    if re.search(r"/(search)(/|$)|[?&](s|q)=", url):
        return "search"
    if re.search(r"/(tag|tags)(/|$)", path):
        return "tag"
    if _AUTHOR_PATH.search(path):
        return "author"
    if source and any(urlsplit(listing.url).path.rstrip("/") == path.rstrip("/") for listing in
                      source.discovery.listings):  # fmt: skip
        return "listing"
    if ld_types & set(ARTICLE_TYPES) or og_type == "article":
        return "article"
    teasers = len(
        tree.xpath(
            "//*[contains(concat(' ', normalize-space(@class), ' '), ' views-row ') or "
            "contains(@class, 'teaser') or contains(@class, 'search-result') or self::article]"
        )
    )
    # Cards of any CMS: a heading that is a link to somewhere else, many times over.
    linked_headings = len(tree.xpath("//*[self::h2 or self::h3 or self::h4][.//a[@href]]"))
    pager = bool(tree.xpath("//a[@rel='next'] | //*[contains(@class, 'pager') or contains(@class, 'pagination')]"))
    words = len(body.split())
    if (
        (pager and max(teasers, linked_headings) >= 3)
        or (max(teasers, linked_headings) >= 8 and words < 800)
        or (_LISTING_PATH.search(url) and words < 400)
    ):
        return "listing"
    return "article"


def extract_page(
    html: bytes | str,
    url: str,
    *,
    source: Source | None = None,
    hints: dict[str, str] | None = None,
) -> Extracted:
    """Extract one page (pure: no network, no database)."""
    hints = hints or {}
    tree = load_html(html)
    if tree is None:
        raise ExtractionError(f"{url}: not readable as HTML")
    meta = read_meta(tree)
    sel = source.selectors if source else None
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params={"original_date": True, "extensive_search": True},
    )  # fmt: skip
    t_title = getattr(doc, "title", None) or ""
    t_author = getattr(doc, "author", None) or ""
    t_date = getattr(doc, "date", None)
    body = (getattr(doc, "text", None) or "").strip()
    if sel and sel.body:
        chosen = "\n".join(
            " ".join(p.text_content().split())
            for el in _css(sel.body)(tree)
            # Block elements in document order, without counting a <p> inside an <li> twice.
            for p in (el.xpath(".//p[not(ancestor::li)]|.//li|.//h2|.//h3|.//h4") or [el])
            if p.text_content().strip()
        )
        body = chosen or body
    notes = []
    title_line = body.split("\n", 1)[0].strip()
    # trafilatura keeps an <h1> that sits inside the article; the title is metadata, not body text.
    headings = {t_title.strip(), *(h.text_content().strip() for h in tree.iter("h1"))}
    if title_line and "\n" in body and title_line in headings:
        body = body.split("\n", 1)[1].strip()

    site_names = [n for n in (source.title if source else None, meta.first("og:site_name"),
                              urlsplit(url).hostname) if n]  # fmt: skip
    title_candidates = [
        *(_texts(tree, sel.title) if sel else []),
        _headline(tree, meta),
        meta.ld("headline", ARTICLE_TYPES) or meta.ld("name", ARTICLE_TYPES),
        meta.first("og:title", "twitter:title", "citation_title", "dc.title"),
        t_title,
    ]
    title = next((clean_title(str(t), site_names) for t in title_candidates if t and str(t).strip()), "")

    author_candidates: list[list[str]] = [
        _texts(tree, sel.authors) if sel else [],
        ld_names(meta.ld("author")),
        [a for a in (meta.first("citation_author", "author", "dc.creator", "article:author"),) if a],
        [t_author] if t_author else [],
    ]
    if sel and sel.authors:
        # A configured selector is authoritative: no match means no byline (not the CMS account in JSON-LD).
        authors = clean_authors(author_candidates[0])
    else:
        authors = next((clean_authors(c) for c in author_candidates if clean_authors(c)), [])

    date_candidates = [
        *(_texts(tree, sel.date) if sel else []),
        meta.ld("datePublished"),
        meta.first("article:published_time", "citation_publication_date", "dcterms.date", "dc.date",
                   "dcterms.issued", "date", "pubdate"),
        *meta.times[:1],
        hints.get("listing_date"),
        hints.get("feed_date"),
        t_date,
    ]  # fmt: skip
    published = next((d for d in (parse_date(str(c)) for c in date_candidates if c) if d), None)
    modified = next(
        (d for d in (parse_date(str(c)) for c in (
            meta.ld("dateModified"),
            meta.first("article:modified_time", "og:updated_time", "dcterms.modified"),
            hints.get("lastmod"),
        ) if c) if d),
        None,
    )  # fmt: skip

    summary = meta.first("description", "og:description", "twitter:description", "dc.description") or str(
        meta.ld("description") or ""
    )
    if not summary and body:
        summary = body.split("\n", 1)[0]
    summary = " ".join(summary.split())

    type_text = next(iter(_texts(tree, sel.type)), None) if sel else None
    doc_type = _doc_type(type_text, source) or _doc_type(hints.get("type_label"), source)
    if not doc_type and "Report" in meta.types():
        doc_type = "report"
    if not doc_type and source:
        path = urlsplit(url).path
        doc_type = next((u.type for u in source.url_types if re.search(u.pattern, path)), None)
    if not doc_type:
        notes.append("document type unknown")

    pdf_url = None
    pdf_links = _css(sel.pdf)(tree) if sel and sel.pdf else tree.xpath("//a[contains(@href, '.pdf')]")
    for link in pdf_links:
        href = link.get("href")
        if href:
            pdf_url = urljoin(url, href.strip())
            break

    language = meta.lang or getattr(doc, "language", None)
    kind = page_kind(tree, meta, url, body, source)
    if kind != "article":
        # Names and dates on a listing belong to the items it lists, not to the page.
        authors, published, modified = [], None, None
    return Extracted(
        url=url,
        title=title,
        authors=authors,
        published=published,
        modified=modified,
        summary=summary,
        body=body,
        language=language,
        doc_type=doc_type or "other",
        page_type=kind,
        pdf_url=pdf_url,
        canonical=urljoin(url, meta.canonical) if meta.canonical else None,
        notes=notes,
    )
