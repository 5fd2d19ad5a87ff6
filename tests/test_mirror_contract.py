"""The contract every mirror in `mirrors.SITES` keeps, checked against its own typed ground truth.

HTTP semantics (types, lengths, validators, 304, HEAD, 404, Host), publication pages carrying their truth,
PDFs, robots.txt, the sitemap and the discovery channels of the site's source config, internal links and the
committed PDFs. Each site's own test module keeps only what is particular to it. Helpers here (`fetch`,
`visible_text`, `links`) are shared with those modules.
"""

from __future__ import annotations

import gzip
import html as html_lib
import io
import re
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from migdigest.config import Discovery, Source, load_config
from mirrors import SITES
from mirrors.kit.pdf import stale
from mirrors.kit.site import PublicationTruth, Site
from mirrors.server import MirrorServer

NAMES = sorted(SITES)
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# Later editions and blocked variants are crawled with the source config of the site they copy.
VARIANT_OF = {"mpi-night2": "mpi", "odi-challenge": "odi"}
# Mirrors no source config uses: the site `migdigest add-source` is shown on (tests/test_add_source.py).
UNCONFIGURED = {"meridian"}


class Response:
    """Status, lower-cased headers and body of one HTTP exchange."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        """The body as UTF-8 text."""
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Response:
    """One request, redirects not followed (a test sees the 301 itself)."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=10) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


class _Page(HTMLParser):
    """Visible text (no script or style) and the links of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style")
        found = dict(attrs)
        for name in ("href", "src"):
            if found.get(name) and tag in ("a", "link", "img", "script"):
                self.links.append(found[name] or "")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text a reader sees, whitespace collapsed."""
    return " ".join(" ".join(_Page(html).parts).split())


def links(html: str) -> list[str]:
    """Every href and src of a page's links, images and scripts."""
    return _Page(html).links


def discovery_of(name: str) -> Discovery:
    """The discovery channels of mirror `name`'s source config (none for a site no source uses yet)."""
    # No source names a channel for an unconfigured site; a real config must (the model refuses an empty one).
    return Discovery.model_construct() if name in UNCONFIGURED else source_of(name).discovery


def source_of(name: str) -> Source:
    """The source config of the real site that mirror `name` copies."""
    wanted = VARIANT_OF.get(name, name)
    return next(s for s in load_config().sources.values() if s.mirror == wanted)


@pytest.fixture(scope="module", params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    """Each mirror in turn."""
    value: str = request.param
    return value


@pytest.fixture(scope="module")
def site(name: str) -> Site:
    return SITES[name]


@pytest.fixture(scope="module")
def base(name: str) -> Iterator[str]:
    with MirrorServer(name) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def pubs(site: Site) -> list[PublicationTruth]:
    return site.publications()


# -- ground truth ------------------------------------------------------------------------------------


def test_truth_is_sound(site: Site, pubs: list[PublicationTruth]) -> None:
    assert len(pubs) >= 20
    assert len({p.path for p in pubs}) == len(pubs)
    assert [p.published for p in pubs] == sorted((p.published for p in pubs), reverse=True)  # newest first
    for pub in pubs:
        assert pub.path.startswith("/")
        assert pub.title
        assert pub.summary
        assert pub.doc_type
        assert pub.type_label
        assert pub.first_sentence != pub.last_sentence
        assert (pub.pdf_path is None) == (pub.pdf_text_snippet is None)
        assert pub.modified >= pub.published
    firsts = [p.first_sentence for p in pubs]
    assert len(set(firsts)) == len(firsts)
    assert site.modified_dates() == {p.path: p.modified.isoformat() for p in pubs}


def test_golden_pages_exist(site: Site) -> None:
    rendering = site.rendering("http://golden.invalid")
    real = SITES[VARIANT_OF.get(site.name, site.name)]  # a variant's golden pages are its original's
    assert site.golden_pages()
    assert site.golden_pages() == real.golden_pages()
    for path in site.golden_pages().values():
        page = real.rendering("http://golden.invalid").pages[path] if site.challenged else rendering.pages[path]
        assert page.status == 200, path
        assert page.content_type.startswith("text/html"), path


def test_committed_pdfs_match_the_content(site: Site) -> None:
    if site.pdf_folder is None:
        assert not site.pdf_files()  # a variant: it serves the files of the site it copies
        return
    assert site.pdf_files(), "a site with a PDF folder has PDFs"
    assert stale(site) == [], f"run: .venv/bin/python -m mirrors.kit.make_pdfs {site.name}"


# -- publication pages and PDFs ------------------------------------------------------------------------


def test_publication_pages_carry_the_truth(site: Site, base: str, pubs: list[PublicationTruth]) -> None:
    for pub in pubs:
        r = fetch(base + pub.path)
        if site.challenged:
            assert r.status == 403, pub.path
            assert r.headers["cf-mitigated"] == "challenge", pub.path
            continue
        assert r.status == 200, pub.path
        assert r.headers["content-type"].lower() == "text/html; charset=utf-8", pub.path
        assert int(r.headers["content-length"]) == len(r.body)
        html = r.text
        text = visible_text(html)
        for words in (pub.title, pub.first_sentence, pub.last_sentence, *pub.authors):
            assert words in text, (pub.path, words)
        description = re.search(r'<meta name="description" content="([^"]*)"', html)
        assert description, pub.path
        assert html_lib.unescape(description.group(1)) == pub.summary, pub.path
        assert f'<link rel="canonical" href="{base}{pub.path}"' in html, pub.path
        lang = re.search(r'<html[^>]* lang="([a-zA-Z]+)', html)
        assert lang, pub.path
        assert lang.group(1) == pub.language, pub.path
        last_modified = parsedate_to_datetime(r.headers["last-modified"])
        assert last_modified.date() == pub.modified, pub.path


def test_pdfs_are_served_with_their_text(site: Site, base: str, pubs: list[PublicationTruth]) -> None:
    from pypdf import PdfReader

    with_pdf = [p for p in pubs if p.pdf_path and p.pdf_text_snippet]
    assert len(with_pdf) >= 10
    for pub in with_pdf:
        assert pub.pdf_path
        assert pub.pdf_text_snippet
        r = fetch(base + pub.pdf_path)
        if site.challenged:
            assert r.status == 403
            continue
        assert r.status == 200
        assert r.headers["content-type"] == "application/pdf"
        assert r.body.startswith(b"%PDF")
        assert int(r.headers["content-length"]) == len(r.body) < 20_000
        reader = PdfReader(io.BytesIO(r.body))
        text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        assert pub.pdf_text_snippet in text, pub.pdf_path
        page = fetch(base + pub.path).text
        assert pub.pdf_path in page
        assert pub.pdf_text_snippet not in visible_text(page)  # only a PDF text extractor finds it


# -- HTTP semantics ------------------------------------------------------------------------------------


def _first_page(site: Site, pubs: list[PublicationTruth]) -> str:
    return pubs[0].path if not site.challenged else "/robots.txt"


def test_validators_and_revalidation(site: Site, base: str, pubs: list[PublicationTruth]) -> None:
    url = base + _first_page(site, pubs)
    first = fetch(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{16,}"', etag)  # strong: no W/ prefix
    assert fetch(url).headers["etag"] == etag
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
        again = fetch(url, headers)
        assert (again.status, again.body, again.headers["etag"]) == (304, b"", etag)
    older = format_datetime(parsedate_to_datetime(last_modified).replace(year=2010), usegmt=True)
    assert fetch(url, {"If-Modified-Since": older}).status == 200
    assert fetch(url, {"If-None-Match": '"0000"'}).status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert fetch(url, {"If-None-Match": '"0000"', "If-Modified-Since": last_modified}).status == 200


def test_head_matches_get(site: Site, base: str, pubs: list[PublicationTruth]) -> None:
    url = base + _first_page(site, pubs)
    got, head = fetch(url), fetch(url, method="HEAD")
    assert head.status == 200
    assert head.body == b""
    for header in ("content-type", "content-length", "etag", "last-modified"):
        assert head.headers[header] == got.headers[header]
    assert head.headers["server"] == got.headers["server"] == site.server_header


def test_unknown_path_is_the_sites_404(site: Site, base: str) -> None:
    r = fetch(base + "/no/such/page/")
    if site.challenged:
        assert r.status == 403  # the challenge comes before the origin could answer
        return
    assert r.status == 404
    assert r.headers["content-type"].lower() == "text/html; charset=utf-8"
    assert "etag" not in r.headers
    assert r.body == site.rendering(base).not_found.body
    assert fetch(base + "/no/such/page/", {"If-None-Match": "*"}).status == 404


def test_absolute_urls_follow_the_host_header(site: Site, base: str, pubs: list[PublicationTruth]) -> None:
    port = urlsplit(base).port
    path = _first_page(site, pubs)
    r = fetch(base + path, {"Host": f"localhost:{port}"})
    if site.challenged:
        assert f"Sitemap: http://localhost:{port}/" in r.text
        return
    assert f'<link rel="canonical" href="http://localhost:{port}{path}"' in r.text
    assert base not in r.text


# -- discovery -----------------------------------------------------------------------------------------


def _robots(base: str) -> tuple[urllib.robotparser.RobotFileParser, list[str]]:
    r = fetch(base + "/robots.txt")
    assert r.status == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(r.text.splitlines())
    return parser, [line.split(":", 1)[1].strip() for line in r.text.splitlines() if line.startswith("Sitemap:")]


def test_robots_txt_allows_every_publication_and_names_the_sitemap(base: str, pubs: list[PublicationTruth]) -> None:
    robots, sitemaps = _robots(base)
    assert sitemaps
    assert all(s.startswith(base + "/") for s in sitemaps)
    for pub in pubs:
        assert robots.can_fetch("migdigest", base + pub.path), pub.path


def _sitemap_entries(url: str) -> dict[str, str]:
    """loc -> lastmod of a sitemap, following a sitemap index to its children."""
    body = fetch(url).body
    root = ET.fromstring(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
    if root.tag == f"{SM}sitemapindex":
        entries: dict[str, str] = {}
        for loc in root.iter(f"{SM}loc"):
            entries.update(_sitemap_entries(loc.text or ""))
        return entries
    assert root.tag == f"{SM}urlset"
    return {u.findtext(f"{SM}loc") or "": u.findtext(f"{SM}lastmod") or "" for u in root.findall(f"{SM}url")}


def test_sitemap_lists_every_publication_with_lastmod(site: Site, base: str, pubs: list[PublicationTruth]) -> None:
    if site.challenged:
        return  # the sitemap itself is behind the challenge (robots.txt names it all the same)
    _, sitemaps = _robots(base)
    entries: dict[str, str] = {}
    for sitemap in sitemaps:
        entries.update(_sitemap_entries(sitemap))
    for pub in pubs:
        assert entries[base + pub.path].startswith(pub.modified.isoformat()), pub.path
    assert len(entries) > len(pubs)  # other pages too: home, listings, authors


def test_feeds_of_the_source_carry_the_truth(name: str, site: Site, base: str, pubs: list[PublicationTruth]) -> None:
    discovery = discovery_of(name)
    by_url = {base + p.path: p for p in pubs}
    seen: set[str] = set()
    for feed in [] if site.challenged else discovery.feeds:
        root = ET.fromstring(fetch(base + feed).body)
        assert root.tag == "rss", feed
        assert root.get("version") == "2.0", feed
        for item in root.findall("./channel/item"):
            pub = by_url.get(item.findtext("link") or "")
            if pub is None:
                continue  # news posts share a feed with publications
            seen.add(pub.path)
            assert item.findtext("title") == pub.title
            assert parsedate_to_datetime(item.findtext("pubDate") or "").date() == pub.published
    if discovery.feeds and not (discovery.sitemaps or discovery.listings) and not site.challenged:
        assert seen == {p.path for p in pubs}  # the feeds are the only way in: they hold every publication


def test_listings_of_the_source_list_every_publication(
    name: str, site: Site, base: str, pubs: list[PublicationTruth]
) -> None:
    from parsel import Selector

    listings = [] if site.challenged else discovery_of(name).listings
    by_path = {p.path: p for p in pubs}
    seen: list[str] = []
    for listing in listings:
        url: str | None = base + listing.url
        pages = 0
        while url and pages < listing.max_pages:
            page = Selector(text=fetch(url).text)
            pages += 1
            for item in page.css(listing.item):
                href = urlsplit(urljoin(url, item.css(listing.link).attrib["href"])).path
                pub = by_path[href]
                assert listing.type_label
                assert " ".join(" ".join(item.css(listing.type_label + " ::text").getall()).split()) == pub.type_label
                seen.append(href)
            nxt = page.css(listing.next).attrib.get("href") if listing.next else None
            url = urljoin(url, nxt) if nxt else None
    if listings:
        assert len(seen) == len(set(seen)), "a publication listed twice"
        assert set(seen) == set(by_path)


# -- links ---------------------------------------------------------------------------------------------


def test_every_internal_link_resolves(site: Site) -> None:
    if site.challenged:
        return  # no page to follow links from
    base = "http://links.invalid"
    rendering = site.rendering(base)
    pages = [k for k, p in rendering.pages.items() if p.status == 200 and p.content_type.startswith("text/html")]
    checked: set[str] = set()
    for path in pages:
        for link in links(rendering.pages[path].body.decode("utf-8")):
            url = urljoin(base + path, html_lib.unescape(link)).split("#")[0]
            if not url.startswith(base + "/") or url in checked:
                continue
            checked.add(url)
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            assert site.get(base, target).status == 200, f"{url} linked from {path}"
    assert len(checked) > 60
