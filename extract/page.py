"""Turn one saved page into a publication record: trafilatura for the body, structured metadata first.

Precedence, field by field (first that yields a value wins; docs/extraction.md says why):
- body: source selector > trafilatura, on a tree whose split body is joined and related <article>s removed
  (extract/body_tree.py), with a recall pass for a publication the default pass cut short; either way without
  call-to-action lines, other-stories widgets and layout copies (extract/boilerplate.py), nor the title line and
  the standfirst under it. Content a template wrote after </body></html> is moved in first (extract/repair.py).
- title (extract/title.py): source selector > the <h1> that the page's titles name > JSON-LD headline > og:title >
  trafilatura > <title>; a candidate that is only the site's name, or has no letters, is skipped; then the site
  name is cut from the ends.
- authors: source selector (authoritative even when empty) > JSON-LD author (people only, every one, @id
  references resolved) > every citation_author/author/dc.creator/article:author meta tag > visible byline
  (extract/byline.py: marked-up bylines, then written-out ones such as "By A and B") > trafilatura; a later
  candidate naming the same people and more wins, and a visible byline's person beats metadata that names
  only account handles (extract/byline.py pick_authors).
- published: source selector > a full /YYYY/MM/DD/ date in the URL > first <time datetime> outside asides,
  comments and footers > article:published_time, citation/DC dates > the date written next to the headline
  (extract/dates.py) > JSON-LD datePublished > listing date > feed date > trafilatura (htmldate, original date
  only).
- modified: JSON-LD dateModified > article:modified_time, og:updated_time, dcterms.modified > sitemap lastmod.
- summary: meta description > og:description > JSON-LD description > first body paragraph.
- doc_type: source selector (mapped by type_labels) > listing label (mapped) > url_types patterns > what the page
  says (extract/doc_type.py: metadata, labels, address, title) > "other".
- language: <html lang> / og:locale (trafilatura's metadata has no language field to fall back to).
trafilatura's metadata is worked out only for a field that falls back to it, that field alone (htmldate for a date).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import examine_meta, extract_author, extract_meta_json, extract_title, extract_url
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import line_processing, load_html

from extract.body_tree import fuller_body, prepare_body_tree, trafilatura_body
from extract.boilerplate import strip_boilerplate
from extract.byline import byline_texts, labelled_bylines, pick_authors
from extract.dates import headline_date
from extract.doc_type import doc_type as page_doc_type
from extract.metadata import ARTICLE_TYPES, PageMeta, ld_names, read_meta
from extract.normalise import clean_authors, parse_date
from extract.page_kind import page_kind
from extract.repair import adopt_stray_content
from extract.title import page_title
from migdigest.compiled import css as compiled_css
from migdigest.config import Selectors, Source
from migdigest.models import PageKind
from spiders.pdf_link import pdf_link


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
    page_type: PageKind
    pdf_url: str | None = None
    canonical: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


class _TrafilaturaMeta:
    """trafilatura's own metadata (title, author, htmldate's date), each field worked out only if it is needed.

    Field by field as `trafilatura.metadata.extract_metadata` works it out (meta tags, then JSON-LD, then the
    field's own search, then `Document.clean_and_trim`), without the fields migdigest never reads (site name,
    categories, tags, licence) and without htmldate when only the author falls back: the whole of
    `extract_metadata` cost a third of an unconfigured page's time on WCXB articles (bench/README.md).
    tests/test_page_fallback.py holds the two equal on real pages.
    """

    def __init__(self, tree: HtmlElement, url: str) -> None:
        self._tree, self._url = tree, url

    @functools.cached_property
    def _tags(self) -> Document:
        """What the meta tags and JSON-LD say (extract_metadata's first two steps)."""
        found = examine_meta(self._tree)
        if found.author and " " not in found.author:
            found.author = None  # as extract_metadata does: a one-word author tag is a handle
        # As extract_metadata does: trafilatura's JSON-LD reader has bugs, and a page's JSON-LD may be anything.
        with contextlib.suppress(Exception):
            found = extract_meta_json(self._tree, found)
        return found

    def _field(self, field_name: str) -> Any:
        tags, tree = self._tags, self._tree
        if field_name == "title":
            return tags.title or extract_title(tree)
        if field_name == "author":
            return tags.author or (extract_author(tree) if _may_name_author(tree) else None)
        if field_name == "date":
            params = {**set_date_params(True), "original_date": True}
            return find_date(tree, **{**params, "url": tags.url or extract_url(tree, self._url)})
        raise ValueError(f"trafilatura's metadata has no field {field_name!r} that migdigest reads")

    def get(self, field_name: str) -> Any:
        """One field of trafilatura's metadata, or None."""
        value = self._field(field_name)
        if isinstance(value, str):  # Document.clean_and_trim
            value = line_processing(unescape(value if len(value) <= 10000 else value[:9999] + "…"))
        return value or None


# What trafilatura's author search (`extract_author`: the AUTHOR_XPATHS after pruning) tests, lower-cased: it
# only finds an author in an element whose class, id, rel, itemprop, data-testid or data-component holds one of
# these (its equality, contains() and re:test() predicates alike), or in an <author> or <rel> element. A page
# with none of them gets None without its copy of the tree, its pruning and its regex XPaths (about 10 ms a call
# on WCXB articles, most of them spent finding nothing); tests/test_page_fallback.py holds the superset.
_AUTHOR_MARKS = ("author", "byl", "bbl", "username", "channel-name", "zuozhe", "bianji", "xiaobian", "submitted-by",
                 "posted-by", "journalist-name", "screenname", "writer")  # fmt: skip
_AUTHOR_ATTRS = "//@class | //@id | //@rel | //@itemprop | //@data-testid | //@data-component"


def _may_name_author(tree: HtmlElement) -> bool:
    """Whether trafilatura's author search could find anything on the page (False: it cannot)."""
    if tree.find(".//author") is not None or tree.find(".//rel") is not None:
        return True
    values = "\n".join(tree.xpath(_AUTHOR_ATTRS, smart_strings=False)).lower()
    return any(mark in values for mark in _AUTHOR_MARKS)


# A full date in the address (/2019/01/01/slug) is the publisher's own calendar date, free of time-zone shifts.
_URL_DATE = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/[^/?#]")


def _url_date(url: str) -> str | None:
    found = _URL_DATE.search(urlsplit(url).path)
    return f"{found[1]}-{int(found[2]):02d}-{int(found[3]):02d}" if found else None


# Meta tags that name a page's authors, one name or several per tag, most trusted first.
_AUTHOR_META = ("citation_author", "author", "dc.creator", "dcterms.creator", "article:author", "parsely-author")


def _texts(tree: HtmlElement, css: str | None) -> list[str]:
    if not css:
        return []
    return [" ".join(el.text_content().split()) for el in compiled_css(css)(tree) if el.text_content().strip()]


def _doc_type(label: str | None, source: Source | None) -> str | None:
    if not label or not source:
        return None
    return source.type_labels.get(" ".join(label.split()).lower())


# A post's own address: a date and a slug (/2019/10/22/slug, /2017/7/slug) or WordPress's ?p=123.
_POST_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])/((0?[1-9]|[12]\d|3[01])/)?(?!page/)[^/?#]{4,}|[?&]p=\d+$")


def _is_post(meta: PageMeta, url: str) -> bool:
    """Signs a page gives of being one dated publication."""
    if meta.first("article:published_time") or _POST_PATH.search(url):
        return True
    return bool(meta.types() & set(ARTICLE_TYPES)) and bool(meta.ld("datePublished", ARTICLE_TYPES))


def _declares_article(meta: PageMeta, url: str) -> bool:
    """The page says it is one article: JSON-LD, og:type, or a post's markers."""
    og_type = (meta.first("og:type") or "").lower()
    return bool(meta.types() & set(ARTICLE_TYPES)) or og_type == "article" or _is_post(meta, url)


def _selected_body(tree: HtmlElement, css: str) -> str:
    """The text of a source's body selector: block elements in document order, one per line."""
    return "\n".join(
        " ".join(p.text_content().split())
        for el in compiled_css(css)(tree)
        # Without counting a <p> inside an <li> twice.
        for p in (el.xpath(".//p[not(ancestor::li)]|.//li|.//h2|.//h3|.//h4") or [el])
        if p.text_content().strip()
    ).strip()


def _without_title(body: str, headings: set[str]) -> str:
    """The body without a first line that is the title or an <h1>."""
    title_line = body.split("\n", 1)[0].strip()
    return body.split("\n", 1)[1].strip() if title_line and "\n" in body and title_line in headings else body


def _standfirst(tree: HtmlElement, meta: PageMeta) -> str | None:
    """The standfirst under the headline (a subheading that restates the page's description), if the page has one.

    Newspapers put a one-sentence summary under the headline as an <h2> or <h3> of the article's header, and use
    it as the meta description too; it is the page's summary, not the article's first paragraph (the ScrapingHub
    benchmark leaves it out). A first paragraph that restates the description is often the lede itself, so only a
    heading in the header or right under the <h1> counts.
    """
    summaries = {
        " ".join(d.split()).casefold()
        for d in (meta.first("description"), meta.first("og:description"), meta.first("twitter:description"))
        if d
    }
    if not summaries:
        return None
    for heading in tree.iter("h2", "h3", "h4"):
        text = " ".join(heading.text_content().split())
        if text.casefold() not in summaries:
            continue
        previous = heading.getprevious()
        if (previous is not None and previous.tag == "h1") or next(heading.iterancestors("header"), None) is not None:
            return text
    return None


def _without_line(body: str, line: str | None) -> str:
    """The body without a first line that is `line` (whitespace aside)."""
    first, _, rest = body.partition("\n")
    return rest.strip() if line and rest and " ".join(first.split()) == line else body


def _authors(
    tree: HtmlElement, meta: PageMeta, url: str, sel: Selectors | None, fallback: _TrafilaturaMeta
) -> list[str]:
    """The publication's authors (the module docstring has the precedence)."""
    if sel and sel.authors:
        # A configured selector is authoritative: no match means no byline (not the CMS account in JSON-LD).
        return clean_authors(_texts(tree, sel.authors))
    # Every co-author the page names: JSON-LD author arrays, and each of several meta tags of one name.
    structured = [
        clean_authors(ld_names(meta.ld("author", ARTICLE_TYPES) or meta.ld("author"), meta.ids())),
        *(clean_authors(meta.every(key)) for key in _AUTHOR_META),
    ]
    byline = clean_authors(byline_texts(tree)) or clean_authors(labelled_bylines(tree))
    authors = pick_authors(structured, byline, url)
    return authors or clean_authors([fallback.get("author") or ""])


def _dates(
    tree: HtmlElement,
    meta: PageMeta,
    url: str,
    title: str,
    sel: Selectors | None,
    hints: dict[str, str],
    fallback: _TrafilaturaMeta,
) -> tuple[str | None, str | None]:
    """The publication's first-published and modified dates (the module docstring has the precedence)."""
    date_candidates: list[Callable[[], Any]] = [
        lambda: next(iter(_texts(tree, sel.date)), None) if sel else None,
        lambda: _url_date(url),
        # What the page shows first, then meta tags, then JSON-LD: SEO plugins often write JSON-LD in UTC or
        # with the draft's date (docs/extraction.md has the benchmark's counts).
        lambda: next(iter(meta.times), None),
        lambda: meta.first("article:published_time", "citation_publication_date", "dcterms.date", "dc.date",
                           "dcterms.issued", "date", "pubdate"),
        # The date written next to the headline: what the reader sees, often truer than an SEO plugin's JSON-LD.
        lambda: headline_date(tree, title),
        lambda: meta.ld("datePublished"),
        lambda: hints.get("listing_date"),
        lambda: hints.get("feed_date"),
        lambda: fallback.get("date"),
    ]  # fmt: skip
    published = next((d for d in (parse_date(str(c())) for c in date_candidates) if d), None)
    modified = next(
        (d for d in (parse_date(str(c)) for c in (
            meta.ld("dateModified"),
            meta.first("article:modified_time", "og:updated_time", "dcterms.modified"),
            hints.get("lastmod"),
        ) if c) if d),
        None,
    )  # fmt: skip
    return published, modified


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
    tree = adopt_stray_content(tree)
    meta = read_meta(tree)
    sel = source.selectors if source else None
    body = _selected_body(tree, sel.body) if sel and sel.body else ""
    prepared = raw_body = None
    if not body:
        # The configured selector is authoritative; trafilatura (with its readability and jusText fallbacks, most
        # of the stage's time) reads only pages it does not match: listings, or a site that changed its markup.
        prepared = prepare_body_tree(tree, one_article=_declares_article(meta, url))
        body = raw_body = trafilatura_body(prepared, url)
    body = strip_boilerplate(body)
    notes = []
    fallback = _TrafilaturaMeta(tree, url)

    title = page_title(
        tree,
        meta,
        url,
        selected=_texts(tree, sel.title) if sel else [],
        site_name=source.title if source else None,
        fallback=lambda: fallback.get("title"),
    )

    # trafilatura keeps an <h1> that sits inside the article; the title is metadata, not body text.
    headings = {title, *(h.text_content().strip() for h in tree.iter("h1"))}
    standfirst = _standfirst(tree, meta)
    body = _without_line(_without_title(body, headings), standfirst)

    summary = meta.first("description", "og:description", "twitter:description", "dc.description") or str(
        meta.ld("description") or ""
    )
    if not summary and body:
        summary = body.split("\n", 1)[0]
    summary = " ".join(summary.split())

    type_text = next(iter(_texts(tree, sel.type)), None) if sel else None
    doc_type = _doc_type(type_text, source) or _doc_type(hints.get("type_label"), source)
    if not doc_type and source:
        path = urlsplit(url).path
        doc_type = next((u.type for u in source.url_types if re.search(u.pattern, path)), None)

    pdf_url = pdf_link(tree, url, sel.pdf if sel else None)

    language = meta.lang
    kind = page_kind(tree, meta, url, body, source)
    if kind == "article" and prepared is not None and raw_body is not None:
        # A publication whose body the default pass cut short gets the recall pass (extract/body_tree.py); only
        # then, since a listing's cards would be "more text" too, and the page kind is read on the default body.
        fuller = fuller_body(tree, prepared, url, raw_body)
        body = _without_line(_without_title(strip_boilerplate(fuller), headings), standfirst) if fuller else body
    authors: list[str] = []
    published = modified = None
    # Names and dates on a listing belong to the items it lists, not to the page: they are looked for on
    # publications only (on a listing, trafilatura's metadata pass for them was most of the page's time).
    if kind == "article":
        authors = _authors(tree, meta, url, sel, fallback)
        published, modified = _dates(tree, meta, url, title, sel, hints, fallback)
        if not doc_type:
            # Then what the publication itself says (extract/doc_type.py): metadata, labels, address, title.
            doc_type = page_doc_type(tree, meta, url, title)
    if not doc_type:
        notes.append("document type unknown")
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
