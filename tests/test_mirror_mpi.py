"""The MPI mirror (mirrors/mpi) served over loopback: HTTP semantics, discovery files and ground truth."""

from __future__ import annotations

import html as html_lib
import io
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import format_datetime, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from mirrors.mpi import modified_dates, non_publication_paths, publications
from mirrors.server import MirrorServer

REPO = Path(__file__).resolve().parents[1]
PROGRAM = "/programs/international-program"
FEEDS = {10: "report", 11: "policy brief", 12: "commentary", 13: "article"}
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "dc": "http://purl.org/dc/elements/1.1/",
}


class Response:
    """What a test needs from one HTTP exchange."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Response:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src"):
            value = found.get(name)
            if value and tag in ("a", "link", "img", "script"):
                self.links.append(value)


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with MirrorServer("mpi") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def pubs() -> list[dict[str, Any]]:
    return publications()


# -- server basics -----------------------------------------------------------------------------------


def test_starts_fast_and_stops() -> None:
    started = time.perf_counter()
    server = MirrorServer("mpi").start()
    try:
        assert time.perf_counter() - started < 1.0
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
    finally:
        server.stop()


def test_unknown_site_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown mirror"):
        MirrorServer("nope")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/research/global-mobility-post-pandemic", "text/html; charset=utf-8"),
        (PROGRAM + "?page=2", "text/html; charset=utf-8"),
        ("/sitemap.xml", "application/xml"),
        ("/rss/taxonomy-term/10", "application/rss+xml"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/sites/default/files/publications/mpi-global-mobility-post-pandemic-2024-final.pdf", "application/pdf"),
    ],
)
def test_content_types(base: str, path: str, content_type: str) -> None:
    r = fetch(base + path)
    assert r.status == 200
    assert r.headers["content-type"] == content_type
    assert int(r.headers["content-length"]) == len(r.body) > 0


def test_validators_and_revalidation(base: str) -> None:
    url = base + "/news/spain-bridge-transatlantic-migration"
    first = fetch(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{16,}"', etag)  # strong: no W/ prefix
    assert parsedate_to_datetime(last_modified).date().isoformat() == "2024-04-09"
    assert fetch(url).headers["etag"] == etag

    by_tag = fetch(url, {"If-None-Match": etag})
    assert (by_tag.status, by_tag.body) == (304, b"")
    assert by_tag.headers["etag"] == etag
    by_date = fetch(url, {"If-Modified-Since": last_modified})
    assert (by_date.status, by_date.body) == (304, b"")
    both = fetch(url, {"If-None-Match": etag, "If-Modified-Since": last_modified})
    assert both.status == 304

    older = format_datetime(parsedate_to_datetime(last_modified).replace(year=2020), usegmt=True)
    assert fetch(url, {"If-Modified-Since": older}).status == 200
    assert fetch(url, {"If-None-Match": '"0000"'}).status == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert fetch(url, {"If-None-Match": '"0000"', "If-Modified-Since": last_modified}).status == 200


def test_head_matches_get(base: str) -> None:
    url = base + "/research/refugee-travel-documents-mobility"
    got, head = fetch(url), fetch(url, method="HEAD")
    assert head.status == 200 and head.body == b""
    for name in ("content-type", "content-length", "etag", "last-modified"):
        assert head.headers[name] == got.headers[name]


def test_unknown_path_is_a_drupal_404(base: str) -> None:
    r = fetch(base + "/research/no-such-report")
    assert r.status == 404
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<h1 class="page-title">Page not found</h1>' in r.text
    assert "etag" not in r.headers
    assert fetch(base + "/research/no-such-report", {"If-None-Match": "*"}).status == 404


def test_query_strings(base: str) -> None:
    page = "/article/darien-gap-migration"
    assert fetch(base + page + "?utm_source=newsletter&page=3").body == fetch(base + page).body
    assert fetch(base + page + "/").body == fetch(base + page).body
    # page=0 is the first page; past the end shows the last page, as Drupal's pager does
    assert fetch(base + PROGRAM + "?page=0").body == fetch(base + PROGRAM).body
    last = fetch(base + PROGRAM + "?page=4").body
    assert fetch(base + PROGRAM + "?page=99").body == last
    assert fetch(base + PROGRAM + "?page=abc").body == fetch(base + PROGRAM).body


def test_absolute_urls_follow_the_host_header(base: str) -> None:
    port = urlsplit(base).port
    r = fetch(base + "/research/digital-remittances-development", {"Host": f"localhost:{port}"})
    expected = f"http://localhost:{port}/research/digital-remittances-development"
    assert f'<link rel="canonical" href="{expected}" />' in r.text
    assert f'<meta property="og:url" content="{expected}" />' in r.text
    assert 'href="/research"' in r.text  # links inside pages stay root-relative


def test_forwarded_scheme_and_host_give_the_real_sites_urls(base: str) -> None:
    # What the crawler's downloader sends when it fetches a real URL from the mirror.
    headers = {"Host": "www.migrationpolicy.org", "X-Forwarded-Proto": "https"}
    r = fetch(base + "/research/digital-remittances-development", headers)
    expected = "https://www.migrationpolicy.org/research/digital-remittances-development"
    assert f'<link rel="canonical" href="{expected}" />' in r.text
    assert "127.0.0.1" not in r.text


def test_node_alias_serves_the_page_with_its_canonical(base: str) -> None:
    page = fetch(base + "/research/global-mobility-post-pandemic").text
    shortlink = re.search(r'<link rel="shortlink" href="([^"]+)"', page)
    assert shortlink and "/node/" in shortlink.group(1)
    assert fetch(shortlink.group(1)).text == page


def test_command_line_serves_and_prints_the_base_url() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mirrors.server", "mpi", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert fetch(url + "/robots.txt").status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


# -- discovery: listings, sitemap, feeds, robots ------------------------------------------------------


def _listing_rows(html: str) -> list[str]:
    view = html[html.index("view-program-content") :]
    view = view[: view.find('<nav class="pager"')] if '<nav class="pager"' in view else view
    return re.findall(r'<a href="([^"]+)" rel="bookmark">', view)


def test_pagination_lists_every_publication_once(base: str, pubs: list[dict[str, Any]]) -> None:
    seen: list[str] = []
    url: str | None = base + PROGRAM
    pages = 0
    while url:
        html = fetch(url).text
        pages += 1
        seen += _listing_rows(html)
        nxt = re.search(r'<li class="pager__item pager__item--next"><a href="([^"]+)"[^>]*rel="next"', html)
        url = urljoin(url, nxt.group(1)) if nxt else None
        assert pages < 20
    assert pages >= 4
    assert len(seen) == len(set(seen)) == len(pubs)
    assert seen == [p["path"] for p in sorted(pubs, key=lambda p: p["published"], reverse=True)]


def test_listing_rows_show_type_label_and_month(base: str, pubs: list[dict[str, Any]]) -> None:
    html = fetch(base + PROGRAM + "?page=4").text
    assert '<h2 id="pagination-heading-' in html and ">Pages</h2>" in html
    assert "pager__item--next" not in html  # the last page
    oldest = min(pubs, key=lambda p: (p["published"], p["path"]))
    row = html[html.index(f'about="{oldest["path"]}"') :]
    assert f'field__item">{oldest["type_label"]}</div>' in row[:400]
    assert "2014</time>" in row[:800]


def test_sitemap_lists_publications_with_lastmod(base: str, pubs: list[dict[str, Any]]) -> None:
    r = fetch(base + "/sitemap.xml")
    root = ET.fromstring(r.body)
    entries = {
        url.findtext("sm:loc", namespaces=NS): url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }
    modified = modified_dates()
    for pub in pubs:
        lastmod = entries[base + pub["path"]]
        assert lastmod and lastmod.startswith(modified[pub["path"]])
    assert base + "/" in entries and base + PROGRAM in entries and base + "/about/staff/kathleen-newland" in entries
    assert len(entries) > len(pubs)


@pytest.mark.parametrize(("feed_id", "doc_type"), sorted(FEEDS.items()))
def test_rss_feed_per_type(base: str, pubs: list[dict[str, Any]], feed_id: int, doc_type: str) -> None:
    root = ET.fromstring(fetch(f"{base}/rss/taxonomy-term/{feed_id}").body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("./channel/item")
    expected = {base + p["path"]: p for p in pubs if p["doc_type"] == doc_type}
    assert {i.findtext("link") for i in items} == set(expected)
    for item in items:
        pub = expected[item.findtext("link") or ""]
        assert item.findtext("title") == pub["title"]
        assert [c.text for c in item.findall("dc:creator", NS)] == pub["authors"]
        assert parsedate_to_datetime(item.findtext("pubDate") or "").date().isoformat() == pub["published"]
        assert pub["summary"] in (item.findtext("description") or "")
        assert item.findtext("guid")


def test_robots_txt(base: str) -> None:
    text = fetch(base + "/robots.txt").text
    assert f"Sitemap: {base}/sitemap.xml" in text.splitlines()
    assert "Disallow: /search/" in text.splitlines()
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    # a page that exists and is linked (from every topic page) but must not be crawled
    topic = fetch(base + "/topics/remittances").text
    assert 'href="/search/site/remittances"' in topic
    assert fetch(base + "/search/site/remittances").status == 200
    assert not robots.can_fetch("migdigest", base + "/search/site/remittances")
    assert robots.can_fetch("migdigest", base + "/research/digital-remittances-development")


def test_report_pdfs(base: str, pubs: list[dict[str, Any]]) -> None:
    from pypdf import PdfReader

    with_pdf = [p for p in pubs if p["pdf_path"]]
    assert {p["doc_type"] for p in with_pdf} >= {"report"}
    assert all(p["pdf_path"] for p in pubs if p["doc_type"] == "report")
    for pub in with_pdf:
        r = fetch(base + pub["pdf_path"])
        assert r.status == 200 and r.headers["content-type"] == "application/pdf"
        assert r.body.startswith(b"%PDF")
        assert len(r.body) < 20_000
        reader = PdfReader(io.BytesIO(r.body))
        assert 2 <= len(reader.pages) <= 6
        text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
        assert pub["pdf_text_snippet"] in text
        page = fetch(base + pub["path"]).text
        assert f'<a href="{pub["pdf_path"]}" type="application/pdf"' in page
        assert pub["pdf_text_snippet"] not in visible_text(page)


def test_committed_pdfs_match_the_content() -> None:
    from mirrors.tools.make_pdfs import main

    assert main(["--check"]) == 0, "run: .venv/bin/python -m mirrors.tools.make_pdfs"


# -- ground truth ------------------------------------------------------------------------------------

KEYS = {
    "path", "title", "authors", "published", "doc_type", "type_label", "summary",
    "first_sentence", "last_sentence", "pdf_path", "pdf_text_snippet", "language",
}  # fmt: skip


def test_publications_ground_truth_shape(pubs: list[dict[str, Any]]) -> None:
    assert len(pubs) >= 44
    assert len({p["path"] for p in pubs}) == len(pubs)
    types = {p["doc_type"]: p["type_label"] for p in pubs}
    assert types == {
        "report": "Reports",
        "policy brief": "Policy Briefs",
        "commentary": "Commentary",
        "article": "Articles",
    }
    prefixes = {"report": "/research/", "policy brief": "/research/", "commentary": "/news/", "article": "/article/"}
    years = set()
    for pub in pubs:
        assert set(pub) == KEYS
        assert pub["path"].startswith(prefixes[pub["doc_type"]])
        assert 1 <= len(pub["authors"]) <= 3
        assert re.fullmatch(r"20(1[4-9]|2[0-4])-\d\d-\d\d", pub["published"])
        years.add(pub["published"][:4])
        assert pub["language"] == "en"
        assert pub["first_sentence"] != pub["last_sentence"]
        assert (pub["pdf_path"] is None) == (pub["pdf_text_snippet"] is None)
    assert len(years) >= 8
    firsts = [p["first_sentence"] for p in pubs]
    assert len(set(firsts)) == len(firsts)


def test_publication_pages_carry_the_ground_truth(base: str, pubs: list[dict[str, Any]]) -> None:
    for pub in pubs:
        html = fetch(base + pub["path"]).text
        text = visible_text(html)
        assert pub["first_sentence"] in text, pub["path"]
        assert pub["last_sentence"] in text, pub["path"]
        title = re.search(r"<title>(.*?)</title>", html)
        assert title and html_lib.unescape(title.group(1)) == f"{pub['title']} | migrationpolicy.org"
        description = re.search(r'<meta name="description" content="([^"]*)"', html)
        assert description and html_lib.unescape(description.group(1)) == pub["summary"]
        for author in pub["authors"]:
            assert author in text
        body = html[html.index("field--name-body") :]
        assert pub["first_sentence"] in visible_text("<div " + body[: body.index("</div>")])
        assert '<link rel="canonical" href="' + base + pub["path"] + '" />' in html
        has_time = 'property="article:published_time" content="' + pub["published"] in html
        assert has_time == (pub["doc_type"] in ("commentary", "article"))


def test_non_publication_pages_exist(base: str, pubs: list[dict[str, Any]]) -> None:
    paths = non_publication_paths()
    assert not set(paths) & {p["path"] for p in pubs}
    for expected in ("/", PROGRAM, PROGRAM + "?page=1", "/about", "/about/staff", "/contact", "/newsletters",
                     "/topics/remittances", "/about/staff/kathleen-newland", "/person/dirk-gebhardt"):  # fmt: skip
        assert expected in paths
    for path in paths:
        r = fetch(base + path)
        assert r.status == 200 and r.headers["content-type"].startswith("text/html"), path


def test_every_internal_link_resolves(base: str, pubs: list[dict[str, Any]]) -> None:
    pages = non_publication_paths() + [p["path"] for p in pubs]
    checked: set[str] = set()
    for path in pages:
        page_url = base + path
        for link in links(fetch(page_url).text):
            url = urljoin(page_url, link).split("#")[0]
            if not url.startswith(base) or url in checked:
                continue
            checked.add(url)
            assert fetch(url, method="HEAD").status == 200, f"{url} linked from {path}"
    assert len(checked) > 150
