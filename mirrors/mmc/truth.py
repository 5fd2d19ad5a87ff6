"""Ground truth for tests: what a perfect crawl of the MMC mirror must find, and what it must skip."""

from __future__ import annotations

import functools
from typing import Any

from mirrors.mmc.content import Item, load
from mirrors.mmc.render import render
from mirrors.mmc.text import plain, sentences


def _record(item: Item) -> dict[str, Any]:
    assert item.kind is not None
    paras = [plain(b.text) for b in item.body if b.kind == "p"]
    return {
        "path": item.path,
        "title": item.title,
        "authors": [a.name for a in item.authors],
        "published": item.published.date().isoformat(),
        "doc_type": item.kind.doc_type,
        "type_label": item.kind.label,
        "summary": item.summary,
        "first_sentence": sentences(paras[0])[0],
        "last_sentence": sentences(paras[-1])[-1],
        "pdf_path": item.pdf_path,
        "pdf_text_snippet": item.pdf_snippet,
        "language": "en",
    }


def publications() -> list[dict[str, Any]]:
    """One dict per publication page (resources and Review pieces), newest first."""
    return [_record(i) for i in load().publications]


def modified_dates() -> dict[str, str]:
    """Publication path -> ISO date of its last modification (sitemap lastmod, Last-Modified)."""
    return {i.path: i.modified.date().isoformat() for i in load().publications}


def non_publication_paths() -> list[str]:
    """Keys of HTML pages that exist but are not publications (archives, /page/N/, filters, searches, news...)."""
    return list(_non_publication_paths())


@functools.cache
def _non_publication_paths() -> tuple[str, ...]:
    content = load()
    rendering = render(content, "http://mirror.invalid")
    pubs = {i.path for i in content.publications}
    html = (key for key, page in rendering.pages.items() if page.content_type.startswith("text/html"))
    return tuple(sorted(key for key in html if key not in pubs))


def golden_pages() -> dict[str, str]:
    """Pages saved as golden fixtures (tests/fixtures/mmc/): one per publication kind, plus archive, tag, author."""
    return {
        "report": "/resource/protection-risks-central-mediterranean-route/",
        "4mi_snapshot": "/resource/smuggler-use-among-afghans-travelling-to-turkiye/",
        "briefing_paper": "/resource/detention-in-libya-4mi-data/",
        "resource_article": "/resource/the-eastern-route-is-not-a-backwater/",
        "mmr_essay": "/mmr/2020-2/cities-of-refuge-cities-of-risk/",
        "mmr_urban_spotlight": "/mmr/2020-2/urban-spotlight-sanaa/",
        "mmr_urban_voices": "/mmr/2020-2/urban-voices-bamako/",
        "mmr_interview": "/mmr/2020-2/interview-lucia-paredes/",
        "archive_resources": "/resources/",
        "tag": "/tag/libya/",
        "author": "/author/bram-frouws/",
    }
