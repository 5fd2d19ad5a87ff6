"""Ground truth for tests: what a perfect crawl of the ODI mirror must find, and what it must skip."""

from __future__ import annotations

import functools
from typing import Any

from mirrors.odi.content import Publication, load
from mirrors.odi.render import render
from mirrors.odi.text import plain, sentences


def _paragraphs(pub: Publication) -> list[str]:
    return [plain(b.text) for b in pub.body if b.kind == "p"]


def _record(pub: Publication) -> dict[str, Any]:
    paras = _paragraphs(pub)
    return {
        "path": pub.path,
        "title": pub.title,
        "authors": [a.name for a in pub.authors],
        "published": pub.published.isoformat(),
        "doc_type": pub.doc_type.doc_type,
        "type_label": pub.doc_type.label,
        "summary": pub.summary,
        "first_sentence": sentences(paras[0])[0],
        "last_sentence": sentences(paras[-1])[-1],
        "pdf_path": pub.pdf_path,
        "pdf_text_snippet": pub.pdf_snippet,
        "language": "en",
    }


def publications() -> list[dict[str, Any]]:
    """One dict per publication page (research outputs and insights), newest first."""
    return [_record(p) for p in load().publications]


def modified_dates() -> dict[str, str]:
    """Publication path -> ISO date of its last modification (sitemap lastmod, Last-Modified)."""
    return {p.path: p.modified.isoformat() for p in load().publications}


def non_publication_paths() -> list[str]:
    """Paths of HTML pages that exist but are not publications (listings with ?page=N, people, topics...)."""
    return list(_non_publication_paths())


@functools.cache
def _non_publication_paths() -> tuple[str, ...]:
    content = load()
    rendering = render(content, "http://mirror.invalid")
    pubs = {p.path for p in content.publications}
    html = (key for key, page in rendering.pages.items() if page.content_type.startswith("text/html"))
    return tuple(sorted(key for key in html if key not in pubs))


def golden_pages() -> dict[str, str]:
    """Pages saved as golden fixtures (tests/fixtures/odi/): one per publication kind and per page kind."""
    return {
        "report": "/en/publications/migration-and-the-future-of-care-supporting-older-people-and-care-workers/",
        "working_paper": (
            "/en/publications/beyond-gratitude-lessons-learned-from-migrants-contribution-to-the-covid-19-response/"
        ),
        "policy_brief": "/en/publications/displacement-from-ukraine-what-host-communities-in-poland-and-moldova-need/",
        "commentary": "/en/insights/massacres-in-melilla-and-libya-nothing-new-on-european-borders/",
        "article": "/en/insights/what-is-the-eu-pact-on-migration-and-asylum/",
        "listing_publications": "/en/publications/",
        "listing_topic": "/en/topics/migration/",
        "programme": "/en/about/our-work/human-mobility-initiative/",
        "person": "/en/about/our-people/marta-foresti/",
    }
