"""Local mirrors of the crawled sites, served on loopback for tests and the demo.

`SITES` maps a mirror's name to its `Site`; `mirrors.server.MirrorServer(name)` serves it.
Each mirror package `mirrors.<name>` also offers its ground truth: `publications()`,
`non_publication_paths()` and `golden_pages()` (see mirrors/README.md).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from mirrors.cgd.site import CgdSite
from mirrors.ecre.site import EcreSite
from mirrors.mmc.site import MmcSite
from mirrors.mpi.site import MpiSite
from mirrors.odi.site import OdiChallengeSite, OdiSite
from mirrors.site import Page, Rendering, Site

SITES: dict[str, Site] = {
    "mpi": MpiSite(),
    "mmc": MmcSite(),
    "mpi-night2": MpiSite(edition=2),  # the same site one nightly crawl later (mirrors/mpi/edition.py)
    "odi": OdiSite(),
    "odi-challenge": OdiChallengeSite(),
    "cgd": CgdSite(),
    "ecre": EcreSite(),
}


def truth(name: str) -> ModuleType:
    """The ground-truth module of mirror `name` (publications(), non_publication_paths(), golden_pages())."""
    if name not in SITES:
        raise ValueError(f"unknown mirror {name!r}; known: {', '.join(sorted(SITES))}")
    return importlib.import_module(f"mirrors.{name.split('-')[0]}")


__all__ = ["SITES", "Page", "Rendering", "Site", "truth"]
