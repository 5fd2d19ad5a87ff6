"""Beyond one machine: two crawl workers and one writer that share nothing but an S3 store (moto's server mode)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from migdigest.config import load_config
from migdigest.paths import REPO_ROOT
from tests.s3 import MotoServer
from tests.test_schedule import PREFECT, _free_port, _start, _stop, _wait_healthy, prefect_env

SOURCES = ["cgd", "ecre", "mmc"]  # the three smallest mirrors; the first one's worker is killed mid-crawl
HEARTBEAT_S = 30  # Prefect's smallest flow-run heartbeat; a run without one for ZOMBIE_S is marked Crashed
ZOMBIE_S = 75


def test_prefect_yaml_declares_the_fleet_deployments() -> None:
    from prefect.cli.deploy._models import PrefectYamlModel
    from prefect.flows import load_flow_from_entrypoint

    from flows.fleet import CRAWL_DEPLOYMENT, CRAWL_POOL, WRITER_DEPLOYMENT, WRITER_POOL

    spec = PrefectYamlModel.model_validate(yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text()))
    by_name = {d.name: d for d in spec.deployments}
    flows: dict[str, Any] = {
        name: load_flow_from_entrypoint(str(REPO_ROOT / (by_name[name].entrypoint or "")))
        for name in ("crawl-to-store", "store-runs", "fleet")
    }
    assert f"{flows['crawl-to-store'].name}/crawl-to-store" == CRAWL_DEPLOYMENT
    assert f"{flows['store-runs'].name}/store-runs" == WRITER_DEPLOYMENT
    assert flows["fleet"].name == "fleet-fanout"
    writer = by_name["store-runs"]
    limit = writer.concurrency_limit
    assert limit is not None
    assert not isinstance(limit, int)
    assert (limit.limit, limit.collision_strategy) == (1, "ENQUEUE")  # one writer at a time, none dropped
    assert writer.work_pool
    assert writer.work_pool.name == WRITER_POOL  # the digest's machine only
    crawl = by_name["crawl-to-store"].work_pool
    assert crawl
    assert crawl.name == CRAWL_POOL


def test_known_pages_not_due_at_publishing_may_be_due_when_crawling() -> None:
    from flows.fleet import known_as_of

    known = {
        "/a": {"etag": "x"},
        "/b": {"not_due": "2026-12-10T00:00:00+00:00", "lastmod": "2026"},
        "/c": {"not_due": "2026-12-01T00:00:00+00:00"},
    }
    assert known_as_of(known, "2026-12-05T00:00:00+00:00") == {
        "/a": {"etag": "x"},
        "/b": {"not_due": "2026-12-10T00:00:00+00:00", "lastmod": "2026"},
        "/c": {},
    }


def test_the_fanout_summary_names_a_source_run_again_and_why() -> None:
    from flows.fleet import fanout_markdown

    row = {"status": "ok", "pages_fetched": 30, "errors": {}, "duration_s": 12.0, "run_key": "k", "reruns": 0}
    row |= {"flow_run_state": "Completed", "writer_run_state": "Completed"}
    report = [
        {**row, "source": "a", "flow_run": "crawl-a"},
        {**row, "source": "b", "flow_run": "crawl-b-rerun1", "reruns": 1, "rerun_because": "no heartbeat"},
    ]
    text = fanout_markdown(report)
    assert "| a | ok | 30 | 0 | 12.0 | k | crawl-a | Completed | 0 |" in text
    assert "- **b**: ok, flow run Completed: ; run again after: no heartbeat" in text
    assert "**a**" not in text
    assert text.endswith("Writer run after the crawls: Completed\n")


def test_crawl_to_store_then_the_writer_once_and_again_incrementally(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One worker's flow and the writer's, in Prefect's engine, through a folder store: stored once, then a second
    crawl that reads the writer's known pages downloads no publication again and changes nothing."""
    from flows.fleet import crawl_to_store, known_key, store_runs
    from mirrors import SITES
    from mirrors.server import MirrorServer
    from spiders.runstore import finished_runs, read_finished
    from storage import Digest

    monkeypatch.setenv("MIGDIGEST_STORE_URL", str(tmp_path / "store"))
    db_path = tmp_path / "writer" / "digest.db"
    expected = len(SITES["cgd"].publications())
    with MirrorServer("cgd") as mirror:
        first = crawl_to_store(source="cgd", base_url=mirror.base_url, work_dir_path=tmp_path / "w1", writer=None)
        assert (first["status"], first["publications"]) == ("ok", expected)
        assert not (tmp_path / "w1" / "runs" / "cgd" / first["run_key"]).exists()  # the store has it, not the worker
        stored = store_runs(db_path=db_path, work_dir_path=tmp_path / "wr")
        assert (len(stored["runs"]), stored["new"], stored["publications"]) == (1, expected, expected)
        assert stored["snapshot"]
        again = store_runs(db_path=db_path, work_dir_path=tmp_path / "wr")  # nothing new: nothing changes
        assert (again["runs"], again["snapshot"]) == ([], None)
        with Digest(db_path) as db:
            assert len(db.documents("cgd")) == expected
        second = crawl_to_store(source="cgd", base_url=mirror.base_url, work_dir_path=tmp_path / "w2", writer=None)
    from migdigest.objectstore import open_store

    store = open_store(str(tmp_path / "store"))
    assert store.exists(known_key("cgd"))
    [marker] = [read_finished(store, r) for r in finished_runs(store) if r.run_key == second["run_key"]]
    # No publication downloaded again (tests/test_incremental.py): its run's page manifest is empty.
    assert second["publications"] == 0
    assert store.get_bytes(f"runs/cgd/{second['run_key']}/pages.jsonl") == b""
    assert 0 < marker["stats"]["pages_fetched"] < expected  # discovery only
    third = store_runs(db_path=db_path, work_dir_path=tmp_path / "wr")
    assert (third["new"], third["changed"], third["unchanged"]) == (0, 0, expected)
    with Digest(db_path) as db:
        assert len(db.documents("cgd")) == expected
        assert db.ingested_runs() == {("cgd", first["run_key"]), ("cgd", second["run_key"])}


def test_a_source_that_does_not_answer_is_recorded_failed_through_the_store(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed crawl still publishes a finished run (no publications): the writer records it failed, with why."""
    from flows.fleet import crawl_to_store, store_runs
    from storage import Digest

    monkeypatch.setenv("MIGDIGEST_STORE_URL", str(tmp_path / "store"))
    nobody = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    row = crawl_to_store(source="ecre", base_url=nobody, work_dir_path=tmp_path / "w", writer=None)
    assert (row["status"], row["publications"]) == ("failed", 0)
    stored = store_runs(db_path=tmp_path / "digest.db", work_dir_path=tmp_path / "wr")
    assert (len(stored["runs"]), stored["publications"]) == (1, 0)
    with Digest(tmp_path / "digest.db") as db:
        [run] = db.last_runs()
        assert (run["source"], run["status"]) == ("ecre", "failed")
        assert "no response from the site at all" in run["message"]
        assert db.documents("ecre") == []


# --- the whole topology, for real ---------------------------------------------------------------------------------

# Runs in its own process against the real server: the work pools, prefect.yaml's deployments (with the writer's
# concurrency limit), the zombie automation; waits for the three workers, then runs the fan-out.
DRIVER = textwrap.dedent(
    """
    import json, os, sys, time, urllib.request
    import yaml
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron
    from flows.fleet import fleet_fanout, setup_fleet

    api, args, zombie_s = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])

    def post(path, body):
        req = urllib.request.Request(api + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=30).read())

    deadline = time.monotonic() + 300
    while True:  # the server may still be starting: this process imports Prefect and the flows meanwhile
        try:
            if json.loads(urllib.request.urlopen(api + "/health", timeout=2).read()) is True:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "no healthy server"
        time.sleep(0.5)
    spec = yaml.safe_load(open("prefect.yaml"))
    pools = sorted({d["work_pool"]["name"] for d in spec["deployments"]})
    for line in setup_fleet(tuple(pools), within_s=zombie_s):  # what migdigest fleet-setup does
        print(line, flush=True)
    # As `prefect deploy` does: flow runs start in this checkout (without a pull step Prefect 3.8 copies the whole
    # folder, .venv included, into a temporary workspace for every flow run, and deletes it after).
    here = [{"prefect.deployments.steps.set_working_directory": {"directory": os.getcwd()}}]
    for d in spec["deployments"]:
        limit = d.get("concurrency_limit")
        deployment_id = RunnerDeployment.from_entrypoint(
            d["entrypoint"], name=d["name"], parameters=d["parameters"], tags=d["tags"],
            description=d["description"], work_pool_name=d["work_pool"]["name"],
            work_queue_name=d["work_pool"]["work_queue_name"],
            schedules=[Cron(s["cron"], timezone=s["timezone"]) for s in d["schedules"]],
            concurrency_limit=ConcurrencyLimitConfig(**limit) if limit else None,
        ).apply()
        with get_client(sync_client=True) as client:
            client.update_deployment(deployment_id, DeploymentUpdate(pull_steps=here))
    online = {"status": {"any_": ["ONLINE"]}}
    deadline = time.monotonic() + 300
    while sum(len(post(f"/work_pools/{p}/workers/filter", {"limit": 10, "offset": 0, "workers": online}))
              for p in pools) < 3:
        assert time.monotonic() < deadline, "the three workers never came online"
        time.sleep(0.5)
    print("READY", flush=True)
    report = fleet_fanout(**args, poll_seconds=1.0)
    with get_client(sync_client=True) as client:  # every writer run, as the server saw it once all have ended
        writer = client.read_deployment_by_name("store-runs/store-runs")
        # A crawl that ended while a writer ran asked for one more; it may still wait for the slot when the fan-out's
        # own writer run (which stored everything) has ended. It finds nothing left to do, but let it end first.
        deadline = time.monotonic() + 300
        while True:
            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[writer.id])))
            if all(r.state is not None and r.state.is_final() for r in runs) or time.monotonic() > deadline:
                break
            time.sleep(1)
        waited = {r.name: any(st.name == "AwaitingConcurrencySlot" for st in client.read_flow_run_states(r.id))
                  for r in runs}
    writers = [{"name": r.name, "state": r.state_name, "start": str(r.start_time), "end": str(r.end_time),
                "waited": waited[r.name]} for r in runs]
    print("WRITERS " + json.dumps(writers), flush=True)
    print("REPORT " + json.dumps(report, default=str), flush=True)
    """
)


def _run_dirs(work: Path, source: str) -> list[Path]:
    return sorted((work / "runs" / source).glob("*")) if (work / "runs" / source).exists() else []


def _descendants(pid: int) -> list[int]:
    """Every process `pid` started, and theirs (flow runs and crawls lead their own process groups)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process we started and every process under it, at once: what a machine that dies does."""
    family = _descendants(proc.pid)
    for pid in [proc.pid, *family]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop what we started (tests/test_schedule.py's _stop), then anything left under it, by PID."""
    family = [pid for proc in procs if proc.poll() is None for pid in _descendants(proc.pid)]
    _stop(procs)
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _kill_mid_crawl(
    workers: dict[str, subprocess.Popen[bytes]], folders: dict[str, Path], source: str, driver: subprocess.Popen[bytes]
) -> str:
    """Wait until a worker crawls `source` (its run folder has pages), then kill that worker and all under it."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        assert driver.poll() is None, "the driver ended before any crawl: see its log"
        for name, folder in folders.items():
            pages = [d / "pages.jsonl" for d in _run_dirs(folder / "work", source)]
            if any(p.exists() and p.stat().st_size for p in pages):
                _kill_tree(workers[name])
                return name
        time.sleep(0.2)
    raise AssertionError(f"no worker ever crawled {source}")


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
@pytest.mark.long_wait  # ~145 s, most of it Prefect's wait before it marks the killed worker's run Crashed
def test_two_workers_and_one_writer_share_only_the_store(moto_server: MotoServer, tmp_path: Path) -> None:
    from mirrors import SITES
    from mirrors.server import MirrorServer

    config = load_config()
    mirrors = {name: MirrorServer(config.sources[name].mirror or name) for name in SOURCES}
    killed_source = SOURCES[0]
    slow_page = SITES[config.sources[killed_source].mirror or killed_source].publications()[-1].path
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    # The store's address and fake credentials: all that the machines share.
    store_env = {**moto_server.env, "MIGDIGEST_STORE_URL": moto_server.store_url()}
    env = {
        **prefect_env(tmp_path, api_url, drop=("PREFECT_", "MIGDIGEST_", "AWS_")),
        **store_env,
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S),
    }
    # Each machine has its own folder and nothing else: the crawlers their working folders, the writer its digest.
    folders = {name: tmp_path / name for name in ("w1", "w2", "writer", "reader")}
    short_tmp = Path(tempfile.mkdtemp(prefix="migdigest-fleet-"))
    for folder in folders.values():
        folder.mkdir()
    db_path = folders["writer"] / "digest.db"
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    workers: dict[str, subprocess.Popen[bytes]] = {}
    started = time.monotonic()
    report: list[dict[str, Any]] = []
    try:
        for mirror in mirrors.values():
            mirror.start()
        # The first crawl of the killed source stalls on one page, so that its worker dies mid-crawl; the re-run
        # finds the page answering at once.
        mirrors[killed_source].faults.add(slow_page, "slow", delay=25.0, times=1)
        args = {"sources": SOURCES, "base_urls": {name: m.base_url for name, m in mirrors.items()}}
        server = _start(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, logs / "server.log"
        )
        procs.append(server)
        driver = _start(
            [sys.executable, "-c", DRIVER, api_url, json.dumps(args), str(ZOMBIE_S)], env, logs / "driver.log"
        )
        procs.append(driver)
        # Deadlines catch a hang, not slowness: on a loaded 2-core machine the server has taken over 120 s to start.
        _wait_healthy(api_url, server, timeout=300)
        for name, pool in (("w1", "migdigest"), ("w2", "migdigest"), ("writer", "migdigest-writer")):
            # Each machine has its own temporary folder, not the shared one. It sits right under the system's
            # temporary folder: multiprocessing puts the extraction pool's forkserver socket there, and an AF_UNIX
            # path longer than 107 bytes (one under pytest's tmp_path with xdist) cannot be bound.
            own_tmp = short_tmp / name
            own_tmp.mkdir()
            own = {**env, "MIGDIGEST_WORK_DIR": str(folders[name] / "work"), "TMPDIR": str(own_tmp)}
            if name == "writer":
                own["MIGDIGEST_DB"] = str(db_path)
            command = [PREFECT, "worker", "start", "--pool", pool, "--type", "process", "--name", name]
            if name != "writer":  # the writer's worker takes every run: only the deployment's limit keeps one at a time
                command += ["--limit", "1"]
            workers[name] = _start_in(command, own, logs / f"{name}.log", folders[name])
            procs.append(workers[name])
        killed = _kill_mid_crawl({n: workers[n] for n in ("w1", "w2")}, folders, killed_source, driver)
        # What the dead attempt had crawled, uploaded with a result as if it died before its marker.
        [dead_run] = _run_dirs(folders[killed] / "work", killed_source)
        _publish_without_marker(store_env, dead_run, killed_source)
        driver.wait(timeout=900)
        output = (logs / "driver.log").read_text(errors="replace")
        report_line = next((line for line in output.splitlines() if line.startswith("REPORT ")), None)
        assert report_line, f"the driver failed:\n{output[-4000:]}"
        report = json.loads(report_line.removeprefix("REPORT "))
        writers_line = next(line for line in output.splitlines() if line.startswith("WRITERS "))
        writers = json.loads(writers_line.removeprefix("WRITERS "))
        print(f"\nfleet of {SOURCES}, {killed} killed: {time.monotonic() - started:.0f} s; logs in {logs}")

        # (a) every publication of every mirror exactly once, through the store only
        by_source = {row["source"]: row for row in report}
        assert {n: (r["flow_run_state"], r["status"]) for n, r in by_source.items()} == {
            name: ("Completed", "ok") for name in SOURCES
        }
        # (b) its first run went Crashed when its heartbeats stopped (the zombie automation), then ran again
        assert by_source[killed_source]["reruns"] == 1
        assert by_source[killed_source]["rerun_because"] == "no heartbeat: its worker is gone"
        assert all(by_source[n]["reruns"] == 0 for n in SOURCES[1:])
        # One writer run at a time: every one completed, and none started before the previous one ended.
        assert {w["state"] for w in writers} == {"Completed"}
        spans = sorted((w["start"], w["end"]) for w in writers)
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans)), writers
        print(f"writer runs: {len(writers)}, of which waited for the slot: {sum(w['waited'] for w in writers)}")
        from storage import Digest

        with Digest(db_path) as db:
            for name in SOURCES:
                # The digest's canonical URLs drop a trailing slash.
                expected = {p.path.rstrip("/") for p in SITES[config.sources[name].mirror or name].publications()}
                rows = db.documents(name)
                paths = {urllib.parse.urlsplit(r["canonical_url"]).path.rstrip("/") for r in rows}
                assert len(rows) == len({r["canonical_url"] for r in rows}) == len(expected), name
                assert paths == expected, name
            assert db.integrity_check() == []
        _check_nothing_half_stored(db_path, store_env, dead_run.name, killed_source)

        # (c) a reader elsewhere serves the newest snapshot from the store
        reader_port = _free_port()
        reader = _start_in(
            [str(Path(sys.executable).parent / "migdigest"), "serve", "--from-store", "--port", str(reader_port)],
            {
                **env,
                "MIGDIGEST_WORK_DIR": str(folders["reader"] / "work"),
                "MIGDIGEST_DB": str(folders["reader"] / "digest.db"),
            },
            logs / "reader.log",
            folders["reader"],
        )
        procs.append(reader)
        word = _a_word_of(db_path)
        hits = _search_when_up(f"http://127.0.0.1:{reader_port}", word, reader)
        with Digest(db_path) as db:
            assert len(hits) == db.search_count(word, _no_filters())
        assert hits
    finally:
        _stop_all(procs)
        for mirror in mirrors.values():
            mirror.stop()
        shutil.rmtree(short_tmp, ignore_errors=True)


def _start_in(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


HALF_URL = "https://example.org/half-stored"


def _store(store_env: dict[str, str]) -> Any:
    from migdigest.objectstore import open_store

    return open_store(store_env["MIGDIGEST_STORE_URL"], endpoint_url=store_env["MIGDIGEST_STORE_ENDPOINT_URL"])


def _publish_without_marker(store_env: dict[str, str], run_dir: Path, source: str) -> None:
    """Upload a run directory and an extracted result under the run's own key, but no finished marker."""
    from extract.result_io import dump_result
    from extract.stage import ExtractResult
    from migdigest.models import Publication
    from spiders.runstore import publish_extracted, publish_run

    store = _store(store_env)
    publish_run(store, run_dir, source, run_dir.name)
    half = Publication(source=source, url=HALF_URL, canonical_url=HALF_URL, title="Half stored", body="never stored")
    publish_extracted(store, source, run_dir.name, dump_result(ExtractResult(publications=[half], source=source)))


def _check_nothing_half_stored(db_path: Path, store_env: dict[str, str], run_key: str, source: str) -> None:
    """The dead attempt's files are in the store without a marker, and the writer stored none of it."""
    from spiders.runstore import FINISHED, finished_runs, run_prefix
    from storage import Digest

    store = _store(store_env)
    prefix = run_prefix(source, run_key)
    assert store.keys(prefix)
    assert not store.exists(prefix + FINISHED)
    with Digest(db_path) as db:
        ingested = db.ingested_runs()
        assert (source, run_key) not in ingested
        assert db.document(HALF_URL) is None
        assert ingested == {(ref.source, ref.run_key) for ref in finished_runs(store)}  # every finished run, once
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def _a_word_of(db_path: Path) -> str:
    from storage import Digest

    with Digest(db_path) as db:
        title = str(db.documents(SOURCES[1])[0]["title"])
    return max(title.split(), key=len).strip(".,:;!?()\"'")


def _no_filters() -> Any:
    from storage.search import Filters

    return Filters()


def _search_when_up(base: str, word: str, reader: subprocess.Popen[bytes]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 180
    query = urllib.parse.urlencode({"_search": word, "_shape": "array", "_size": "max"})
    while True:
        assert reader.poll() is None, "migdigest serve --from-store exited"
        try:
            return list(_get_json(f"{base}/digest/documents.json?{query}"))
        except OSError:
            assert time.monotonic() < deadline, "the reader never answered"
            time.sleep(0.5)
