"""The MPI mirror at a size of N publications (1 to 20,000), for benchmarks: `python -m mirrors.scaled --n 2000`.

Same templates, people, topics and programs as `mirrors.mpi`; N publications derived from its 47 (see
`mirrors/scaled/content.py`), deterministic for a given N and seed. Pages are rendered on request.
`site(n)` builds a `Site`; `register(n)` adds it to `mirrors.SITES` as "mpi-x<n>" so that
`MirrorServer("mpi-x<n>")` serves it. Ground truth comes from the site, as for every mirror:
`site(n).publications()` and `site(n).modified_dates()`.
"""

from __future__ import annotations

from mirrors.scaled.content import MAX_N
from mirrors.scaled.site import ScaledSite, site_name


def site(n: int, seed: int = 0, edition: int = 1) -> ScaledSite:
    """The MPI mirror with `n` publications; edition 2 (the night after) serves the very same pages."""
    return ScaledSite(n, seed, edition)


def register(n: int, seed: int = 0, edition: int = 1) -> str:
    """Add the scaled site to `mirrors.SITES` (once) and return its name, e.g. "mpi-x2000", for `MirrorServer`."""
    from mirrors import SITES  # late: the registry imports every mirror package

    name = site_name(n, seed, edition)
    if not isinstance(SITES.get(name), ScaledSite):
        SITES[name] = site(n, seed, edition)
    return name


__all__ = ["MAX_N", "ScaledSite", "register", "site", "site_name"]
