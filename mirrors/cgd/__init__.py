"""Mirror of cgdev.org (Center for Global Development, Drupal 9): migration publications, found by sitemap only.

Content in `content.yaml`, templates in `templates/`, PDFs in `files/` (made by `make_pdfs.py`). URL scheme:
`/publication/<slug>` (Policy Paper, Working Paper, Brief), `/blog/<slug>` (Blog Post), `/expert/<slug>`,
`/topics/<slug>`, `/event/<slug>`, `/section/publications?page=N`, `/page/<slug>`; `/sitemap.xml` is a
simple_sitemap index of `/sitemap.xml?page=1` and `?page=2`. Ground truth: `publications()`,
`non_publication_paths()`, `golden_pages()`.
"""

from __future__ import annotations

import functools
from typing import Any

from mirrors.cgd.site import Publication, load, render
from mirrors.mpi.text import plain, sentences


def _record(pub: Publication) -> dict[str, Any]:
    """The ground-truth dict of one publication."""
    paras = [plain(b.text) for b in pub.body if b.kind == "p"]
    return {
        "path": pub.path,
        "title": pub.title,
        "authors": [a.name for a in pub.authors],
        "published": pub.published.isoformat(),
        "doc_type": pub.kind["doc_type"],
        "type_label": pub.kind["label"],
        "summary": pub.summary,
        "first_sentence": sentences(paras[0])[0],
        "last_sentence": sentences(paras[-1])[-1],
        "pdf_path": pub.pdf_path,
        "pdf_text_snippet": pub.pdf_snippet,
        "language": "en",
    }


def publications() -> list[dict[str, Any]]:
    """One dict per publication page, newest first (same keys as mirrors.mpi.publications())."""
    return [_record(p) for p in load().publications]


@functools.cache
def _non_publication_paths() -> tuple[str, ...]:
    """Every HTML page key that is not a publication (computed once)."""
    rendering = render(load(), "http://mirror.invalid")
    pubs = {p.path for p in load().publications}
    html = (k for k, page in rendering.pages.items() if page.content_type.startswith("text/html"))
    return tuple(sorted(k for k in html if k not in pubs))


def non_publication_paths() -> list[str]:
    """HTML pages that exist but are not publications: experts, topics, events, sections, basic pages."""
    return list(_non_publication_paths())


def golden_pages() -> dict[str, str]:
    """Pages saved as golden fixtures (tests/fixtures/cgd/): one per publication type and an expert page."""
    return {
        "policy_paper": "/publication/global-skill-partnerships-practical-guide",
        "working_paper": "/publication/regularization-formal-employment-colombia",
        "brief": "/publication/refugee-work-rights-kenya",
        "blog_post": "/blog/five-myths-about-labor-mobility",
        "expert": "/expert/helen-dempster",
    }


__all__ = ["golden_pages", "non_publication_paths", "publications"]
