"""`migdigest reextract` replays the object store's archived runs, as it replays local run directories (issue 21)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from cli.app import app
from flows.reextract import archived_runs, reextract
from migdigest.objectstore import ObjectStore, open_store
from spiders.runstore import finish_run, new_run_key, publish_run
from storage import Digest
from tests.s3 import MotoServer
from tests.test_storing import NIGHT, crawl

TITLES = [{"a": "Report A", "b": "Report B"}, {"a": "Report A, revised", "c": "Report C"}]


def archive(store: ObjectStore, local_runs: Path) -> list[str]:
    """Two finished runs of mpi in the store (and as local run directories), and one a worker never finished."""
    keys = []
    for night, titles in enumerate(TITLES):
        key = new_run_key(NIGHT + night * 86400)
        run_dir = crawl(local_runs / "mpi" / key, NIGHT + night * 86400, titles, gone=["b"] if night else [])
        publish_run(store, run_dir, "mpi", key)
        finish_run(store, "mpi", key, {"status": "ok"})
        keys.append(key)
    unfinished = crawl(local_runs.parent / "unfinished", NIGHT + 3600, {"x": "Never finished"})
    publish_run(store, unfinished, "mpi", new_run_key(NIGHT + 3600))
    return keys


def digest_rows(db_path: Path) -> list[tuple[str, str, str, str]]:
    with Digest(db_path) as db:
        return sorted((d["canonical_url"], d["title"], d["status"], d["last_seen"]) for d in db.documents())


def test_reextract_from_the_store_gives_the_digest_local_runs_give(object_store: ObjectStore, tmp_path: Path) -> None:
    local_runs = tmp_path / "local-runs"
    keys = archive(object_store, local_runs)
    work = tmp_path / "work"
    work.mkdir()
    assert [p.name for p in archived_runs(tmp_path / "none", "mpi", store=object_store, work_dir=work)] == keys
    assert not list(work.iterdir())  # each fetched run is removed after its replay
    from_store = reextract(tmp_path / "from-store.db", tmp_path / "none", sources=["mpi"], store=object_store)
    local = reextract(tmp_path / "local.db", local_runs, sources=["mpi"])
    assert from_store == local
    assert from_store["mpi"]["runs"] == 2
    assert (from_store["mpi"]["new"], from_store["mpi"]["changed"], from_store["mpi"]["gone"]) == (3, 1, 1)
    assert digest_rows(tmp_path / "from-store.db") == digest_rows(tmp_path / "local.db")


def test_reextract_command_reads_the_configured_store(moto_server: MotoServer, tmp_path: Path) -> None:
    url = moto_server.store_url()
    archive(open_store(url, endpoint_url=moto_server.endpoint_url), tmp_path / "elsewhere")
    shutil.rmtree(tmp_path / "elsewhere")  # this machine has no run directory: only the store
    env = {"MIGDIGEST_STORE_URL": url, "MIGDIGEST_STORE_ENDPOINT_URL": moto_server.endpoint_url}
    db = tmp_path / "digest.db"
    result = CliRunner().invoke(app, ["reextract", "--db", str(db), "-s", "mpi"], env=env)
    assert result.exit_code == 0, result.output
    assert url in " ".join(result.stdout.split())
    assert len(digest_rows(db)) == 3
    # --runs-dir says local: the configured store is left alone.
    local = CliRunner().invoke(app, ["reextract", "--db", str(db), "--runs-dir", str(tmp_path / "x")], env=env)
    assert local.exit_code == 1
    assert "no archived runs in" in local.stderr


def test_reextract_from_a_store_that_is_down_says_so(tmp_path: Path) -> None:
    from outputs.datasette import free_port

    env = {"MIGDIGEST_STORE_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x"}  # fmt: skip
    args = ["reextract", "--db", str(tmp_path / "d.db"), "-s", "mpi", "--store", "s3://bucket/p"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1
    assert "cannot reach the store" in " ".join(result.stderr.split())
