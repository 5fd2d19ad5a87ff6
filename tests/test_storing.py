"""The single writer: finished runs from the object store, stored in order, once (issue 21)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

import flows.nightly
from extract.result_io import dump_result
from extract.stage import ExtractResult, extract_run
from extract.taxonomy import load_taxonomy
from flows.storing import DEDUPE, apply_result, ingest_run, pending_runs, pending_window
from migdigest.config import Config, load_config
from migdigest.models import Publication
from migdigest.objectstore import ObjectStore, StoreKeyMissing
from migdigest.taxonomy import taxonomy_path
from spiders.items import RawPage, Seen
from spiders.rundir import RunInfo, RunWriter, write_run_info
from spiders.runstore import RunRef, finish_run, new_run_key, publish_extracted, publish_run
from storage import Digest
from tests.test_runstore import MPI, article

NIGHT = 1_796_000_000.0


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config()


def crawl(run_dir: Path, started: float, titles: dict[str, str], gone: list[str] = ()) -> Path:  # type: ignore[assignment]
    """A run directory: one article per (path, title), and gone pages."""
    write_run_info(run_dir, RunInfo(source="mpi", started=started))
    writer = RunWriter(run_dir, "mpi")
    writer.open()
    for path, title in titles.items():
        writer.write(RawPage(url=f"{MPI}/research/{path}", status=200,
                             headers={"Content-Type": "text/html; charset=utf-8"}, body=article(title)))  # fmt: skip
    for path in gone:
        writer.write(Seen(url=f"{MPI}/research/{path}", state="gone", status=404))
    writer.close()
    return run_dir


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")


def worker_run(store: ObjectStore, tmp: Path, config: Config, started: float, titles: dict[str, str],
               gone: list[str] = (), *, finish: bool = True) -> tuple[RunRef, ExtractResult]:  # type: ignore[assignment]  # fmt: skip
    """What a crawl worker does: crawl, extract, publish the run and its result, then the marker."""
    key = new_run_key(started)
    run_dir = crawl(tmp / "worker" / key, started, titles, gone)
    result = extract_run(run_dir, config.source("mpi"), taxonomy=load_taxonomy(taxonomy_path(None)))
    publish_run(store, run_dir, "mpi", key)
    publish_extracted(store, "mpi", key, dump_result(result))
    if finish:
        finish_run(store, "mpi", key, {"started": iso(started), "status": "ok"})
    return RunRef("mpi", key), result


def dump(db_path: Path) -> list[str]:
    """Every row of every table, as SQL."""
    conn = sqlite3.connect(db_path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_runs_are_stored_in_order_and_once(object_store: ObjectStore, tmp_path: Path, config: Config) -> None:
    first, _ = worker_run(object_store, tmp_path, config, NIGHT, {"a": "Report A", "b": "Report B"})
    second, _ = worker_run(object_store, tmp_path, config, NIGHT + 86400, {"a": "Report A, revised", "c": "Report C"},
                           gone=["b"])  # fmt: skip
    # A worker killed before its marker: its run is never pending, never stored.
    worker_run(object_store, tmp_path, config, NIGHT + 3600, {"x": "Half uploaded"}, finish=False)
    db_path = tmp_path / "digest.db"
    with Digest(db_path) as db:
        assert pending_runs(db, object_store) == [first, second]
        counts = ingest_run(db, object_store, first, tmp_path / "work", config=config)
        assert counts == {"new": 2, "changed": 0, "unchanged": 0, "gone": 0, "publications": 2, "ingested": 1}
        assert pending_runs(db, object_store) == [second]
        counts = ingest_run(db, object_store, second, tmp_path / "work", config=config)
        assert counts == {"new": 1, "changed": 1, "unchanged": 0, "gone": 1, "publications": 2, "ingested": 1}
        assert pending_runs(db, object_store) == []
        docs = {d["canonical_url"].rsplit("/", 1)[1]: d for d in db.documents()}
        assert {k: (d["title"], d["status"]) for k, d in docs.items()} == {
            "a": ("Report A, revised", "live"), "b": ("Report B", "gone"), "c": ("Report C", "live")
        }  # fmt: skip
        runs = db.last_runs()
        assert [(r["source"], r["new"], r["changed"], r["gone"], r["status"]) for r in runs] == [
            ("mpi", 1, 1, 1, "ok"), ("mpi", 2, 0, 0, "ok")
        ]  # fmt: skip
        assert DEDUPE in db.pending_work()
        assert db.ingested_runs() == {("mpi", first.run_key), ("mpi", second.run_key)}
        assert not list((tmp_path / "work").iterdir())  # the downloaded results are not left behind
    before = dump(db_path)
    with Digest(db_path) as db:
        again = ingest_run(db, object_store, first, tmp_path / "work", config=config)
        again2 = ingest_run(db, object_store, second, tmp_path / "work", config=config)
    assert again == again2 == {"new": 0, "changed": 0, "unchanged": 0, "gone": 0, "publications": 0, "ingested": 0}
    assert dump(db_path) == before  # a run stored twice changes nothing, in any table


def test_the_store_gives_the_digest_a_local_night_gives(
    object_store: ObjectStore, tmp_path: Path, config: Config
) -> None:
    ref, result = worker_run(object_store, tmp_path, config, NIGHT, {"a": "Report A", "b": "Report B"})
    with Digest(tmp_path / "from-store.db") as db:
        ingest_run(db, object_store, ref, tmp_path / "work", config=config)
        via_store = [(d["canonical_url"], d["title"], d["body"], d["topics"], d["last_seen"]) for d in db.documents()]
    with Digest(tmp_path / "local.db") as db:
        apply_result(db, result, iso(NIGHT))
        local = [(d["canonical_url"], d["title"], d["body"], d["topics"], d["last_seen"]) for d in db.documents()]
    assert via_store == local
    assert len(local) == 2


def test_a_run_that_fails_to_store_stores_nothing(object_store: ObjectStore, tmp_path: Path, config: Config) -> None:
    """One transaction: a run whose store fails half-way leaves no run record, no mark, no publication."""
    key = new_run_key(NIGHT)
    good = Publication(source="mpi", url=f"{MPI}/ok", canonical_url=f"{MPI}/ok", title="ok", body="body")
    bad = Publication(source="mpi", url=f"{MPI}/bad", canonical_url="", title="no identity", body="body")
    result = ExtractResult(publications=[good, bad], source="mpi", gone=[f"{MPI}/old"], skips=[(f"{MPI}/s", "x")])
    publish_extracted(object_store, "mpi", key, dump_result(result))
    finish_run(object_store, "mpi", key, {"status": "ok"})
    db_path = tmp_path / "digest.db"
    Digest(db_path).close()
    before = dump(db_path)
    with Digest(db_path) as db, pytest.raises(ValueError, match="publication without canonical_url"):
        ingest_run(db, object_store, RunRef("mpi", key), tmp_path / "work", config=config)
    assert dump(db_path) == before
    with Digest(db_path) as db:
        assert pending_runs(db, object_store) == [RunRef("mpi", key)]  # still to do, whole, once fixed


def test_a_finished_run_without_a_result_is_recorded_and_not_retried(object_store: ObjectStore, tmp_path: Path) -> None:
    """A crawl that failed before extraction publishes its marker only: the run is recorded failed, once."""
    key = new_run_key(NIGHT)
    finish_run(object_store, "mpi", key, {"status": "failed", "message": "crawl process killed", "errors": {"x": 1}})
    with Digest(tmp_path / "digest.db") as db:
        counts = ingest_run(db, object_store, RunRef("mpi", key), tmp_path / "work")
        assert counts["ingested"] == 1
        assert counts["publications"] == 0
        [run] = db.last_runs()
        assert (run["status"], run["message"]) == ("failed", "crawl process killed")
        assert pending_runs(db, object_store) == []


def test_a_marker_whose_result_is_missing_is_a_clear_error(object_store: ObjectStore, tmp_path: Path) -> None:
    key = new_run_key(NIGHT)
    finish_run(object_store, "mpi", key, {"status": "ok"})
    object_store.put_bytes(f"runs/mpi/{key}/finished.json", b'{"extracted": true, "stats": {}}')  # result lost
    with Digest(tmp_path / "digest.db") as db, pytest.raises(StoreKeyMissing, match=r"extracted\.jsonl\.gz"):
        ingest_run(db, object_store, RunRef("mpi", key), tmp_path / "work")


def test_dedupe_work_has_the_nightly_flows_name() -> None:
    assert DEDUPE == flows.nightly.DEDUPE


def test_a_result_filed_under_another_source_is_refused(object_store: ObjectStore, tmp_path: Path) -> None:
    key = new_run_key(NIGHT)
    publish_extracted(object_store, "mpi", key, dump_result(ExtractResult(source="odi")))
    finish_run(object_store, "mpi", key, {"status": "ok"})
    with Digest(tmp_path / "digest.db") as db, pytest.raises(ValueError, match="result of source 'odi'"):
        ingest_run(db, object_store, RunRef("mpi", key), tmp_path / "work")


@pytest.mark.parametrize("marker", [b"{not json", b"[1, 2]", b'{"stats": [1]}', b"\xff\xfe"])
def test_a_damaged_marker_is_a_clear_error(object_store: ObjectStore, tmp_path: Path, marker: bytes) -> None:
    key = new_run_key(NIGHT)
    finish_run(object_store, "mpi", key, {"status": "ok"})
    object_store.put_bytes(f"runs/mpi/{key}/finished.json", marker)
    with Digest(tmp_path / "digest.db") as db:
        assert pending_runs(db, object_store) == [RunRef("mpi", key)]
        with pytest.raises(ValueError, match="is not a run marker"):
            ingest_run(db, object_store, RunRef("mpi", key), tmp_path / "work")
        assert db.ingested_runs() == set()


def test_runs_long_before_the_newest_stored_one_are_not_listed_again(
    object_store: ObjectStore, tmp_path: Path, config: Config
) -> None:
    """The writer lists from the newest stored run's start minus the window: a poll does not grow with the archive."""
    day = 86400.0
    newest, _ = worker_run(object_store, tmp_path, config, NIGHT + 10 * day, {"a": "Report A"})
    # Two runs that started before it and finish only now: one a day before (in the window), one ten days before.
    late, _ = worker_run(object_store, tmp_path, config, NIGHT + 9 * day, {"b": "Report B"}, finish=False)
    stale, _ = worker_run(object_store, tmp_path, config, NIGHT, {"c": "Report C"}, finish=False)
    with Digest(tmp_path / "digest.db") as db:
        ingest_run(db, object_store, newest, tmp_path / "work")
        finish_run(object_store, "mpi", late.run_key, {"status": "ok"})
        finish_run(object_store, "mpi", stale.run_key, {"status": "ok"})
        assert pending_runs(db, object_store) == [late]
        assert pending_runs(db, object_store, window=None) == [stale, late]  # everything, when asked


def test_the_window_grows_with_time_limits_set_longer_than_it(
    object_store: ObjectStore, tmp_path: Path, config: Config
) -> None:
    """A crawl allowed to run for days is still stored when it finishes, days after runs that started later."""
    day = 86400.0
    patient = config.model_copy(update={"settings": config.settings.model_copy(update={"crawl_time_limit": 5 * day})})
    assert pending_window(config).days == 2  # the default covers the default limits (7.5 h) with room to spare
    assert pending_window(patient).days == 10
    newest, _ = worker_run(object_store, tmp_path, config, NIGHT + 8 * day, {"a": "Report A"})
    long_crawl, _ = worker_run(object_store, tmp_path, config, NIGHT + 4 * day, {"b": "Report B"}, finish=False)
    with Digest(tmp_path / "digest.db") as db:
        ingest_run(db, object_store, newest, tmp_path / "work")
        finish_run(object_store, "mpi", long_crawl.run_key, {"status": "ok"})
        assert pending_runs(db, object_store, window=pending_window(config)) == []
        assert pending_runs(db, object_store, window=pending_window(patient)) == [long_crawl]
