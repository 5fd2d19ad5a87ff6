"""Mirror of ecre.org (European Council on Refugees and Exiles, WordPress): posts found through RSS feeds only.

Content in `content.yaml`, templates in `templates/`, PDFs in `files/` (made by `make_pdfs.py`). URL scheme:
posts at `/<slug>/` (French ones at `/fr/<slug>/`), typed by their primary category (Policy Papers, Comments,
Weekly Bulletin, Editorials; Notes d’orientation, Bulletin hebdomadaire); archives `/category/.../page/N/` and
`/author/<login>/`; feeds `/feed/?paged=N`, `/fr/feed/`, `/category/.../feed/`, 10 items a page; PDFs under
`/wp-content/uploads/YYYY/MM/`; Yoast's `/sitemap_index.xml` exists but is not for discovery. Ground truth:
`publications()`, `non_publication_paths()`, `golden_pages()`.
"""

from __future__ import annotations

import functools
from typing import Any

from mirrors.ecre.site import Post, load, render
from mirrors.mpi.text import plain, sentences

DOC_TYPES = {
    "policy-papers": "policy brief",
    "comments": "report",
    "weekly-bulletin": "article",
    "editorials": "commentary",
    "notes-dorientation": "policy brief",
    "bulletin-hebdomadaire": "article",
}


def _record(post: Post) -> dict[str, Any]:
    """The ground-truth dict of one post."""
    paras = [plain(b.text) for b in post.body if b.kind == "p"]
    return {
        "path": post.path,
        "title": post.title,
        # The institutional "ECRE" account publishes most posts: they have no personal author.
        "authors": [] if post.author.institutional else [post.author.name],
        "published": post.date.date().isoformat(),
        "doc_type": DOC_TYPES[post.category.slug],
        "type_label": post.category.name,
        "summary": post.summary,
        "first_sentence": sentences(paras[0])[0],
        "last_sentence": sentences(paras[-1])[-1],
        "pdf_path": post.pdf_path,
        "pdf_text_snippet": post.pdf_snippet,
        "language": post.lang,
    }


def publications() -> list[dict[str, Any]]:
    """One dict per post, newest first (same keys as mirrors.mpi.publications())."""
    return [_record(p) for p in load().posts]


@functools.cache
def _non_publication_paths() -> tuple[str, ...]:
    """Every HTML page key that is not a post (computed once)."""
    rendering = render(load(), "http://mirror.invalid")
    posts = {p.path for p in load().posts}
    html = (k for k, page in rendering.pages.items() if page.content_type.startswith("text/html"))
    return tuple(sorted(k for k in html if k not in posts))


def non_publication_paths() -> list[str]:
    """HTML pages that exist but are not publications: home pages, category and author archives, basic pages."""
    return list(_non_publication_paths())


def golden_pages() -> dict[str, str]:
    """Pages saved as golden fixtures (tests/fixtures/ecre/): one per post type and a category archive."""
    return {
        "policy_paper": "/ecre-policy-paper-11-border-procedures-are-not-a-panacea/",
        "comments": "/ecre-comments-on-the-proposal-for-a-screening-regulation/",
        "weekly_bulletin": "/italy-suspends-incoming-dublin-transfers/",
        "editorial": "/editorial-the-pact-is-adopted-the-work-begins/",
        "note_fr": "/fr/note-dorientation-le-pacte-sur-la-migration-et-lasile/",
        "bulletin_fr": "/fr/grece-nouvelles-restrictions-pour-les-ong/",
        "category_archive": "/category/publications/policy-papers/",
    }


__all__ = ["golden_pages", "non_publication_paths", "publications"]
