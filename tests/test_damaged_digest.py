"""Reading a digest never writes it; an empty, truncated, damaged or outdated one is a clear error naming the file
and the fix, and `health` runs the integrity check (issue 18, finding 9)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.app import app
from migdigest.models import Publication, RunStats
from storage import Digest, DigestError
from storage.migrations import MIGRATIONS, apply_migrations

URL = "https://example.org/p/1"
READERS = (
    ["search", "asylum"],
    ["history", URL],
    ["health"],
    ["roundup", "--week", "2026-W48", "--out-dir", "{tmp}/out"],
)


def build(path: Path, n: int = 3) -> Path:
    """A small digest with `n` publications and one finished run."""
    with Digest(path) as db:
        body = " ".join(["asylum procedures and labour migration in the Mediterranean"] * 200)
        pubs = [
            Publication(source="mpi", url=f"https://example.org/p/{i}", canonical_url=f"https://example.org/p/{i}",
                        title=f"Asylum report {i}", body=f"{body} {i}", published="2026-11-25")
            for i in range(1, n + 1)
        ]  # fmt: skip
        db.store(pubs, "2026-11-25T03:00:00+00:00")
        run = db.start_run("mpi", "2026-11-25T03:00:00+00:00")
        db.finish_run(run, RunStats(source="mpi", started="2026-11-25T03:00:00+00:00", new=n, unchanged=0))
    return path


def cli(args: list[str], db: Path, tmp: Path) -> Result:
    return CliRunner().invoke(app, [*(a.replace("{tmp}", str(tmp)) for a in args), "--db", str(db)])


def digest_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_reading_writes_nothing(tmp_path: Path, args: list[str]) -> None:
    db = build(tmp_path / "digest.db")
    with sqlite3.connect(db) as conn:  # as a digest copied from a snapshot may be: not in WAL mode
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = digest_of(db)
    result = cli(args, db, tmp_path)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert digest_of(db) == before, f"`{args[0]}` changed the file"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("digest.db")) == ["digest.db"]


def test_reading_an_older_schema_does_not_migrate_it(tmp_path: Path) -> None:
    db = tmp_path / "digest.db"
    conn = sqlite3.connect(db)
    from sqlite_utils import Database

    apply_migrations(Database(conn), target=MIGRATIONS[-1].version - 1)
    conn.close()
    before = digest_of(db)
    result = cli(["search", "asylum"], db, tmp_path)
    assert result.exit_code == 1
    assert f"{db}" in result.output
    assert "older than this migdigest" in result.output
    assert digest_of(db) == before


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_an_empty_file_is_not_a_new_digest(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "digest.db"
    db.touch()
    result = cli(args, db, tmp_path)
    assert result.exit_code == 1, result.output
    assert "is empty (0 bytes), not a digest" in " ".join(result.output.split())
    assert db.stat().st_size == 0


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_a_truncated_digest_names_the_file_and_the_rebuild(tmp_path: Path, args: list[str]) -> None:
    db = build(tmp_path / "digest.db", n=60)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    result = cli(args, db, tmp_path)
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, sqlite3.Error)
    text = " ".join(result.output.split())
    assert "is damaged" in text
    assert "migdigest reextract" in text
    assert "digest.db" in text


def test_a_file_that_is_not_sqlite_is_damaged(tmp_path: Path) -> None:
    db = tmp_path / "digest.db"
    db.write_bytes(b"not a database " * 500)
    with pytest.raises(DigestError, match=r"is damaged.*migdigest reextract"):
        Digest.open_read(db)
    with pytest.raises(DigestError, match=r"is damaged.*migdigest reextract"):
        Digest(db)  # the nightly's writable open too


def test_health_reports_the_integrity_check(tmp_path: Path) -> None:
    db = build(tmp_path / "digest.db")
    assert "no anomalies" in cli(["health"], db, tmp_path).output
    with sqlite3.connect(db) as conn:  # the search index no longer matches the documents
        conn.execute("DROP TRIGGER documents_fts_ai")
        conn.execute(
            "INSERT INTO documents (canonical_url, url, source, content_hash, first_seen, last_seen, last_changed)"
            " VALUES ('https://example.org/x', 'https://example.org/x', 'mpi', 'h', 'd', 'd', 'd')"
        )
    conn.close()
    result = cli(["health"], db, tmp_path)
    assert result.exit_code == 1
    assert "ALERT digest" in result.output
    assert "documents_fts: 1 document(s) not indexed" in result.output
