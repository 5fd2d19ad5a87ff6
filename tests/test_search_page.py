"""The analyst's search page in a real Datasette, and storage.browse under it: exact facets, filters, paging,
bounded ranking, messages, exports and feeds, the publication page's extras."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from migdigest.models import Publication
from outputs.datasette import running_datasette
from outputs.publication_text import EXPORT_COLUMNS, bibtex, csl_json, outline, ris
from storage import Digest
from storage.browse import LANGUAGES, BrowseError, BrowseQuery, browse
from tests.test_datasette import HOSTILE, SEEN, XSS, build_demo_digest, get, get_json, known_report

MARKERS = ("\ue000", "\ue001")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_digest(tmp_path_factory.mktemp("search-page") / "digest.db")


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with running_datasette(demo_db) as base:
        yield base


def page_json(server: str, **params: str | list[str]) -> Any:
    return get_json(f"{server}/-/search.json?" + urllib.parse.urlencode(params, doseq=True))


def everything(demo_db: Path) -> list[dict[str, Any]]:
    with Digest(demo_db) as db:
        return db.documents()


def matching(demo_db: Path, q: str) -> set[int]:
    with Digest(demo_db) as db:
        return db.matching_ids(q, (d["id"] for d in db.documents()))


def expected_facets(docs: list[dict[str, Any]], titles: dict[str, str]) -> dict[str, Counter[str]]:
    """Facet counts computed the slow, obvious way from the stored documents."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("Publisher", "Type", "Topic", "Region", "Year",
                                                              "Language", "Author")}  # fmt: skip
    for d in docs:
        counts["Publisher"][titles.get(d["source"], d["source"])] += 1
        counts["Type"][d["doc_type"]] += 1
        counts["Topic"].update(d["topics"])
        counts["Region"].update(d["regions"])
        if d["published"]:
            counts["Year"][d["published"][:4]] += 1
        if d["language"]:
            counts["Language"][LANGUAGES.get(d["language"], d["language"])] += 1
        counts["Author"].update(d["authors"])
    return counts


def facet_counts(data: Any) -> dict[str, Counter[str]]:
    return {name: Counter({v["label"]: v["count"] for v in values}) for name, values in data["facets"].items()}


# --- the page ----------------------------------------------------------------------------------------------


def test_home_page_opens_on_the_search_box_and_the_latest_publications(server: str, demo_db: Path) -> None:
    status, _, html = get(server + "/")
    assert status == 200
    assert '<input type="search" id="q" name="q"' in html
    assert "autofocus" in html
    for label in ("Publisher", "Type", "Topic", "Region", "Year", "Language", "Author"):
        assert f"<h2>{label}</h2>" in html
    for internal in ("doc_type</", "regions (linked)", "search_id", "content_hash", "documents_fts", "CREATE TABLE"):
        assert internal not in html
    data = page_json(server)
    assert data["total"] == len(everything(demo_db))
    published = [r["published"] for r in data["rows"]]
    assert published == sorted(published, reverse=True)  # newest first without a query
    assert data["order"] == "newest"


def test_ranked_results_with_snippets_and_exact_facets(server: str, demo_db: Path) -> None:
    data = page_json(server, q="remittances", size="50")
    ids = matching(demo_db, "remittances")
    assert data["total"] == len(ids) >= 3
    assert data["order"] == "relevance"
    assert data["ranking"] == "all"
    assert "Remittances" in data["rows"][0]["title"]  # title matches weigh most
    assert all("remittance" in r["snippet"].lower() for r in data["rows"])
    docs = [d for d in everything(demo_db) if d["id"] in ids]
    with Digest(demo_db) as db:
        titles = db.source_titles()
    expected = expected_facets(docs, titles)
    got = facet_counts(data)
    for name, counts in expected.items():
        top = dict(counts.most_common(12)) if name != "Year" else dict(counts)
        assert {k: got[name][k] for k in top} == top, name
    years = [v["value"] for v in data["facets"]["Year"]]
    assert years == sorted(years, reverse=True)  # date order, not by count
    _, _, html = get(f"{server}/-/search?q=remittances")
    assert "<mark>" in html
    assert 'class="snippet"' in html
    assert 'href="/digest/documents/' in html


def test_facet_links_add_and_remove_filters_and_facets_stay_disjunctive(server: str, demo_db: Path) -> None:
    data = page_json(server, q="migration", publisher="mpi")
    assert data["total"] == len([d for d in everything(demo_db) if d["source"] == "mpi" and d["id"] in
                                 matching(demo_db, "migration")])  # fmt: skip
    publishers = {v["value"]: v for v in data["facets"]["Publisher"]}
    assert publishers["mpi"]["selected"]
    # The publisher facet leaves its own filter out, so other publishers can still be added.
    assert publishers["mpi"]["count"] == data["total"]
    both = page_json(server, q="sahel", publisher=["mmc", "odi"])
    with Digest(demo_db) as db:
        titles = db.source_titles()
    assert {r["publisher"] for r in both["rows"]} == {titles["mmc"], titles["odi"]}  # OR within a facet
    narrowed = page_json(server, q="sahel", publisher=["mmc", "odi"], language="fr")
    assert narrowed["total"] == 1  # AND across facets
    _, _, html = get(f"{server}/-/search?q=sahel")
    link = html.split('id="facet-region"')[1].split('href="')[1].split('"')[0]
    assert "region=Sahel" in link
    _, _, html = get(server + link.replace("&amp;", "&"))
    assert 'aria-current="true"' in html
    removal = html.split('aria-current="true"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "region=" not in removal
    assert "q=sahel" in removal


def test_date_range_new_since_and_empty_results_that_explain(server: str, demo_db: Path) -> None:
    docs = everything(demo_db)
    in_range = [d for d in docs if d["published"] and "2015-01-01" <= d["published"][:10] <= "2019-12-31"]
    data = page_json(server, since="2015-01-01", until="2019-12-31", size="200")
    assert data["total"] == len(in_range) > 0
    assert all("2015-01-01" <= r["published"][:10] <= "2019-12-31" for r in data["rows"])
    assert page_json(server, added=SEEN[:10])["total"] == len(docs)
    newest = max(d["published"][:10] for d in docs if d["published"])
    status, _, html = get(f"{server}/-/search?q=remittances&publisher=odi&added=2026-11-21")
    assert status == 200
    assert "No publications match" in html
    empty = html.split('class="empty"')[1].split("</div>")[0]
    assert "Search: remittances" in empty
    assert "Publisher: ODI" in empty
    assert "New since 2026-11-21" in empty
    assert newest in empty
    assert empty.count('class="remove"') == 3


def test_paging_reaches_every_result_once(server: str) -> None:
    first = page_json(server, q="migration", size="7")
    seen: list[str] = []
    url: str | None = f"{server}/-/search.json?q=migration&size=7"
    while url:
        data = get_json(url)
        seen += [r["url"] for r in data["rows"]]
        url = data["next_url"] and server + data["next_url"]
    assert len(seen) == len(set(seen)) == first["total"] > 7
    both = page_json(server, q="migration", size="7", sort="newest", page=str(first["pages"]))
    assert 0 < len(both["rows"]) <= 7


def test_common_word_ranking_is_bounded_to_title_matches(demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    full = browse(conn, BrowseQuery(q="migration", size=100))
    bounded = browse(conn, BrowseQuery(q="migration", size=100), rank_all=5)
    assert full.ranking == "all"
    assert bounded.ranking == "title"
    assert bounded.total == full.total
    assert {h.id for h in bounded.hits} == {h.id for h in full.hits}
    titled = [h for h in bounded.hits[: bounded.ranked]]
    assert titled
    assert all("migra" in h.title.lower() for h in titled)
    rest = [h.published or "" for h in bounded.hits[bounded.ranked :]]
    assert rest == sorted(rest, reverse=True)  # the others newest first
    assert bounded.ranked < bounded.total
    conn.close()


def test_facet_index_follows_the_digest(tmp_path: Path) -> None:
    path = build_demo_digest(tmp_path / "digest.db")
    conn = sqlite3.connect(path)
    before = browse(conn, BrowseQuery(filters={"topic": ["Unheard Topic"]}))
    assert before.total == 0
    url = "https://example.org/new"
    with Digest(path) as db:
        db.store([Publication("mmc", url, url, "A new one", "Text.", topics=["Unheard Topic"], published="2026-01-02")],
                 SEEN)  # fmt: skip
    after = browse(conn, BrowseQuery(filters={"topic": ["Unheard Topic"]}))
    assert after.total == 1
    assert [v.count for v in after.facets["topic"] if v.value == "Unheard Topic"] == [1]
    conn.close()


# --- messages -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_queries_give_results_or_a_message(server: str, text: str) -> None:
    quoted = urllib.parse.quote(text)
    status, _, html = get(f"{server}/-/search?q={quoted}")
    assert status == 200, html[:300]
    assert "Traceback" not in html
    assert XSS not in html
    assert ('class="hit"' in html) or ("search-error" in html) or ("No publications match" in html)
    status, _, body = get(f"{server}/-/search.json?q={quoted}")
    assert status in (200, 400), body[:300]
    data = json.loads(body)
    assert data["ok"] or data["error"]
    status, _, body = get(f"{server}/-/search.atom?q={quoted}")
    assert status in (200, 400)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": '"unclosed'}, "quotation mark is not closed"),
        ({"q": "NEAR(asylum migrants, 5)"}, "NOT and NEAR are searched as words"),
        ({"q": "title:asylum"}, "Column filters"),
        ({"q": "asylum AND"}, "need a term on each side"),
        ({"q": '""'}, "Nothing to search for"),
        ({"since": "2024-02-30"}, "From: &#39;2024-02-30&#39; is not a date; write it as YYYY-MM-DD"),
        ({"since": "2024-05-01", "until": "2024-01-01"}, "swap them"),
        ({"page": "x"}, "page must be a whole number"),
        ({"sort": "best"}, "sort must be relevance or newest"),
    ],
)
def test_bad_requests_say_what_is_wrong_and_how_to_write_it(server: str, params: dict[str, str], message: str) -> None:
    status, _, html = get(f"{server}/-/search?" + urllib.parse.urlencode(params))
    assert status == 200
    assert message in html


def test_bad_json_request_is_a_400_with_the_message(server: str) -> None:
    status, _, body = get(f"{server}/-/search.json?until=yesterday")
    assert status == 400
    assert "YYYY-MM-DD" in json.loads(body)["error"]


# --- exports and feeds --------------------------------------------------------------------------------------


def test_json_and_csv_have_no_markers_and_no_internal_columns(server: str) -> None:
    data = page_json(server, q="remittances")
    assert data["rows"]
    assert all(set(r) == set(EXPORT_COLUMNS) for r in data["rows"])
    assert not any(m in json.dumps(data, ensure_ascii=False) for m in MARKERS)
    status, content_type, text = get(f"{server}/-/search.csv?q=remittances")
    assert status == 200
    assert content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [r["title"] for r in rows] == [r["title"] for r in data["rows"]]
    assert not any(m in text for m in MARKERS)
    assert "remittance" in rows[0]["snippet"].lower()


@pytest.mark.parametrize("params", [{"q": "remittances"}, {"publisher": "mpi", "type": "report"}, {"region": "Sahel"}])
def test_every_filtered_view_has_a_valid_atom_feed(server: str, params: dict[str, str]) -> None:
    qs = urllib.parse.urlencode(params)
    _, _, html = get(f"{server}/-/search?{qs}")
    assert f'type="application/atom+xml" title="Atom feed of this view" href="/-/search.atom?{qs}"' in html.replace(
        "&amp;", "&"
    )
    status, content_type, body = get(f"{server}/-/search.atom?{qs}")
    assert status == 200
    assert content_type.startswith("application/atom+xml")
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.author == "migdigest"
    terms = {t["term"] for t in parsed.feed.tags}
    assert set(params.values()) - {"mpi"} <= terms
    assert parsed.entries
    # RFC 4287: the feed and each entry carry id, title and updated; ids are unique; the feed has an author.
    root = ET.fromstring(body)
    for required in ("id", "title", "updated", "author"):
        assert root.find(ATOM + required) is not None, required
    entries = root.findall(ATOM + "entry")
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert (entry.findtext(ATOM + required) or "").strip(), required
    assert len({e.findtext(ATOM + "id") for e in entries}) == len(entries)
    assert not any(m in body for m in MARKERS)


# --- the publication page -----------------------------------------------------------------------------------


def test_publication_page_related_authors_and_citations(server: str, demo_db: Path) -> None:
    report = known_report()
    with Digest(demo_db) as db:
        doc = db.document(report.canonical_url)
        twin = db.document("https://odi.example.org/sahel-dup")
    assert doc is not None
    assert twin is not None
    _, _, html = get(f"{server}/digest/documents/{doc['id']}")
    assert "<h2>Related publications</h2>" in html
    assert "<h2>More from these authors</h2>" in html
    assert 'href="/-/search?' + urllib.parse.urlencode({"author": report.authors[0]}) + '"' in html
    for label in ("BibTeX", "RIS", "CSL-JSON"):
        assert f"Copy {label}" in html
    assert "@techreport{" in html
    assert "TY  - RPRT" in html
    _, _, html = get(f"{server}/digest/documents/{twin['id']}")
    related = html.split('<ul class="related">')[1].split("</ul>")[0]
    assert related.split("<li")[1].startswith(' class="near-duplicate"')  # the cluster comes first
    assert "Sahel smuggling routes (mmc)" in related


def test_outline_and_citation_formats() -> None:
    body = "Introduction\n" + "A first paragraph that is long enough to be a paragraph of a report, surely. " * 2
    body += "\nShort line.\n" + "Another paragraph " * 10
    assert [b.kind for b in outline(body)] == ["heading", "paragraph", "paragraph", "paragraph"]
    pub = {"id": 1, "title": "Safe {third} countries & 100% more", "authors": ["Ana María López", "UNHCR"],
           "publisher": "Migration Policy Institute", "published": "2024-05-31", "doc_type": "report",
           "url": "https://e.org/r?a=1&b=2", "language": "en"}  # fmt: skip
    bib = bibtex(pub)
    assert bib.startswith("@techreport{lopez2024safe,")
    assert r"Safe \{third\} countries \& 100\% more" in bib
    assert "author = {López, Ana María and {UNHCR}}" in bib
    lines = ris(pub).splitlines()
    assert lines[0] == "TY  - RPRT"
    assert "AU  - López, Ana María" in lines
    assert "DA  - 2024/05/31" in lines
    assert lines[-1] == "ER  - "
    item = json.loads(csl_json(pub))[0]
    assert item["type"] == "report"
    assert item["author"] == [{"family": "López", "given": "Ana María"}, {"literal": "UNHCR"}]
    assert item["issued"] == {"date-parts": [[2024, 5, 31]]}


def test_browse_refuses_what_it_cannot_run(demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    for query, message in (
        (BrowseQuery(page=0), "page must be 1 or more"),
        (BrowseQuery(size=1000), "size must be between"),
        (BrowseQuery(until="2024-13-01"), "To: '2024-13-01' is not a date"),
        (BrowseQuery(q="!!!"), "Nothing to search for"),
    ):
        with pytest.raises(BrowseError, match=message):
            browse(conn, query)
    conn.close()


# --- only analyst pages, only analyst words -----------------------------------------------------------------

# Column and table names of the digest's bookkeeping, and Datasette's SQL wording: none may reach an analyst.
INTERNAL = ("content_hash", "canonical_url", "cluster_id", "fetch_state", "gone_since", "pdf_status", "pdf_attempts",
            "pdf_error", "revisit_days", "last_checked", "first_seen", "last_seen", "last_changed", "word_count",
            "pdf_text", "doc_type", "search_id", "browse_state", "documents_fts", "document_topics",
            "document_regions", "crawl_runs", "crawl_failures", "document_versions", "migrations", "_search",
            "regions (linked)", "CREATE TABLE", "Custom SQL", "Run SQL", "rows-and-columns")  # fmt: skip
_HREF = re.compile(r'href="(/[^"]*)"')


def fetch_page(url: str) -> tuple[int, str, str]:
    """Status, final URL (after redirects) and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.geturl(), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode("utf-8", "replace")


def test_every_page_an_analyst_reaches_from_home_shows_only_analyst_words(server: str) -> None:
    # Follow every same-site link from the home page (the search page's facets, pages, publications, their
    # related publications, authors and topics), a few of each kind, and read each page's HTML.
    queue, seen, kinds = ["/", "/?q=remittances", "/?q=sahel"], set(), Counter[str]()
    pages: dict[str, str] = {}
    while queue and len(pages) < 60:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        kind = path.split("?")[0].rstrip("0123456789")
        if kinds[kind] >= 20:
            continue
        kinds[kind] += 1
        status, final, html = fetch_page(server + path)
        if path.endswith((".json", ".csv", ".atom")) or "." in path.split("?")[0].rsplit("/", 1)[-1]:
            continue
        assert status == 200, (path, status, html[:300])
        pages[final.removeprefix(server)] = html
        queue += [h.replace("&amp;", "&") for h in _HREF.findall(html)]
    assert any(p.startswith("/digest/documents/") for p in pages)  # publication pages were read
    assert sum(p.startswith(("/?", "/-/search?")) for p in pages) >= 10
    for path, html in pages.items():
        assert not [word for word in INTERNAL if word in html], path
    for path, html in pages.items():
        assert not re.search(
            r'href="/digest(/(documents|search|latest|this_week|by_topic|by_region))?/?(\?|")', html
        ), path  # no link to the database page, the table page or the old queries
    publication = next(html for p, html in pages.items() if p.startswith("/digest/documents/"))
    for label in ("Address in the digest", "Fetched from", "First seen", "Last checked", "Online"):
        assert f">{label}</th>" in publication


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/digest/documents", "/"),
        ("/digest/documents?_search=remittances&source=mpi&_sort_desc=published",
         "/-/search?q=remittances&publisher=mpi"),
        ("/digest/documents?doc_type__exact=report&_topic=Remittances&_region=Sahel&_layout=table",
         "/-/search?type=report&topic=Remittances&region=Sahel"),
        ("/digest/search?q=remittances&source=odi&doc_type=", "/-/search?q=remittances&publisher=odi"),
        ("/digest/search.json?q=remittances", "/-/search.json?q=remittances"),
        ("/digest/search_feed.atom?q=remittances", "/-/search.atom?q=remittances"),
        ("/digest/latest", "/-/search?sort=newest"),
        ("/digest/by_topic?topic=Remittances", "/-/search?topic=Remittances"),
        ("/digest/by_region?region=", "/"),
    ],
)  # fmt: skip
def test_old_pages_and_queries_lead_to_the_search_page(server: str, old: str, new: str) -> None:
    status, final, _ = fetch_page(server + old)
    assert status == 200
    assert final == server + new


def test_this_week_is_the_last_seven_days_on_the_search_page(server: str, demo_db: Path) -> None:
    status, final, html = fetch_page(server + "/digest/this_week")
    assert status == 200
    since = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    assert final == f"{server}/-/search?since={since}&sort=newest"
    assert "Hostile" in html  # published two days ago
    assert f"From {since}" in html  # the filter is shown, and removable


def test_table_api_stays_for_power_users_and_the_overview_names_no_raw_tables(server: str) -> None:
    data = get_json(f"{server}/digest/documents.json?_search=remittances&_shape=objects&_col=content_hash")
    assert data["rows"]
    assert all("content_hash" in r for r in data["rows"])
    status, _, html = get(f"{server}/digest")
    assert status == 200
    for title in ("Crawl runs", "Crawl failures", "Earlier versions", "Sources", "Source health"):
        assert title in html
    body = html.split("<h1>", 1)[1]
    for name in ("crawl_runs<", "document_versions<", "browse_state", "documents_fts", "content_hash"):
        assert name not in body


def test_read_connections_map_the_index_and_keep_a_bigger_page_cache(demo_db: Path) -> None:
    # Searches walk doclists spread over the file: memory-mapped reads and a 64 MB page cache (bench/README.md).
    with Digest(demo_db) as db:
        writer = (db._db.execute("PRAGMA mmap_size").fetchone()[0], db._db.execute("PRAGMA cache_size").fetchone()[0])
    reader = Digest.open_read(demo_db)
    try:
        read = (
            reader._db.execute("PRAGMA mmap_size").fetchone()[0],
            reader._db.execute("PRAGMA cache_size").fetchone()[0],
        )
    finally:
        reader.close()
    for mmap_size, cache_size in (writer, read):
        assert mmap_size >= demo_db.stat().st_size
        assert cache_size == -65536


@pytest.mark.parametrize(
    "param", ["q", "publisher", "type", "topic", "region", "year", "language", "author", "since", "until", "added",
              "sort", "page", "size"],
)  # fmt: skip
def test_hostile_values_in_any_parameter_never_break_the_page(server: str, param: str) -> None:
    raw = ["%ED%A0%80", "%00", "%FF%FE", "9" * 40, "-1", "0", "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
           "%27%3B%20DROP%20TABLE%20documents%3B--", "a" * 3000]  # fmt: skip
    for value in raw:
        for suffix in ("", ".json", ".csv", ".atom"):
            url = f"{server}/-/search{suffix}?{param}={value}&{param}=x&q=remittances"
            status, content_type, body = get(url)
            assert status in (200, 400), (url[:200], status, body[:300])
            assert "Traceback" not in body
            if "html" in content_type or "xml" in content_type:  # markup only as text (JSON, CSV: data)
                assert XSS not in body
