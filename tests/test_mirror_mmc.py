"""What is particular to the MMC mirror (WordPress + Yoast): routing, filters, search, sitemaps, feed, truth;
the rest is in tests/test_mirror_contract.py."""

from __future__ import annotations

import html as html_lib
import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from mirrors import SITES, PublicationTruth
from mirrors.server import MirrorServer
from tests.test_mirror_contract import fetch, visible_text

HTML = "text/html; charset=UTF-8"
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
RESOURCE = "/resource/protection-risks-central-mediterranean-route/"
ESSAY = "/mmr/2020-2/cities-of-refuge-cities-of-risk/"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with MirrorServer("mmc") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def pubs() -> list[PublicationTruth]:
    return SITES["mmc"].publications()


# -- server basics and WordPress routing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", HTML),
        ("/resources/page/2/", HTML),
        ("/sitemap_index.xml", "text/xml; charset=UTF-8"),
        ("/resource-sitemap.xml", "text/xml; charset=UTF-8"),
        ("/feed/", "application/rss+xml; charset=UTF-8"),
        ("/wp-content/themes/mmc/style.css?ver=2.3.1", "text/css"),
    ],
)
def test_content_types(base: str, path: str, content_type: str) -> None:
    r = fetch(base + path)
    assert r.status == 200
    assert r.headers["content-type"] == content_type
    assert int(r.headers["content-length"]) == len(r.body) > 0


def test_wordpress_headers(base: str) -> None:
    r = fetch(base + "/resource/darien-gap-beyond-the-numbers/")
    assert r.headers["x-powered-by"].startswith("PHP/")


def test_wordpress_routing(base: str) -> None:
    page = fetch(base + RESOURCE).body
    assert fetch(base + RESOURCE.rstrip("/")).body == page  # the unslashed permalink
    assert fetch(base + RESOURCE + "?utm_source=twitter").body == page
    shortlink = re.search(r"<link rel='shortlink' href='([^']+)' />", page.decode())
    assert shortlink
    assert fetch(shortlink.group(1)).body == page
    assert fetch(base + "/resources/page/1/").body == fetch(base + "/resources/").body
    assert fetch(base + "/?p=999999").status == 404
    missing = fetch(base + "/resources/page/99/")
    assert missing.status == 404
    assert "That page can&rsquo;t be found" in missing.text
    assert "etag" not in missing.headers
    # Filters: type and region, paginated with the query kept; an unknown value is ignored.
    reports = fetch(base + "/resources/?type=report").text
    assert '<option value="report" selected="selected">' in reports
    assert "/resource/mixed-migration-review-2021/" in _grid(reports)
    assert "/resource/smuggler-use-among-afghans-travelling-to-turkiye/" not in _grid(reports)
    both = _grid(fetch(base + "/resources/?region=north-africa&type=4mi-snapshot").text)
    assert "/resource/protection-risks-for-women-on-the-move-libya/" in both
    assert "/resource/detention-in-libya-4mi-data/" not in both
    second = fetch(base + "/resources/page/2/?type=4mi-snapshot")
    assert second.status == 404  # 8 snapshots fit on one page of 12
    assert fetch(base + "/resources/?type=nonsense").body == fetch(base + "/resources/").body
    # Search: rendered ahead for a few terms, on demand for others, paginated like any archive.
    assert "Search Results for: <span>Libya</span>" in fetch(base + "/?s=Libya").text
    found = fetch(base + "/?s=Dari%C3%A9n").text
    assert "/resource/darien-gap-beyond-the-numbers/" in _grid(found)
    assert 'name="robots" content="noindex, follow"' in found
    assert "Nothing Found" in fetch(base + "/?s=zzzzzz").text
    assert fetch(base + "/page/2/?s=4Mi").status == 200


def _grid(html: str) -> str:
    """The list of an archive page, without the sidebar and menus that link elsewhere."""
    return html[html.index('<div class="posts-grid">') : html.index("</main>")]


def test_absolute_urls_follow_the_host_header(base: str) -> None:
    port = urlsplit(base).port
    r = fetch(base + ESSAY, {"Host": f"localhost:{port}"})
    assert f'href="http://localhost:{port}/resources/"' in r.text  # WordPress writes absolute links


# -- discovery: sitemaps, feed, robots ---------------------------------------------------------------


def test_sitemap_index_lists_yoasts_child_sitemaps(base: str) -> None:
    index = ET.fromstring(fetch(base + "/sitemap_index.xml").body)
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    children = {s.findtext("sm:loc", namespaces=NS): s.findtext("sm:lastmod", namespaces=NS) for s in index}
    names = {urlsplit(loc or "").path for loc in children}
    assert names == {f"/{n}-sitemap.xml" for n in ("post", "page", "resource", "mmr", "category", "post_tag",
                                                   "region", "author")}  # fmt: skip
    entries: dict[str, str] = {}
    for loc, lastmod in children.items():
        root = ET.fromstring(fetch(loc or "").body)
        found = {u.findtext("sm:loc", namespaces=NS) or "": u.findtext("sm:lastmod", namespaces=NS) or "" for u in root}
        assert lastmod == max(found.values())
        entries.update(found)
    for path in ("/", "/resources/", "/mmr/2020-2/", "/articles/", "/tag/libya/", "/author/bram-frouws/"):
        assert base + path in entries
    assert fetch(base + "/sitemap.xml").body == fetch(base + "/sitemap_index.xml").body


def test_feed_parses(base: str, pubs: list[PublicationTruth]) -> None:
    import feedparser

    feed = feedparser.parse(fetch(base + "/feed/").body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.title == "Mixed Migration Centre"
    by_path = {p.path: p for p in pubs}
    assert len(feed.entries) == 10
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    news = 0
    for entry in feed.entries:
        path = urlsplit(entry.link).path
        assert entry.link == base + path
        assert entry.author
        assert entry.tags
        assert entry.content[0].value.startswith("<p>")
        pub = by_path.get(path)
        if pub is None:
            news += 1
            assert path.startswith("/articles/")
            continue
        assert entry.title == pub.title
        assert entry.summary == pub.summary
        assert time.strftime("%Y-%m-%d", entry.published_parsed) == pub.published.isoformat()
        assert pub.first_sentence in entry.content[0].value
    assert 0 < news < 10  # the feed mixes news posts with publications


def test_robots_txt(base: str) -> None:
    lines = fetch(base + "/robots.txt").text.splitlines()
    assert "Disallow: /wp-admin/" in lines
    assert "Allow: /wp-admin/admin-ajax.php" in lines
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(lines)
    assert robots.can_fetch("migdigest", base + RESOURCE)
    assert not robots.can_fetch("migdigest", base + "/?s=smuggling")
    assert not robots.can_fetch("migdigest", base + "/wp-admin/options.php")


def test_reports_and_briefs_have_pdfs(base: str, pubs: list[PublicationTruth]) -> None:
    assert all(p.pdf_path for p in pubs if p.doc_type in ("report", "policy brief"))
    for pub in pubs:
        if pub.pdf_path:
            assert f'resource-download__link" href="{base}{pub.pdf_path}"' in fetch(base + pub.path).text


# -- ground truth ------------------------------------------------------------------------------------

LABELS = {
    "Report": "report", "4Mi Snapshot": "report", "Briefing Paper": "policy brief", "Article": "article",
    "Essay": "article", "Urban spotlight": "article", "Urban voices": "article", "Interview": "article",
}  # fmt: skip


def test_publications_ground_truth_shape(pubs: list[PublicationTruth]) -> None:
    assert len(pubs) >= 40
    assert {p.type_label: p.doc_type for p in pubs} == LABELS
    for pub in pubs:
        assert re.fullmatch(r"/resource/[a-z0-9-]+/|/mmr/(2020-2|2021)/[a-z0-9-]+/", pub.path)
        review = pub.type_label in ("Essay", "Urban spotlight", "Urban voices", "Interview")
        assert pub.path.startswith("/mmr/") == review
        assert pub.language == "en"
        assert len(pub.authors) <= 2
    assert any(not p.authors for p in pubs)
    assert any(len(p.authors) == 2 for p in pubs)


def test_publication_pages_are_wordpress_posts(base: str, pubs: list[PublicationTruth]) -> None:
    for pub in pubs:
        html = fetch(base + pub.path).text
        title = re.search(r"<title>(.*?)</title>", html)
        assert title
        assert html_lib.unescape(title.group(1)) == f"{pub.title} - Mixed Migration Centre"
        assert f'<meta property="article:published_time" content="{pub.published.isoformat()}T' in html
        header = html[html.index('<header class="entry-header">') : html.index("</header><!-- .entry-header -->")]
        assert tuple(re.findall(r'class="author-name"[^>]*>([^<]+)<', header)) == pub.authors
        assert f">{pub.type_label}<" in header


def test_publications_extract_to_their_truth(pubs: list[PublicationTruth]) -> None:
    """The source config (config/sources.d/mmc.yaml) reads every publication right, not only the golden ones."""
    from extract.page import extract_page
    from migdigest.config import load_config

    source = load_config().source("mmc")
    rendering = SITES["mmc"].rendering(source.base_url)
    for pub in pubs:
        got = extract_page(rendering.pages[pub.path].body, source.base_url + pub.path, source=source)
        assert (got.title, got.authors, got.published, got.doc_type, got.summary, got.page_type) == (
            pub.title, list(pub.authors), pub.published.isoformat(), pub.doc_type, pub.summary, "article",
        ), pub.path  # fmt: skip
        assert got.pdf_url == (source.base_url + pub.pdf_path if pub.pdf_path else None), pub.path
        assert got.body.startswith(pub.first_sentence), pub.path
        assert got.body.endswith(pub.last_sentence), pub.path


def test_edition_2020_carries_the_real_text(base: str) -> None:
    text = visible_text(fetch(base + "/mmr/2020-2/").text)
    assert "Mixed migration and cities: Urban frontlines for displacement and mobility" in text
    assert "The overarching focus of the Mixed Migration Review (MMR) 2020 is urban migration." in text
    assert "National versus local migration policies -pragmatic rebellion?" in text
    for pub in SITES["mmc"].publications():
        if pub.path.startswith("/mmr/2020-2/"):
            assert pub.title in text
