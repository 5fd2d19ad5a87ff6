"""The MPI mirror as a `Site`: the content file rendered through the Drupal-like templates, and its ground truth."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mirrors.kit.site import EditionChanges, PublicationTruth, Rendering, Site
from mirrors.mpi import pdfs
from mirrors.mpi.content import Publication, load
from mirrors.mpi.edition import (
    CHANGED,
    CHANGED_SENTENCE,
    MOVED_FROM,
    REMOVED,
    check_edition,
    edition_content,
    moved_to,
    new_paths,
    render_edition,
)

GOLDEN_PAGES = {
    "report": "/research/global-mobility-post-pandemic",
    "policy_brief": "/research/refugee-travel-documents-mobility",
    "commentary": "/news/spain-bridge-transatlantic-migration",
    "article": "/article/remittances-latin-america-recover-unevenly",
    "listing_program": "/programs/international-program",
    "listing_topic": "/topics/remittances",
    "author_staff": "/about/staff/kathleen-newland",
}


def truth(pub: Publication) -> PublicationTruth:
    """What a crawl must find for one MPI publication (also used by the scaled mirror)."""
    return PublicationTruth.of(pub, pub.doc_type.key, pub.doc_type.label)


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
        else:
            self.pdf_folder = pdfs.OUT  # later editions serve the same files

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror's edition for `base_url`."""
        return render_edition(self.edition, base_url)

    def publications(self) -> list[PublicationTruth]:
        """Every publication of this edition, newest first."""
        return [truth(p) for p in edition_content(self.edition).publications]

    def golden_pages(self) -> Mapping[str, str]:
        """One page per publication type and per page kind (tests/fixtures/mpi/)."""
        return GOLDEN_PAGES

    def edition_changes(self) -> EditionChanges:
        """Night 2's new, changed, removed (410) and moved (301) publications."""
        if self.edition == 1:
            return super().edition_changes()
        return EditionChanges(tuple(new_paths()), CHANGED, CHANGED_SENTENCE, REMOVED, MOVED_FROM, moved_to())

    def pdf_files(self) -> dict[Path, bytes]:
        """The report PDFs under files/publications/."""
        return pdfs.expected(load()) if self.pdf_folder else {}
