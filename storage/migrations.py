"""Numbered schema migrations for the digest, applied in order and recorded in the `migrations` table.

Never edit a migration that has shipped: databases out there already ran it. Change the schema by adding a
function with the next number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from storage._sql import write_transaction

MigrationFn = Callable[[Database], None]


class SchemaError(RuntimeError):
    """The database's schema cannot be used by this version of the code."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: its number, its name and the function that applies it."""

    version: int
    name: str
    apply: MigrationFn


MIGRATIONS: list[Migration] = []


def migration(version: int) -> Callable[[MigrationFn], MigrationFn]:
    """Register the decorated function as migration number `version` (numbers strictly increase)."""

    def register(fn: MigrationFn) -> MigrationFn:
        if MIGRATIONS and version <= MIGRATIONS[-1].version:
            raise ValueError(f"migration {version} ({fn.__name__}) must come after {MIGRATIONS[-1].version}")
        MIGRATIONS.append(Migration(version, fn.__name__, fn))
        return fn

    return register


def _script(db: Database, sql: str) -> None:
    # Inside a transaction sqlite-utils runs the statements one by one instead of through
    # sqlite3.executescript(), which would COMMIT first and break the migration's atomicity.
    db.executescript(sql)


@migration(1)
def m0001_core(db: Database) -> None:
    """Sources, documents, authors, version history and crawl runs."""
    _script(
        db,
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            base_url TEXT NOT NULL DEFAULT '',
            homepage TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            canonical_url TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL,
            source TEXT NOT NULL REFERENCES sources(name),
            title TEXT NOT NULL DEFAULT '',
            -- Names from document_authors joined with ', ' in their order: what FTS indexes and what a
            -- Datasette table page shows. Written only by Digest.store(), together with document_authors.
            authors TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            published TEXT,
            modified TEXT,
            language TEXT,
            doc_type TEXT NOT NULL DEFAULT 'other',
            pdf_url TEXT,
            pdf_text TEXT NOT NULL DEFAULT '',
            pdf_pages INTEGER,
            word_count INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_changed TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'live',
            cluster_id INTEGER
        );
        CREATE INDEX documents_source ON documents(source);
        CREATE INDEX documents_published ON documents(published);
        CREATE INDEX documents_doc_type ON documents(doc_type);
        CREATE INDEX documents_cluster_id ON documents(cluster_id);

        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE document_authors (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (document_id, author_id)
        );
        CREATE INDEX document_authors_author_id ON document_authors(author_id);

        -- The previous content of a document each time its content_hash changed.
        CREATE TABLE document_versions (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            content_hash TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            seen_at TEXT NOT NULL,     -- the last time this version was seen
            replaced_at TEXT NOT NULL  -- when the crawl saw the content that replaced it
        );
        CREATE INDEX document_versions_document_id ON document_versions(document_id);

        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL REFERENCES sources(name),
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            pages_fetched INTEGER NOT NULL DEFAULT 0,
            not_modified INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            gone INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '{}',  -- JSON object: error kind -> count
            duration_s REAL,
            message TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX crawl_runs_source_started ON crawl_runs(source, started);
        """,
    )


@migration(2)
def m0002_search(db: Database) -> None:
    """FTS5 index over documents, kept in sync by triggers."""
    # External content (content=[documents]) keeps one copy of the text; the bracketed form is what
    # Datasette and sqlite-utils look for to find a table's FTS index on their own.
    # The update trigger lists its columns so that bumping last_seen on unchanged documents (most rows of a
    # nightly run) does not re-tokenise their bodies.
    _script(
        db,
        """
        CREATE VIRTUAL TABLE documents_fts USING fts5(
            title, summary, body, pdf_text, authors,
            content=[documents], content_rowid=id,
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER documents_fts_ai AFTER INSERT ON documents BEGIN
            INSERT INTO documents_fts(rowid, title, summary, body, pdf_text, authors)
            VALUES (new.id, new.title, new.summary, new.body, new.pdf_text, new.authors);
        END;
        CREATE TRIGGER documents_fts_ad AFTER DELETE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, summary, body, pdf_text, authors)
            VALUES ('delete', old.id, old.title, old.summary, old.body, old.pdf_text, old.authors);
        END;
        CREATE TRIGGER documents_fts_au AFTER UPDATE OF title, summary, body, pdf_text, authors ON documents
        BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, summary, body, pdf_text, authors)
            VALUES ('delete', old.id, old.title, old.summary, old.body, old.pdf_text, old.authors);
            INSERT INTO documents_fts(rowid, title, summary, body, pdf_text, authors)
            VALUES (new.id, new.title, new.summary, new.body, new.pdf_text, new.authors);
        END;
        -- Persistent ranking, so `ORDER BY rank` (ours and Datasette's) weighs a title match most:
        -- columns are title, summary, body, pdf_text, authors.
        INSERT INTO documents_fts(documents_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0, 1.0, 5.0)');
        INSERT INTO documents_fts(documents_fts) VALUES ('rebuild');
        """,
    )


@migration(3)
def m0003_taxonomy(db: Database) -> None:
    """Topics and regions from the config taxonomy, many-to-many with documents."""
    _script(
        db,
        """
        CREATE TABLE topics (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE document_topics (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            topic_id INTEGER NOT NULL REFERENCES topics(id),
            PRIMARY KEY (document_id, topic_id)
        );
        CREATE INDEX document_topics_topic_id ON document_topics(topic_id);
        CREATE TABLE regions (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE document_regions (
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            region_id INTEGER NOT NULL REFERENCES regions(id),
            PRIMARY KEY (document_id, region_id)
        );
        CREATE INDEX document_regions_region_id ON document_regions(region_id);
        """,
    )


@migration(4)
def m0004_browse_columns(db: Database) -> None:
    """Columns for browsing in Datasette: year (from published), topics and regions as JSON arrays."""
    # Datasette facets on plain columns: `year` is generated so it can never disagree with `published`;
    # topics and regions copy the names of the link tables (sorted, as Digest.document() lists them) so
    # that `_facet_array` works. Digest.store() writes them together with the links.
    # The indexes keep facet counts over the whole table off the (large) document rows.
    _script(
        db,
        """
        ALTER TABLE documents ADD COLUMN year INTEGER GENERATED ALWAYS AS (
            CASE WHEN published GLOB '[0-9][0-9][0-9][0-9]*' THEN CAST(substr(published, 1, 4) AS INTEGER) END
        ) VIRTUAL;
        ALTER TABLE documents ADD COLUMN topics TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE documents ADD COLUMN regions TEXT NOT NULL DEFAULT '[]';
        UPDATE documents SET topics = (
            SELECT json_group_array(name) FROM (
                SELECT t.name FROM document_topics AS l JOIN topics AS t ON t.id = l.topic_id
                WHERE l.document_id = documents.id ORDER BY t.name
            )
        ) WHERE id IN (SELECT document_id FROM document_topics);
        UPDATE documents SET regions = (
            SELECT json_group_array(name) FROM (
                SELECT r.name FROM document_regions AS l JOIN regions AS r ON r.id = l.region_id
                WHERE l.document_id = documents.id ORDER BY r.name
            )
        ) WHERE id IN (SELECT document_id FROM document_regions);
        CREATE INDEX documents_year ON documents(year);
        CREATE INDEX documents_language ON documents(language);
        CREATE INDEX documents_topics ON documents(topics);
        CREATE INDEX documents_regions ON documents(regions);
        """,
    )


@migration(5)
def m0005_incremental(db: Database) -> None:
    """What incremental crawls need: each page's validators and hints, and when a page went away."""
    _script(
        db,
        """
        ALTER TABLE documents ADD COLUMN fetch_state TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE documents ADD COLUMN gone_since TEXT;
        """,
    )


@migration(6)
def m0006_run_health(db: Database) -> None:
    """Per-run discovery counts for coverage, and every failed URL of a run, for operators and the next run."""
    _script(
        db,
        """
        ALTER TABLE crawl_runs ADD COLUMN discovered INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE crawl_runs ADD COLUMN live_documents INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE crawl_failures (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            kind TEXT NOT NULL,
            status INTEGER,
            message TEXT,
            at TEXT
        );
        CREATE INDEX crawl_failures_run_id ON crawl_failures(run_id);
        CREATE INDEX crawl_failures_url ON crawl_failures(url);
        """,
    )


@migration(7)
def m0007_search_id(db: Database) -> None:
    """documents.search_id: the id once more, with no index on it, for Datasette's search on big digests."""
    # Datasette filters a search as `<fts_pk> IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ...)`.
    # On `id` SQLite looks up every match and sorts them all to show the newest page: fine for a few thousand
    # matches, most of a second for a common word at 100k publications. On this unindexed twin it walks the
    # `published` index newest first, checks each id against the matches and stops after a page.
    # outputs/datasette_plugins picks the column per search. VIRTUAL: nothing stored, no table rewrite.
    _script(db, "ALTER TABLE documents ADD COLUMN search_id INTEGER GENERATED ALWAYS AS (id) VIRTUAL;")


@migration(8)
def m0008_alerts_sent(db: Database) -> None:
    """alerts_sent: which publication each team was alerted to, when and why, so that none is sent twice."""
    _script(
        db,
        """
        CREATE TABLE alerts_sent (
            team TEXT NOT NULL,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            sent_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            message_id TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (team, document_id)
        );
        CREATE INDEX alerts_sent_team_sent_at ON alerts_sent(team, sent_at);
        CREATE INDEX documents_first_seen ON documents(first_seen);
        """,
    )


@migration(9)
def m0009_browse_index(db: Database) -> None:
    """The search page's facet index: a covering index of the facet columns and a counter of their changes."""
    # storage/browse.py keeps every publication's facet values in memory to count facets exactly over any match
    # set. documents_browse lets it load them without reading the rows (published, language and doc_type sit
    # after the body, so a table scan reads the whole digest); browse_state.version tells it when to reload.
    _script(
        db,
        """
        CREATE INDEX documents_browse ON documents(published, source, doc_type, language, first_seen);
        CREATE TABLE browse_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
        INSERT INTO browse_state (id, version) VALUES (1, 0);
        CREATE TRIGGER documents_browse_ai AFTER INSERT ON documents BEGIN
            UPDATE browse_state SET version = version + 1 WHERE id = 1;
        END;
        CREATE TRIGGER documents_browse_ad AFTER DELETE ON documents BEGIN
            UPDATE browse_state SET version = version + 1 WHERE id = 1;
        END;
        CREATE TRIGGER documents_browse_au AFTER UPDATE OF
            source, doc_type, language, published, first_seen, authors, topics, regions
        ON documents BEGIN
            UPDATE browse_state SET version = version + 1 WHERE id = 1;
        END;
        """,
    )


@migration(10)
def m0010_identity_pdfs_revisits(db: Database) -> None:
    """Identity conflicts, the fetch state of each publication's PDF, and when a page without validators is due."""
    # pdf_status: '' (no PDF), 'ok', 'pending' (failed for now, fetched again on a later night), 'given_up'
    # (after the configured attempts) or 'gone' (the PDF answered 404/410); pdf_error: the last failure's kind.
    # documents(url): a confirmation finds a page by the URL it was fetched at when its identity is its canonical.
    # An http-only site's rows were keyed https:// (forced before): they go back to the scheme the site has.
    _script(
        db,
        """
        ALTER TABLE documents ADD COLUMN pdf_status TEXT NOT NULL DEFAULT '';
        ALTER TABLE documents ADD COLUMN pdf_attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE documents ADD COLUMN pdf_error TEXT NOT NULL DEFAULT '';
        UPDATE documents SET pdf_status = 'ok' WHERE pdf_url IS NOT NULL AND pdf_text != '';
        ALTER TABLE documents ADD COLUMN revisit_days INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE documents ADD COLUMN last_checked TEXT;
        CREATE INDEX documents_url ON documents(url);
        CREATE TABLE identity_conflicts (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            canonical_url TEXT NOT NULL,
            url TEXT NOT NULL,
            owner TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX identity_conflicts_source ON identity_conflicts(source);
        UPDATE documents SET canonical_url = 'http://' || substr(canonical_url, 9)
        WHERE canonical_url LIKE 'https://%'
          AND source IN (SELECT name FROM sources WHERE base_url LIKE 'http://%')
          AND NOT EXISTS (
              SELECT 1 FROM documents AS d WHERE d.canonical_url = 'http://' || substr(documents.canonical_url, 9)
          );
        """,
    )


@migration(11)
def m0011_run_skips(db: Database) -> None:
    """What a run skipped and why (index pages, other kinds of page, dead PDF links): counts and each URL."""
    _script(
        db,
        """
        ALTER TABLE crawl_runs ADD COLUMN skipped TEXT NOT NULL DEFAULT '{}';
        CREATE TABLE crawl_skips (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            reason TEXT NOT NULL
        );
        CREATE INDEX crawl_skips_run_id ON crawl_skips(run_id);
        """,
    )


@migration(12)
def m0012_run_owner(db: Database) -> None:
    """Who runs a crawl run (pid, host), so a run whose process died is found; work a killed night left undone."""
    _script(
        db,
        """
        ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;
        ALTER TABLE crawl_runs ADD COLUMN host TEXT;
        CREATE TABLE pending_work (
            task TEXT PRIMARY KEY,   -- e.g. 'dedupe': asked for by a store, done by the end of a night
            requested TEXT NOT NULL
        );
        """,
    )


@migration(13)
def m0013_ingested_runs(db: Database) -> None:
    """Runs the single writer took from the object store, so a run stored twice changes nothing (issue 21)."""
    _script(
        db,
        """
        CREATE TABLE ingested_runs (
            source TEXT NOT NULL,
            run_key TEXT NOT NULL,   -- the run's folder in the store: runs/<source>/<run_key>/
            ingested_at TEXT NOT NULL,
            counts TEXT NOT NULL,    -- JSON: new, changed, unchanged, gone
            PRIMARY KEY (source, run_key)
        );
        """,
    )


@migration(14)
def m0014_document_seen(db: Database) -> None:
    """When each publication was last confirmed unchanged, in a narrow table of its own."""
    # A quiet night confirms every page of a site. Moving last_seen in documents rewrote each whole record: SQLite
    # reads a row's body and PDF text back from its overflow pages to update any column, so the night cost grew
    # with the digest's bytes. Here a confirmation writes two small values; documents.last_seen keeps the time of
    # the last store(), and a publication was last seen at the later of the two (Digest.document() says which).
    # documents_not_live lists the few rows a confirmation must bring back to 'live'.
    _script(
        db,
        """
        CREATE TABLE document_seen (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            last_seen TEXT NOT NULL
        );
        CREATE INDEX documents_not_live ON documents(id) WHERE status != 'live' OR gone_since IS NOT NULL;
        """,
    )


def _ensure_table(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """
    )


def schema_version(db: Database) -> int:
    """Return the highest applied migration number (0 for a fresh database)."""
    if not db["migrations"].exists():
        return 0
    row = db.execute("SELECT max(version) FROM migrations").fetchone()
    return int(row[0] or 0)


def apply_migrations(
    db: Database, *, migrations: list[Migration] | None = None, target: int | None = None
) -> list[int]:
    """Apply pending migrations (up to `target` if given) in order; return the numbers applied."""
    steps = MIGRATIONS if migrations is None else migrations
    latest = steps[-1].version if steps else 0
    _ensure_table(db)
    current = schema_version(db)
    if current > latest:
        raise SchemaError(
            f"the digest is at schema version {current} but this code only knows up to {latest}: "
            "upgrade migdigest or open another file"
        )
    applied: list[int] = []
    for step in steps:
        if step.version <= current or (target is not None and step.version > target):
            continue
        with write_transaction(db) as conn:
            # Another process may have migrated while we waited for the write lock.
            if conn.execute("SELECT 1 FROM migrations WHERE version = ?", [step.version]).fetchone():
                continue
            step.apply(db)
            conn.execute(
                "INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [step.version, step.name, datetime.now(UTC).isoformat(timespec="seconds")],
            )
        applied.append(step.version)
    return applied


@migration(15)
def m0015_document_prints(db: Database) -> None:
    """Each publication's dedupe fingerprint (extract/dedupe.py), made beside the crawl and stored with its text."""
    # A table of its own, not a column: documents' rows are read whole by d.* everywhere (and would carry 1 KB of
    # bytes to JSON and Datasette), and a column after the body is reached through the body's overflow pages.
    _script(
        db,
        """
        CREATE TABLE document_prints (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            print BLOB NOT NULL
        );
        """,
    )
