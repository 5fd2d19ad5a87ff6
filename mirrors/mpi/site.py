"""The MPI mirror as a `Site`: the content file rendered through the Drupal-like templates."""

from __future__ import annotations

from mirrors.mpi.edition import check_edition, render_edition
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

    def __init__(self, edition: int = 1) -> None:
        super().__init__()
        # Edition N is the site as night N's crawl finds it (see mirrors/mpi/edition.py).
        self.edition = check_edition(edition)
        if edition > 1:
            self.name = f"mpi-night{edition}"

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror's edition for `base_url`."""
        return render_edition(self.edition, base_url)
