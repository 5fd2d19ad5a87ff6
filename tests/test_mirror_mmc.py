"""The MMC mirror (mirrors/mmc, WordPress + Yoast): HTTP semantics, WordPress routing, discovery files, truth."""

from __future__ import annotations

import html as html_lib
import io
import re
import time
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

from mirrors import SITES
from mirrors.mmc import golden_pages, modified_dates, non_publication_paths, publications
from mirrors.server import MirrorServer

HTML = "text/html; charset=UTF-8"
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
RESOURCE = "/resource/protection-risks-central-mediterranean-route/"
ESSAY = "/mmr/2020-2/cities-of-refuge-cities-of-risk/"


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
            if value and tag in ("a", "link", "img", "script", "iframe"):
                self.links.append(value)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with MirrorServer("mmc") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def pubs() -> list[dict[str, Any]]:
    return publications()


# -- server basics and WordPress routing --------------------------------------------------------------


def test_renders_fast() -> None:
    from mirrors.mmc.content import load
    from mirrors.mmc.render import render

    load()
    started = time.perf_counter()
    render(load(), "http://render.invalid")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", HTML),
        (RESOURCE, HTML),
        (ESSAY, HTML),
        ("/resources/page/2/", HTML),
        ("/sitemap_index.xml", "text/xml; charset=UTF-8"),
        ("/resource-sitemap.xml", "text/xml; charset=UTF-8"),
        ("/feed/", "application/rss+xml; charset=UTF-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/wp-content/uploads/2020/07/MMC-Report-Protection-Risks-Central-Med-2020.pdf", "application/pdf"),
        ("/wp-content/themes/mmc/style.css?ver=2.3.1", "text/css"),
    ],
)
def test_content_types(base: str, path: str, content_type: str) -> None:
    r = fetch(base + path)
    assert r.status == 200
    assert r.headers["content-type"] == content_type
    assert int(r.headers["content-length"]) == len(r.body) > 0


def test_validators_and_revalidation(base: str) -> None:
    url = base + "/resource/darien-gap-beyond-the-numbers/"
    first = fetch(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{16,}"', etag)
    assert parsedate_to_datetime(last_modified).date().isoformat() == "2022-12-14"
    assert first.headers["x-powered-by"].startswith("PHP/")
    assert fetch(url, {"If-None-Match": etag}).status == 304
    by_date = fetch(url, {"If-Modified-Since": last_modified})
    assert (by_date.status, by_date.body) == (304, b"")
    older = format_datetime(parsedate_to_datetime(last_modified).replace(year=2020), usegmt=True)
    assert fetch(url, {"If-Modified-Since": older}).status == 200
    assert fetch(url, {"If-None-Match": '"0000"', "If-Modified-Since": last_modified}).status == 200


def test_wordpress_routing(base: str) -> None:
    page = fetch(base + RESOURCE).body
    assert fetch(base + RESOURCE.rstrip("/")).body == page  # the unslashed permalink
    assert fetch(base + RESOURCE + "?utm_source=twitter").body == page
    shortlink = re.search(r"<link rel='shortlink' href='([^']+)' />", page.decode())
    assert shortlink and fetch(shortlink.group(1)).body == page
    assert fetch(base + "/resources/page/1/").body == fetch(base + "/resources/").body
    assert fetch(base + "/?p=999999").status == 404
    missing = fetch(base + "/resources/page/99/")
    assert missing.status == 404 and "That page can&rsquo;t be found" in missing.text
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
    assert (
        "/resource/darien-gap-beyond-the-numbers/" in _grid(found)
        and 'name="robots" content="noindex, follow"' in found
    )
    assert "Nothing Found" in fetch(base + "/?s=zzzzzz").text
    assert fetch(base + "/page/2/?s=4Mi").status == 200


def _grid(html: str) -> str:
    """The list of an archive page, without the sidebar and menus that link elsewhere."""
    return html[html.index('<div class="posts-grid">') : html.index("</main>")]


def test_absolute_urls_follow_the_host_header(base: str) -> None:
    port = urlsplit(base).port
    r = fetch(base + ESSAY, {"Host": f"localhost:{port}"})
    assert f'<link rel="canonical" href="http://localhost:{port}{ESSAY}" />' in r.text
    assert f'href="http://localhost:{port}/resources/"' in r.text


# -- discovery: sitemaps, feed, robots ---------------------------------------------------------------


def test_sitemap_index_lists_child_sitemaps_with_every_publication(base: str, pubs: list[dict[str, Any]]) -> None:
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
    modified = modified_dates()
    for pub in pubs:
        assert entries[base + pub["path"]].startswith(modified[pub["path"]]), pub["path"]
    for path in ("/", "/resources/", "/mmr/2020-2/", "/articles/", "/tag/libya/", "/author/bram-frouws/"):
        assert base + path in entries
    assert fetch(base + "/sitemap.xml").body == fetch(base + "/sitemap_index.xml").body


def test_feed_parses(base: str, pubs: list[dict[str, Any]]) -> None:
    import feedparser

    feed = feedparser.parse(fetch(base + "/feed/").body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20" and feed.feed.title == "Mixed Migration Centre"
    by_path = {p["path"]: p for p in pubs}
    assert len(feed.entries) == 10
    dates = [e.published_parsed for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    news = 0
    for entry in feed.entries:
        path = urlsplit(entry.link).path
        assert entry.link == base + path and entry.author and entry.tags
        assert entry.content[0].value.startswith("<p>")
        pub = by_path.get(path)
        if pub is None:
            news += 1
            assert path.startswith("/articles/")
            continue
        assert entry.title == pub["title"] and entry.summary == pub["summary"]
        assert time.strftime("%Y-%m-%d", entry.published_parsed) == pub["published"]
        assert pub["first_sentence"] in entry.content[0].value
    assert 0 < news < 10  # the feed mixes news posts with publications


def test_robots_txt(base: str) -> None:
    lines = fetch(base + "/robots.txt").text.splitlines()
    assert f"Sitemap: {base}/sitemap_index.xml" in lines
    assert "Disallow: /wp-admin/" in lines and "Allow: /wp-admin/admin-ajax.php" in lines
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(lines)
    assert robots.can_fetch("migdigest", base + RESOURCE)
    assert not robots.can_fetch("migdigest", base + "/?s=smuggling")
    assert not robots.can_fetch("migdigest", base + "/wp-admin/options.php")


def test_pdfs(base: str, pubs: list[dict[str, Any]]) -> None:
    from pypdf import PdfReader

    with_pdf = [p for p in pubs if p["pdf_path"]]
    assert all(p["pdf_path"] for p in pubs if p["doc_type"] in ("report", "policy brief"))
    for pub in with_pdf:
        r = fetch(base + pub["pdf_path"])
        assert r.status == 200 and r.body.startswith(b"%PDF") and len(r.body) < 20_000
        text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(r.body)).pages)
        assert pub["pdf_text_snippet"] in text
        page = fetch(base + pub["path"]).text
        assert f'resource-download__link" href="{base}{pub["pdf_path"]}"' in page
        assert pub["pdf_text_snippet"] not in visible_text(page)


def test_committed_pdfs_match_the_content() -> None:
    from mirrors.mmc.make_pdfs import main

    assert main(["--check"]) == 0, "run: .venv/bin/python -m mirrors.mmc.make_pdfs"


# -- ground truth ------------------------------------------------------------------------------------

KEYS = {
    "path", "title", "authors", "published", "doc_type", "type_label", "summary",
    "first_sentence", "last_sentence", "pdf_path", "pdf_text_snippet", "language",
}  # fmt: skip
LABELS = {
    "Report": "report", "4Mi Snapshot": "report", "Briefing Paper": "policy brief", "Article": "article",
    "Essay": "article", "Urban spotlight": "article", "Urban voices": "article", "Interview": "article",
}  # fmt: skip


def test_publications_ground_truth_shape(pubs: list[dict[str, Any]]) -> None:
    assert len(pubs) >= 40
    assert len({p["path"] for p in pubs}) == len(pubs)
    assert {p["type_label"]: p["doc_type"] for p in pubs} == LABELS
    for pub in pubs:
        assert set(pub) == KEYS
        assert re.fullmatch(r"/resource/[a-z0-9-]+/|/mmr/(2020-2|2021)/[a-z0-9-]+/", pub["path"])
        assert pub["path"].startswith("/mmr/") == (pub["type_label"] in ("Essay", "Urban spotlight",
                                                                         "Urban voices", "Interview"))  # fmt: skip
        assert pub["language"] == "en" and pub["first_sentence"] != pub["last_sentence"]
        assert (pub["pdf_path"] is None) == (pub["pdf_text_snippet"] is None)
        assert len(pub["authors"]) <= 2
    assert any(not p["authors"] for p in pubs) and any(len(p["authors"]) == 2 for p in pubs)
    firsts = [p["first_sentence"] for p in pubs]
    assert len(set(firsts)) == len(firsts)


def test_publication_pages_carry_the_ground_truth(base: str, pubs: list[dict[str, Any]]) -> None:
    for pub in pubs:
        html = fetch(base + pub["path"]).text
        text = visible_text(html)
        assert pub["first_sentence"] in text and pub["last_sentence"] in text, pub["path"]
        title = re.search(r"<title>(.*?)</title>", html)
        assert title and html_lib.unescape(title.group(1)) == f"{pub['title']} - Mixed Migration Centre"
        description = re.search(r'<meta name="description" content="([^"]*)"', html)
        assert description and html_lib.unescape(description.group(1)) == pub["summary"]
        assert f'<meta property="article:published_time" content="{pub["published"]}T' in html
        assert f'<link rel="canonical" href="{base}{pub["path"]}" />' in html
        header = html[html.index('<header class="entry-header">') : html.index("</header><!-- .entry-header -->")]
        assert re.findall(r'class="author-name"[^>]*>([^<]+)<', header) == pub["authors"]
        assert f">{pub['type_label']}<" in header


def test_publications_extract_to_their_truth(pubs: list[dict[str, Any]]) -> None:
    """The source config (config/sources.d/mmc.yaml) reads every publication right, not only the golden ones."""
    from extract.page import extract_page
    from migdigest.config import load_config

    source = load_config().source("mmc")
    rendering = SITES["mmc"].rendering(source.base_url)
    for pub in pubs:
        got = extract_page(rendering.pages[pub["path"]].body, source.base_url + pub["path"], source=source)
        assert (got.title, got.authors, got.published, got.doc_type, got.summary, got.page_type) == (
            pub["title"], pub["authors"], pub["published"], pub["doc_type"], pub["summary"], "article",
        ), pub["path"]  # fmt: skip
        assert got.pdf_url == (source.base_url + pub["pdf_path"] if pub["pdf_path"] else None), pub["path"]
        assert got.body.startswith(pub["first_sentence"]) and got.body.endswith(pub["last_sentence"]), pub["path"]


NON_PUBLICATIONS = [
    "/", "/resources/", "/resources/page/2/", "/resources/?type=4mi-snapshot", "/mmr/", "/mmr/2020-2/", "/mmr/2021/",
    "/articles/", "/category/smuggling/", "/tag/libya/", "/region/east-africa-yemen/", "/author/bram-frouws/",
    "/about/", "/contact/", "/?s=Libya",
]  # fmt: skip


def test_non_publication_pages_exist(base: str, pubs: list[dict[str, Any]]) -> None:
    paths = non_publication_paths()
    assert not set(paths) & {p["path"] for p in pubs}
    for expected in NON_PUBLICATIONS:
        assert expected in paths
    assert set(golden_pages().values()) <= set(paths) | {p["path"] for p in pubs}
    for path in paths:
        r = fetch(base + path, method="HEAD")
        assert r.status == 200 and r.headers["content-type"] == HTML, path


def test_edition_2020_carries_the_real_text(base: str) -> None:
    text = visible_text(fetch(base + "/mmr/2020-2/").text)
    assert "Mixed migration and cities: Urban frontlines for displacement and mobility" in text
    assert "The overarching focus of the Mixed Migration Review (MMR) 2020 is urban migration." in text
    assert "National versus local migration policies -pragmatic rebellion?" in text
    for pub in publications():
        if pub["path"].startswith("/mmr/2020-2/"):
            assert pub["title"] in text


def test_every_internal_link_resolves(pubs: list[dict[str, Any]]) -> None:
    site = SITES["mmc"]
    base = "http://links.invalid"
    checked: set[str] = set()
    for path in non_publication_paths() + [p["path"] for p in pubs]:
        for link in _page_links(site.get(base, path).body.decode("utf-8")):
            url = urljoin(base + path, html_lib.unescape(link)).split("#")[0]
            if not url.startswith(base + "/") or url in checked:
                continue
            checked.add(url)
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            assert site.get(base, target).status == 200, f"{url} linked from {path}"
    assert len(checked) > 250


def _page_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links
