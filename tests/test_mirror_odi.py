"""What is particular to the ODI mirrors (Wagtail behind Cloudflare): Django routing, listings, the programme
page, truth and the challenge; the rest is in tests/test_mirror_contract.py."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from mirrors import SITES, PublicationTruth
from mirrors.odi.content import load
from mirrors.server import MirrorServer
from tests.test_mirror_contract import fetch, visible_text

FIXTURES = Path(__file__).parent / "fixtures" / "odi"
LISTINGS = ("/en/publications/", "/en/insights/")
HMI = "/en/about/our-work/human-mobility-initiative/"
REPORT = "/en/publications/migration-and-the-future-of-care-supporting-older-people-and-care-workers/"
INSIGHT = "/en/insights/massacres-in-melilla-and-libya-nothing-new-on-european-borders/"
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# The 18 publications of the real Human Mobility Initiative page (seed 002), in its order, with its labels.
SEED = [
    ("Children on the move in Latin America and the Caribbean: Review of evidence", "Research reports"),
    ("How the war in Ukraine is impacting Africa-Europe relations and the migration dialogue", None),
    ("Massacres in Melilla and Libya: nothing new on European borders", None),
    ("The UK–Rwanda deal is a crisis of responsibility, not a crisis of migration", None),
    ("As the world rapidly ages, we need more migrant care workers", None),
    ("Migration and the future of care: supporting older people and care workers", "Research reports"),
    ("UK government's response to this refugee crisis is too little, too confused, too slow", None),
    ("Staffing shortages in the UK’s care sector: a sign of things to come", None),
    ("On lorry drivers and a warm welcome", None),
    ("African and European cities, partners for the green transition", None),
    ("Beyond gratitude: lessons learned from migrants’ contribution to the Covid-19 response", "Working papers"),
    ("Rapid evidence assessment: what works to protect children on the move?", "Research reports"),
    ("Innovation in Africa-Europe relations beyond Covid-19", None),
    ("Migration and skills for the low\u2011carbon transition", "Working papers"),
    ("Migration as opportunity: innovation, policies and practice", "Working papers"),
    ("What drives reform? A political economy analysis of migration policy in Morocco", "Research reports"),
    ("The fiscal impact of immigration: a review of the evidence", "Working papers"),
    ("Financing livelihoods and inclusion in forced displacement contexts", "Research reports"),
]
CHALLENGE_MARKERS = (
    "<title>Just a moment...</title>",
    "Enable JavaScript and cookies to continue",
    "/cdn-cgi/challenge-platform/",
    "window._cf_chl_opt",
    "__cf_chl_tk=",
    'id="cf-chl-widget-',
)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with MirrorServer("odi") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def challenge() -> Iterator[str]:
    with MirrorServer("odi-challenge") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def pubs() -> list[PublicationTruth]:
    return SITES["odi"].publications()


# -- server basics -----------------------------------------------------------------------------------


def test_registered_with_one_truth_for_both_sites() -> None:
    assert SITES["odi"].name == "odi"
    assert SITES["odi-challenge"].name == "odi-challenge"
    assert SITES["odi-challenge"].publications() == SITES["odi"].publications()
    assert SITES["odi-challenge"].challenged
    assert not SITES["odi"].challenged


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/en/", "text/html; charset=utf-8"),
        ("/en/publications/?page=2", "text/html; charset=utf-8"),
        ("/en/about/our-people/marta-foresti/", "text/html; charset=utf-8"),
        ("/sitemap.xml", "application/xml"),
        ("/static/css/main.6a1f0c9e4b2d.css", "text/css"),
        ("/static/images/odi-logo.0f4e2a1b.svg", "image/svg+xml"),
    ],
)
def test_content_types(base: str, path: str, content_type: str) -> None:
    r = fetch(base + path)
    assert r.status == 200
    assert r.headers["content-type"] == content_type
    assert int(r.headers["content-length"]) == len(r.body) > 0


def test_cloudflare_headers_on_every_response(base: str) -> None:
    first, second = fetch(base + REPORT), fetch(base + REPORT)
    for r in (first, second):
        assert r.headers["server"] == "cloudflare"
        assert r.headers["cf-cache-status"] == "DYNAMIC"
        assert re.fullmatch(r"[0-9a-f]{16}-LHR", r.headers["cf-ray"])
        assert "cf-mitigated" not in r.headers
    assert first.headers["cf-ray"] != second.headers["cf-ray"]  # a new Ray ID per response
    assert first.headers["etag"] == second.headers["etag"]


def test_a_304_keeps_the_cdn_headers(base: str, pubs: list[PublicationTruth]) -> None:
    etag = fetch(base + REPORT).headers["etag"]
    by_tag = fetch(base + REPORT, {"If-None-Match": etag})
    assert by_tag.status == 304
    assert by_tag.headers["server"] == "cloudflare"
    pdf = next(str(p.pdf_path) for p in pubs if p.pdf_path)
    pdf_etag = fetch(base + pdf).headers["etag"]
    assert fetch(base + pdf, {"If-None-Match": pdf_etag}).status == 304


def test_not_found(base: str) -> None:
    for path in ("/en/publications/no-such-report/", "/en/publications//", "/publications/", "/en//insights/"):
        r = fetch(base + path)
        assert r.status == 404, path
        assert '<h1 class="header__title">Page not found</h1>' in r.text


def test_redirects_like_django(base: str) -> None:
    home = fetch(base + "/")
    assert (home.status, home.headers["location"]) == (302, base + "/en/")
    slashless = fetch(base + REPORT.rstrip("/") + "?utm_source=x")
    assert (slashless.status, slashless.headers["location"]) == (301, base + REPORT + "?utm_source=x")
    assert fetch(base + "/en/publications?page=2").headers["location"] == base + "/en/publications/?page=2"
    assert fetch(base + "/en/no-such-page").status == 404


def test_pages_count_from_one(base: str) -> None:
    first, second = fetch(base + "/en/publications/").body, fetch(base + "/en/publications/?page=2").body
    assert first != second
    assert fetch(base + "/en/publications/?page=1").body == first
    assert fetch(base + "/en/publications/?page=abc").body == first  # not a number: page 1
    assert fetch(base + "/en/publications/?page=99").body == second  # past the end: the last page
    assert fetch(base + "/en/publications/?page=0").body == second  # Django's get_page: below 1 is the last
    assert fetch(base + REPORT + "?page=2").body == fetch(base + REPORT).body


def test_absolute_urls_follow_the_host_header(base: str) -> None:
    port = urlsplit(base).port
    r = fetch(base + REPORT, {"Host": f"localhost:{port}"})
    expected = f"http://localhost:{port}{REPORT}"
    assert f'<meta property="og:url" content="{expected}">' in r.text
    assert 'href="/en/publications/"' in r.text  # links inside pages stay root-relative


def test_search_answers_any_query(base: str) -> None:
    found = fetch(base + "/en/search/?q=care+workers").text
    assert "result" in found
    assert "care" in found.lower()
    unusual = fetch(base + "/en/search/?q=remittances")
    assert unusual.status == 200
    assert "/en/insights/five-myths-about-migrant-remittances/" in unusual.text
    assert "0 results for “zzzz”" in fetch(base + "/en/search/?q=zzzz").text


# -- discovery: listings, programme page, sitemap, robots ---------------------------------------------


def _cards(html: str) -> list[tuple[str, str, str]]:
    """(href, type label, date text) of every card in a listing's results."""
    results = html[html.index('<ul class="listing__results">') :]
    results = results[: results.index("</ul>")]
    return re.findall(
        r'<p class="card__type">([^<]+)</p>\s*<h3 class="card__title"><a class="card__link" href="([^"]+)">.*?'
        r'<time class="card__date" datetime="[^"]+">([^<]+)</time>',
        results,
        flags=re.S,
    )


def test_listings_page_by_20_newest_first_with_labels_and_years(base: str, pubs: list[PublicationTruth]) -> None:
    by_path = {p.path: p for p in pubs}
    for listing in LISTINGS:
        url: str | None = base + listing
        pages = 0
        mine: list[str] = []
        while url:
            html = fetch(url).text
            pages += 1
            cards = _cards(html)
            for label, href, day in cards:
                pub = by_path[href]
                assert label == pub.type_label
                assert day.endswith(str(pub.published.year))
            assert len(cards) == 20 or "pagination__item--next" not in html
            mine += [href for _, href, _ in cards]
            nxt = re.search(
                r'<li class="pagination__item pagination__item--next"><a [^>]*href="([^"]+)" rel="next"', html
            )
            url = urljoin(url, html_lib.unescape(nxt.group(1))) if nxt else None
            assert pages < 10
        assert pages >= 2
        dates = [by_path[p].published for p in mine]
        assert dates == sorted(dates, reverse=True)
        assert all(p.startswith(listing) for p in mine)


def test_programme_page_is_the_real_one(base: str, pubs: list[PublicationTruth]) -> None:
    html = fetch(base + HMI).text
    text = visible_text(html)
    for phrase in (
        "People have always moved, and always will – human mobility is a fact of life.",
        "Hosted by ODI, in collaboration with the London School of Economics Institute of Global Affairs",
        "Africa-Europe Mayors' Dialogue",
        "Hearts and minds: how Europeans think and feel about immigration",
        "In the media",
        "What we do",
        "Sign up to our newsletter.",
        "Follow ODI",
    ):
        assert phrase in text, phrase
    items = re.findall(r'<li class="publication-list__item">(.*?)</li>', html, flags=re.S)
    got = []
    for item in items:
        title = html_lib.unescape(re.search(r">([^<]+)</a>", item).group(1))  # type: ignore[union-attr]
        label = re.search(r'publication-list__type">([^<]+)<', item)
        got.append((title, label.group(1) if label else None))
    assert got == SEED
    titles = {p.title for p in pubs}
    assert {t for t, _ in SEED} <= titles


def test_sitemap_has_no_listing_pages(base: str) -> None:
    root = ET.fromstring(fetch(base + "/sitemap.xml").body)
    entries = {
        url.findtext("sm:loc", namespaces=NS): url.findtext("sm:lastmod", namespaces=NS)
        for url in root.findall("sm:url", NS)
    }
    assert base + "/en/" in entries
    assert base + HMI in entries
    assert base + "/en/publications/" in entries
    assert not [loc for loc in entries if loc and "?" in loc]


def test_robots_txt(base: str) -> None:
    text = fetch(base + "/robots.txt").text
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    assert not robots.can_fetch("migdigest", base + "/en/search/?q=migration")
    for listing in LISTINGS:
        assert robots.can_fetch("migdigest", base + listing + "?page=2")


def test_research_outputs_have_pdfs(base: str, pubs: list[PublicationTruth]) -> None:
    from pypdf import PdfReader

    for pub in pubs:
        assert (pub.pdf_path is not None) == pub.path.startswith("/en/publications/")
        if not pub.pdf_path:
            continue
        assert re.fullmatch(r"/documents/\d+/[A-Za-z0-9_.-]+\.pdf", pub.pdf_path)
        assert 2 <= len(PdfReader(io.BytesIO(fetch(base + pub.pdf_path).body)).pages) <= 6
        page = fetch(base + pub.path).text
        assert f'<a class="button button--primary header__download" href="{pub.pdf_path}">Download PDF</a>' in page
        assert f'<meta name="citation_pdf_url" content="{base}{pub.pdf_path}">' in page


# -- ground truth ------------------------------------------------------------------------------------

LABELS = {
    "Research reports": "report",
    "Working papers": "working paper",
    "Briefing/policy papers": "policy brief",
    "Expert comment": "commentary",
    "Explainer": "article",
}


def test_publications_ground_truth_shape(pubs: list[PublicationTruth]) -> None:
    assert len(pubs) >= 44
    assert {p.type_label: p.doc_type for p in pubs} == LABELS
    for pub in pubs:
        section = "publications" if pub.doc_type in ("report", "working paper", "policy brief") else "insights"
        assert re.fullmatch(rf"/en/{section}/[a-z0-9-]+/", pub.path)
        assert 1 <= len(pub.authors) <= 3
        assert pub.language == "en"
    assert {p.published.year for p in pubs} == set(range(2017, 2024))


def test_publication_pages_are_wagtail_pages(base: str, pubs: list[PublicationTruth]) -> None:
    people = {p.name: p for p in load().people.values()}
    for pub in pubs:
        html = fetch(base + pub.path).text
        title = re.search(r"<title>(.*?)</title>", html)
        assert title
        assert html_lib.unescape(title.group(1)) == f"{pub.title} | ODI: Think change"
        assert f'<p class="header__label">{html_lib.escape(pub.type_label, quote=False)}</p>' in html
        assert f'<time class="header__date" datetime="{pub.published.isoformat()}">' in html
        body = html[html.index('<div class="w-block-rich_text block-rich_text">') :]
        body = body[: body.index("</article>")]
        assert pub.first_sentence in visible_text(body)
        assert pub.last_sentence in visible_text(body)
        header = html[html.index('<div class="header__meta">') : html.index('<div class="header__actions">')]
        names = [visible_text(m) for m in re.findall(r'<p class="header__author">(.*?)</p>', header, flags=re.S)]
        assert tuple(names) == pub.authors
        for name in pub.authors:
            # the author cards put the job title next to the name
            role = people[name].role
            assert re.search(
                rf">{re.escape(name)}</(a|span)>\s*<p class=\"author-card__job-title\">{re.escape(role)}", html
            )
            if not people[name].external:
                assert f'href="/en/about/our-people/{people[name].slug}/"' in html


def test_golden_expectations_agree_with_the_truth(pubs: list[PublicationTruth]) -> None:
    by_path = {p.path: p.record() for p in pubs}
    checked = 0
    for stem, path in SITES["odi"].golden_pages().items():
        expected_file = FIXTURES / f"{stem}.expected.json"
        if path not in by_path or not expected_file.exists():
            continue
        got, want = json.loads(expected_file.read_text(encoding="utf-8")), by_path[path]
        for key in ("title", "authors", "published", "doc_type", "summary", "first_sentence", "last_sentence"):
            assert got[key] == want[key], (stem, key)
        assert got["pdf_url"] == (f"https://odi.org{want['pdf_path']}" if want["pdf_path"] else None)
        checked += 1
    assert checked == 5


# -- the challenge site --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/en/",
        "/en/publications/",
        "/en/publications/?page=2",
        REPORT,
        INSIGHT,
        "/sitemap.xml",
        "/documents/11200/Unaccompanied_children_Balkan_route_WP.pdf",
        "/en/no-such-page/",
        "/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1",
    ],
)
def test_challenge_on_every_path_but_robots(challenge: str, path: str) -> None:
    from spiders.challenge import is_challenge

    r = fetch(challenge + path)
    assert r.status == (503 if "?" in path else 403)
    assert r.headers["server"] == "cloudflare"
    assert r.headers["cf-mitigated"] == "challenge"
    ray = re.fullmatch(r"([0-9a-f]{16})-LHR", r.headers["cf-ray"])
    assert ray
    assert f"Ray ID: <code>{ray.group(1)}</code>" in r.text
    assert f"cRay: '{ray.group(1)}'" in r.text
    assert r.headers["content-type"] == "text/html; charset=UTF-8"
    assert r.headers["cache-control"].startswith("private, max-age=0, no-store")
    assert "etag" not in r.headers
    assert "last-modified" not in r.headers
    for marker in CHALLENGE_MARKERS:
        assert marker in r.text, marker
    assert "odi.org needs to review the security of your connection before proceeding." in r.text
    assert is_challenge(r.status, r.headers, r.body)
    head = fetch(challenge + path, method="HEAD")
    assert (head.status, head.body, head.headers["cf-mitigated"]) == (r.status, b"", "challenge")


def test_challenge_ignores_validators_and_changes_ray(challenge: str) -> None:
    first = fetch(challenge + REPORT)
    again = fetch(challenge + REPORT, {"If-None-Match": "*", "If-Modified-Since": "Sat, 01 Jan 2050 00:00:00 GMT"})
    assert again.status == 403
    assert first.headers["cf-ray"] != again.headers["cf-ray"]


def test_challenge_site_serves_robots_txt(base: str, challenge: str) -> None:
    r = fetch(challenge + "/robots.txt")
    assert r.status == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["server"] == "cloudflare"
    assert "cf-mitigated" not in r.headers
    assert r.text == fetch(base + "/robots.txt").text.replace(base, challenge)
