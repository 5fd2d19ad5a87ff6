"""Tests of the digest (storage/): migrations, upserts, history, authors, runs and full-text search."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from migdigest.models import Publication, RunStats
from storage import Digest, QueryError, SchemaError, SearchHit, build_match
from storage.migrations import MIGRATIONS, Migration, apply_migrations, schema_version


def pub(n: int | str = 1, **fields: object) -> Publication:
    """A publication with distinct, searchable defaults; keyword arguments override fields."""
    values: dict[str, object] = {
        "source": "mmc",
        "url": f"https://example.org/p/{n}?utm=x",
        "canonical_url": f"https://example.org/p/{n}",
        "title": f"Publication number {n}",
        "body": f"Body text of publication {n}.",
    }
    values.update(fields)
    return Publication(**values)  # type: ignore[arg-type]


@pytest.fixture
def db() -> Iterator[Digest]:
    digest = Digest(":memory:")
    yield digest
    digest.close()


@pytest.fixture
def corpus(db: Digest) -> Digest:
    """A small digest over three sources and several types, for search tests."""
    db.store(
        [
            pub(
                "libya",
                title="Mixed migration through Libya",
                summary="Routes across the Sahara.",
                body="Smugglers move refugees and migrants on the central Mediterranean route.",
                authors=["Jane Doe", "Bram Frouws"],
                doc_type="report",
                published="2023-06-01",
            ),
            pub(
                "urban",
                source="mpi",
                title="Cities and newcomers",
                body="Municipal services for migrants arriving in urban areas; the migrant experience.",
                authors=["Ana López"],
                doc_type="policy brief",
                published="2024-02-15",
            ),
            pub(
                "pdf",
                source="odi",
                title="Climate and human mobility",
                body="Short landing page.",
                pdf_text="Annex: displacement in the Sahel after repeated droughts.",
                authors=["Helen Dempster"],
                doc_type="working paper",
                published="2022-11-30",
            ),
            pub(
                "mention",
                title="Annual review",
                body="One paragraph mentions Libya once, among many other countries and topics of the year.",
                doc_type="report",
                published="2024-09-01",
            ),
        ],
        "2024-10-01T00:00:00+00:00",
    )
    return db


def urls(hits: list[SearchHit]) -> list[str]:
    return [hit.canonical_url.rsplit("/", 1)[-1] for hit in hits]


# --- migrations and connection settings ---------------------------------------------------------------


def test_migrations_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "digest.db"
    latest = MIGRATIONS[-1].version
    with Digest(path) as first:
        assert first.migrations_applied == [m.version for m in MIGRATIONS]
        assert first.schema_version == latest
    with Digest(path) as again:
        assert again.migrations_applied == []
        assert again.schema_version == latest
    conn = sqlite3.connect(path)
    try:
        recorded = conn.execute("SELECT version, name FROM migrations ORDER BY version").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    finally:
        conn.close()
    assert recorded == [(m.version, m.name) for m in MIGRATIONS]
    expected = {"sources", "documents", "authors", "document_authors", "document_versions", "crawl_runs"}
    expected |= {"documents_fts", "topics", "document_topics", "regions", "document_regions", "migrations"}
    assert expected <= tables


def test_pending_migrations_applied_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    assert apply_migrations(old, target=1) == [1]
    old.close()
    with Digest(path) as digest:
        assert digest.migrations_applied == [m.version for m in MIGRATIONS if m.version > 1]
        digest.store([pub()], "2024-01-01")
        assert urls(digest.search("publication")) == ["1"]


def test_new_migration_applies_and_failed_one_rolls_back() -> None:
    db = Database(memory=True)
    apply_migrations(db)

    def m0099_add_column(d: Database) -> None:
        d.execute("ALTER TABLE sources ADD COLUMN feed TEXT")

    def m0100_broken(d: Database) -> None:
        d.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    steps = [*MIGRATIONS, Migration(99, "m0099_add_column", m0099_add_column)]
    assert apply_migrations(db, migrations=steps) == [99]
    assert "feed" in db["sources"].columns_dict
    with pytest.raises(RuntimeError, match="boom"):
        apply_migrations(db, migrations=[*steps, Migration(100, "m0100_broken", m0100_broken)])
    assert schema_version(db) == 99
    assert not db["half_done"].exists()
    db.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Digest(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO migrations VALUES (9999, 'from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="9999"):
        Digest(path)


def test_file_db_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "digest.db"  # parent folders are created
    with Digest(path) as digest:
        assert digest._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert digest._db.journal_mode == "wal"
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_two_connections_share_a_file(tmp_path: Path) -> None:
    path = tmp_path / "digest.db"
    with Digest(path) as writer, Digest(path) as reader:
        writer.store([pub(1)], "2024-01-01")
        assert reader.counts()["documents"] == 1
        assert urls(reader.search("publication")) == ["1"]


# --- store: new, changed, unchanged ------------------------------------------------------------------


def test_store_counts_new_unchanged_changed_and_keeps_history(db: Digest) -> None:
    assert db.store([pub(1), pub(2)], "2024-01-01") == {"new": 2, "changed": 0, "unchanged": 0}
    assert db.store([pub(1), pub(2)], "2024-01-02") == {"new": 0, "changed": 0, "unchanged": 2}
    edited = pub(2, title="Publication number 2, revised", body="A new body.")
    assert db.store([pub(1), edited, pub(3)], "2024-01-03") == {"new": 1, "changed": 1, "unchanged": 1}

    one, two = db.document("https://example.org/p/1"), db.document("https://example.org/p/2")
    assert one is not None
    assert two is not None
    assert (one["first_seen"], one["last_seen"], one["last_changed"]) == (
        "2024-01-01",
        "2024-01-03",
        "2024-01-01",
    )
    assert (two["first_seen"], two["last_seen"], two["last_changed"]) == (
        "2024-01-01",
        "2024-01-03",
        "2024-01-03",
    )
    assert two["title"] == "Publication number 2, revised"
    assert two["body"] == "A new body."
    assert db.versions("https://example.org/p/2") == [
        {
            "content_hash": db._db.execute("SELECT content_hash FROM document_versions").fetchone()[0],
            "title": "Publication number 2",
            "body": "Body text of publication 2.",
            "seen_at": "2024-01-02",
            "replaced_at": "2024-01-03",
        }
    ]
    assert db.versions("https://example.org/p/1") == []
    assert db.counts()["documents"] == 3


def test_given_content_hash_decides_change(db: Digest) -> None:
    db.store([pub(1, content_hash="h1")], "2024-01-01")
    # The pipeline's hash is trusted: same hash, different text is "unchanged" and the text is not rewritten.
    assert db.store([pub(1, content_hash="h1", body="other")], "2024-01-02")["unchanged"] == 1
    assert db.store([pub(1, content_hash="h2", body="other")], "2024-01-03")["changed"] == 1
    doc = db.document("https://example.org/p/1")
    assert doc is not None
    assert doc["content_hash"] == "h2"
    assert doc["body"] == "other"


def test_duplicate_urls_in_one_call_last_wins(db: Digest) -> None:
    counts = db.store([pub(1, title="first"), pub(1, title="second")], "2024-01-01")
    assert counts == {"new": 1, "changed": 0, "unchanged": 0}
    doc = db.document("https://example.org/p/1")
    assert doc is not None
    assert doc["title"] == "second"


def test_all_fields_round_trip(db: Digest) -> None:
    full = pub(
        1,
        summary="A summary.",
        published="2024-03-01",
        modified="2024-03-05",
        language="en",
        doc_type="report",
        pdf_url="https://example.org/p/1.pdf",
        pdf_text="PDF words.",
        pdf_pages=12,
        word_count=345,
        topics=["Climate", "Smuggling"],
        regions=["Sahel"],
    )
    db.store([full], "2024-03-06")
    doc = db.document(full.canonical_url)
    assert doc is not None
    for name in (
        "url",
        "source",
        "title",
        "summary",
        "body",
        "published",
        "modified",
        "language",
        "doc_type",
    ):
        assert doc[name] == getattr(full, name), name
    for name in ("pdf_url", "pdf_text", "pdf_pages", "word_count"):
        assert doc[name] == getattr(full, name), name
    assert doc["topics"] == ["Climate", "Smuggling"]
    assert doc["regions"] == ["Sahel"]
    assert doc["status"] == "live"
    assert doc["cluster_id"] is None
    assert len(doc["content_hash"]) == 64
    assert db.document("https://example.org/missing") is None


def test_store_is_all_or_nothing(db: Digest) -> None:
    with pytest.raises(ValueError, match="canonical_url"):
        db.store([pub(1), pub(2, canonical_url="")], "2024-01-01")
    bad = pub(3, pdf_pages={"not": "an int"})  # cannot be bound: fails mid-transaction
    with pytest.raises(sqlite3.Error):
        db.store([pub(1), bad], "2024-01-01")
    assert db.counts()["documents"] == 0
    assert db.counts()["authors"] == 0
    assert db.store([pub(1)], "2024-01-01")["new"] == 1


def test_unknown_source_gets_a_placeholder_then_upsert_source_fills_it(db: Digest) -> None:
    db.store([pub(1, source="iom")], "2024-01-01")
    assert db._db.execute("SELECT name, title FROM sources").fetchall() == [("iom", "iom")]
    db.upsert_source("iom", "International Organization for Migration", "https://www.iom.int/")
    db.upsert_source("iom", "IOM", "https://www.iom.int/", homepage="https://www.iom.int/news")
    assert list(db._db.query("SELECT * FROM sources")) == [
        {
            "name": "iom",
            "title": "IOM",
            "base_url": "https://www.iom.int/",
            "homepage": "https://www.iom.int/news",
        }
    ]
    assert db.counts()["sources"] == 1


# --- authors, topics, regions ------------------------------------------------------------------------


def test_authors_many_to_many_in_order_without_duplicates(db: Digest) -> None:
    db.store(
        [
            pub(1, authors=["Zoe Zed", "Adam  Ant", "Zoe Zed"]),  # repeated and oddly spaced names
            pub(2, authors=["Adam Ant", "Mia Moe"]),
            pub(3),
        ],
        "2024-01-01",
    )
    assert db.counts()["authors"] == 3
    docs = {d["canonical_url"][-1]: d for d in db.documents()}
    assert docs["1"]["authors"] == ["Zoe Zed", "Adam Ant"]
    assert docs["2"]["authors"] == ["Adam Ant", "Mia Moe"]
    assert docs["3"]["authors"] == []
    # A changed document's authors are replaced; a name nobody uses any more is dropped.
    db.store([pub(1, body="edited", authors=["Adam Ant", "Lea Lo"])], "2024-01-02")
    doc = db.document("https://example.org/p/1")
    assert doc is not None
    assert doc["authors"] == ["Adam Ant", "Lea Lo"]
    names = [r[0] for r in db._db.execute("SELECT name FROM authors ORDER BY name")]
    assert names == ["Adam Ant", "Lea Lo", "Mia Moe"]


def test_topics_and_regions(db: Digest) -> None:
    db.store([pub(1, topics=["Smuggling", "Climate"], regions=["Sahel"]), pub(2, topics=["Climate"])], "t1")
    docs = db.documents()
    assert [d["topics"] for d in docs] == [["Climate", "Smuggling"], ["Climate"]]
    assert [d["regions"] for d in docs] == [["Sahel"], []]
    assert db._db.execute("SELECT count(*) FROM topics").fetchone()[0] == 2


def test_documents_filtered_by_source(db: Digest) -> None:
    db.store([pub(1, authors=["A"]), pub(2, source="odi", authors=["B"]), pub(3, source="odi")], "t1")
    assert [d["canonical_url"][-1] for d in db.documents("odi")] == ["2", "3"]
    assert [d["authors"] for d in db.documents("odi")] == [["B"], []]
    assert len(db.documents()) == 3
    assert db.documents("nobody") == []


def test_mark_gone_and_come_back(db: Digest) -> None:
    db.store([pub(1), pub(2)], "t1")
    assert db.mark_gone(["https://example.org/p/1", "https://example.org/p/missing"]) == 1
    assert db.mark_gone(["https://example.org/p/1"]) == 0
    doc = db.document("https://example.org/p/1")
    assert doc is not None
    assert doc["status"] == "gone"
    db.store([pub(1)], "t2")
    doc = db.document("https://example.org/p/1")
    assert doc is not None
    assert doc["status"] == "live"


def test_set_clusters(db: Digest) -> None:
    db.store([pub(1), pub(2)], "t1")
    assert db.set_clusters({"https://example.org/p/1": 7, "https://example.org/p/2": 7}) == 2
    assert {d["cluster_id"] for d in db.documents()} == {7}
    db.set_clusters({"https://example.org/p/2": None})
    assert [d["cluster_id"] for d in db.documents()] == [7, None]


# --- crawl runs --------------------------------------------------------------------------------------


def test_runs_recorded(db: Digest) -> None:
    first = db.start_run("mmc", "2024-05-01T02:00:00+00:00")
    second = db.start_run("odi", "2024-05-01T02:05:00+00:00")
    assert db.last_runs()[0]["status"] == "running"
    stats = RunStats(
        source="mmc",
        started="2024-05-01T02:00:00+00:00",
        finished="2024-05-01T02:01:30+00:00",
        status="ok",
        pages_fetched=40,
        not_modified=3,
        new=30,
        changed=2,
        unchanged=5,
        gone=1,
        errors={"timeout": 2, "http_500": 1},
        message="fine",
    )
    db.finish_run(first, stats)
    db.finish_run(second, RunStats(source="odi", started="x", status="blocked", message="Cloudflare challenge"))
    runs = db.last_runs()
    assert [r["id"] for r in runs] == [second, first]
    done = runs[1]
    assert done["errors"] == {"http_500": 1, "timeout": 2}
    assert done["duration_s"] == 90.0  # computed from started and finished when not given
    expected = {"pages_fetched": 40, "not_modified": 3, "new": 30, "changed": 2, "unchanged": 5, "gone": 1}
    assert {k: done[k] for k in expected} == expected
    assert (done["status"], done["message"], done["finished"]) == ("ok", "fine", "2024-05-01T02:01:30+00:00")
    assert runs[0]["status"] == "blocked"
    assert runs[0]["finished"]
    assert db.last_runs(limit=1)[0]["id"] == second
    assert db.counts() == {"documents": 0, "authors": 0, "sources": 2, "runs": 2}
    with pytest.raises(KeyError):
        db.finish_run(12345, stats)


# --- search ------------------------------------------------------------------------------------------


def test_search_finds_title_summary_body_author_and_pdf_words(corpus: Digest) -> None:
    assert urls(corpus.search("Libya"))[0] == "libya"  # title
    assert urls(corpus.search("Sahara")) == ["libya"]  # summary
    assert urls(corpus.search("Mediterranean")) == ["libya"]  # body
    assert urls(corpus.search("Frouws")) == ["libya"]  # author
    assert urls(corpus.search("lopez")) == ["urban"]  # author, accents folded
    assert urls(corpus.search("droughts Sahel")) == ["pdf"]  # PDF text
    hit = corpus.search("Mediterranean")[0]
    assert hit == SearchHit(
        canonical_url="https://example.org/p/libya",
        url="https://example.org/p/libya?utm=x",
        title="Mixed migration through Libya",
        source="mmc",
        doc_type="report",
        published="2023-06-01",
        snippet=hit.snippet,
        rank=hit.rank,
    )
    assert "[Mediterranean]" in hit.snippet
    assert isinstance(hit.rank, float)


def test_search_stems_and_ranks(corpus: Digest) -> None:
    assert set(urls(corpus.search("migrant"))) == {"libya", "urban"}
    assert set(urls(corpus.search("MIGRANTS"))) == {"libya", "urban"}
    assert "libya" in urls(corpus.search("migrating"))  # porter: migrating ~ migration
    assert urls(corpus.search("smuggler")) == ["libya"]
    hits = corpus.search("Libya")
    assert urls(hits) == ["libya", "mention"]  # the title match ranks above a passing mention
    assert hits[0].rank < hits[1].rank


def test_search_syntax_phrases_prefix_or(corpus: Digest) -> None:
    assert urls(corpus.search('"central Mediterranean route"')) == ["libya"]
    assert corpus.search('"route Mediterranean central"') == []
    assert urls(corpus.search("Medit*")) == ["libya"]
    assert corpus.search("Medit") == []
    assert set(urls(corpus.search("Sahara OR droughts"))) == {"libya", "pdf"}
    assert urls(corpus.search("Libya AND Sahara")) == ["libya"]
    assert corpus.search("Libya Sahel") == []  # all words must match
    assert set(urls(corpus.search("migrants cities OR Sahara"))) == {"libya", "urban"}
    assert len(corpus.search("Libya", limit=1)) == 1


def test_build_match_quotes_everything() -> None:
    assert build_match("refugees") == '"refugees"'
    assert build_match('asylum "human rights" traffick*') == '"asylum" AND "human rights" AND "traffick" *'
    assert build_match("a OR b c") == '("a" OR "b") AND "c"'
    assert build_match("OR a AND OR") == '"a"'
    assert build_match("title:foo NEAR(x y)") == '"title foo" AND "NEAR x" AND "y"'
    assert build_match("cross-border") == '"cross border"'
    assert build_match(" ".join(f"w{i}" for i in range(500))).count('"') == 2 * 64
    with pytest.raises(QueryError, match="Nothing to search for"):
        build_match(" * ^ -- ")


def test_search_snippet_marks_matches(corpus: Digest) -> None:
    (hit,) = corpus.search("municipal services")
    assert "[Municipal] [services]" in hit.snippet
    (title_only,) = corpus.search("newcomers")
    assert "[newcomers]" in title_only.snippet


def test_search_filters(corpus: Digest) -> None:
    assert set(urls(corpus.search("migrants", source="mpi"))) == {"urban"}
    assert corpus.search("migrants", source="odi") == []
    assert urls(corpus.search("Libya", doc_type="report")) == ["libya", "mention"]
    assert corpus.search("Libya", doc_type="policy brief") == []
    assert urls(corpus.search("Libya", since="2024-01-01")) == ["mention"]
    assert urls(corpus.search("Libya", since="2024")) == ["mention"]
    assert set(urls(corpus.search("migrants", since="2023-06-01"))) == {"libya", "urban"}
    assert urls(corpus.search("Libya", source="mmc", doc_type="report", since="2023-01-01")) == [
        "libya",
        "mention",
    ]
    with pytest.raises(QueryError, match="since"):
        corpus.search("Libya", since="last week")
    with pytest.raises(QueryError, match="limit"):
        corpus.search("Libya", limit=0)


def test_search_index_follows_changes(corpus: Digest) -> None:
    url = "https://example.org/p/libya"
    rewritten = pub(
        "libya",
        title="Mixed migration through Niger",
        body="Agadez is a hub on the road north.",
        authors=["Someone Else"],
        doc_type="report",
    )
    assert corpus.store([rewritten], "2024-11-01")["changed"] == 1
    assert corpus.search("Mediterranean") == []
    assert corpus.search("Frouws") == []
    assert urls(corpus.search("Agadez")) == ["libya"]
    assert urls(corpus.search("Someone")) == ["libya"]
    assert urls(corpus.search("Libya")) == ["mention"]
    assert corpus.store([rewritten], "2024-11-02")["unchanged"] == 1
    assert urls(corpus.search("Agadez")) == ["libya"]
    assert corpus.document(url) is not None
    assert corpus.integrity_check() == []


HOSTILE = [
    '"unbalanced',
    'unbalanced"',
    '"',
    '""',
    '"" ""',
    "NEAR",
    "NEAR(migrants refugees, 2)",
    "migrants NEAR refugees",
    "AND",
    "OR",
    "NOT",
    "AND OR NOT",
    "migrants NOT",
    "NOT migrants",
    "migrants OR",
    "OR OR OR migrants",
    "title:foo",
    "title:",
    "{title body}: x",
    "- title : migrants",
    "body:migrants OR summary:refugees",
    "*",
    "**",
    "migr**",
    "*migr",
    "^",
    "^migrants",
    "(",
    ")",
    "((migrants)",
    "migrants)",
    "+",
    "'; DROP TABLE documents; --",
    "1; SELECT * FROM sqlite_master",
    "\x00",
    "a\x00b",
    "\ud800",
    "😀 🇪🇺",
    "Ḿigrants",
    "x" * 10_000,
    "migrants " * 2_000,
    " OR ".join(["migrants"] * 1_000),
    '"' * 10_001,
    "   ",
    "",
    "\t\n",
    "__ __",
    "%",
    "_",
    "[migrants]",
]


@pytest.mark.parametrize("query", HOSTILE, ids=[repr(q)[:40] for q in HOSTILE])
def test_hostile_queries_never_raise_sqlite_errors(corpus: Digest, query: str) -> None:
    try:
        hits = corpus.search(query)
    except QueryError as exc:
        error = str(exc)
        assert error  # a message for the user, never an empty one
    else:
        assert isinstance(hits, list)
    assert corpus.counts()["documents"] == 4


def test_hostile_filters(corpus: Digest) -> None:
    assert corpus.search("Libya", source="'; DROP TABLE documents; --") == []
    with pytest.raises(QueryError):
        corpus.search("Libya", doc_type="\ud800x")  # a lone surrogate cannot be encoded for SQLite
    with pytest.raises(QueryError):
        corpus.search("Libya", since="2024' OR 1=1 --")
    assert corpus.counts()["documents"] == 4


def test_random_garbage_queries(corpus: Digest) -> None:
    alphabet = "aZé9 \"*^:(){}[]-+_.,;'\\/%\x00\u200bORANDNOTNEAR\t"
    rnd = random.Random(20241123)
    for _ in range(500):
        query = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        with contextlib.suppress(QueryError):
            assert isinstance(corpus.search(query), list)


# --- scale and integrity -----------------------------------------------------------------------------


def test_thousand_documents_in_one_transaction(db: Digest) -> None:
    words = ["asylum", "border", "camp", "detention", "deportation", "integration", "labour"]
    words += ["mobility", "refugee", "remittance"]
    rnd = random.Random(1)
    pubs = [
        pub(
            i,
            source=f"s{i % 3}",
            body=" ".join(rnd.choice(words) for _ in range(300)) + f" marker{i}",
            authors=[f"Author {i % 50}", f"Author {(i + 1) % 50}"],
            topics=[words[i % 10]],
            published=f"20{10 + i % 15}-01-01",
        )
        for i in range(1000)
    ]
    statements: list[str] = []
    db._db.conn.set_trace_callback(statements.append)
    assert db.store(pubs, "t1") == {"new": 1000, "changed": 0, "unchanged": 0}
    db._db.conn.set_trace_callback(None)
    assert [s for s in statements if s.split()[0].upper() in ("BEGIN", "COMMIT")] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert db.counts() == {"documents": 1000, "authors": 50, "sources": 3, "runs": 0}
    assert urls(db.search("marker777")) == ["777"]
    assert db.store(pubs, "t2") == {"new": 0, "changed": 0, "unchanged": 1000}
    assert db.integrity_check() == []


def test_integrity_check_after_everything(tmp_path: Path) -> None:
    with Digest(tmp_path / "d.db") as digest:
        digest.store([pub(i, authors=["A", f"B{i}"], topics=["T"]) for i in range(20)], "t1")
        digest.store([pub(i, body="changed", authors=["A"]) for i in range(0, 20, 2)], "t2")
        digest.mark_gone(["https://example.org/p/3"])
        digest.finish_run(digest.start_run("mmc", "t3"), RunStats(source="mmc", started="t3"))
        assert digest.integrity_check() == []
        assert digest._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_run_records_who_runs_it_and_can_be_closed_as_interrupted(db: Digest) -> None:
    run_id = db.start_run("mpi", "2026-12-01T03:00:00+00:00", pid=4242, host="night-host")
    assert db.running_runs() == [
        {"id": run_id, "source": "mpi", "started": "2026-12-01T03:00:00+00:00", "pid": 4242, "host": "night-host"}
    ]
    assert db.interrupt_run(run_id, "its process is gone")
    assert not db.interrupt_run(run_id, "again")  # only a running run is interrupted
    assert db.running_runs() == []
    (run,) = db.last_runs()
    assert (run["status"], run["message"]) == ("interrupted", "its process is gone")
    assert run["finished"]


def test_pending_work_stays_until_done(db: Digest) -> None:
    assert db.pending_work() == set()
    db.request_work("dedupe")
    db.request_work("dedupe")
    assert db.pending_work() == {"dedupe"}
    began = db.work_began()
    db.request_work("dedupe")  # asked again while the work ran (another night's store): kept
    db.work_done("dedupe", began)
    assert db.pending_work() == {"dedupe"}
    db.work_done("dedupe", db.work_began())
    assert db.pending_work() == set()


# --- confirmations (migration 14) ----------------------------------------------------------------------------


def _document_rows(db: Digest) -> list[tuple[object, ...]]:
    return db._db.execute("SELECT * FROM documents ORDER BY id").fetchall()


def test_a_confirmation_writes_document_seen_not_the_publications_row(db: Digest) -> None:
    db.store([pub(1), pub(2, body="long body " * 2_000)], "2026-12-01")
    rows = _document_rows(db)
    assert db.touch(["https://example.org/p/1", "https://example.org/p/2"], "2026-12-02") == 2
    assert _document_rows(db) == rows  # the records (bodies and all) are not rewritten
    assert db._db.execute("SELECT document_id, last_seen FROM document_seen ORDER BY 1").fetchall() == [
        (1, "2026-12-02"),
        (2, "2026-12-02"),
    ]
    assert db.touch(["https://example.org/p/1"], "2026-12-03") == 1  # one row per document, moved on
    assert [d["last_seen"] for d in db.documents()] == ["2026-12-03", "2026-12-02"]
    doc = db.document("https://example.org/p/2")
    assert doc is not None
    assert (doc["first_seen"], doc["last_seen"], doc["last_changed"]) == ("2026-12-01", "2026-12-02", "2026-12-01")
    # A later store() (a full fetch, unchanged) is the later time; an earlier confirmation does not hide it.
    db.store([pub(1)], "2026-12-04")
    assert [d["last_seen"] for d in db.documents()] == ["2026-12-04", "2026-12-02"]


def test_a_confirmation_brings_a_gone_document_back_and_touches_only_the_confirmed(db: Digest) -> None:
    db.store([pub(1), pub(2), pub(3)], "2026-12-01")
    assert db.mark_gone(["https://example.org/p/1", "https://example.org/p/2"]) == 2
    # Found by the page URL it was fetched at, as before.
    assert db.touch(["https://example.org/p/other"], "2026-12-02", page_urls=["https://example.org/p/1?utm=x"]) == 1
    by_url = {d["canonical_url"]: d for d in db.documents()}
    assert (by_url["https://example.org/p/1"]["status"], by_url["https://example.org/p/1"]["gone_since"]) == (
        "live",
        None,
    )
    assert by_url["https://example.org/p/1"]["last_seen"] == "2026-12-02"
    assert by_url["https://example.org/p/2"]["status"] == "gone"  # not confirmed: still gone
    assert by_url["https://example.org/p/3"]["last_seen"] == "2026-12-01"
    assert db.touch(["https://example.org/p/2"], "2026-12-03", source="mpi") == 0  # another source's run
    assert db.document("https://example.org/p/2")["status"] == "gone"  # type: ignore[index]


def test_an_earlier_version_keeps_the_time_it_was_last_confirmed(db: Digest) -> None:
    db.store([pub(1, body="first text")], "2026-12-01")
    db.touch(["https://example.org/p/1"], "2026-12-05")
    db.store([pub(1, body="second text")], "2026-12-06")
    [old] = db.versions("https://example.org/p/1")
    assert (old["body"], old["seen_at"], old["replaced_at"]) == ("first text", "2026-12-05", "2026-12-06")


def test_deleting_a_document_deletes_its_confirmation(db: Digest) -> None:
    db.store([pub(1)], "2026-12-01")
    db.touch(["https://example.org/p/1"], "2026-12-02")
    with db._db.conn:
        db._db.execute("DELETE FROM documents")
    assert db._db.execute("SELECT count(*) FROM document_seen").fetchone()[0] == 0
