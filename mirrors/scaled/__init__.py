"""The MPI mirror at a size of N publications (1 to 20,000), for benchmarks: `python -m mirrors.scaled --n 2000`.

Same templates, people, topics and programs as `mirrors.mpi`; N publications derived from its 47 (see
`mirrors/scaled/content.py`), deterministic for a given N and seed. Pages are rendered on request.
`site(n)` builds a `Site`; `register(n)` adds it to `mirrors.SITES` as "mpi-x<n>" so that
`MirrorServer("mpi-x<n>")` serves it. Ground truth: `publications(n, seed)` and `modified_dates(n, seed)`
(`mirrors.truth()` maps every "mpi-..." name to `mirrors.mpi`, which is wrong for a scaled site).
"""

from __future__ import annotations

from typing import Any

from mirrors.mpi.truth import _record
from mirrors.scaled.content import MAX_N, scaled_content
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


def publications(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """One dict per publication page of the scaled site, newest first, shaped like `mirrors.mpi.publications()`."""
    return [_record(p) for p in scaled_content(n, seed).content.publications]


def modified_dates(n: int, seed: int = 0) -> dict[str, str]:
    """Publication path -> ISO date of its last modification (sitemap lastmod, Last-Modified)."""
    return {p.path: p.modified.isoformat() for p in scaled_content(n, seed).content.publications}


__all__ = ["MAX_N", "ScaledSite", "modified_dates", "publications", "register", "site", "site_name"]
