"""Ground truth for tests: what a perfect crawl of the MPI mirror must find, and what it must skip."""

from __future__ import annotations

import functools
from typing import Any

from mirrors.mpi.content import Publication
from mirrors.mpi.edition import CHANGED, CHANGED_SENTENCE, MOVED_FROM, REMOVED, edition_content, moved_to, new_paths
from mirrors.mpi.render import render
from mirrors.mpi.text import plain, sentences

_DOC_TYPE = {"report": "report", "policy brief": "policy brief", "commentary": "commentary", "article": "article"}


def _paragraphs(pub: Publication) -> list[str]:
    return [plain(b.text) for b in pub.body if b.kind == "p"]


def _record(pub: Publication) -> dict[str, Any]:
    paras = _paragraphs(pub)
    return {
        "path": pub.path,
        "title": pub.title,
        "authors": [a.name for a in pub.authors],
        "published": pub.published.isoformat(),
        "doc_type": _DOC_TYPE[pub.doc_type.key],
        "type_label": pub.doc_type.label,
        "summary": pub.summary,
        "first_sentence": sentences(paras[0])[0],
        "last_sentence": sentences(paras[-1])[-1],
        "pdf_path": pub.pdf_path,
        "pdf_text_snippet": pub.pdf_snippet,
        "language": "en",
    }


def publications(edition: int = 1) -> list[dict[str, Any]]:
    """One dict per publication page of `edition`, newest first (see the module docstring of mirrors.mpi)."""
    return [_record(p) for p in edition_content(edition).publications]


def modified_dates(edition: int = 1) -> dict[str, str]:
    """Publication path -> ISO date of its last modification (sitemap lastmod, Last-Modified)."""
    return {p.path: p.modified.isoformat() for p in edition_content(edition).publications}


def non_publication_paths(edition: int = 1) -> list[str]:
    """Paths of HTML pages that exist but are not publications (listings with ?page=N, authors, topics...)."""
    return list(_non_publication_paths(edition))


@functools.cache
def _non_publication_paths(edition: int) -> tuple[str, ...]:
    content = edition_content(edition)
    rendering = render(content, "http://mirror.invalid")
    pubs = {p.path for p in content.publications}
    html = (key for key, page in rendering.pages.items() if page.content_type.startswith("text/html"))
    return tuple(sorted(key for key in html if key not in pubs))


def edition_changes() -> dict[str, Any]:
    """What night 2 (edition 2) changed from edition 1: new, changed, removed and moved publication paths."""
    return {
        "new": new_paths(),
        "changed": CHANGED,
        "changed_sentence": CHANGED_SENTENCE,
        "removed": REMOVED,
        "moved": {"from": MOVED_FROM, "to": moved_to()},
    }


def golden_pages() -> dict[str, str]:
    """Pages saved as golden fixtures (tests/fixtures/mpi/): one per publication type and per page kind."""
    return {
        "report": "/research/global-mobility-post-pandemic",
        "policy_brief": "/research/refugee-travel-documents-mobility",
        "commentary": "/news/spain-bridge-transatlantic-migration",
        "article": "/article/remittances-latin-america-recover-unevenly",
        "listing_program": "/programs/international-program",
        "listing_topic": "/topics/remittances",
        "author_staff": "/about/staff/kathleen-newland",
    }
