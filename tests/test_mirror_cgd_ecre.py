"""What is particular to the CGD (Drupal, sitemap-only) and ECRE (WordPress, feed-only) mirrors; the rest is in
tests/test_mirror_contract.py."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from migdigest.config import load_config
from mirrors import SITES, PublicationTruth
from mirrors.server import MirrorServer
from tests.test_mirror_contract import fetch

NAMES = ("cgd", "ecre")
SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    with MirrorServer("cgd") as cgd, MirrorServer("ecre") as ecre:
        yield {"cgd": cgd.base_url, "ecre": ecre.base_url}


def pubs(name: str) -> list[PublicationTruth]:
    return SITES[name].publications()


# -- server basics -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "content_type"),
    [
        ("cgd", "/", "text/html; charset=utf-8"),
        ("cgd", "/section/publications?page=1", "text/html; charset=utf-8"),
        ("cgd", "/sitemap.xml", "application/xml"),
        ("cgd", "/sitemap.xml?page=2", "application/xml"),
        ("ecre", "/", "text/html; charset=utf-8"),
        ("ecre", "/category/weekly-bulletin/page/2/", "text/html; charset=utf-8"),
        ("ecre", "/feed/", "application/rss+xml"),
        ("ecre", "/feed/?paged=3", "application/rss+xml"),
        ("ecre", "/sitemap_index.xml", "application/xml"),
    ],
)
def test_content_types(servers: dict[str, str], name: str, path: str, content_type: str) -> None:
    r = fetch(servers[name] + path)
    assert r.status == 200
    assert r.headers["content-type"] == content_type
    assert int(r.headers["content-length"]) == len(r.body) > 0


def test_unknown_paths_are_404(servers: dict[str, str]) -> None:
    for url in (servers["cgd"] + "/publication/no-such-paper", servers["ecre"] + "/no-such-post/"):
        r = fetch(url)
        assert r.status == 404
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
    assert cgd.sitemaps == ["/sitemap.xml"]
    assert not cgd.feeds
    assert not cgd.listings
    assert ecre.feeds
    assert not ecre.sitemaps
    assert not ecre.listings


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
    paths = {urlsplit(u).path for u in entries}
    assert {"/expert/helen-dempster", "/topics/migration", "/event/refugees-right-to-work-panel"} <= paths
    assert len(paths) > len(pubs("cgd"))


def _feed_items(url: str) -> list[ET.Element]:
    root = ET.fromstring(fetch(url).body)
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    return root.findall("./channel/item")


def test_ecre_feeds_page_by_ten_per_language(servers: dict[str, str]) -> None:
    base = servers["ecre"]
    expected = {base + p.path: p for p in pubs("ecre")}
    for feed in load_config().source("ecre").discovery.feeds:
        items = _feed_items(base + feed)
        assert 0 < len(items) <= 10
        for item in items:
            assert expected[item.findtext("link") or ""].type_label in [c.text for c in item.findall("category")]
    # WordPress pages feeds by 10: the three English pages hold every English post, newest first.
    english = [base + p.path for p in pubs("ecre") if p.language == "en"]
    paged = [i.findtext("link") for n in (1, 2, 3) for i in _feed_items(f"{base}/feed/?paged={n}")]
    assert paged == english
    assert len(english) > 20
    assert [i.findtext("link") for i in _feed_items(base + "/fr/feed/")] == [
        base + p.path for p in pubs("ecre") if p.language == "fr"
    ]


def test_robots_txt(servers: dict[str, str]) -> None:
    for name, sitemap, blocked in (("cgd", "/sitemap.xml", "/search"), ("ecre", "/sitemap_index.xml", "/wp-admin/")):
        base = servers[name]
        text = fetch(base + "/robots.txt").text
        assert f"Sitemap: {base}{sitemap}" in text.splitlines()  # ECRE has one; its config does not use it
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(text.splitlines())
        assert not robots.can_fetch("migdigest", base + blocked)


# -- ground truth ------------------------------------------------------------------------------------


def test_ground_truth_shape() -> None:
    counts = {name: Counter(p.type_label for p in pubs(name)) for name in NAMES}
    assert counts["cgd"] == {"Policy Paper": 6, "Working Paper": 5, "Brief": 4, "Blog Post": 7}
    assert counts["ecre"] == {"Policy Papers": 5, "Comments": 5, "Weekly Bulletin": 10, "Editorials": 3,
                              "Notes d’orientation": 1, "Bulletin hebdomadaire": 1}  # fmt: skip
    assert {p.language for p in pubs("ecre")} == {"en", "fr"}
    assert all(p.path.startswith(("/publication/", "/blog/")) for p in pubs("cgd"))
    assert all(re.fullmatch(r"/(fr/)?[a-z0-9-]+/", p.path) for p in pubs("ecre"))


@pytest.mark.parametrize("name", NAMES)
def test_publication_pages_state_their_publication_date(servers: dict[str, str], name: str) -> None:
    for pub in pubs(name):
        assert f'"datePublished": "{pub.published.isoformat()}T' in fetch(servers[name] + pub.path).text


@pytest.mark.parametrize(("name", "hint"), [("cgd", "lastmod"), ("ecre", "feed_date")])
def test_discovery_hints_reach_the_manifest(servers: dict[str, str], tmp_path: Path, name: str, hint: str) -> None:
    """Sitemap lastmod (CGD) and feed pubDate (ECRE) are recorded for every publication."""
    from extract.normalise import parse_date
    from spiders.crawl import run_crawl

    outcome = run_crawl(load_config().source(name), tmp_path / "run", base_url=servers[name])
    assert outcome.ok, outcome.stderr_tail
    lines = (tmp_path / "run" / "discovered.jsonl").read_text(encoding="utf-8").splitlines()
    hints = {urlsplit(rec["url"]).path: rec["hints"] for rec in map(json.loads, lines)}
    for pub in pubs(name):
        date = parse_date(hints[pub.path][hint])
        published = pub.published.isoformat()
        assert date
        assert date == published if hint == "feed_date" else date >= published
