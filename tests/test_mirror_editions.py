"""Night 2 of the MPI mirror ("mpi-night2"): new, changed, removed and moved publications, over HTTP and in truth."""

from __future__ import annotations

import html as html_lib
import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest

from mirrors import SITES, EditionChanges, PublicationTruth
from mirrors.mpi.edition import render_edition
from mirrors.mpi.site import MpiSite
from mirrors.server import MirrorServer

PROGRAM = "/programs/international-program"
SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
FEEDS = {"report": 10, "policy brief": 11, "commentary": 12, "article": 13}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers and body of one GET, without following redirects."""
    try:
        with _OPENER.open(url, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def text(url: str) -> str:
    status, _, body = fetch(url)
    assert status == 200, url
    return body.decode("utf-8")


def sitemap(base: str) -> dict[str, str]:
    """Sitemap loc (as a path) -> lastmod."""
    root = ET.fromstring(fetch(base + "/sitemap.xml")[2])
    return {
        (u.findtext("sm:loc", namespaces=SM) or "").removeprefix(base): u.findtext("sm:lastmod", namespaces=SM) or ""
        for u in root.findall("sm:url", SM)
    }


def listing_rows(page: str) -> list[str]:
    view = page[page.index("view-program-content") :]
    view = view[: view.find('<nav class="pager"')] if '<nav class="pager"' in view else view
    return re.findall(r'<a href="([^"]+)" rel="bookmark">', view)


def all_listed(base: str) -> list[str]:
    """Every row of the International Program listing, page after page."""
    rows: list[str] = []
    url: str | None = base + PROGRAM
    while url:
        page = text(url)
        rows += listing_rows(page)
        nxt = re.search(r'<li class="pager__item pager__item--next"><a href="([^"]+)"[^>]*rel="next"', page)
        url = urljoin(url, nxt.group(1)) if nxt else None
    return rows


def body_field(page: str) -> str:
    start = page.index("field--name-body")
    return page[start : page.index("</div>", start)]


def publications(edition: int = 1) -> list[PublicationTruth]:
    """The ground truth of one night."""
    return SITES["mpi" if edition == 1 else f"mpi-night{edition}"].publications()


def modified_dates(edition: int) -> dict[str, str]:
    """Publication path -> ISO date of its last change, on one night."""
    return SITES["mpi" if edition == 1 else f"mpi-night{edition}"].modified_dates()


def title_of(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page)
    assert found
    return html_lib.unescape(found.group(1))


@pytest.fixture(scope="module")
def night1() -> Iterator[str]:
    with MirrorServer("mpi") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def night2() -> Iterator[str]:
    with MirrorServer("mpi-night2") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def changes() -> EditionChanges:
    return SITES["mpi-night2"].edition_changes()


def test_registry_and_truth_shape(changes: EditionChanges) -> None:
    assert SITES["mpi-night2"].name == "mpi-night2"
    assert SITES["mpi"].name == "mpi"
    with pytest.raises(LookupError, match="no earlier edition"):
        SITES["mpi"].edition_changes()
    one = {p.path for p in publications(1)}
    two = {p.path for p in publications(2)}
    assert len(changes.new) == 2
    assert not set(changes.new) & one
    assert two == (one - {changes.removed, changes.moved_from}) | {changes.moved_to, *changes.new}
    assert changes.changed in one & two
    assert tuple(p.path for p in publications(2)[:2]) == changes.new
    # Edition 1's pages never carry the added sentence: its presence proves the crawler saw night 2.
    night1_pages = render_edition(1, "http://mirror.invalid").pages.values()
    assert all(changes.changed_sentence.encode() not in page.body for page in night1_pages)
    with pytest.raises(ValueError, match="unknown MPI edition"):
        MpiSite(edition=3)


def test_new_publications_top_the_listing_sitemap_and_feeds(night2: str, changes: EditionChanges) -> None:
    new = list(changes.new)
    assert listing_rows(text(night2 + PROGRAM))[:2] == new
    lastmods = sitemap(night2)
    by_path = {p.path: p for p in publications(2)}
    for path in new:
        assert lastmods[path].startswith(modified_dates(2)[path])
        pub = by_path[path]
        feed = ET.fromstring(fetch(f"{night2}/rss/taxonomy-term/{FEEDS[pub.doc_type]}")[2])
        links = [i.findtext("link") for i in feed.findall("./channel/item")]
        assert links[0] == night2 + new[0] or night2 + path in links[:2]
        page = text(night2 + path)
        assert title_of(page) == f"{pub.title} | migrationpolicy.org"
        assert pub.first_sentence in html_lib.unescape(body_field(page))


def test_listing_lists_every_night2_publication_once(night2: str) -> None:
    rows = all_listed(night2)
    assert rows == [p.path for p in publications(2)]


def test_changed_publication(night1: str, night2: str, changes: EditionChanges) -> None:
    path, sentence = changes.changed, changes.changed_sentence
    s1, h1, b1 = fetch(night1 + path)
    s2, h2, b2 = fetch(night2 + path)
    assert s1 == s2 == 200
    assert sentence not in b1.decode()
    assert sentence in html_lib.unescape(body_field(b2.decode()))
    assert h1["etag"] != h2["etag"]
    assert h1["last-modified"] != h2["last-modified"]
    assert sitemap(night1)[path] != sitemap(night2)[path]
    assert sitemap(night2)[path].startswith(modified_dates(2)[path])
    times = [re.search(r'"article:modified_time" content="([^"]+)"', b.decode()) for b in (b1, b2)]
    assert times[0]
    assert times[1]
    assert times[0].group(1) < times[1].group(1)
    assert title_of(b1.decode()) == title_of(b2.decode())


def test_unchanged_publication_keeps_its_validators(night1: str, night2: str) -> None:
    path = "/research/global-mobility-post-pandemic"
    assert fetch(night1 + path)[1]["last-modified"] == fetch(night2 + path)[1]["last-modified"]
    assert sitemap(night1)[path] == sitemap(night2)[path]


def test_removed_publication_is_gone(night1: str, night2: str, changes: EditionChanges) -> None:
    path = changes.removed
    assert fetch(night1 + path)[0] == 200
    status, headers, body = fetch(night2 + path)
    assert status == 410
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "etag" not in headers
    page = body.decode()
    assert '<h1 class="page-title">Client error</h1>' in page
    assert "migrationpolicy.org" in page
    assert path not in sitemap(night2)
    assert path in sitemap(night1)
    assert path not in all_listed(night2)
    assert f"{night2}{path}<" not in text(night2 + "/rss/taxonomy-term/12")


def test_moved_publication_redirects(night1: str, night2: str, changes: EditionChanges) -> None:
    old, new = changes.moved_from, changes.moved_to
    status, headers, body = fetch(night2 + old)
    assert status == 301
    assert headers["location"] == night2 + new
    assert f'href="{night2 + new}"' in body.decode()
    moved = text(night2 + new)
    assert title_of(moved) == title_of(text(night1 + old))
    assert f'<link rel="canonical" href="{night2 + new}" />' in moved
    assert fetch(night1 + new)[0] == 404
    lastmods = sitemap(night2)
    assert new in lastmods
    assert old not in lastmods
    listed = all_listed(night2)
    assert new in listed
    assert old not in listed
    # Same node: its /node/N shortlink still serves it.
    shortlink = re.search(r'<link rel="shortlink" href="([^"]+)"', moved)
    assert shortlink
    assert text(shortlink.group(1)) == moved
