"""Local mirrors of the crawled sites, served on loopback for tests and the demo.

`SITES` maps a mirror's name to its `Site` (mirrors.kit.site); `mirrors.server.MirrorServer(name)` serves it.
A site also gives its ground truth: `SITES[name].publications()` (typed `PublicationTruth` records),
`golden_pages()`, `modified_dates()` and, for a later edition, `edition_changes()` (see mirrors/README.md).
"""

from __future__ import annotations

from mirrors.cgd.site import CgdSite
from mirrors.ecre.site import EcreSite
from mirrors.kit.site import EditionChanges, Page, PublicationTruth, Rendering, Site
from mirrors.meridian.site import MeridianSite
from mirrors.mmc.site import MmcSite
from mirrors.mpi.site import MpiSite
from mirrors.odi.site import OdiChallengeSite, OdiSite

SITES: dict[str, Site] = {
    "mpi": MpiSite(),
    "mmc": MmcSite(),
    "mpi-night2": MpiSite(edition=2),  # the same site one nightly crawl later (mirrors/mpi/edition.py)
    "odi": OdiSite(),
    "odi-challenge": OdiChallengeSite(),
    "cgd": CgdSite(),
    "ecre": EcreSite(),
    "meridian": MeridianSite(),  # configured by no source: the site `migdigest add-source` is shown on
}

__all__ = ["SITES", "EditionChanges", "Page", "PublicationTruth", "Rendering", "Site"]
