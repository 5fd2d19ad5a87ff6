"""The CGD (Drupal, sitemap-only) and ECRE (WordPress, feed-only) mirrors over loopback, and their ground truth."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from migdigest.config import load_config
from mirrors import SITES, truth
from mirrors.cgd.site import load as load_cgd
from mirrors.server import MirrorServer

NAMES = ("cgd", "ecre")
SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
KEYS = set(truth("mpi").publications()[0])


class Response:
    """Status, lower-cased headers and body of one exchange."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

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

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    with MirrorServer("cgd") as cgd, MirrorServer("ecre") as ecre:
        yield {"cgd": cgd.base_url, "ecre": ecre.base_url}


def pubs(name: str) -> list[dict[str, Any]]:
    return list(truth(name).publications())


# -- server basics -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_renders_fast(name: str) -> None:
    started = time.perf_counter()
    SITES[name].render("http://127.0.0.1:1")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("name", "path", "content_type"),
    [
        ("cgd", "/", "text/html; charset=utf-8"),
        ("cgd", "/publication/global-skill-partnerships-practical-guide", "text/html; charset=utf-8"),
        ("cgd", "/section/publications?page=1", "text/html; charset=utf-8"),
        ("cgd", "/sitemap.xml", "application/xml"),
        ("cgd", "/sitemap.xml?page=2", "application/xml"),
        ("cgd", "/robots.txt", "text/plain; charset=utf-8"),
        ("cgd", "/sites/default/files/2023-06/global-skill-partnerships-practical-guide.pdf", "application/pdf"),
        ("ecre", "/", "text/html; charset=utf-8"),
        ("ecre", "/italy-suspends-incoming-dublin-transfers/", "text/html; charset=utf-8"),
        ("ecre", "/category/weekly-bulletin/page/2/", "text/html; charset=utf-8"),
        ("ecre", "/feed/", "application/rss+xml"),
        ("ecre", "/feed/?paged=3", "application/rss+xml"),
        ("ecre", "/sitemap_index.xml", "application/xml"),
        ("ecre", "/robots.txt", "text/plain; charset=utf-8"),
        ("ecre", "/wp-content/uploads/2023/03/Policy-Paper-11-Border-Procedures.pdf", "application/pdf"),
    ],
)
def test_content_types(servers: dict[str, str], name: str, path: str, content_type: str) -> None:
    r = fetch(servers[name] + path)
    assert r.status == 200
    assert r.headers["content-type"] == content_type
    assert int(r.headers["content-length"]) == len(r.body) > 0


@pytest.mark.parametrize(
    ("name", "path"),
    [("cgd", "/blog/five-myths-about-labor-mobility"), ("ecre", "/fr/grece-nouvelles-restrictions-pour-les-ong/")],
)
def test_revalidation_answers_304(servers: dict[str, str], name: str, path: str) -> None:
    url = servers[name] + path
    first = fetch(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{16,}"', etag)
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
        again = fetch(url, headers)
        assert (again.status, again.body, again.headers["etag"]) == (304, b"", etag)
    assert fetch(url, {"If-None-Match": '"0000"'}).status == 200
    pub = next(p for p in pubs(name) if p["path"] == path)
    assert parsedate_to_datetime(last_modified).date().isoformat() >= pub["published"]


def test_unknown_paths_are_404(servers: dict[str, str]) -> None:
    for url in (servers["cgd"] + "/publication/no-such-paper", servers["ecre"] + "/no-such-post/"):
        r = fetch(url)
        assert r.status == 404 and "etag" not in r.headers
        assert "Page not found" in r.text


def test_wordpress_routing(servers: dict[str, str]) -> None:
    base = servers["ecre"]
    post = "/italy-suspends-incoming-dublin-transfers/"
    assert fetch(base + post.rstrip("/")).body == fetch(base + post).body
    assert fetch(base + "/feed/?paged=1").body == fetch(base + "/feed/").body
    assert fetch(base + "/feed/?paged=4").status == 404  # past the last page
    assert fetch(base + post + "?paged=2").body == fetch(base + post).body  # only feeds page


# -- discovery: CGD by sitemap only, ECRE by feeds only --------------------------------------------------


def test_sources_use_one_discovery_channel_each() -> None:
    cgd, ecre = load_config().source("cgd").discovery, load_config().source("ecre").discovery
    assert cgd.sitemaps == ["/sitemap.xml"] and not cgd.feeds and not cgd.listings
    assert ecre.feeds and not ecre.sitemaps and not ecre.listings


def test_cgd_sitemap_index_and_children_cover_every_publication(servers: dict[str, str]) -> None:
    base = servers["cgd"]
    index = ET.fromstring(fetch(base + "/sitemap.xml").body)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    children = [loc.text or "" for loc in index.findall("sm:sitemap/sm:loc", SM)]
    assert children == [f"{base}/sitemap.xml?page=1", f"{base}/sitemap.xml?page=2"]
    entries: dict[str, str] = {}
    for child in children:
        root = ET.fromstring(fetch(child).body)
        found = {u.findtext("sm:loc", namespaces=SM) or "": u.findtext("sm:lastmod", namespaces=SM) or ""
                 for u in root.findall("sm:url", SM)}  # fmt: skip
        assert any(urlsplit(u).path.startswith(("/publication/", "/blog/")) for u in found), child
        assert not set(found) & set(entries)
        entries.update(found)
    modified = {p.path: p.modified.isoformat() for p in load_cgd().publications}
    for pub in pubs("cgd"):
        assert entries[base + pub["path"]].startswith(modified[pub["path"]])
    paths = {urlsplit(u).path for u in entries}
    assert {"/expert/helen-dempster", "/topics/migration", "/event/refugees-right-to-work-panel"} <= paths
    assert len(paths) > len(pubs("cgd"))


def _feed_items(url: str) -> list[ET.Element]:
    root = ET.fromstring(fetch(url).body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.findall("./channel/item")


def test_ecre_paged_feeds_cover_every_publication(servers: dict[str, str]) -> None:
    base = servers["ecre"]
    seen: dict[str, ET.Element] = {}
    for feed in load_config().source("ecre").discovery.feeds:
        items = _feed_items(base + feed)
        assert 0 < len(items) <= 10
        seen.update({i.findtext("link") or "": i for i in items})
    expected = {base + p["path"]: p for p in pubs("ecre")}
    assert set(seen) == set(expected)
    for link, item in seen.items():
        pub = expected[link]
        assert item.findtext("title") == pub["title"]
        assert parsedate_to_datetime(item.findtext("pubDate") or "").date().isoformat() == pub["published"]
        assert pub["type_label"] in [c.text for c in item.findall("category")]
    # WordPress pages feeds by 10: the three English pages hold every English post, newest first.
    english = [base + p["path"] for p in pubs("ecre") if p["language"] == "en"]
    paged = [i.findtext("link") for n in (1, 2, 3) for i in _feed_items(f"{base}/feed/?paged={n}")]
    assert paged == english and len(english) > 20
    assert [i.findtext("link") for i in _feed_items(base + "/fr/feed/")] == [
        base + p["path"] for p in pubs("ecre") if p["language"] == "fr"
    ]


def test_robots_txt(servers: dict[str, str]) -> None:
    for name, sitemap, blocked in (("cgd", "/sitemap.xml", "/search"), ("ecre", "/sitemap_index.xml", "/wp-admin/")):
        base = servers[name]
        text = fetch(base + "/robots.txt").text
        assert f"Sitemap: {base}{sitemap}" in text.splitlines()
        assert fetch(base + sitemap).status == 200  # ECRE has one; its config does not use it
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(text.splitlines())
        assert not robots.can_fetch("migdigest", base + blocked)
        assert all(robots.can_fetch("migdigest", base + p["path"]) for p in pubs(name))


# -- PDFs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_pdfs(servers: dict[str, str], name: str) -> None:
    from pypdf import PdfReader

    with_pdf = [p for p in pubs(name) if p["pdf_path"]]
    assert len(with_pdf) >= 10
    for pub in with_pdf:
        r = fetch(servers[name] + pub["pdf_path"])
        assert r.status == 200 and r.body.startswith(b"%PDF") and len(r.body) < 20_000
        text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(r.body)).pages)
        assert pub["pdf_text_snippet"] in text
        page = fetch(servers[name] + pub["path"]).text
        assert pub["pdf_path"] in page
        assert pub["pdf_text_snippet"] not in _Page(page).text


@pytest.mark.parametrize("name", NAMES)
def test_committed_pdfs_match_the_content(name: str) -> None:
    module = __import__(f"mirrors.{name}.make_pdfs", fromlist=["main"])
    assert module.main(["--check"]) == 0, f"run: .venv/bin/python -m mirrors.{name}.make_pdfs"


# -- ground truth ------------------------------------------------------------------------------------


def test_ground_truth_shape() -> None:
    counts: dict[str, dict[str, int]] = {name: {} for name in NAMES}
    for name in NAMES:
        records = pubs(name)
        assert len(records) >= 20 and len({p["path"] for p in records}) == len(records)
        for pub in records:
            assert set(pub) == KEYS
            assert pub["first_sentence"] != pub["last_sentence"]
            assert (pub["pdf_path"] is None) == (pub["pdf_text_snippet"] is None)
            counts[name][pub["type_label"]] = counts[name].get(pub["type_label"], 0) + 1
    assert counts["cgd"] == {"Policy Paper": 6, "Working Paper": 5, "Brief": 4, "Blog Post": 7}
    assert counts["ecre"] == {"Policy Papers": 5, "Comments": 5, "Weekly Bulletin": 10, "Editorials": 3,
                              "Notes d’orientation": 1, "Bulletin hebdomadaire": 1}  # fmt: skip
    assert {p["language"] for p in pubs("ecre")} == {"en", "fr"}
    assert all(p["path"].startswith(("/publication/", "/blog/")) for p in pubs("cgd"))
    assert all(re.fullmatch(r"/(fr/)?[a-z0-9-]+/", p["path"]) for p in pubs("ecre"))


@pytest.mark.parametrize("name", NAMES)
def test_publication_pages_carry_the_ground_truth(servers: dict[str, str], name: str) -> None:
    base = servers[name]
    for pub in pubs(name):
        html = fetch(base + pub["path"]).text
        text = _Page(html).text
        for sentence in (pub["first_sentence"], pub["last_sentence"], pub["title"], *pub["authors"]):
            assert sentence in text, (pub["path"], sentence)
        description = re.search(r'<meta name="description" content="([^"]*)"', html)
        assert description and html_lib.unescape(description.group(1)) == pub["summary"]
        assert f'<link rel="canonical" href="{base}{pub["path"]}" />' in html
        assert re.search(rf'<html lang="{pub["language"]}(-[A-Z]+)?"', html)
        assert f'"datePublished": "{pub["published"]}T' in html


@pytest.mark.parametrize("name", NAMES)
def test_non_publication_pages_exist(servers: dict[str, str], name: str) -> None:
    paths = truth(name).non_publication_paths()
    assert not set(paths) & {p["path"] for p in pubs(name)}
    assert len(paths) >= 15
    for path in paths:
        r = fetch(servers[name] + path)
        assert r.status == 200 and r.headers["content-type"].startswith("text/html"), path


@pytest.mark.parametrize("name", NAMES)
def test_every_internal_link_resolves(servers: dict[str, str], name: str) -> None:
    base = servers[name]
    checked: set[str] = set()
    for path in truth(name).non_publication_paths() + [p["path"] for p in pubs(name)]:
        for link in _Page(fetch(base + path).text).links:
            url = urljoin(base + path, link).split("#")[0]
            if url.startswith(base) and url not in checked:
                checked.add(url)
                assert fetch(url, method="HEAD").status == 200, f"{url} linked from {path}"
    assert len(checked) > 60


@pytest.mark.parametrize(("name", "hint"), [("cgd", "lastmod"), ("ecre", "feed_date")])
def test_discovery_hints_reach_the_manifest(servers: dict[str, str], tmp_path: Path, name: str, hint: str) -> None:
    """Sitemap lastmod (CGD) and feed pubDate (ECRE) are recorded for every publication."""
    from extract.normalise import parse_date
    from spiders.crawl import run_crawl

    outcome = run_crawl(name, tmp_path / "run", base_url=servers[name])
    assert outcome.ok, outcome.stderr_tail
    lines = (tmp_path / "run" / "discovered.jsonl").read_text(encoding="utf-8").splitlines()
    hints = {urlsplit(rec["url"]).path: rec["hints"] for rec in map(json.loads, lines)}
    for pub in pubs(name):
        date = parse_date(hints[pub["path"]][hint])
        assert date and (date == pub["published"] if hint == "feed_date" else date >= pub["published"])
