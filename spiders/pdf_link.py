"""The publication's own PDF on its page: named as its download or linked from its main content, never furniture.

Pure (an lxml tree in, a URL out). It lives below both the spider, which fetches the PDF it names, and the
extractor, which reports it, so that both take the same one.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector

# Answers for a PDF that say its link is dead for good: kept as the run's record of it, never a crawl error.
GONE_PDF = (404, 410)

# Whole class or id tokens of blocks that are not the publication: menus, footers, sidebars, related items.
_FURNITURE = re.compile(
    r"(?:^|[-_])(?:nav|navbar|navigation|menu|megamenu|footer|sidebar|side-bar|widget|widgets|related|recommended|"
    r"recommendations|more|read-next|readnext|popular|trending|promo|promotion|newsletter|breadcrumbs?|"
    r"site-header|cookie|banner|teasers?|cards?)(?:$|[-_])",
    re.IGNORECASE,
)
_FURNITURE_TAGS = frozenset({"nav", "aside"})
# Page-level only: an article's own <header> or <footer> often holds its download button.
_PAGE_LEVEL_TAGS = frozenset({"header", "footer"})
_MAIN = re.compile(r"(?:^|[-_])(?:content|main|article|entry|post|publication|report|body|text)(?:$|[-_])", re.I)
# Words a page uses to name its publication's download, in the languages the digest reads.
_LABEL = re.compile(
    r"\b(?:download|full[- ]?(?:text|report|paper|publication|version)|read (?:the )?(?:full )?(?:report|paper|"
    r"publication|brief)|pdf|télécharger|herunterladen|descargar|scaricare|baixar|rapport complet)\b",
    re.IGNORECASE,
)


def _is_pdf_href(href: str) -> bool:
    path = urlsplit(href.strip()).path.lower()
    return path.endswith(".pdf") or "/pdf/" in path or path.endswith("/pdf")


def _label(link: etree._Element) -> str:
    text = " ".join("".join(link.itertext()).split())
    return " ".join(filter(None, (text, link.get("title"), link.get("aria-label"), link.get("download"))))


def _tokens(el: etree._Element) -> list[str]:
    return f"{el.get('class', '')} {el.get('id', '')}".split()


def _place(link: etree._Element) -> str:
    """'furniture', 'main' (inside the page's article or main content) or 'page'."""
    ancestors = list(link.iterancestors())
    in_main = False
    for el in ancestors:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("main", "article") or el.get("role") == "main" or el.get("itemprop") == "articleBody":
            in_main = True
        if tag in _FURNITURE_TAGS or any(map(_FURNITURE.search, _tokens(el))):
            return "furniture"
        if tag in _PAGE_LEVEL_TAGS and not in_main:
            return "furniture"
        if el.get("role") in ("navigation", "banner", "contentinfo", "complementary"):
            return "furniture"
    if not in_main:
        in_main = any(any(map(_MAIN.search, _tokens(el))) for el in ancestors)
    return "main" if in_main else "page"


def pdf_link(root: etree._Element, page_url: str, css: str | None = None) -> str | None:
    """The absolute URL of the page's own PDF, or None; a configured `css` selector is authoritative."""
    if css:
        found = [str(el.get("href")) for el in CSSSelector(css)(root) if el.get("href")]
        return urljoin(page_url, found[0].strip()) if found else None
    for meta in root.iter("meta"):
        content = str(meta.get("content") or "").strip()
        if str(meta.get("name") or "").lower() == "citation_pdf_url" and content:
            return urljoin(page_url, content)
    page = urlsplit(page_url)
    best: tuple[int, str] | None = None
    for link in root.iter("a", "link"):
        href = str(link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        is_pdf = _is_pdf_href(href) or (link.get("type") or "").lower() == "application/pdf"
        if link.tag == "link":
            if is_pdf and (link.get("rel") or "").lower() == "alternate":
                return urljoin(page_url, href)
            continue
        named = bool(_LABEL.search(_label(link)))
        if not (is_pdf or (named and link.get("download") is not None)):
            continue
        place = _place(link)
        if place == "furniture":
            continue
        target = urlsplit(urljoin(page_url, href))
        if target.hostname and page.hostname and target.hostname != page.hostname and not named:
            continue  # another site's PDF cited in the text is a reference, not this publication
        # Named as the download beats merely linked from the text; a link outside any main content must be named.
        score = (2 if named else 0) + (1 if place == "main" else 0)
        if place == "page" and not named:
            continue
        if best is None or score > best[0]:
            best = (score, urljoin(page_url, href))
    return best[1] if best else None
