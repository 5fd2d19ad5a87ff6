"""Structured metadata a page offers: meta tags (OpenGraph, Dublin Core, article:*), JSON-LD, <time>, lang."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement


@dataclass
class PageMeta:
    """Everything machine-readable in a page's head and markup, before any guessing."""

    meta: dict[str, str] = field(default_factory=dict)  # lower-cased name/property -> first content
    # Every content of a key, in document order: a paper names each co-author in its own citation_author.
    meta_all: dict[str, list[str]] = field(default_factory=dict)
    jsonld: list[dict[str, Any]] = field(default_factory=list)  # flattened objects (incl. @graph members)
    lang: str | None = None
    canonical: str | None = None
    times: list[str] = field(default_factory=list)  # the page's own <time datetime> values, in document order

    def first(self, *keys: str) -> str | None:
        """The first non-empty meta value among `keys`."""
        for key in keys:
            value = self.meta.get(key)
            if value and value.strip():
                return value.strip()
        return None

    def every(self, key: str) -> list[str]:
        """Every non-empty meta value of `key`, in document order."""
        return [v.strip() for v in self.meta_all.get(key, []) if v.strip()]

    def ids(self) -> dict[str, dict[str, Any]]:
        """JSON-LD objects by their @id, to resolve references."""
        return {obj["@id"]: obj for obj in self.jsonld if isinstance(obj.get("@id"), str) and len(obj) > 1}

    def types(self) -> set[str]:
        """Every JSON-LD @type on the page."""
        found: set[str] = set()
        for obj in self.jsonld:
            kind = obj.get("@type")
            found.update(k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str))
        return found

    def ld(self, key: str, types: tuple[str, ...] = ()) -> Any:
        """The first JSON-LD value for `key`, optionally only from objects of the given @type."""
        for obj in self.jsonld:
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if types and not any(k in types for k in kinds):
                continue
            if obj.get(key):
                return obj[key]
        return None


# schema.org's Article and every subtype of it (a page may name only the most specific), and CreativeWork.
ARTICLE_TYPES = (
    "Article", "NewsArticle", "BlogPosting", "Report", "ScholarlyArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "TechArticle", "CreativeWork", "AskPublicNewsArticle", "BackgroundNewsArticle",
    "ReportageNewsArticle", "ReviewNewsArticle", "AdvertiserContentArticle", "SatiricalArticle",
    "MedicalScholarlyArticle", "SocialMediaPosting", "LiveBlogPosting", "DiscussionForumPosting", "APIReference",
)  # fmt: skip
LISTING_TYPES = ("CollectionPage", "SearchResultsPage", "ItemList", "ProfilePage")


def _flatten(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [obj for item in data for obj in _flatten(item)]
    if isinstance(data, dict):
        return [data, *_flatten(data.get("@graph", []))]
    return []


# <time> elements of the page itself, not of its comments, sidebars, related items or footer.
_OWN_TIMES = (
    "//time[not(ancestor::aside or ancestor::footer or ancestor::nav or ancestor::*["
    "contains(@class, 'comment') or contains(@class, 'related') or contains(@class, 'sidebar') or "
    "contains(@class, 'widget') or contains(@id, 'comment') or contains(@id, 'sidebar')])]/@datetime"
)


def read_meta(tree: HtmlElement) -> PageMeta:
    """Collect a page's structured metadata from its parsed tree."""
    found = PageMeta()
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if key and content:
            found.meta.setdefault(key, content)
            found.meta_all.setdefault(key, []).append(content)
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            found.jsonld.extend(_flatten(json.loads(script.text_content() or "null")))
        except (json.JSONDecodeError, RecursionError):
            continue  # a broken JSON-LD block is common and must not sink the page
    root = tree if tree.tag == "html" else tree.getroottree().getroot()
    lang = root.get("lang") or root.get("xml:lang") or found.meta.get("og:locale") or found.meta.get("language")
    found.lang = lang.replace("_", "-").split("-")[0].lower() if lang else None
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    found.canonical = str(canonical[0]).strip() if canonical else None
    found.times = [str(t) for t in tree.xpath(_OWN_TIMES)]
    return found


def ld_names(value: Any, ids: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Person names from a JSON-LD author value (string, object or list of either), in order.

    An object that is only a reference ({"@id": ...}, as Yoast writes it) is looked up in `ids`.
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        ref = value.get("@id")
        if "name" not in value and isinstance(ref, str) and ids and ref in ids:
            value = ids[ref]
        name = value.get("name")
        if isinstance(name, list):  # a few CMSes write a list of names in one Person
            return [n for n in name if isinstance(n, str)] if value.get("@type") != "Organization" else []
        return [name] if isinstance(name, str) and value.get("@type") != "Organization" else []
    if isinstance(value, list):
        return [n for item in value for n in ld_names(item, ids)]
    return []
