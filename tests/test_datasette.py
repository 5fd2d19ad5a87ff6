"""The analyst's digest in a real Datasette: metadata, facets, canned queries, feeds, hostile input, escaping."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest
from sqlite_utils import Database

from migdigest.models import Publication, RunStats
from outputs.datasette import (
    DATABASE_NAME,
    METADATA,
    PLUGINS_DIR,
    SETTINGS,
    TEMPLATES_DIR,
    datasette_args,
    running_datasette,
)
from storage import Digest
from storage.migrations import apply_migrations

REAL = "https://www.migrationpolicy.org"
REGIONS = {"Europe", "Latin America & Caribbean"}  # MPI files regions among its topics
XSS = "<script>alert(1)</script>"
XSS_URL = "https://example.org/hostile-page"
SEEN = "2026-11-20T02:00:00+00:00"

# What users may type, and what attackers will: none of it may give a server error or a traceback.
HOSTILE = [
    '"',
    '""',
    '"unbalanced phrase',
    'refugee"s',
    "NEAR(asylum migrants, 5)",
    "NEAR(asylum",
    "title:asylum",
    "{title summary}: asylum",
    "- body : migrants",
    "^asylum",
    "asylum AND",
    "OR",
    "AND OR NOT",
    "NOT asylum",
    "* asylum",
    "asylum**",
    "(asylum OR",
    ")",
    "'; DROP TABLE documents; --",
    "1' OR '1'='1",
    '" OR 1=1 --',
    'x" UNION SELECT * FROM migrations --',
    "rank:1",
    "%_\\",
    XSS,
    "🙂 ∞",
    "remittances " * 900,
    "a" * 10_000,
]


def mpi_publications() -> list[Publication]:
    """The MPI mirror's publications as the pipeline would store them (full paragraphs, topics, regions)."""
    from mirrors.kit.markup import plain
    from mirrors.mpi.content import load

    pubs = []
    for p in load().publications:
        names = [t.name for t in p.topics]
        url = REAL + p.path
        pubs.append(
            Publication(
                source="mpi",
                url=url,
                canonical_url=url.replace("://www.", "://"),
                title=p.title,
                body="\n".join(plain(b.text) for b in p.body if b.kind == "p"),
                authors=[a.name for a in p.authors],
                published=p.published.isoformat(),
                modified=p.modified.isoformat(),
                summary=p.summary,
                language="en",
                doc_type=p.doc_type.key,
                pdf_url=REAL + p.pdf_path if p.pdf_path else None,
                topics=[n for n in names if n not in REGIONS],
                regions=[n for n in names if n in REGIONS],
            )
        )
    return pubs


def extra_publications(today: dt.date) -> list[Publication]:
    """A hostile page (markup in its text, a javascript: PDF link), a fresh one, and two near-duplicates."""
    return [
        Publication(
            source="odi",
            url=XSS_URL,
            canonical_url=XSS_URL,
            title=f"Hostile {XSS} title",
            body=f"First paragraph with {XSS} inside.\n<b>bold</b> &amp; <img src=x onerror=alert(2)>\nLast line.",
            summary="<i>summary</i>",
            authors=["<em>Mallory</em>"],
            published=(today - dt.timedelta(days=2)).isoformat(),
            language="en",
            doc_type="commentary",
            pdf_url="javascript:alert(3)",
            topics=["Refugees & Asylum"],
        ),
        *(
            Publication(
                source=source,
                url=f"https://{source}.example.org/sahel-dup",
                canonical_url=f"https://{source}.example.org/sahel-dup",
                title=f"Sahel smuggling routes ({source})",
                body="Smuggling routes across the Sahel shift with enforcement.\nA second paragraph.",
                published="2023-02-0" + str(n),
                language="fr" if n == 1 else "en",
                doc_type="report",
                regions=["Sahel"],
            )
            for n, source in enumerate(("mmc", "odi"), start=1)
        ),
    ]


def build_demo_digest(path: Path) -> Path:
    """A digest of the MPI mirror's publications plus the extras, two crawl runs and a duplicate cluster."""
    today = dt.date.today()
    with Digest(path) as db:
        db.upsert_source("mpi", "Migration Policy Institute", "https://www.migrationpolicy.org/")
        db.upsert_source("odi", "ODI", "https://odi.org/", homepage="javascript:alert(4)")
        run = db.start_run("mpi", "2026-11-19T02:00:00+00:00")
        db.finish_run(run, RunStats(source="mpi", started="2026-11-19T02:00:00+00:00", status="ok", new=47))
        run = db.start_run("mpi", SEEN)
        db.store(mpi_publications(), SEEN)
        db.finish_run(run, RunStats(source="mpi", started=SEEN, status="ok", pages_fetched=120, unchanged=47))
        run = db.start_run("odi", SEEN)
        db.store(extra_publications(today), SEEN)
        stats = RunStats(source="odi", started=SEEN, status="blocked", errors={"challenge": 3}, message="Cloudflare")
        db.finish_run(run, stats)
        db.set_clusters({"https://mmc.example.org/sahel-dup": 7, "https://odi.example.org/sahel-dup": 7})
    return path


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_digest(tmp_path_factory.mktemp("datasette") / "digest.db")


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    with running_datasette(demo_db) as base:
        yield base


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET, HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("content-type", ""), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read().decode("utf-8", "replace")


def get_json(url: str) -> Any:
    status, _, body = get(url)
    assert status == 200, (url, status, body[:500])
    return json.loads(body)


def query(server: str, name: str, **params: str) -> list[dict[str, Any]]:
    """Rows of a canned query as a list of objects."""
    qs = urllib.parse.urlencode({**params, "_shape": "array"})
    return list(get_json(f"{server}/{DATABASE_NAME}/{name}.json?{qs}"))


def known_report() -> Publication:
    return next(p for p in mpi_publications() if p.doc_type == "report" and p.pdf_url)


# --- schema and command line -------------------------------------------------------------------------------


def test_store_fills_browse_columns_and_migration_backfills_them(tmp_path: Path) -> None:
    old = Database(tmp_path / "old.db")
    apply_migrations(old, target=3)  # a digest from before the browse columns
    old.execute("INSERT INTO sources (name, title) VALUES ('mpi', 'MPI')")
    old.execute(
        "INSERT INTO documents (id, canonical_url, url, source, content_hash, first_seen, last_seen, last_changed,"
        " published) VALUES (1, 'u', 'u', 'mpi', 'h', 't', 't', 't', '2023-05-01')"
    )
    old.execute("INSERT INTO topics (id, name) VALUES (1, 'Zeta'), (2, 'Alpha')")
    old.execute("INSERT INTO document_topics VALUES (1, 1), (1, 2)")
    old.conn.commit()
    old.close()
    with Digest(tmp_path / "old.db") as db:
        doc = db._db.execute("SELECT year, topics, regions, search_id FROM documents").fetchone()
        assert doc == (2023, '["Alpha","Zeta"]', "[]", 1)
    with Digest(tmp_path / "new.db") as db:
        url = "https://e.org/1"
        pub = Publication("s", url, url, "T", "B", topics=["Zeta", "Alpha"], regions=["Sahel"], published="2021")
        db.store([pub], SEEN)
        assert db._db.execute("SELECT year, topics, regions FROM documents").fetchone() == (
            2021, '["Alpha", "Zeta"]', '["Sahel"]'
        )  # fmt: skip


def test_datasette_args_serve_the_digest_with_its_configuration(tmp_path: Path) -> None:
    args = datasette_args(tmp_path / "digest.db", "127.0.0.1", 8123)
    assert args[1:5] == ["-m", "datasette", "serve", str(tmp_path / "digest.db")]
    pairs = dict(zip(args[5::2], args[6::2], strict=False))
    assert pairs["--host"] == "127.0.0.1"
    assert pairs["--port"] == "8123"
    assert pairs["--metadata"] == str(METADATA)
    assert pairs["--template-dir"] == str(TEMPLATES_DIR)
    assert pairs["--plugins-dir"] == str(PLUGINS_DIR)
    settings = {args[i + 1]: args[i + 2] for i, a in enumerate(args) if a == "--setting"}
    assert settings == SETTINGS
    assert settings["suggest_facets"] == "off"
    with pytest.raises(ValueError, match=r"name the file digest\.db"):
        datasette_args(tmp_path / "other.db", "127.0.0.1", 8123)


# --- tables, facets, canned queries -------------------------------------------------------------------------


def test_internal_tables_are_hidden(server: str) -> None:
    tables = {t["name"]: t["hidden"] for t in get_json(f"{server}/{DATABASE_NAME}.json")["tables"]}
    for name in ("migrations", "browse_state", "document_topics", "document_regions", "documents_fts",
                 "documents_fts_data", "documents_fts_idx", "documents_fts_docsize",
                 "documents_fts_config", "document_prints"):  # fmt: skip
        assert tables[name] is True, name
    for name in ("documents", "authors", "sources", "crawl_runs", "topics", "regions", "document_versions"):
        assert tables[name] is False, name


def test_publications_newest_first_with_every_facet(server: str) -> None:
    data = get_json(f"{server}/{DATABASE_NAME}/documents.json?_shape=objects")
    published = [r["published"] for r in data["rows"]]
    assert published == sorted(published, reverse=True)
    assert data["rows"][0]["title"].startswith("Hostile")  # dated two days ago: the newest
    assert set(data["facet_results"]) == {"source", "doc_type", "language", "topics", "regions", "year"}
    counts = {f: {r["value"]: r["count"] for r in v["results"]} for f, v in data["facet_results"].items()}
    assert counts["source"] == {"mpi": 47, "odi": 2, "mmc": 1}
    assert counts["year"][2024] >= 1
    assert counts["language"]["fr"] == 1
    assert counts["regions"]["Sahel"] == 2
    assert counts["regions"]["Europe"] >= 1
    assert counts["topics"]["Remittances"] >= 3


def test_topic_filter_and_facet_go_through_the_link_tables(server: str) -> None:
    data = get_json(f"{server}/{DATABASE_NAME}/documents.json?_topic=Remittances&_facet_linked=topics")
    assert data["filtered_table_rows_count"] == data["facet_results"]["topics"]["results"][0]["count"]
    selected = [r for r in data["facet_results"]["topics"]["results"] if r["selected"]]
    assert [r["value"] for r in selected] == ["Remittances"]
    assert "_topic=" not in selected[0]["toggle_url"]
    assert data["human_description_en"].startswith('where topic is "Remittances"')
    both = get_json(f"{server}/{DATABASE_NAME}/documents.json?_region=Sahel&_search=smuggling&_shape=array")
    assert {r["source"] for r in both} == {"mmc", "odi"}
    # Datasette's own array facet works on the JSON columns too.
    data = get_json(f"{server}/{DATABASE_NAME}/documents.json?_facet_array=regions&regions__arraycontains=Sahel")
    assert data["filtered_table_rows_count"] == 2


def test_canned_queries(server: str) -> None:
    clusters = query(server, "duplicate_clusters")
    assert [(r["cluster_id"], r["size"]) for r in clusters] == [(7, 2), (7, 2)]
    health = {r["source"]: r for r in query(server, "source_health")}
    assert health["mpi"]["status"] == "ok"
    assert health["mpi"]["pages_fetched"] == 120
    assert health["mpi"]["live"] == 47
    assert health["odi"]["status"] == "blocked"
    assert json.loads(health["odi"]["errors"]) == {"challenge": 3}
    assert health["odi"]["live"] == 2
    assert health["mmc"]["run_id"] is None


def test_old_search_links_land_on_the_ranked_search_page(server: str) -> None:
    # The canned search query and the table page's search are gone; links to them rank on the search page.
    report = known_report()
    phrase = " ".join(report.body.split("\n")[-1].split()[:6])
    for old in ("search.json?" + urllib.parse.urlencode({"q": f'"{phrase}"'}),
                "documents.json?" + urllib.parse.urlencode({"_search": f'"{phrase}"'})):  # fmt: skip
        status, _, _ = get(f"{server}/{DATABASE_NAME}/{old}")
        assert status == 200
    rows = get_json(f"{server}/{DATABASE_NAME}/search.json?" + urllib.parse.urlencode({"q": f'"{phrase}"'}))["rows"]
    assert rows[0]["title"] == report.title
    ranked = get_json(f"{server}/{DATABASE_NAME}/search.json?q=smuggling&source=odi")
    assert ranked["order"] == "relevance"
    assert {r["publisher"] for r in ranked["rows"]} == {"ODI"}
    status, _, html = get(f"{server}/{DATABASE_NAME}/search?" + urllib.parse.urlencode({"q": "remittances"}))
    assert status == 200
    assert "<mark>" in html
    assert 'href="/digest/documents/' in html
    assert "/-/search.atom?q=remittances" in html


def test_documents_search_uses_the_digest_query_syntax(server: str) -> None:
    def urls(q: str) -> set[str]:
        qs = urllib.parse.urlencode({"_search": q, "_shape": "array", "_col": "url"})
        return {r["url"] for r in get_json(f"{server}/{DATABASE_NAME}/documents.json?{qs}")}

    remittances, sahel = urls("remittances"), urls("sahel")
    assert remittances
    assert sahel
    assert urls("remittances OR sahel") == remittances | sahel
    assert urls("remitt*") >= remittances
    twins = {"https://mmc.example.org/sahel-dup", "https://odi.example.org/sahel-dup"}
    assert urls('"smuggling routes across the Sahel"') == twins
    assert twins < sahel


# --- feeds -----------------------------------------------------------------------------------------------


def feed(server: str, path: str) -> Any:
    status, content_type, body = get(f"{server}/{DATABASE_NAME}/{path}")
    assert status == 200, (path, status, body[:300])
    assert "xml" in content_type, (path, status, body[:300])
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_atom_feed_of_latest_publications(server: str) -> None:
    parsed = feed(server, "latest_feed.atom")
    assert parsed.feed.title == "migdigest - latest publications"
    assert len(parsed.entries) == 50
    titles = {e.title for e in parsed.entries}
    assert f"Hostile {XSS} title" in titles  # as text: the XML escapes it, the reader unescapes it
    entry = next(e for e in parsed.entries if e.link == XSS_URL)
    assert entry.updated.startswith((dt.date.today() - dt.timedelta(days=2)).isoformat())
    assert "<i>summary</i>" in entry.content[0].value
    assert entry.content[0].type == "text/plain"


def test_atom_feed_of_a_search(server: str) -> None:
    parsed = feed(server, "search_feed.atom?" + urllib.parse.urlencode({"q": "remittances"}))  # the old address
    assert parsed.entries
    assert all(e.link.startswith(REAL) for e in parsed.entries)
    assert "remittance" in parsed.entries[0].summary.lower()
    assert not any(m in parsed.entries[0].summary for m in ("\ue000", "\ue001"))


# --- hostile input and escaping -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_search_text_never_breaks_a_page(server: str, text: str) -> None:
    quoted = urllib.parse.quote(text)
    for path in (f"documents?_search={quoted}", f"documents?_search_title={quoted}", f"search?q={quoted}"):
        status, _, html = get(f"{server}/{DATABASE_NAME}/{path}")
        assert status == 200, (path, status, html[:300])
        assert "Traceback" not in html, path
        assert XSS not in html, path
    status, _, body = get(f"{server}/{DATABASE_NAME}/documents.json?_search={quoted}")
    assert status == 200, (status, body[:300])
    assert json.loads(body) is not None
    status, _, body = get(f"{server}/{DATABASE_NAME}/search.json?q={quoted}")
    assert status in (200, 400), (status, body[:300])
    assert json.loads(body)["ok"] or json.loads(body)["error"]
    status, _, body = get(f"{server}/{DATABASE_NAME}/search_feed.atom?q={quoted}")
    assert status in (200, 400), (status, body[:300])


def test_raw_search_mode_gives_a_clear_error_not_a_server_error(server: str) -> None:
    status, _, body = get(f"{server}/{DATABASE_NAME}/documents.json?_searchmode=raw&_search=%22")
    assert status == 400
    assert json.loads(body)["error"]


def test_extracted_markup_shows_as_text_everywhere(server: str, demo_db: Path) -> None:
    with Digest(demo_db) as db:
        doc = db.document(XSS_URL)
    assert doc is not None
    pages = [
        f"/{DATABASE_NAME}/documents/{doc['id']}",
        "/",
        "/-/search?q=hostile",
        f"/{DATABASE_NAME}/documents?_layout=table",
        f"/{DATABASE_NAME}/search?q=hostile",
        f"/{DATABASE_NAME}/this_week",
    ]
    for path in pages:
        status, _, html = get(f"{server}{path}")
        assert status == 200, path
        assert "<script>alert(1)</script>" not in html, path
        assert "<img src=x" not in html, path
        assert "<em>Mallory</em>" not in html, path
        assert "<i>summary</i>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    status, _, html = get(f"{server}/{DATABASE_NAME}/documents/{doc['id']}")
    assert 'href="javascript:' not in html  # the crawled PDF link and the source's homepage are not links


def test_publication_page_is_readable(server: str, demo_db: Path) -> None:
    report = known_report()
    with Digest(demo_db) as db:
        doc = db.document(report.canonical_url)
    assert doc is not None
    status, _, html = get(f"{server}/{DATABASE_NAME}/documents/{doc['id']}")
    assert status == 200
    assert f"<h1>{report.title}</h1>" in html.replace("&#39;", "'").replace("&amp;", "&")
    assert "Migration Policy Institute" in html
    assert report.doc_type in html
    assert str(report.published) in html
    for name in report.authors:
        assert name in html
    for topic in report.topics:  # each topic links to the search page filtered by it
        assert 'href="/?' + urllib.parse.urlencode({"topic": topic}) + '"' in html
    assert f'class="original" href="{report.url}"' in html
    assert f'class="pdf" href="{report.pdf_url}"' in html
    paragraphs = report.body.split("\n")
    body = html.split('<div class="body">')[1].split("</div>")[0]
    assert body.count("<p>") + body.count('<h2 class="section">') == len(paragraphs)
    _, _, twin = get(f"{server}/{DATABASE_NAME}/documents/49")
    assert "Near-duplicates" in twin
    assert "Sahel smuggling routes (odi)" in twin


# --- the plugin's helpers ----------------------------------------------------------------------------------


def test_plugin_helpers() -> None:
    from outputs.datasette_plugins.migdigest_datasette import (
        HIT_END,
        HIT_START,
        NO_MATCH,
        fts_query,
        highlight,
        web_link,
    )
    from outputs.publication_text import atom_time

    assert fts_query('asylum "safe third" OR refuge*') == '"asylum" AND ("safe third" OR "refuge" *)'
    assert fts_query('"') == fts_query("") == fts_query(None) == NO_MATCH
    assert highlight(f"<b>{HIT_START}x{HIT_END} & {HIT_START}y") == "&lt;b&gt;<mark>x</mark> &amp; <mark>y</mark>"
    assert atom_time(None, "", "2024-05") == "1970-01-01T00:00:00+00:00"  # no day: not a time
    assert atom_time("2024-05-31", "x") == "2024-05-31T00:00:00+00:00"
    assert atom_time("junk", "2026-11-20T02:00:00Z") == "2026-11-20T02:00:00+00:00"
    assert web_link(" https://e.org/a.pdf ") == "https://e.org/a.pdf"
    assert web_link("javascript:alert(1)") is None
    assert web_link("JaVaScRiPt:x") is None
    assert web_link(None) is None


# --- big searches --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_limit_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo digest served with big_search = 3, so that a common word counts as a big search."""
    metadata = tmp_path_factory.mktemp("metadata") / "datasette.yaml"
    text = METADATA.read_text(encoding="utf-8")
    assert "big_search: 5000" in text
    metadata.write_text(text.replace("big_search: 5000", "big_search: 3"), encoding="utf-8")
    with running_datasette(demo_db, metadata=metadata) as base:
        yield base


def test_big_search_skips_count_and_facets_but_keeps_newest_first(server: str, small_limit_server: str) -> None:
    qs = urllib.parse.urlencode({"_search": "migration", "_size": "5"})
    full = get_json(f"{server}/{DATABASE_NAME}/documents.json?{qs}")
    big = get_json(f"{small_limit_server}/{DATABASE_NAME}/documents.json?{qs}")
    assert full["filtered_table_rows_count"] > 3
    assert full["facet_results"]
    assert big["filtered_table_rows_count"] is None
    assert big["facet_results"] == {}
    assert big["rows"] == full["rows"]  # the same page, newest first
    page2 = get_json(big["next_url"])
    assert page2["rows"] == get_json(full["next_url"])["rows"]

    # Links of a big search carry its parameters; a narrower search through them is decided afresh.
    narrower = urllib.parse.urlencode({"_search": "smuggling sahel", "_migdigest": "big", "_fts_pk": "search_id",
                                       "_nocount": "1", "_nofacet": "1"})  # fmt: skip
    small = get_json(f"{small_limit_server}/{DATABASE_NAME}/documents.json?{narrower}")
    assert small["filtered_table_rows_count"] == 2
    assert small["facet_results"]


def test_publication_page_says_when_it_was_last_confirmed(tmp_path: Path) -> None:
    """A quiet night's confirmation (document_seen, migration 14) is the page's "Last checked", not the store's."""
    with Digest(tmp_path / "digest.db") as db:
        url = "https://e.org/confirmed"
        db.store([Publication("mpi", url, url, "Confirmed report", "Body")], SEEN)
        db.touch([url], "2026-12-03T02:00:00+00:00")
        doc_id = db._db.execute("SELECT id FROM documents").fetchone()[0]
    with running_datasette(tmp_path / "digest.db") as base:
        status, _, html = get(f"{base}/{DATABASE_NAME}/documents/{doc_id}")
    assert status == 200
    checked = html.split(">Last checked</th>")[1].split("</tr>")[0]
    assert "2026-12-03T02:00:00+00:00" in checked
    assert SEEN in html.split(">First seen</th>")[1].split("</tr>")[0]
