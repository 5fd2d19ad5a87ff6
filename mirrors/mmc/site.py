"""The MMC mirror as a `Site`: WordPress routing (trailing slashes, /page/N/, ?s=, ?p=) over the rendering."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from mirrors.kit.site import Page, PublicationTruth, Rendering, Site
from mirrors.mmc import pdfs
from mirrors.mmc.content import load
from mirrors.mmc.render import filter_query, page_key, render, render_search, search_query

_PAGED = re.compile(r"(/(?:.*/)?)page/(\d+)/")
_SEARCH_CACHE = 256  # search result pages rendered on demand and kept
GOLDEN_PAGES = {
    "report": "/resource/protection-risks-central-mediterranean-route/",
    "4mi_snapshot": "/resource/smuggler-use-among-afghans-travelling-to-turkiye/",
    "briefing_paper": "/resource/detention-in-libya-4mi-data/",
    "resource_article": "/resource/the-eastern-route-is-not-a-backwater/",
    "mmr_essay": "/mmr/2020-2/cities-of-refuge-cities-of-risk/",
    "mmr_urban_spotlight": "/mmr/2020-2/urban-spotlight-sanaa/",
    "mmr_urban_voices": "/mmr/2020-2/urban-voices-bamako/",
    "mmr_interview": "/mmr/2020-2/interview-lucia-paredes/",
    "archive_resources": "/resources/",
    "tag": "/tag/libya/",
    "author": "/author/bram-frouws/",
}


def _split_paged(path: str) -> tuple[str, int]:
    """`/resources/page/3/` -> (`/resources/`, 3); other paths are page 1 of themselves."""
    found = _PAGED.fullmatch(path)
    return (found.group(1), int(found.group(2))) if found else (path, 1)


class MmcSite(Site):
    """mixedmigration.org (WordPress with Yoast SEO): resources, Review editions, archives, feed, sitemaps, PDFs."""

    name = "mmc"
    extra_headers = (
        ("X-Powered-By", "PHP/8.1.27"),
        ("Vary", "Accept-Encoding"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    )

    def __init__(self) -> None:
        super().__init__()
        self._searches: OrderedDict[tuple[str, str], Page | None] = OrderedDict()
        self._search_lock = threading.Lock()

    pdf_folder = pdfs.OUT

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror for `base_url`."""
        return render(load(), base_url)

    def publications(self) -> list[PublicationTruth]:
        """Every publication page (resources and Review pieces), newest first."""
        kinds = [(item, item.kind) for item in load().publications]
        # Publications are typed; news posts (kind None) are not publications.
        return [PublicationTruth.of(item, kind.doc_type, kind.label) for item, kind in kinds if kind is not None]

    def golden_pages(self) -> Mapping[str, str]:
        """One page per publication kind, plus an archive, a tag and an author (tests/fixtures/mmc/)."""
        return GOLDEN_PAGES

    def pdf_files(self) -> dict[Path, bytes]:
        """The PDFs under files/uploads/: publications', the annual report and an event agenda."""
        return pdfs.expected(load())

    def route(self, rendering: Rendering, path: str, query: dict[str, list[str]]) -> str:
        """Map a request to a page key the way WordPress resolves it (only s, p, page_id, type, region matter)."""
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            path += "/"  # WordPress redirects to the slashed permalink; the mirror serves it directly
        path = rendering.aliases.get(path, path)
        if path == "/":
            for arg in ("p", "page_id"):
                value = (query.get(arg) or [""])[0]
                if value:
                    return rendering.aliases.get(f"/?{arg}={value}", f"/?{arg}=unknown")
        base, number = _split_paged(path)
        if base == "/" and query.get("s"):
            return page_key("/", number, search_query(query["s"][0]))
        if base == "/resources/":
            # An unknown filter value is ignored, as the filter plugin does.
            content = load()
            known: dict[str, Mapping[str, object]] = {"type": content.resource_types, "region": content.regions}
            params = {k: query[k][0] for k in known if query.get(k) and query[k][0] in known[k]}
            return page_key(base, number, filter_query(params))
        return path

    def get(self, base_url: str, target: str) -> Page:
        """The page for a request target; search result pages not rendered ahead are rendered on demand."""
        rendering = self.rendering(base_url)
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        key = self.route(rendering, unquote(parts.path) or "/", query)
        page = rendering.pages.get(key)
        if page is None and query.get("s"):
            base, number = _split_paged(key.split("?", 1)[0])
            if base == "/":
                page = self._search(base_url, query["s"][0], number, key)
        return page or rendering.not_found

    def _search(self, base_url: str, term: str, number: int, key: str) -> Page | None:
        with self._search_lock:
            if (base_url, key) in self._searches:
                self._searches.move_to_end((base_url, key))
                return self._searches[(base_url, key)]
        page = render_search(load(), base_url, term, number)
        with self._search_lock:
            self._searches[(base_url, key)] = page
            while len(self._searches) > _SEARCH_CACHE:
                self._searches.popitem(last=False)
        return page
