"""The digest: one SQLite file of publications, crawl runs and their full-text index."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from sqlite_utils import Database

from migdigest.models import Publication, RunStats
from storage._sql import chunks, placeholders, write_transaction
from storage.migrations import MIGRATIONS, apply_migrations, schema_version
from storage.search import Filters, SearchHit, count_matches, run_search

# Columns taken from a Publication, in the order the INSERT and UPDATE statements below bind them.
_CONTENT_COLUMNS = (
    "url",
    "source",
    "title",
    "authors",
    "summary",
    "body",
    "published",
    "modified",
    "language",
    "doc_type",
    "pdf_url",
    "pdf_text",
    "pdf_pages",
    "word_count",
    "content_hash",
    # JSON arrays of the names in document_topics / document_regions (migration 4), for Datasette's facets.
    "topics",
    "regions",
)
_INSERT_DOCUMENT = (
    f"INSERT INTO documents (canonical_url, {', '.join(_CONTENT_COLUMNS)},"
    f" first_seen, last_seen, last_changed) VALUES ({placeholders(len(_CONTENT_COLUMNS) + 4)})"
)
_UPDATE_DOCUMENT = (
    f"UPDATE documents SET {', '.join(f'{c} = ?' for c in _CONTENT_COLUMNS)},"
    " last_seen = ?, last_changed = ?, status = 'live' WHERE id = ?"
)
# When a document was last seen: by store() (documents.last_seen) or by a confirmation (document_seen), the later.
_LAST_SEEN = "max(d.last_seen, coalesce(s.last_seen, d.last_seen))"
# Many-to-many name lists: (names table, link table, link column, keeps order?).
_NAME_LINKS = (
    ("authors", "document_authors", "author_id", True),
    ("topics", "document_topics", "topic_id", False),
    ("regions", "document_regions", "region_id", False),
)
_AUTHOR_SEPARATOR = ", "
_BUSY_TIMEOUT_MS = 30_000  # a second writer (another source's flow) waits this long for a store() to finish
# Reading the full-text index: a search walks the doclists of its words, spread over a few hundred MB at 100,000
# publications. Memory-mapped reads (SQLite clamps this to its build's limit, 2 GB here) spare a read() and a
# copy per page, and a 64 MB page cache keeps the pages of recent searches (SQLite's default is 2 MB). Measured
# side by side on the 100,000-publication bench digest: phrase searches ~25% faster (bench/README.md).
READ_PRAGMAS = ("PRAGMA mmap_size = 2147483648", "PRAGMA cache_size = -65536")


def _names(values: Iterable[str]) -> list[str]:
    """Whitespace-normalised, non-empty, first occurrence kept, order kept."""
    seen: dict[str, None] = {}
    for value in values:
        name = " ".join((value or "").split())
        if name:
            seen.setdefault(name, None)
    return list(seen)


def content_hash(pub: Publication) -> str:
    """Hash of what a reader sees (title, summary, body, PDF text, authors), for pipelines that give none."""
    parts = (pub.title, pub.summary, pub.body, pub.pdf_text, "\n".join(_names(pub.authors)))
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()


def _content_row(pub: Publication) -> list[Any]:
    """The _CONTENT_COLUMNS values of a publication, with NOT NULL text columns defaulted."""
    return [
        pub.url or pub.canonical_url,
        pub.source,
        pub.title or "",
        _AUTHOR_SEPARATOR.join(_names(pub.authors)),
        pub.summary or "",
        pub.body or "",
        pub.published,
        pub.modified,
        pub.language,
        pub.doc_type or "other",
        pub.pdf_url,
        pub.pdf_text or "",
        pub.pdf_pages,
        pub.word_count or 0,
        pub.content_hash or content_hash(pub),
        json.dumps(sorted(_names(pub.topics)), ensure_ascii=False),
        json.dumps(sorted(_names(pub.regions)), ensure_ascii=False),
    ]


REVISIT_MAX_DAYS = 30  # the longest a page without validators or dates goes unchecked (settings: revisit_max_days)
# A night that starts a little earlier than the last still counts a page checked N days ago as due.
_REVISIT_SLACK = timedelta(hours=12)
PDF_MAX_ATTEMPTS = 5  # nights a failing PDF is fetched again before it is given up (settings: pdf_max_attempts)


def _pdf_state(
    pub: Publication, row: Mapping[str, Any] | None, max_attempts: int
) -> tuple[Publication, tuple[str, int, str]]:
    """The publication to store and its PDF's (status, attempts, error), given what the stored row says."""
    same_pdf = row is not None and bool(pub.pdf_url) and row["pdf_url"] == pub.pdf_url
    if pub.pdf_status != "pending":
        return pub, (pub.pdf_status, 0, pub.pdf_error)
    if row is not None and same_pdf and row["pdf_status"] == "given_up":
        attempts, status = int(row["pdf_attempts"]), "given_up"
    else:
        before = int(row["pdf_attempts"]) if row is not None and same_pdf and row["pdf_status"] == "pending" else 0
        attempts = before + 1
        status = "given_up" if attempts >= max_attempts else "pending"
    if row is not None and same_pdf and row["pdf_text"] and not pub.pdf_text:
        # The text read on an earlier night stays until the PDF can be read again: a failure loses nothing.
        pub = replace(pub, pdf_text=row["pdf_text"], pdf_pages=row["pdf_pages"], content_hash="")
    return pub, (status, attempts, pub.pdf_error)


def _revisit_days(pub: Publication, row: Mapping[str, Any] | None, unchanged: bool, max_days: int) -> int:
    """Days until a page without validators or change signs is due again (0: it has them, no policy needed)."""
    if pub.fetch_state:  # ETag, Last-Modified or a discovery date: the crawl can tell a change without a download
        return 0
    if row is None or not unchanged:
        return 1
    return min(max(1, int(row["revisit_days"] or 0) * 2), max_days)


def _pairs(canonical_urls: Iterable[str], page_urls: Iterable[str] | None) -> list[tuple[str, str]]:
    keys = list(canonical_urls)
    return list(zip(keys, keys if page_urls is None else list(page_urls), strict=True))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _seconds_between(start: str | None, end: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(end or "") - datetime.fromisoformat(start or "")).total_seconds()
    except (TypeError, ValueError):  # unparseable, or naive and aware timestamps mixed
        return None


class DigestError(RuntimeError):
    """The digest file cannot be read: missing, empty, damaged or of another schema; the message says the fix."""


_REBUILD = "`migdigest reextract` rebuilds it from the archived runs"


def damaged(path: str | Path, exc: BaseException) -> DigestError:
    """The error for a digest SQLite cannot read (truncated, overwritten): the path and how to rebuild it."""
    return DigestError(f"{path} is damaged ({exc}); move it aside, then {_REBUILD}")


def is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error means a damaged file (not a lock, a constraint or a bad query)."""
    text = str(exc).lower()
    return type(exc) is sqlite3.DatabaseError or "malformed" in text or "not a database" in text


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that never writes the file: mode=ro, or immutable where even the WAL index cannot be made."""
    target = quote(str(path.resolve()))
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        # A WAL digest on a read-only disk: its -shm file cannot be created. Nothing writes it there, so
        # reading it as immutable is safe.
        conn.close()
    conn = sqlite3.connect(f"file:{target}?immutable=1", uri=True, check_same_thread=False)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


class Digest:
    """The digest database; the only code that reads or writes its SQL."""

    read_only = False

    @classmethod
    def open_read(cls, path: str | Path) -> Self:
        """Open an existing digest for reading only: no WAL switch, no migration, nothing written to the file.

        A missing, empty (0-byte), damaged or differently versioned file is a DigestError naming the path and the fix.
        """
        file = Path(path)
        if not file.exists():
            raise DigestError(f"no digest at {file}; run `migdigest demo` or `migdigest run` first")
        if file.stat().st_size == 0:
            raise DigestError(f"{file} is empty (0 bytes), not a digest; remove it, or {_REBUILD}")
        try:
            conn = _connect_read_only(file)
        except sqlite3.DatabaseError as exc:
            raise damaged(file, exc) from None
        self = cls.__new__(cls)
        self.path, self.read_only, self.migrations_applied = str(file), True, []
        self._db = Database(conn)
        try:
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            for pragma in READ_PRAGMAS:
                self._db.execute(pragma)
            version, latest = schema_version(self._db), MIGRATIONS[-1].version
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise damaged(file, exc) from None
        if version != latest:
            conn.close()
            if version > latest:
                raise DigestError(f"{file} is at schema version {version}, newer than this migdigest ({latest})")
            raise DigestError(
                f"{file} is at schema version {version}, older than this migdigest reads ({latest}): "
                "run `migdigest run` (or `migdigest reextract`) once where the file is writable to upgrade it"
            )
        return self

    def __init__(self, path: str | Path) -> None:
        """Open or create the digest at `path` (or ":memory:") and bring its schema up to date."""
        self.path = str(path)
        in_memory = self.path == ":memory:"
        if not in_memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = Database(self.path)
        try:
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._db.execute("PRAGMA foreign_keys = ON")
            for pragma in READ_PRAGMAS:
                self._db.execute(pragma)
            if not in_memory:
                # WAL lets Datasette read while a crawl writes; NORMAL sync is durable enough in WAL mode
                # (a power cut can lose the last commits, never corrupt the file) and much faster.
                self._db.enable_wal()
                self._db.execute("PRAGMA synchronous = NORMAL")
            self.migrations_applied = apply_migrations(self._db)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if is_damage(exc):
                raise damaged(self.path, exc) from None
            raise
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @property
    def schema_version(self) -> int:
        """The number of the last migration applied to this file."""
        return schema_version(self._db)

    # --- sources and runs -------------------------------------------------------------------------------

    def upsert_source(self, name: str, title: str, base_url: str, homepage: str = "") -> None:
        """Insert or update one source's description."""
        with write_transaction(self._db) as conn:
            conn.execute(
                """
                INSERT INTO sources (name, title, base_url, homepage) VALUES (?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET
                    title = excluded.title, base_url = excluded.base_url, homepage = excluded.homepage
                """,
                [name, title, base_url, homepage],
            )

    @staticmethod
    def _ensure_sources(conn: sqlite3.Connection, names: Iterable[str]) -> None:
        # A run or a publication for a source nobody registered yet must not be lost to a foreign key
        # error: a placeholder row keeps it, and upsert_source() fills it in later.
        conn.executemany(
            "INSERT OR IGNORE INTO sources (name, title) VALUES (?, ?)", [(n, n) for n in sorted(set(names))]
        )

    def start_run(self, source: str, started: str, *, pid: int | None = None, host: str | None = None) -> int:
        """Record the start of a crawl run of `source` (status 'running', by process `pid` on `host`); its id."""
        with write_transaction(self._db) as conn:
            self._ensure_sources(conn, [source])
            cursor = conn.execute(
                "INSERT INTO crawl_runs (source, started, status, pid, host) VALUES (?, ?, 'running', ?, ?)",
                [source, started, pid, host],
            )
            run_id = cursor.lastrowid
        assert run_id is not None
        return run_id

    def finish_run(self, run_id: int, stats: RunStats) -> None:
        """Write a run's outcome; a status still 'running' is recorded as 'ok', a missing end time as now."""
        finished = stats.finished or _now()
        status = "ok" if stats.status == "running" else stats.status
        with write_transaction(self._db) as conn:
            row = conn.execute("SELECT started FROM crawl_runs WHERE id = ?", [run_id]).fetchone()
            if row is None:
                raise KeyError(f"no crawl run with id {run_id}")
            duration = stats.duration_s or _seconds_between(row[0], finished)
            live = conn.execute(
                "SELECT count(*) FROM documents WHERE source = ? AND status = 'live'", [stats.source]
            ).fetchone()[0]
            conn.execute(
                """
                UPDATE crawl_runs SET finished = ?, status = ?, pages_fetched = ?, not_modified = ?,
                    new = ?, changed = ?, unchanged = ?, gone = ?, errors = ?, duration_s = ?, message = ?,
                    discovered = ?, live_documents = ?, skipped = ?
                WHERE id = ?
                """,
                [
                    finished,
                    status,
                    stats.pages_fetched,
                    stats.not_modified,
                    stats.new,
                    stats.changed,
                    stats.unchanged,
                    stats.gone,
                    json.dumps(stats.errors, sort_keys=True),
                    duration,
                    stats.message,
                    stats.discovered,
                    live,
                    json.dumps(stats.skipped, sort_keys=True),
                    run_id,
                ],
            )

    def running_runs(self) -> list[dict[str, Any]]:
        """Runs recorded as 'running': their id, source, start, and the pid and host that run them."""
        return list(self._db.query("SELECT id, source, started, pid, host FROM crawl_runs WHERE status = 'running'"))

    def interrupt_run(self, run_id: int, message: str) -> bool:
        """Mark a run that is still 'running' as 'interrupted' (its process is gone); False if it was not running."""
        with write_transaction(self._db) as conn:
            cursor = conn.execute(
                "UPDATE crawl_runs SET status = 'interrupted', finished = ?, message = ? "
                "WHERE id = ? AND status = 'running'",
                [_now(), message, run_id],
            )
            return cursor.rowcount == 1

    def request_work(self, task: str) -> None:
        """Note that `task` (e.g. 'dedupe') must run before the digest is up to date; kept until work_done()."""
        with write_transaction(self._db) as conn:
            # The latest request counts: work_done() clears only requests made before the work began.
            conn.execute(
                "INSERT INTO pending_work (task, requested) VALUES (?, ?)"
                " ON CONFLICT (task) DO UPDATE SET requested = excluded.requested",
                [task, datetime.now(UTC).isoformat()],
            )

    def pending_work(self) -> set[str]:
        """Tasks requested and not yet done (by a night that was killed, for instance)."""
        return {row[0] for row in self._db.execute("SELECT task FROM pending_work").fetchall()}

    def work_done(self, task: str, began: str | None = None) -> None:
        """Clear a requested task; with `began` (work_began()), only if nobody asked for it again since."""
        with write_transaction(self._db) as conn:
            conn.execute("DELETE FROM pending_work WHERE task = ? AND requested <= ?", [task, began or "9999"])

    @staticmethod
    def work_began() -> str:
        """The moment work starts, for work_done(): a request after it (another night's store) is kept."""
        return datetime.now(UTC).isoformat()

    def record_failures(self, run_id: int, source: str, failures: Sequence[Mapping[str, Any]]) -> None:
        """Keep every URL a run failed on, with the kind of failure, against the run and the source."""
        with write_transaction(self._db) as conn:
            conn.executemany(
                "INSERT INTO crawl_failures (run_id, source, url, kind, status, message, at)"
                f" VALUES ({placeholders(7)})",
                [
                    (run_id, source, f["url"], f["kind"], f.get("status"), f.get("message", ""), f.get("at"))
                    for f in failures
                ],
            )

    def record_skips(self, run_id: int, source: str, skips: Sequence[tuple[str, str]]) -> None:
        """Keep every URL a run skipped (not a publication, or a dead PDF link) with the reason."""
        with write_transaction(self._db) as conn:
            conn.executemany(
                f"INSERT INTO crawl_skips (run_id, source, url, reason) VALUES ({placeholders(4)})",
                [(run_id, source, url, reason) for url, reason in skips],
            )

    def skips(self, run_id: int) -> list[dict[str, Any]]:
        """The skipped URLs of one run, with the reason."""
        return list(self._db.query("SELECT url, reason FROM crawl_skips WHERE run_id = ? ORDER BY id", [run_id]))

    def failures(self, run_id: int) -> list[dict[str, Any]]:
        """The failed URLs of one run."""
        return list(self._db.query("SELECT * FROM crawl_failures WHERE run_id = ? ORDER BY id", [run_id]))

    def last_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent crawl runs, newest first, with `errors` decoded to a dict."""
        rows = list(self._db.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit]))
        for row in rows:
            row["errors"] = json.loads(row["errors"] or "{}")
        return rows

    # --- runs ingested from the object store (issue 21) ---------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction around several calls: all of their changes are committed together, or none."""
        with write_transaction(self._db):
            yield

    def is_ingested(self, source: str, run_key: str) -> bool:
        """Whether the run `runs/<source>/<run_key>/` of the object store is already stored."""
        sql = "SELECT 1 FROM ingested_runs WHERE source = ? AND run_key = ?"
        return self._db.execute(sql, [source, run_key]).fetchone() is not None

    def ingested_runs(self) -> set[tuple[str, str]]:
        """(source, run_key) of every run stored from the object store."""
        return {(row[0], row[1]) for row in self._db.execute("SELECT source, run_key FROM ingested_runs")}

    def record_ingested(self, source: str, run_key: str, counts: Mapping[str, int]) -> bool:
        """Record a run as stored; False (nothing changed) when it already was."""
        with write_transaction(self._db) as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO ingested_runs (source, run_key, ingested_at, counts) VALUES (?, ?, ?, ?)",
                [source, run_key, _now(), json.dumps(dict(counts), sort_keys=True)],
            )
            return cursor.rowcount == 1

    # --- publications -----------------------------------------------------------------------------------

    def store(
        self,
        pubs: Sequence[Publication],
        seen_at: str,
        *,
        pdf_max_attempts: int = PDF_MAX_ATTEMPTS,
        revisit_max_days: int = REVISIT_MAX_DAYS,
    ) -> dict[str, int]:
        """Upsert publications by canonical URL in one transaction; return new/changed/unchanged counts.

        A changed content hash keeps the old title and body in document_versions; an unchanged one only
        moves last_seen (and brings a 'gone' document back to 'live'). If a URL comes twice, the last wins.
        A canonical URL held by another source's row is a conflict: recorded (identity_conflicts), row left alone.
        A PDF that failed is 'pending' (tried again on later nights) until `pdf_max_attempts` failures in a row.
        A page with no validators and no dates is due again after 1 day, then twice as long each time it is
        unchanged, up to `revisit_max_days` (known_pages() says which are not due).
        """
        latest: dict[str, Publication] = {}
        for pub in pubs:
            if not pub.canonical_url:
                raise ValueError(f"publication without canonical_url (url={pub.url!r}, title={pub.title!r})")
            latest[pub.canonical_url] = pub
        counts = {"new": 0, "changed": 0, "unchanged": 0}
        if not latest:
            return counts
        hash_at = _CONTENT_COLUMNS.index("content_hash")
        with write_transaction(self._db) as conn:
            self._ensure_sources(conn, (pub.source for pub in latest.values()))
            found = self._stored(conn, list(latest))
            taken = [url for url, row in found.items() if row["source"] != latest[url].source]
            conn.executemany(
                "INSERT INTO identity_conflicts (source, canonical_url, url, owner, at) VALUES (?, ?, ?, ?, ?)",
                [(latest[url].source, url, latest[url].url, found[url]["source"], seen_at) for url in taken],
            )
            for url in taken:
                del latest[url], found[url]
            pdf_states: dict[str, tuple[str, int, str]] = {}
            for url, pub in list(latest.items()):
                latest[url], pdf_states[url] = _pdf_state(pub, found.get(url), pdf_max_attempts)
            existing = {url: (row["id"], row["content_hash"]) for url, row in found.items()}
            rows = {url: _content_row(pub) for url, pub in latest.items()}
            new = [url for url in latest if url not in existing]
            changed = [url for url, (_, old) in existing.items() if old != rows[url][hash_at]]
            unchanged = [url for url, (_, old) in existing.items() if old == rows[url][hash_at]]
            conn.executemany(
                "UPDATE documents SET last_seen = ?, status = 'live' WHERE id = ?",
                [(seen_at, existing[url][0]) for url in unchanged],
            )
            if changed:
                conn.executemany(
                    f"""
                    INSERT INTO document_versions
                        (document_id, content_hash, title, body, seen_at, replaced_at)
                    SELECT d.id, d.content_hash, d.title, d.body, {_LAST_SEEN}, ? FROM documents AS d
                    LEFT JOIN document_seen AS s ON s.document_id = d.id WHERE d.id = ?
                    """,
                    [(seen_at, existing[url][0]) for url in changed],
                )
                conn.executemany(
                    _UPDATE_DOCUMENT, [(*rows[url], seen_at, seen_at, existing[url][0]) for url in changed]
                )
            conn.executemany(_INSERT_DOCUMENT, [(url, *rows[url], seen_at, seen_at, seen_at) for url in new])
            ids = {url: existing[url][0] for url in changed}
            ids.update((url, row["id"]) for url, row in self._stored(conn, new).items())
            replaced = [ids[url] for url in changed]
            # The dedupe fingerprint goes with the text it was made of: a changed text without one drops the old.
            conn.executemany(
                "INSERT OR REPLACE INTO document_prints (document_id, print) VALUES (?, ?)",
                [(ids[u], latest[u].dedupe_print) for u in ids if latest[u].dedupe_print],
            )
            conn.executemany(
                "DELETE FROM document_prints WHERE document_id = ?",
                [(ids[u],) for u in changed if not latest[u].dedupe_print],
            )
            # An unchanged text keeps its print; one stored before prints were (an older digest) gets it now.
            conn.executemany(
                "INSERT OR IGNORE INTO document_prints (document_id, print) VALUES (?, ?)",
                [(existing[u][0], latest[u].dedupe_print) for u in unchanged if latest[u].dedupe_print],
            )
            self._link_names(conn, "authors", replaced, {ids[u]: _names(latest[u].authors) for u in ids})
            self._link_names(conn, "topics", replaced, {ids[u]: _names(latest[u].topics) for u in ids})
            self._link_names(conn, "regions", replaced, {ids[u]: _names(latest[u].regions) for u in ids})
            same = set(unchanged)
            revisits = {
                url: _revisit_days(pub, found.get(url), url in same, revisit_max_days) for url, pub in latest.items()
            }
            conn.executemany(
                "UPDATE documents SET fetch_state = ?, url = ?, gone_since = NULL,"
                " pdf_status = ?, pdf_attempts = ?, pdf_error = ?, revisit_days = ?, last_checked = ?"
                " WHERE canonical_url = ?",
                [
                    (
                        json.dumps(pub.fetch_state, sort_keys=True),
                        pub.url,
                        *pdf_states[key],
                        revisits[key],
                        seen_at,
                        key,
                    )
                    for key, pub in latest.items()
                ],
            )
        counts.update(new=len(new), changed=len(changed), unchanged=len(unchanged))
        return counts

    def store_new(
        self,
        pubs: Sequence[Publication],
        seen_at: str,
        *,
        pdf_max_attempts: int = PDF_MAX_ATTEMPTS,
        revisit_max_days: int = REVISIT_MAX_DAYS,
    ) -> list[str]:
        """Store, as store() does, only the publications whose canonical URL no document holds; their URLs.

        For storing a run's new publications while its crawl still fetches (flows/nightly.py): one the digest
        already holds waits for the run's end, where store() compares it with what it replaces. If a URL comes
        twice, the first is stored.
        """
        with write_transaction(self._db) as conn:
            found = self._stored(conn, [pub.canonical_url for pub in pubs if pub.canonical_url])
            fresh: dict[str, Publication] = {}
            for pub in pubs:
                if pub.canonical_url not in found:
                    fresh.setdefault(pub.canonical_url, pub)
            self.store(
                list(fresh.values()), seen_at, pdf_max_attempts=pdf_max_attempts, revisit_max_days=revisit_max_days
            )
        return list(fresh)

    def forget(self, canonical_urls: Iterable[str], *, source: str) -> int:
        """Delete `source`'s documents by canonical URL (stored early by a run whose result left them out); how many."""
        urls = list(canonical_urls)
        deleted = 0
        with write_transaction(self._db) as conn:
            for chunk in chunks(urls):
                cursor = conn.execute(
                    f"DELETE FROM documents WHERE source = ? AND canonical_url IN ({placeholders(len(chunk))})",
                    [source, *chunk],
                )
                deleted += cursor.rowcount
        return deleted

    def touch(
        self,
        canonical_urls: Iterable[str],
        seen_at: str,
        *,
        source: str | None = None,
        page_urls: Iterable[str] | None = None,
    ) -> int:
        """Record that known documents were confirmed unchanged without a download; return how many.

        `page_urls` (one per canonical URL) are the URLs fetched: a document stored under its page's rel=canonical
        is found by either. With `source`, only that source's documents are touched.
        """
        pairs = _pairs(canonical_urls, page_urls)
        with write_transaction(self._db) as conn:
            # A confirmation writes its time to document_seen (migration 14), not into the publication's record.
            # Only a document that was gone (a handful) has its row written, to bring it back.
            gone = conn.execute(
                "SELECT canonical_url, url FROM documents INDEXED BY documents_not_live"
                " WHERE status != 'live' OR gone_since IS NOT NULL"
            ).fetchall()
            gone_urls = {url for row in gone for url in row}
            conn.executemany(
                "UPDATE documents SET last_seen = ?, status = 'live', gone_since = NULL"
                " WHERE (canonical_url = ? OR url = ?) AND source = coalesce(?, source)"
                " AND (status != 'live' OR gone_since IS NOT NULL)",
                [(seen_at, key, page, source) for key, page in pairs if key in gone_urls or page in gone_urls],
            )
            cursor = conn.executemany(
                "INSERT INTO document_seen (document_id, last_seen) SELECT id, ? FROM documents"
                " WHERE (canonical_url = ? OR url = ?) AND source = coalesce(?, source)"
                " ON CONFLICT (document_id) DO UPDATE SET last_seen = excluded.last_seen",
                [(seen_at, key, page, source) for key, page in pairs],
            )
            return cursor.rowcount

    def move(self, old_url: str, new_url: str, *, source: str | None = None) -> bool:
        """Give a document a new canonical URL after a permanent redirect, keeping its identity and history.

        Returns False (and changes nothing) when the old URL is unknown (or another source's) or the new one
        is already taken.
        """
        with write_transaction(self._db) as conn:
            taken = conn.execute("SELECT 1 FROM documents WHERE canonical_url = ?", [new_url]).fetchone()
            if taken:
                return False
            cursor = conn.execute(
                "UPDATE documents SET canonical_url = ? WHERE canonical_url = ? AND source = coalesce(?, source)",
                [new_url, old_url, source],
            )
            return cursor.rowcount == 1

    def identity_conflicts(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest pages that named a canonical URL another source's publication holds, newest first."""
        return list(self._db.query("SELECT * FROM identity_conflicts ORDER BY id DESC LIMIT ?", [limit]))

    def pdf_problems(self) -> list[dict[str, Any]]:
        """Live documents whose PDF is pending (tried again on later nights) or given up, by source and URL."""
        return list(
            self._db.query(
                "SELECT source, canonical_url, pdf_url, pdf_status, pdf_attempts, pdf_error FROM documents"
                " WHERE pdf_status IN ('pending', 'given_up') AND status = 'live' ORDER BY source, canonical_url"
            )
        )

    def known_pages(self, source: str, now: str | None = None) -> dict[str, dict[str, str]]:
        """Each stored document's fetched URL with its validators and discovery hints, for the next crawl.

        As of `now` (ISO time; default: now), a page without validators or dates whose revisit is not due yet
        is marked "not_due"; one whose PDF is pending is marked "pdf_retry".
        """
        when = datetime.fromisoformat(now) if now else datetime.now(UTC)
        rows = self._db.execute(
            "SELECT url, fetch_state, pdf_status, revisit_days, last_checked FROM documents WHERE source = ?",
            [source],
        ).fetchall()
        known = {url: json.loads(state or "{}") for url, state, *_ in rows}
        for url, _, pdf_status, revisit_days, last_checked in rows:
            if pdf_status == "pending":
                known[url]["pdf_retry"] = "1"  # fetched in full again, with its PDF, even when unchanged
            elif revisit_days and last_checked:
                due = datetime.fromisoformat(last_checked) + timedelta(days=revisit_days) - _REVISIT_SLACK
                if when < due:
                    known[url]["not_due"] = due.isoformat(timespec="seconds")
        return known

    @staticmethod
    def _stored(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        """What store() needs of the rows with these canonical URLs: id, hash, source and PDF state."""
        columns = ["canonical_url", "id", "content_hash", "source"]
        columns += ["pdf_url", "pdf_text", "pdf_pages", "pdf_status", "pdf_attempts", "revisit_days"]
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(urls):
            sql = f"SELECT {', '.join(columns)} FROM documents WHERE canonical_url IN ({placeholders(len(chunk))})"
            found.update((row[0], dict(zip(columns, row, strict=True))) for row in conn.execute(sql, list(chunk)))
        return found

    @staticmethod
    def _link_names(
        conn: sqlite3.Connection, kind: str, replaced: Sequence[int], names_by_doc: Mapping[int, list[str]]
    ) -> None:
        """Point documents at their (author, topic or region) names, replacing the links of `replaced`."""
        table, link, column, ordered = next(spec for spec in _NAME_LINKS if spec[0] == kind)
        orphans: set[int] = set()
        for id_chunk in chunks(replaced):
            where = f"WHERE document_id IN ({placeholders(len(id_chunk))})"
            orphans.update(r[0] for r in conn.execute(f"SELECT {column} FROM {link} {where}", list(id_chunk)))
            conn.execute(f"DELETE FROM {link} {where}", list(id_chunk))
        names = _names(name for doc_names in names_by_doc.values() for name in doc_names)
        conn.executemany(f"INSERT OR IGNORE INTO {table} (name) VALUES (?)", [(n,) for n in names])
        name_ids: dict[str, int] = {}
        for chunk in chunks(names):
            sql = f"SELECT name, id FROM {table} WHERE name IN ({placeholders(len(chunk))})"
            name_ids.update(conn.execute(sql, list(chunk)).fetchall())
        if ordered:
            conn.executemany(
                f"INSERT INTO {link} (document_id, {column}, position) VALUES (?, ?, ?)",
                [
                    (doc_id, name_ids[name], position)
                    for doc_id, doc_names in names_by_doc.items()
                    for position, name in enumerate(doc_names)
                ],
            )
        else:
            conn.executemany(
                f"INSERT INTO {link} (document_id, {column}) VALUES (?, ?)",
                [(doc_id, name_ids[name]) for doc_id, doc_names in names_by_doc.items() for name in doc_names],
            )
        # A corrected name would otherwise linger as a row nothing points to (and show up in facets).
        orphans.difference_update(name_ids.values())
        conn.executemany(
            f"DELETE FROM {table} WHERE id = ? AND NOT EXISTS (SELECT 1 FROM {link} WHERE {column} = ?)",
            [(i, i) for i in orphans],
        )

    def mark_gone(
        self, canonical_urls: Iterable[str], *, source: str | None = None, page_urls: Iterable[str] | None = None
    ) -> int:
        """Set status 'gone' on these documents (kept, still searchable); return how many were live.

        `page_urls` and `source` as for touch().
        """
        pairs = _pairs(canonical_urls, page_urls)
        with write_transaction(self._db) as conn:
            cursor = conn.executemany(
                "UPDATE documents SET status = 'gone', gone_since = ?"
                " WHERE (canonical_url = ? OR url = ?) AND source = coalesce(?, source) AND status != 'gone'",
                [(_now(), key, page, source) for key, page in pairs],
            )
            return cursor.rowcount

    def set_clusters(self, clusters: Mapping[str, int | None]) -> int:
        """Set near-duplicate cluster ids (None clears) by canonical URL; return how many rows were set."""
        with write_transaction(self._db) as conn:
            cursor = conn.executemany(
                "UPDATE documents SET cluster_id = ? WHERE canonical_url = ?",
                [(cluster, url) for url, cluster in clusters.items()],
            )
            return cursor.rowcount

    def dedupe_rows(self) -> list[dict[str, Any]]:
        """What clustering reads of every document, in id order: id, canonical_url, published, word_count,
        cluster_id, and print (its stored dedupe fingerprint, None when it has none)."""
        return list(
            self._db.query(
                "SELECT d.id, d.canonical_url, d.published, d.word_count, d.cluster_id, p.print FROM documents AS d"
                " LEFT JOIN document_prints AS p ON p.document_id = d.id ORDER BY d.id"
            )
        )

    def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(title, body) of these documents, by id."""
        found: dict[int, tuple[str, str]] = {}
        for chunk in chunks(list(ids)):
            sql = f"SELECT id, title, body FROM documents WHERE id IN ({placeholders(len(chunk))})"
            found.update((row[0], (row[1] or "", row[2] or "")) for row in self._db.execute(sql, chunk))
        return found

    def set_prints(self, prints: Mapping[int, bytes]) -> int:
        """Store dedupe fingerprints by document id (made for documents stored without one); how many were set."""
        with write_transaction(self._db) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO document_prints (document_id, print) SELECT id, ? FROM documents WHERE id = ?",
                [(data, doc_id) for doc_id, data in prints.items()],
            )
        return len(prints)

    # --- reading ----------------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        source: str | None = None,
        doc_type: str | None = None,
        since: str | None = None,
        filters: Filters | None = None,
    ) -> list[SearchHit]:
        """Full-text search, best (bm25) first; see storage.search for the query syntax."""
        return run_search(
            self._db.conn, query, limit=limit, source=source, doc_type=doc_type, since=since, filters=filters
        )

    def search_count(self, query: str, filters: Filters) -> int:
        """How many publications a search matches with these filters."""
        return count_matches(self._db.conn, query, filters)

    def filter_values(self) -> dict[str, list[str]]:
        """The values each search filter can take in this digest: source, doc_type, topic, region, author."""
        queries = {
            "source": "SELECT DISTINCT source FROM documents ORDER BY source",
            "doc_type": "SELECT DISTINCT doc_type FROM documents ORDER BY doc_type",
            "topic": "SELECT name FROM topics ORDER BY name",
            "region": "SELECT name FROM regions ORDER BY name",
            "author": "SELECT name FROM authors ORDER BY name",
        }
        return {key: [row[0] for row in self._db.execute(sql)] for key, sql in queries.items()}

    def document(self, canonical_url: str) -> dict[str, Any] | None:
        """One document's row plus "authors", "topics" and "regions" as lists of names, or None."""
        rows = self._documents("WHERE d.canonical_url = ?", [canonical_url])
        return rows[0] if rows else None

    def documents(self, source: str | None = None) -> list[dict[str, Any]]:
        """All documents (of one source if given) in insertion order, each as document() returns it."""
        if source is None:
            return self._documents("", [])
        return self._documents("WHERE d.source = ?", [source])

    def _documents(self, where: str, params: list[Any]) -> list[dict[str, Any]]:
        rows = list(
            self._db.query(
                f"SELECT d.*, {_LAST_SEEN} AS seen FROM documents AS d"
                f" LEFT JOIN document_seen AS s ON s.document_id = d.id {where} ORDER BY d.id",
                params,
            )
        )
        by_id = {row["id"]: row for row in rows}
        for row in rows:
            row.update(last_seen=row.pop("seen"), authors=[], topics=[], regions=[])
        for key, table, link, column, order in (
            ("authors", "authors", "document_authors", "author_id", "l.position"),
            ("topics", "topics", "document_topics", "topic_id", "n.name"),
            ("regions", "regions", "document_regions", "region_id", "n.name"),
        ):
            sql = f"""
                SELECT l.document_id, n.name FROM {link} AS l
                JOIN {table} AS n ON n.id = l.{column}
                JOIN documents AS d ON d.id = l.document_id
                {where} ORDER BY l.document_id, {order}
            """
            for doc_id, name in self._db.execute(sql, params):
                if doc_id in by_id:
                    by_id[doc_id][key].append(name)
        return rows

    def versions(self, canonical_url: str) -> list[dict[str, Any]]:
        """Earlier versions of a document (title, body, content_hash, seen_at, replaced_at), oldest first."""
        return list(
            self._db.query(
                """
                SELECT v.content_hash, v.title, v.body, v.seen_at, v.replaced_at FROM document_versions AS v
                JOIN documents AS d ON d.id = v.document_id WHERE d.canonical_url = ? ORDER BY v.id
                """,
                [canonical_url],
            )
        )

    def counts(self) -> dict[str, int]:
        """Row counts: documents, authors, sources, runs."""
        row = self._db.execute(
            """
            SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM authors),
                   (SELECT count(*) FROM sources), (SELECT count(*) FROM crawl_runs)
            """
        ).fetchone()
        return dict(zip(("documents", "authors", "sources", "runs"), row, strict=True))

    # --- roundups (read only) ----------------------------------------------------------------------------

    def documents_in_period(self, start: str, end: str) -> list[dict[str, Any]]:
        """Live documents dated in [start, end) (ISO dates; how a document is dated: below), as documents()."""
        # Dated to the day: the publication date decides. No date: the day the crawl first saw it. A date coarser
        # than a day ("2026", "2026-11"): first seen in the period AND within that year or month, so a first
        # crawl of a site's back catalogue does not land in this week's roundup.
        return self._documents(
            """
            WHERE d.status = 'live' AND (
                (length(d.published) >= 10 AND d.published >= ? AND d.published < ?)
                OR (coalesce(d.published, '') = '' AND d.first_seen >= ? AND d.first_seen < ?)
                OR (length(d.published) BETWEEN 1 AND 9 AND d.first_seen >= ? AND d.first_seen < ?
                    AND substr(d.first_seen, 1, length(d.published)) = d.published)
            )
            """,
            [start, end] * 3,
        )

    def cluster_members(self, cluster_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """Every document of these near-duplicate clusters with its source's title, oldest first, by cluster."""
        ids = sorted(set(cluster_ids))
        members: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for chunk in chunks(ids):
            rows = self._db.query(
                f"""
                SELECT d.id, d.cluster_id, d.source, coalesce(nullif(s.title, ''), d.source) AS source_title,
                       d.title, d.url, d.canonical_url, d.published, d.first_seen, d.status
                FROM documents AS d LEFT JOIN sources AS s ON s.name = d.source
                WHERE d.cluster_id IN ({placeholders(len(chunk))})
                ORDER BY coalesce(nullif(d.published, ''), substr(d.first_seen, 1, 10)), d.id
                """,
                list(chunk),
            )
            for row in rows:
                members[row["cluster_id"]].append(row)
        return members

    def matching_ids(self, query: str, ids: Iterable[int]) -> set[int]:
        """Which of these document ids a full-text query matches (the syntax of storage.search)."""
        from storage.search import build_match  # raises QueryError on a query without words

        match = build_match(query)
        found: set[int] = set()
        for chunk in chunks(sorted(set(ids))):
            sql = (
                f"SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? AND rowid IN ({placeholders(len(chunk))})"
            )
            found.update(row[0] for row in self._db.execute(sql, [match, *chunk]))
        return found

    def runs_in_period(self, start: str, end: str) -> list[dict[str, Any]]:
        """Crawl runs started in [start, end) (ISO dates or timestamps), oldest first, `errors` decoded."""
        rows = list(
            self._db.query("SELECT * FROM crawl_runs WHERE started >= ? AND started < ? ORDER BY id", [start, end])
        )
        for row in rows:
            row["errors"] = json.loads(row["errors"] or "{}")
        return rows

    def source_titles(self) -> dict[str, str]:
        """Each registered source's title by name (the name itself when it has no title yet)."""
        return {name: title or name for name, title in self._db.execute("SELECT name, title FROM sources")}

    def optimize_search(self) -> None:
        """Merge the full-text index into one segment (after a crawl: searches get about twice as fast)."""
        with write_transaction(self._db) as conn:
            conn.execute("INSERT INTO documents_fts (documents_fts) VALUES ('optimize')")

    def search_segments(self) -> int:
        """How many b-tree segments the full-text index is in (1 after optimize_search(); each store adds some)."""
        return int(self._db.execute("SELECT count(DISTINCT segid) FROM documents_fts_idx").fetchone()[0])

    def integrity_check(self) -> list[str]:
        """Problems found by SQLite's and FTS5's integrity checks (an empty list when all is well)."""
        problems = [r[0] for r in self._db.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        problems += [f"foreign key: {tuple(r)}" for r in self._db.execute("PRAGMA foreign_key_check")]
        if self.read_only:
            # FTS5's own check is an INSERT, refused on a read-only open: compare which rows the index holds.
            missing, extra = self._db.execute(
                """
                SELECT (SELECT count(*) FROM documents WHERE id NOT IN (SELECT id FROM documents_fts_docsize)),
                       (SELECT count(*) FROM documents_fts_docsize WHERE id NOT IN (SELECT id FROM documents))
                """
            ).fetchone()
            if missing or extra:
                problems.append(f"documents_fts: {missing} document(s) not indexed, {extra} index row(s) without one")
            return problems
        try:
            # Checks the index against the documents table itself (rank 1 = compare with the content).
            self._db.execute("INSERT INTO documents_fts (documents_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"documents_fts: {exc}")
        return problems

    # --- alerts ----------------------------------------------------------------------------------------------

    def new_documents(self, since: str) -> list[dict[str, Any]]:
        """Live documents first stored at or after `since`, except a source's first batch, as documents()."""
        # The first batch a source ever stored is its back catalogue, not news: only what arrives once the digest
        # already knew the source counts as a new publication.
        return self._documents(
            """
            WHERE d.status = 'live' AND d.first_seen >= ?
              AND EXISTS (SELECT 1 FROM documents AS o WHERE o.source = d.source AND o.first_seen < d.first_seen)
            """,
            [since],
        )

    def alerted_ids(self, team: str, ids: Iterable[int]) -> set[int]:
        """Which of these documents the team was already alerted to."""
        found: set[int] = set()
        for chunk in chunks(sorted(set(ids))):
            sql = f"SELECT document_id FROM alerts_sent WHERE team = ? AND document_id IN ({placeholders(len(chunk))})"
            found.update(row[0] for row in self._db.execute(sql, [team, *chunk]))
        return found

    def last_alert(self, team: str) -> str | None:
        """When the team was last sent an alert (ISO timestamp), or None."""
        row = self._db.execute("SELECT max(sent_at) FROM alerts_sent WHERE team = ?", [team]).fetchone()
        return str(row[0]) if row and row[0] else None

    def record_alerts(self, team: str, sent: Sequence[tuple[int, str]], sent_at: str, message_id: str) -> None:
        """Record (document id, reason) pairs as sent to the team in one message."""
        with write_transaction(self._db) as conn:
            conn.executemany(
                """
                INSERT INTO alerts_sent (team, document_id, sent_at, reason, message_id) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (team, document_id) DO NOTHING
                """,
                [(team, doc_id, sent_at, reason, message_id) for doc_id, reason in sent],
            )

    def last_night_started(self) -> str | None:
        """When the newest crawl run started (the night alerts belong to), or None before any run."""
        row = self._db.execute("SELECT max(started) FROM crawl_runs").fetchone()
        return str(row[0]) if row and row[0] else None
