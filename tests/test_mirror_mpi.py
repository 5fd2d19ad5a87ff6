"""What is particular to the MPI mirror (Drupal): pager, aliases, per-type feeds, robots, truth; the rest is
in tests/test_mirror_contract.py."""

from __future__ import annotations

import html as html_lib
import io
import re
import subprocess
import sys
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mirrors import SITES, PublicationTruth
from mirrors.server import MirrorServer
from tests.test_mirror_contract import fetch, visible_text

REPO = Path(__file__).resolve().parents[1]
PROGRAM = "/programs/international-program"
FEEDS = {10: "report", 11: "policy brief", 12: "commentary", 13: "article"}
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "dc": "http://purl.org/dc/elements/1.1/",
}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with MirrorServer("mpi") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def pubs() -> list[PublicationTruth]:
    return SITES["mpi"].publications()


# -- server basics -----------------------------------------------------------------------------------


def test_starts_and_stops() -> None:
    server = MirrorServer("mpi").start()
    try:
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
        (PROGRAM + "?page=2", "text/html; charset=utf-8"),
        ("/sitemap.xml", "application/xml"),
        ("/rss/taxonomy-term/10", "application/rss+xml"),
    ],
)
def test_content_types(base: str, path: str, content_type: str) -> None:
    r = fetch(base + path)
    assert r.status == 200
    assert r.headers["content-type"] == content_type
    assert int(r.headers["content-length"]) == len(r.body) > 0


def test_unknown_path_is_a_drupal_404(base: str) -> None:
    r = fetch(base + "/research/no-such-report")
    assert r.status == 404
    assert '<h1 class="page-title">Page not found</h1>' in r.text


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
    assert shortlink
    assert "/node/" in shortlink.group(1)
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


def test_listing_rows_show_type_label_and_month(base: str, pubs: list[PublicationTruth]) -> None:
    html = fetch(base + PROGRAM + "?page=4").text
    assert '<h2 id="pagination-heading-' in html
    assert ">Pages</h2>" in html
    assert "pager__item--next" not in html  # the last page
    oldest = min(pubs, key=lambda p: (p.published, p.path))
    row = html[html.index(f'about="{oldest.path}"') :]
    assert f'field__item">{oldest.type_label}</div>' in row[:400]
    assert "2014</time>" in row[:800]


@pytest.mark.parametrize(("feed_id", "doc_type"), sorted(FEEDS.items()))
def test_rss_feed_per_type(base: str, pubs: list[PublicationTruth], feed_id: int, doc_type: str) -> None:
    root = ET.fromstring(fetch(f"{base}/rss/taxonomy-term/{feed_id}").body)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    items = root.findall("./channel/item")
    expected = {base + p.path: p for p in pubs if p.doc_type == doc_type}
    assert {i.findtext("link") for i in items} == set(expected)
    for item in items:
        pub = expected[item.findtext("link") or ""]
        assert item.findtext("title") == pub.title
        assert tuple(c.text for c in item.findall("dc:creator", NS)) == pub.authors
        assert parsedate_to_datetime(item.findtext("pubDate") or "").date() == pub.published
        assert pub.summary in (item.findtext("description") or "")
        assert item.findtext("guid")


def test_robots_txt(base: str) -> None:
    text = fetch(base + "/robots.txt").text
    assert "Disallow: /search/" in text.splitlines()
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    # a page that exists and is linked (from every topic page) but must not be crawled
    topic = fetch(base + "/topics/remittances").text
    assert 'href="/search/site/remittances"' in topic
    assert fetch(base + "/search/site/remittances").status == 200
    assert not robots.can_fetch("migdigest", base + "/search/site/remittances")
    assert robots.can_fetch("migdigest", base + "/research/digital-remittances-development")


def test_reports_have_pdfs_of_a_few_pages(base: str, pubs: list[PublicationTruth]) -> None:
    from pypdf import PdfReader

    with_pdf = [p for p in pubs if p.pdf_path]
    assert {p.doc_type for p in with_pdf} >= {"report"}
    assert all(p.pdf_path for p in pubs if p.doc_type == "report")
    for pub in with_pdf:
        assert 2 <= len(PdfReader(io.BytesIO(fetch(base + str(pub.pdf_path)).body)).pages) <= 6
        page = fetch(base + pub.path).text
        assert f'<a href="{pub.pdf_path}" type="application/pdf"' in page


# -- ground truth ------------------------------------------------------------------------------------


def test_publications_ground_truth_shape(pubs: list[PublicationTruth]) -> None:
    assert len(pubs) >= 44
    types = {p.doc_type: p.type_label for p in pubs}
    assert types == {
        "report": "Reports",
        "policy brief": "Policy Briefs",
        "commentary": "Commentary",
        "article": "Articles",
    }
    prefixes = {"report": "/research/", "policy brief": "/research/", "commentary": "/news/", "article": "/article/"}
    for pub in pubs:
        assert pub.path.startswith(prefixes[pub.doc_type])
        assert 1 <= len(pub.authors) <= 3
        assert 2014 <= pub.published.year <= 2024
        assert pub.language == "en"
    assert len({p.published.year for p in pubs}) >= 8


def test_publication_pages_are_drupal_nodes(base: str, pubs: list[PublicationTruth]) -> None:
    for pub in pubs:
        html = fetch(base + pub.path).text
        title = re.search(r"<title>(.*?)</title>", html)
        assert title
        assert html_lib.unescape(title.group(1)) == f"{pub.title} | migrationpolicy.org"
        body = html[html.index("field--name-body") :]
        assert pub.first_sentence in visible_text("<div " + body[: body.index("</div>")])
        has_time = f'property="article:published_time" content="{pub.published.isoformat()}' in html
        assert has_time == (pub.doc_type in ("commentary", "article"))
