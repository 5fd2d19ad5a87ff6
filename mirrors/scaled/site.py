"""A scaled MPI site: the MPI templates over N publications, each page rendered when first asked for.

Start-up only indexes the site: which keys exist (publications, PDFs, every page of every listing),
the aliases, pagination and the sitemap. The few one-off pages (home, static pages, search, feeds,
sitemap, robots.txt, theme files) are rendered then; publication and listing pages are rendered on
request and kept in a small LRU cache. Rendering is a pure function of the content, so a page evicted
and rendered again has the same bytes, hence the same ETag.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mirrors.kit.dates import eastern
from mirrors.kit.site import HTML, PDF, Page, PublicationTruth, Rendering, Site
from mirrors.mpi import assets
from mirrors.mpi.content import FILES, Publication
from mirrors.mpi.render import Builder, Pager, _size
from mirrors.mpi.site import MpiSite, truth
from mirrors.scaled.content import ScaledContent, check_n, scaled_content

EDITIONS = (1, 2)  # edition 2 is the night after, with nothing changed
CACHE_PAGES = 512  # rendered pages kept per base URL (~30 KB each)
FEED_ITEMS = 10  # Drupal's default number of items in a feed
SEARCH_RESULTS = 10  # results on a search page (Drupal's pager size)


@dataclass(frozen=True, slots=True)
class _Listing:
    """One paginated listing, kept to render any of its pages later."""

    path: str
    items: Sequence[Publication]
    modified: datetime
    dom_id: int
    count: int
    ctx: dict[str, Any]


class ScaledBuilder(Builder):
    """The MPI `Builder`, but indexing publication and listing pages instead of rendering them all."""

    search_results = SEARCH_RESULTS
    feed_items = FEED_ITEMS

    def __init__(self, scaled: ScaledContent, base: str) -> None:
        super().__init__(scaled.content, base)
        self.pdf_files = scaled.pdf_files
        # Page key -> what renders it: a publication (its page or its PDF) or a listing and a page number.
        self.lazy: dict[str, Publication | tuple[_Listing, int]] = {}
        self._pdfs: dict[str, Page] = {}
        self._cache: OrderedDict[str, Page] = OrderedDict()
        self._cache_lock = threading.Lock()
        # Publications grouped by their set of topics, newest first: enough to find related ones quickly.
        groups: dict[frozenset[str], list[Publication]] = {}
        for pub in self.content.publications:
            groups.setdefault(frozenset(t.slug for t in pub.topics), []).append(pub)
        self._groups = [(topics, pubs[:4]) for topics, pubs in groups.items()]

    def build(self) -> Rendering:
        """Index every page and render the one-off ones, in the order of `mirrors.mpi.render.render`."""
        self.assets()
        self.home()
        self.publications()
        self.programs()
        self.type_listings()
        self.topics()
        self.people()
        self.static_pages()
        self.search()
        self.feeds_xml()
        self.sitemap_xml()
        self.robots()
        return Rendering(pages=self.pages, not_found=self.not_found(), paginated=self.paginated, aliases=self.aliases)

    # -- indexing instead of rendering ------------------------------------------------------------
    def publications(self) -> None:
        """Index every publication page, its /node/N alias and its PDF."""
        for pub in self.content.publications:
            self.lazy[pub.path] = pub
            if pub.pdf_path:
                self.lazy[pub.pdf_path] = pub
            self.aliases[f"/node/{pub.nid}"] = pub.path
            self._in_sitemap(pub.path, eastern(pub.modified, 15, 30), "monthly", "0.5")

    def _listing(
        self,
        path: str,
        items: Sequence[Publication],
        modified: datetime,
        *,
        sitemap: tuple[str, str] | None = ("daily", "0.7"),
        **ctx: Any,
    ) -> None:
        per_page = int(self.content.settings["per_page"])
        count = max(1, math.ceil(len(items) / per_page))
        if count > 1:
            self.paginated[path] = count
        self._dom_id += 1
        listing = _Listing(path, items, modified, self._dom_id, count, ctx)
        for n in range(count):
            self.lazy[path if n == 0 else f"{path}?page={n}"] = (listing, n)
        if sitemap:
            self._in_sitemap(path, modified, *sitemap)

    def _related(self, pub: Publication) -> list[Publication]:
        # Builder._related's three (most shared topics, then newest) from the best groups, not every publication.
        mine = {t.slug for t in pub.topics}
        by_score = sorted(((len(mine & topics), pubs) for topics, pubs in self._groups), key=lambda g: g[0])
        scored: list[tuple[int, date, int, Publication]] = []
        while by_score:
            level = by_score[-1][0]
            while by_score and by_score[-1][0] == level:
                scored += ((level, o.published, o.nid, o) for o in by_score.pop()[1] if o is not pub)
            if len(scored) >= 3:
                break
        scored.sort(key=lambda s: (s[0], s[1], s[2]), reverse=True)
        return [s[3] for s in scored[:3]]

    def page(self, key: str) -> Page | None:
        """The page of an indexed key, rendered now or taken from the cache; None if there is no such page."""
        what = self.lazy.get(key)
        if what is None:
            return None
        with self._cache_lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        if isinstance(what, tuple):
            page = self._listing_page(*what)
        elif key == what.path:
            page = self._publication_page(what)
        else:
            page = self._pdf(what)
        with self._cache_lock:
            self._cache[key] = page
            while len(self._cache) > CACHE_PAGES:
                self._cache.popitem(last=False)
        return page

    def _listing_page(self, listing: _Listing, n: int) -> Page:
        per_page = int(self.content.settings["per_page"])
        key = listing.path if n == 0 else f"{listing.path}?page={n}"
        body = self._html(
            "listing.html",
            key,
            rows=listing.items[n * per_page : (n + 1) * per_page],
            pager=Pager(listing.dom_id, n, listing.count),
            dom_id=f"{listing.dom_id:04x}a7c3e1",
            form_action=listing.path,
            **listing.ctx,
        )
        return Page(body.encode("utf-8"), HTML, listing.modified)

    def _source_pdf(self, pub: Publication) -> Page:
        assert pub.pdf_path is not None
        name = self.pdf_files[pub.pdf_path]
        with self._cache_lock:
            found = self._pdfs.get(name)
        if found is None:
            # One Page per real file: its bytes and their hash are shared by every URL that serves it.
            found = Page((FILES / "publications" / name).read_bytes(), PDF, eastern(pub.published, 9))
            with self._cache_lock:
                found = self._pdfs.setdefault(name, found)
        return found

    def _pdf(self, pub: Publication) -> Page:
        return replace(self._source_pdf(pub), last_modified=eastern(pub.published, 9))

    def _publication_page(self, pub: Publication) -> Page:
        pdf_size = _size(len(self._source_pdf(pub).body)) if pub.pdf_path else ""
        body = self._html(
            "publication.html",
            pub.path,
            pub.title,
            pub=pub,
            nid=pub.nid,
            description=pub.summary,
            og_type="article",
            og_image=pub.image.src("hero") if pub.image else assets.OG_IMAGE_PATH,
            breadcrumb=self._pub_crumbs(pub.doc_type),
            body_class=f"path-node page-node-type-{pub.doc_type.node_type}",
            related=self._related(pub),
            pdf_size=pdf_size,
        )
        return Page(body.encode("utf-8"), HTML, eastern(pub.modified, 15, 30))


def check_edition(edition: int) -> int:
    """`edition` itself, or a ValueError if a scaled site has no such edition."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown scaled edition {edition!r}; known: {', '.join(map(str, EDITIONS))}")
    return edition


def site_name(n: int, seed: int = 0, edition: int = 1) -> str:
    """The registry name of a scaled site: "mpi-x2000", plus "-s<seed>" and "-night<edition>" when not 0 and 1."""
    name = f"mpi-x{n}"
    if seed:
        name += f"-s{seed}"
    if edition > 1:
        name += f"-night{edition}"
    return name


class ScaledSite(Site):
    """The MPI mirror at a size of N publications, rendered page by page on request."""

    extra_headers = MpiSite.extra_headers

    def __init__(self, n: int, seed: int = 0, edition: int = 1) -> None:
        super().__init__()
        self.n = check_n(n)
        self.seed = seed
        self.edition = check_edition(edition)
        self.name = site_name(n, seed, edition)
        self._builders: dict[str, ScaledBuilder] = {}

    def render(self, base_url: str) -> Rendering:
        """Index the site for `base_url` and render its one-off pages; the rest waits for requests."""
        builder = ScaledBuilder(scaled_content(self.n, self.seed), base_url)
        rendering = builder.build()
        self._builders[base_url] = builder
        return rendering

    def get(self, base_url: str, target: str) -> Page:
        """The page answering a request target, rendered now if it was not already; or the 404 page."""
        rendering = self.rendering(base_url)
        parts = urlsplit(target)
        key = self.route(rendering, unquote(parts.path) or "/", parse_qs(parts.query))
        found = rendering.pages.get(key)
        if found is None:
            found = self._builders[base_url].page(key)
        return rendering.not_found if found is None else found

    def publications(self) -> list[PublicationTruth]:
        """Every publication of the scaled site, newest first, shaped like the MPI mirror's."""
        return [truth(p) for p in scaled_content(self.n, self.seed).content.publications]
