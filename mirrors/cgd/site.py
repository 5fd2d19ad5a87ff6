"""The CGD mirror as a `Site`: content.yaml rendered through Drupal-9-like templates, found by its sitemap only."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mirrors.cgd import pdfs
from mirrors.cgd.content import FILES, load
from mirrors.cgd.render import render
from mirrors.kit.site import PublicationTruth, Rendering, Site

GOLDEN_PAGES = {
    "policy_paper": "/publication/global-skill-partnerships-practical-guide",
    "working_paper": "/publication/regularization-formal-employment-colombia",
    "brief": "/publication/refugee-work-rights-kenya",
    "blog_post": "/blog/five-myths-about-labor-mobility",
    "expert": "/expert/helen-dempster",
}


class CgdSite(Site):
    """cgdev.org (Drupal 9): publications, blog posts, experts, topics; a paged simple_sitemap; PDFs."""

    name = "cgd"
    extra_headers = (
        ("X-Generator", "Drupal 9 (https://www.drupal.org)"),
        ("X-Drupal-Cache", "HIT"),
        ("X-Content-Type-Options", "nosniff"),
        ("Vary", "Cookie"),
    )

    pdf_folder = FILES

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror for `base_url`."""
        return render(load(), base_url)

    def publications(self) -> list[PublicationTruth]:
        """Every publication and blog post, newest first."""
        return [PublicationTruth.of(p, p.kind["doc_type"], p.kind["label"]) for p in load().publications]

    def golden_pages(self) -> Mapping[str, str]:
        """One page per publication type and an expert page (tests/fixtures/cgd/)."""
        return GOLDEN_PAGES

    def pdf_files(self) -> dict[Path, bytes]:
        """The papers' PDFs, in files/."""
        return {FILES / f"{p.slug}.pdf": pdfs.build(p) for p in load().publications if p.pdf_path}
