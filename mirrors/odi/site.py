"""The ODI mirror as `Site`s: odi.org as a browser sees it, and as Cloudflare answers a crawler."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from mirrors.kit.site import HTML, Page, PublicationTruth, Rendering, Site
from mirrors.odi import pdfs
from mirrors.odi.challenge import COLO, challenge_page, ray_id
from mirrors.odi.content import FILES, load
from mirrors.odi.render import OdiRendering, render, robots_page

ZONE = "odi.org"
_CDN_HEADERS = (
    ("CF-Cache-Status", "DYNAMIC"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)

GOLDEN_PAGES = {
    "report": "/en/publications/migration-and-the-future-of-care-supporting-older-people-and-care-workers/",
    "working_paper": (
        "/en/publications/beyond-gratitude-lessons-learned-from-migrants-contribution-to-the-covid-19-response/"
    ),
    "policy_brief": "/en/publications/displacement-from-ukraine-what-host-communities-in-poland-and-moldova-need/",
    "commentary": "/en/insights/massacres-in-melilla-and-libya-nothing-new-on-european-borders/",
    "article": "/en/insights/what-is-the-eu-pact-on-migration-and-asylum/",
    "listing_publications": "/en/publications/",
    "listing_topic": "/en/topics/migration/",
    "programme": "/en/about/our-work/human-mobility-initiative/",
    "person": "/en/about/our-people/marta-foresti/",
}


def publications() -> list[PublicationTruth]:
    """Every ODI publication page (research outputs and insights), newest first."""
    return [PublicationTruth.of(p, p.doc_type.doc_type, p.doc_type.label) for p in load().publications]


def _with_ray(page: Page) -> Page:
    """The page with this response's own cf-ray header (Cloudflare sends a new Ray ID every time)."""
    return dataclasses.replace(page, headers=(*page.headers, ("cf-ray", f"{ray_id()}-{COLO}")))


def _redirect(page: Page, location: str, status: int) -> Page:
    return Page(b"", HTML, page.last_modified, status=status, headers=(("Location", location),))


class OdiSite(Site):
    """odi.org (Wagtail behind Cloudflare): /en/ pages with trailing slashes, listings with ?page=N from 1."""

    name = "odi"
    server_header = "cloudflare"
    extra_headers = (*_CDN_HEADERS, ("Vary", "Cookie, Accept-Language"))
    pdf_folder = FILES

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror for `base_url`."""
        return render(load(), base_url)

    def publications(self) -> list[PublicationTruth]:
        """Every publication page, newest first."""
        return publications()

    def golden_pages(self) -> Mapping[str, str]:
        """One page per publication kind and per page kind (tests/fixtures/odi/)."""
        return GOLDEN_PAGES

    def pdf_files(self) -> dict[Path, bytes]:
        """The research outputs' PDFs, in files/."""
        return pdfs.expected(load())

    def route(self, rendering: Rendering, path: str, query: dict[str, list[str]]) -> str:
        """Map a path and query to a page key; `page` counts from 1, as Django's `Paginator.get_page` does."""
        pages = rendering.paginated.get(path)
        if pages is None:
            return path
        raw = (query.get("page") or ["1"])[0]
        try:
            number = int(raw)
        except ValueError:
            number = 1  # not a number: the first page
        if number < 1 or number > pages:
            number = pages  # out of range (including 0): the last page
        return path if number == 1 else f"{path}?page={number}"

    def get(self, base_url: str, target: str) -> Page:
        """The page answering a request target, a redirect (APPEND_SLASH, / to /en/) or the 404 page."""
        return _with_ray(self._answer(base_url, target))

    def _answer(self, base_url: str, target: str) -> Page:
        rendering = self.rendering(base_url)
        assert isinstance(rendering, OdiRendering)
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        query = parse_qs(parts.query)
        if "//" in path:
            return rendering.not_found  # Wagtail's URL pattern has no empty path segments
        if path in rendering.redirects:
            return _redirect(rendering.not_found, base_url + rendering.redirects[path], 302)
        if not path.endswith("/") and self._exists(rendering, path + "/"):
            # Django's CommonMiddleware (APPEND_SLASH): a permanent redirect, query kept.
            suffix = f"?{parts.query}" if parts.query else ""
            return _redirect(rendering.not_found, f"{base_url}{path}/{suffix}", 301)
        if path == "/en/search/" and rendering.search is not None:
            terms = " ".join((query.get("q") or [""])[0].split())
            key = f"{path}?q={terms.replace(' ', '+')}" if terms else path
            return rendering.pages.get(key) or rendering.search(terms)
        key = self.route(rendering, path, query)
        return rendering.pages.get(key, rendering.not_found)

    @staticmethod
    def _exists(rendering: Rendering, path: str) -> bool:
        return path in rendering.pages or path in rendering.paginated


class OdiChallengeSite(Site):
    """odi.org as a crawler meets it: Cloudflare's managed challenge on every path but robots.txt.

    Challenges answer 403, or 503 when the request has a query string (listing pages such as ?page=2), so
    both the plain block and the retryable status are exercised.
    """

    name = "odi-challenge"
    server_header = "cloudflare"
    challenged = True

    def publications(self) -> list[PublicationTruth]:
        """The publications of odi.org, which this site hides behind the challenge."""
        return publications()

    def golden_pages(self) -> Mapping[str, str]:
        """odi.org's golden pages (the challenge itself has none)."""
        return GOLDEN_PAGES

    def render(self, base_url: str) -> Rendering:
        """Only robots.txt is served; every other path gets a challenge, built per request."""
        robots = robots_page(load(), base_url)
        return Rendering(pages={"/robots.txt": robots}, not_found=robots)

    def get(self, base_url: str, target: str) -> Page:
        """robots.txt as the origin serves it; a fresh challenge page for anything else."""
        rendering = self.rendering(base_url)
        parts = urlsplit(target)
        if parts.path == "/robots.txt":
            page = rendering.pages["/robots.txt"]
            return dataclasses.replace(page, headers=(*_CDN_HEADERS, ("cf-ray", f"{ray_id()}-{COLO}")))
        return challenge_page(ZONE, base_url, target, 503 if parts.query else 403)
