"""A publication's identity: no page takes over another source's publication; http-only sites and relative
canonicals keep one identity night after night (issue 18, findings 1 and 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.normalise import canonical_url, trusted_canonical
from extract.stage import extract_run
from extract.taxonomy import Taxonomy, load_taxonomy
from flows.storing import apply_result
from migdigest.config import Source, load_config
from migdigest.models import Publication
from migdigest.taxonomy import taxonomy_path
from spiders.items import RawPage, Seen
from spiders.rundir import RunWriter
from storage import Digest

MPI_PAGE = "https://www.migrationpolicy.org/research/global-mobility-post-pandemic"
BODY = " ".join(
    f"Paragraph {i} on labour migration, asylum procedures and return policy in the European Union." for i in range(12)
)


def article(title: str, canonical: str | None) -> bytes:
    """A plain article page, with the rel=canonical given."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical is not None else ""
    paragraphs = "".join(f"<p>{BODY} ({i})</p>" for i in range(4))
    return (
        f'<html lang="en"><head><title>{title}</title><meta property="og:type" content="article">{link}</head>'
        f"<body><main><article><h1>{title}</h1>{paragraphs}</article></main></body></html>"
    ).encode()


def write_run(run_dir: Path, source: str, items: list[RawPage | Seen]) -> Path:
    writer = RunWriter(run_dir, source)
    writer.open()
    for item in items:
        writer.write(item)
    writer.close()
    return run_dir


def page(url: str, body: bytes) -> RawPage:
    return RawPage(url=url, status=200, headers={"Content-Type": "text/html; charset=utf-8"}, body=body)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(taxonomy_path(None))


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    return load_config().sources


# -- which rel=canonical is trusted --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "canonical",
    [
        "https://www.migrationpolicy.org/research/x#mixedmigration.org",  # the crawl host in a fragment
        "https://www.migrationpolicy.org/research/x?utm_source=mixedmigration.org",  # ... in a query
        "https://mixedmigration.org@www.migrationpolicy.org/research/x",  # ... as user info
        "https://mixedmigration.org.evil.example/research/x",  # ... as a subdomain of another host
        "javascript:alert('mixedmigration.org')",
        "data:text/html,mixedmigration.org",
        "ftp://mixedmigration.org/research/x",
        "https://[mixedmigration.org/x",  # not parseable
    ],
)
def test_a_canonical_on_another_host_or_scheme_is_not_trusted(canonical: str) -> None:
    assert trusted_canonical(canonical, "https://mixedmigration.org/resource/x") is None


def test_a_canonical_on_the_page_host_or_an_alias_is_trusted() -> None:
    page_url = "https://mixedmigration.org/resource/x"
    assert trusted_canonical("https://www.mixedmigration.org/resource/y", page_url) is not None
    assert trusted_canonical("http://MixedMigration.org/resource/y", page_url) is not None
    assert trusted_canonical("https://old.mmc.example/r/y", page_url) is None
    assert trusted_canonical("https://old.mmc.example/r/y", page_url, ["old.mmc.example"]) is not None
    # Fragment and tracking parameters never reach the identity.
    assert canonical_url("https://mixedmigration.org/resource/y?utm_source=x#evil.example") == (
        "https://mixedmigration.org/resource/y"
    )


def test_aliases_are_host_names() -> None:
    from pydantic import ValidationError

    base = {"name": "x", "title": "X", "base_url": "https://x.org", "discovery": {"feeds": ["/feed"]}}
    assert Source.model_validate({**base, "aliases": ["Old.X.org"]}).aliases == ["old.x.org"]
    with pytest.raises(ValidationError, match="not a host name"):
        Source.model_validate({**base, "aliases": ["https://old.x.org/"]})


# -- a hostile page, end to end through a run directory, extraction and storage ------------------------------


def test_a_hostile_page_does_not_take_over_another_sources_publication(
    tmp_path: Path, taxonomy: Taxonomy, sources: dict[str, Source]
) -> None:
    with Digest(tmp_path / "digest.db") as db:
        mpi_run = write_run(tmp_path / "mpi", "mpi", [page(MPI_PAGE, article("The real MPI report", None))])
        apply_result(db, extract_run(mpi_run, sources["mpi"], taxonomy=taxonomy, workers=1), "2026-12-01")
        key = canonical_url(MPI_PAGE)
        before = db.document(key)
        assert before is not None
        assert (before["source"], before["title"]) == ("mpi", "The real MPI report")

        hostile = article("Taken over", f"{MPI_PAGE}#mixedmigration.org")
        mmc_run = write_run(tmp_path / "mmc", "mmc", [page("https://mixedmigration.org/resource/x", hostile)])
        result = extract_run(mmc_run, sources["mmc"], taxonomy=taxonomy, workers=1)
        apply_result(db, result, "2026-12-02")

        after = db.document(key)
        assert after is not None
        assert (after["source"], after["title"], after["last_seen"]) == ("mpi", "The real MPI report", "2026-12-01")
        mine = db.document("https://mixedmigration.org/resource/x")  # stored under its own URL
        assert mine is not None
        assert (mine["source"], mine["title"]) == ("mmc", "Taken over")


def test_storage_never_updates_another_sources_row_and_records_the_conflict() -> None:
    with Digest(":memory:") as db:
        mine = Publication(source="mpi", url="https://a.org/x", canonical_url="https://a.org/x", title="A", body="a")
        db.store([mine], "d1")
        theirs = Publication(source="mmc", url="https://b.org/x", canonical_url="https://a.org/x", title="B", body="b")
        assert db.store([theirs], "d2") == {"new": 0, "changed": 0, "unchanged": 0}
        row = db.document("https://a.org/x")
        assert row is not None
        assert (row["source"], row["title"], row["last_seen"]) == ("mpi", "A", "d1")
        [conflict] = db.identity_conflicts()
        assert (conflict["source"], conflict["url"], conflict["owner"]) == ("mmc", "https://b.org/x", "mpi")
        # Confirming, retiring or moving it in another source's run changes nothing either.
        assert db.touch(["https://a.org/x"], "d3", source="mmc") == 0
        assert db.mark_gone(["https://a.org/x"], source="mmc") == 0
        assert not db.move("https://a.org/x", "https://b.org/y", source="mmc")
        row = db.document("https://a.org/x")
        assert row is not None
        assert (row["status"], row["last_seen"]) == ("live", "d1")


# -- finding 10: http-only sites, relative canonicals --------------------------------------------------------


def test_an_http_only_site_keeps_http(tmp_path: Path, taxonomy: Taxonomy, sources: dict[str, Source]) -> None:
    source = sources["mmc"].model_copy(update={"base_url": "http://mixedmigration.org"})
    run = write_run(tmp_path / "r", "mmc", [page("http://mixedmigration.org/resource/x", article("Plain", None))])
    [pub] = extract_run(run, source, taxonomy=taxonomy, workers=1).publications
    assert pub.canonical_url == "http://mixedmigration.org/resource/x"


def test_a_relative_canonical_is_confirmed_by_the_page_url(
    tmp_path: Path, taxonomy: Taxonomy, sources: dict[str, Source]
) -> None:
    url = "https://mixedmigration.org/resource/x/?lang=en"
    night1 = write_run(tmp_path / "1", "mmc", [page(url, article("Relative", "/resource/x-report"))])
    night2 = write_run(tmp_path / "2", "mmc", [Seen(url=url, state="unchanged")])
    with Digest(tmp_path / "digest.db") as db:
        apply_result(db, extract_run(night1, sources["mmc"], taxonomy=taxonomy, workers=1), "2026-12-01")
        key = "https://mixedmigration.org/resource/x-report"
        assert db.document(key) is not None
        counts = apply_result(db, extract_run(night2, sources["mmc"], taxonomy=taxonomy, workers=1), "2026-12-02")
        assert counts["unchanged"] == 1
        doc = db.document(key)
        assert doc is not None
        assert doc["last_seen"] == "2026-12-02"


def test_migration_8_gives_an_http_only_sites_rows_back_their_scheme(tmp_path: Path) -> None:
    import sqlite3

    from sqlite_utils import Database

    from storage.migrations import apply_migrations

    path = tmp_path / "digest.db"
    conn = sqlite3.connect(path)
    apply_migrations(Database(conn), target=7)  # a digest written before the fix: https forced
    conn.executescript(
        """
        INSERT INTO sources (name, title, base_url) VALUES ('plain', 'Plain', 'http://plain.example'),
                                                           ('secure', 'Secure', 'https://secure.example');
        INSERT INTO documents (canonical_url, url, source, content_hash, first_seen, last_seen, last_changed) VALUES
            ('https://plain.example/a', 'http://plain.example/a', 'plain', 'h', 'd', 'd', 'd'),
            ('https://secure.example/b', 'https://secure.example/b', 'secure', 'h', 'd', 'd', 'd');
        """
    )
    conn.commit()
    conn.close()
    with Digest(path) as db:
        assert [d["canonical_url"] for d in db.documents()] == ["http://plain.example/a", "https://secure.example/b"]
