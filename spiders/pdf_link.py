"""The publication's own PDF on its page: named as its download or linked from its main content, never furniture.

Pure (an lxml tree in, a URL out). It lives below both the spider, which fetches the PDF it names, and the
extractor, which reports it, so that both take the same one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import cssselect
from lxml import etree

from migdigest.compiled import css as _css
from migdigest.compiled import xpath as _xpath

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


# What a link must have to be a candidate: "pdf" in its href or type, or a download attribute. Selected in one XPath
# (libxml2's C) so that Python looks at the few candidates, not at every link of the page: 0.65 ms a page saved on
# the scaled MPI mirror (bench/README.md, issue 20).
_HAS_PDF = "contains(translate(@href, 'PDF', 'pdf'), 'pdf') or contains(translate(@type, 'PDF', 'pdf'), 'pdf')"
_CANDIDATES = f"descendant-or-self::a[@href][{_HAS_PDF} or @download] | descendant-or-self::link[@href][{_HAS_PDF}]"


# No page can name a PDF without one of these in its bytes (an ASCII-compatible encoding assumed: see may_name_pdf).
# Looked for with `in` in the lowercased bytes: a case-insensitive regex over the page cost ~110 us a page, a
# quarter of the parse it spares (bench/README.md, issue 20).
_MAYBE = (b"pdf", b"download")
# A literal a selector needs (class, id, attribute value) is looked for in the bytes only when it is written the same
# way there: no character that markup may escape or an encoding may change.
_PLAIN = re.compile(r"[A-Za-z0-9_./:-]+")
# Attribute operators whose value is part of the attribute's value (not "exists", not "!=").
_CONTAINING = frozenset({"=", "~=", "|=", "^=", "$=", "*="})
_NEEDED: dict[str, list[list[bytes]]] = {}


def may_name_pdf(body: bytes, encoding: str, css: str | None = None) -> bool:
    """False only when the page surely names no PDF, so it need not be parsed.

    Without `css`: its bytes hold neither "pdf" nor "download". With `css` (a configured selector): no
    alternative of the selector has all of its classes, ids and attribute values in the bytes.
    """
    if encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32", "utf16", "utf32")):
        return True  # an ASCII literal is not those bytes there: ask the parse
    alternatives = needed_literals(css) if css else [[word] for word in _MAYBE]
    # Written in lowercase, as pages mostly write them: found without lowering the page (~20 us for 29 KB).
    if any(all(literal in body for literal in needed) for needed in alternatives):
        return True
    lowered = body.lower()  # ASCII letters only, as the literals are (_PLAIN)
    return any(all(literal in lowered for literal in needed) for needed in alternatives)


def needed_literals(css: str) -> list[list[bytes]]:
    """Per alternative of a selector group, the literals a match needs in the page's bytes, lowercased."""
    if css not in _NEEDED:
        found = []
        for alternative in cssselect.parse(css):
            literals: set[str] = set()
            _literals(alternative.parsed_tree, literals)
            found.append([x.encode().lower() for x in sorted(literals)])
        _NEEDED[css] = found
    return _NEEDED[css]


def _literals(tree: Any, into: set[str]) -> None:
    """Collect the classes, ids and attribute values a match of `tree` must have (never those under :not)."""
    if isinstance(tree, cssselect.parser.CombinedSelector):
        _literals(tree.selector, into)
        _literals(tree.subselector, into)
        return
    if isinstance(tree, cssselect.parser.Class):
        into.update(_plain(tree.class_name))
    elif isinstance(tree, cssselect.parser.Hash):
        into.update(_plain(tree.id))
    elif isinstance(tree, cssselect.parser.Attrib) and tree.operator in _CONTAINING:
        into.update(_plain(str(getattr(tree.value, "value", tree.value) or "")))
    inner = getattr(tree, "selector", None)  # Element has none; :not(), :is(), :has() add nothing of their own
    if inner is not None:
        _literals(inner, into)


def _plain(literal: str) -> list[str]:
    return [literal] if _PLAIN.fullmatch(literal) else []


def _absolute(page_url: str, href: str) -> str | None:
    """`href` resolved against the page, or None when it is no URL at all (urllib rejects e.g. "http://[x]/")."""
    try:
        url = urljoin(page_url, href)
        urlsplit(url).hostname  # noqa: B018  (raises on a malformed host)
    except ValueError:
        return None
    return url


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


def selected_pdf(page_url: str, href: str | None) -> str | None:
    """The PDF a configured selector chose, by the href of its first match: absolute, or None."""
    return _absolute(page_url, href.strip()) if href is not None else None


def pdf_link(root: etree._Element, page_url: str, css: str | None = None) -> str | None:
    """The absolute URL of the page's own PDF, or None; a configured `css` selector is authoritative."""
    if css:
        return selected_pdf(page_url, next((str(el.get("href")) for el in _css(css)(root) if el.get("href")), None))
    for meta in root.iter("meta"):
        content = str(meta.get("content") or "").strip()
        named = str(meta.get("name") or "").lower() == "citation_pdf_url"
        if named and content and (url := _absolute(page_url, content)) is not None:
            return url
    page = urlsplit(page_url)
    best: tuple[int, str] | None = None
    links: list[etree._Element] = _xpath(_CANDIDATES)(root)
    for link in links:
        href = str(link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        absolute = _absolute(page_url, href)
        if absolute is None:
            continue  # a malformed link is no publication's PDF, and must not cost the page
        is_pdf = _is_pdf_href(href) or (link.get("type") or "").lower() == "application/pdf"
        if link.tag == "link":
            if is_pdf and (link.get("rel") or "").lower() == "alternate":
                return absolute
            continue
        named = bool(_LABEL.search(_label(link)))
        if not (is_pdf or (named and link.get("download") is not None)):
            continue
        place = _place(link)
        if place == "furniture":
            continue
        target = urlsplit(absolute)
        if target.hostname and page.hostname and target.hostname != page.hostname and not named:
            continue  # another site's PDF cited in the text is a reference, not this publication
        # Named as the download beats merely linked from the text; a link outside any main content must be named.
        score = (2 if named else 0) + (1 if place == "main" else 0)
        if place == "page" and not named:
            continue
        if best is None or score > best[0]:
            best = (score, absolute)
    return best[1] if best else None
