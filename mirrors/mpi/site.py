"""The MPI mirror as a `Site`: the content file rendered through the Drupal-like templates."""

from __future__ import annotations

from mirrors.mpi.content import load
from mirrors.mpi.render import render
from mirrors.site import Rendering, Site


class MpiSite(Site):
    """migrationpolicy.org (Drupal): publications, listings with ?page=N, feeds, sitemap, PDFs."""

    name = "mpi"
    extra_headers = (
        ("X-Generator", "Drupal 10 (https://www.drupal.org)"),
        ("X-Drupal-Cache", "HIT"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Vary", "Cookie"),
    )

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror for `base_url`."""
        return render(load(), base_url)
