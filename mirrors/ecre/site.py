"""The ECRE mirror as a `Site`: WordPress routing over the rendering, and the ground truth of its posts."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mirrors.ecre import pdfs
from mirrors.ecre.content import FILES, load
from mirrors.ecre.render import render
from mirrors.kit.site import PublicationTruth, Rendering, Site

# The digest's document type of a post, by its primary category.
DOC_TYPES = {
    "policy-papers": "policy brief",
    "comments": "report",
    "weekly-bulletin": "article",
    "editorials": "commentary",
    "notes-dorientation": "policy brief",
    "bulletin-hebdomadaire": "article",
}
GOLDEN_PAGES = {
    "policy_paper": "/ecre-policy-paper-11-border-procedures-are-not-a-panacea/",
    "comments": "/ecre-comments-on-the-proposal-for-a-screening-regulation/",
    "weekly_bulletin": "/italy-suspends-incoming-dublin-transfers/",
    "editorial": "/editorial-the-pact-is-adopted-the-work-begins/",
    "note_fr": "/fr/note-dorientation-le-pacte-sur-la-migration-et-lasile/",
    "bulletin_fr": "/fr/grece-nouvelles-restrictions-pour-les-ong/",
    "category_archive": "/category/publications/policy-papers/",
}


class EcreSite(Site):
    """ecre.org (WordPress): posts at /<slug>/, category and author archives, paged RSS feeds, PDFs."""

    name = "ecre"
    extra_headers = (
        ("X-Powered-By", "PHP/8.1.27"),
        ("Link", '<https://ecre.org/wp-json/>; rel="https://api.w.org/"'),
        ("X-Content-Type-Options", "nosniff"),
    )

    pdf_folder = FILES

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror for `base_url`."""
        return render(load(), base_url)

    def publications(self) -> list[PublicationTruth]:
        """Every post, newest first (French ones too)."""
        return [PublicationTruth.of(p, DOC_TYPES[p.category.slug], p.category.name, p.lang) for p in load().posts]

    def golden_pages(self) -> Mapping[str, str]:
        """One page per post type and a category archive (tests/fixtures/ecre/)."""
        return GOLDEN_PAGES

    def pdf_files(self) -> dict[Path, bytes]:
        """The PDFs attached to posts, in files/."""
        return {FILES / Path(p.pdf).name: pdfs.build(p) for p in load().posts if p.pdf}

    def route(self, rendering: Rendering, path: str, query: dict[str, list[str]]) -> str:
        """WordPress routing: paths end in a slash (files excepted); feeds page with `?paged=N` (1-based)."""
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            path += "/"
        pages = rendering.paginated.get(path)
        raw = (query.get("paged") or ["1"])[0]
        number = int(raw) if raw.isdigit() else 1
        if pages is None or number <= 1:
            return path
        return f"{path}?paged={number}"  # past the last page: no such key, WordPress's 404
