"""Local mirrors of the crawled sites, served on loopback for tests and the demo.

`SITES` maps a mirror's name to its `Site`; `mirrors.server.MirrorServer(name)` serves it.
"""

from __future__ import annotations

from mirrors.mpi.site import MpiSite
from mirrors.site import Page, Rendering, Site

SITES: dict[str, Site] = {
    "mpi": MpiSite(),
}

__all__ = ["SITES", "Page", "Rendering", "Site"]
