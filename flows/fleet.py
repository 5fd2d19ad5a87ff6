"""Crawlers anywhere, one writer: the flows of the object-store topology (docs/scaling.md).

`crawl-to-store` (one source, on any worker of the pool) crawls and extracts into the worker's own working folder,
publishes the run and its result to the store, writes the run's finished marker last and asks for a writer run.
`store-runs` (the single writer, one run at a time by its deployment's concurrency limit) ingests every finished
run not yet in the digest, in order, then clusters, merges the search index and publishes a snapshot and each
source's known pages. `fleet-fanout` starts one `crawl-to-store` run per source, re-runs those whose worker died,
then one writer run, and waits for it all.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, runtime, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment

from extract.result_io import dump_result
from extract.stage import ExtractResult, start_workers
from extract.taxonomy import load_taxonomy
from flows.nightly import (
    DEDUPE,
    crawl_source,
    dedupe_digest,
    extract_source,
    failed_stats,
    now_iso,
    optimize_search,
    run_stats,
    whole,
)
from flows.nightly import known_pages as digest_known_pages
from flows.storing import ingest_run, pending_runs, pending_window
from flows.weekly import wait_for_runs
from migdigest.config import Config, load_config
from migdigest.objectstore import ObjectStore, StoreKeyMissing
from migdigest.paths import DATA_DIR, DEFAULT_DB
from migdigest.taxonomy import taxonomy_path
from spiders.runstore import (
    RunRef,
    finish_run,
    indexed_runs,
    key_time,
    new_run_key,
    publish_extracted,
    publish_run,
    read_finished,
)
from storage import Digest
from storage.snapshot import publish_snapshot

CRAWL_DEPLOYMENT = "crawl-to-store/crawl-to-store"  # flow name / deployment name, as prefect.yaml declares them
WRITER_DEPLOYMENT = "store-runs/store-runs"
FLEET_ARTIFACT_KEY = "fleet-run"
CRAWL_POOL = "migdigest"  # any number of crawl workers, anywhere
WRITER_POOL = "migdigest-writer"  # one worker, on the digest's machine
ZOMBIE_AUTOMATION = "migdigest: crash zombie flow runs"
WRITER_ARTIFACT_KEY = "store-runs"
PUBLISH = "publish"  # the pending-work name of the snapshot and known pages, asked for before ingesting
WORK_DIR_ENV = "MIGDIGEST_WORK_DIR"  # each worker's own working folder (runs being crawled, runs being ingested)
DB_ENV = "MIGDIGEST_DB"  # the writer's digest, as for the CLI's --db


class FleetRunError(RuntimeError):
    """Some sources' crawl-to-store runs, or the writer run, did not complete."""


def work_dir(explicit: Path | str | None = None) -> Path:
    """This worker's own working folder: the argument, else $MIGDIGEST_WORK_DIR, else data/work."""
    chosen = explicit or os.environ.get(WORK_DIR_ENV) or DATA_DIR / "work"
    return Path(chosen)


def writer_db(explicit: Path | str | None = None) -> Path:
    """The writer's digest: the argument, else $MIGDIGEST_DB, else data/digest.db."""
    return Path(explicit or os.environ.get(DB_ENV) or DEFAULT_DB)


def configured_store(config: Config) -> ObjectStore:
    """The object store the configuration names (settings.store, overridden by MIGDIGEST_STORE_URL...)."""
    return config.settings.store.open()


# --- what a crawler needs of the digest: each source's known pages, published by the writer --------------------


def known_key(source: str) -> str:
    """Where the writer publishes what the digest knows of `source`'s pages."""
    return f"known/{source}.json"


def known_as_of(known: dict[str, dict[str, str]], now: str) -> dict[str, dict[str, str]]:
    """Known pages as of `now`: a revisit that was not due when the writer published them may be due by now."""
    # The writer marks a page "not_due" with the moment it falls due (Digest.known_pages); time only moves on, so
    # dropping the marks that passed gives what the digest itself would answer now.
    moment = datetime.fromisoformat(now)
    return {
        key: {k: v for k, v in state.items() if k != "not_due"}
        if state.get("not_due") and datetime.fromisoformat(state["not_due"]) <= moment
        else state
        for key, state in known.items()
    }


def known_from_store(store: ObjectStore, source: str) -> dict[str, dict[str, str]]:
    """What the digest knew of `source` at the last store, as of now (nothing published: a first crawl)."""
    key = known_key(source)
    if not store.exists(key):
        return {}
    return known_as_of(json.loads(store.get_bytes(key)), now_iso())


def publish_known(store: ObjectStore, db_path: Path, sources: list[str]) -> None:
    """Publish each source's known pages (keyed by page path, as the crawl wants them) for the crawlers."""
    for source in sources:
        known = digest_known_pages(db_path, source)
        store.put_bytes(known_key(source), json.dumps(known, sort_keys=True).encode())


# --- crawl-to-store: one source on any worker --------------------------------------------------------------------


@task(name="publish run", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish(
    store: ObjectStore, run_dir: Path, source: str, key: str, result: ExtractResult, stats: dict[str, Any]
) -> None:
    """Send the run directory and its extracted result to the store, then its finished marker, last."""
    publish_run(store, run_dir, source, key)
    publish_extracted(store, source, key, dump_result(result))
    finish_run(store, source, key, stats)


def request_writer(deployment: str = WRITER_DEPLOYMENT) -> str:
    """Ask for a writer run, unless one is waiting to start (it will see this run's marker); its name."""
    with get_client(sync_client=True) as client:
        writer = client.read_deployment_by_name(deployment)
        waiting = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[writer.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING]))
            ),
            limit=1,
        )
    if waiting:  # not started yet, so it lists the finished runs after this run's marker was written
        return waiting[0].name
    run = run_deployment(deployment, timeout=0, as_subflow=False)
    assert isinstance(run, FlowRun)  # the sync call returns the run, not a coroutine
    return run.name


@flow(name="crawl-to-store")
def crawl_to_store(
    source: str,
    base_url: str | None = None,
    config_dir: Path | None = None,
    work_dir_path: Path | None = None,
    writer: str | None = WRITER_DEPLOYMENT,
    keep_local: bool = False,
) -> dict[str, Any]:
    """Crawl and extract one source in this worker's folder, publish it to the store, then ask for the writer."""
    config = load_config(config_dir)
    chosen = config.source(source)
    taxonomy = load_taxonomy(taxonomy_path(config_dir))
    store = configured_store(config)
    key = new_run_key()  # a re-run gets a new key: an attempt that died left no marker, so it is never stored
    run_dir = work_dir(work_dir_path) / "runs" / source / key
    started, clock = now_iso(), time.perf_counter()
    start_workers()  # the extraction pool imports its modules while the crawl fetches
    step = "known_pages"
    try:
        known = known_from_store(store, source)
        step = "crawl"
        outcome = crawl_source(chosen, config.settings, run_dir, base_url, whole(known))
        step = "extract"
        result = extract_source.with_options(timeout_seconds=config.settings.extract_time_limit)(
            chosen, outcome.run_dir, whole(taxonomy)
        )
        stats = run_stats(source, started, outcome, result)
    except Exception as exc:  # recorded failed in the digest, like a night's source; nothing else is published
        get_run_logger().warning("source %s: %s", source, exc)
        stats, result = failed_stats(source, started, step, exc), ExtractResult(source=source)
        run_dir.mkdir(parents=True, exist_ok=True)
    stats.duration_s = round(time.perf_counter() - clock, 2)
    # The flow run's id travels in the marker, so that the fan-out finds which run a flow run published.
    publish(store, run_dir, source, key, whole(result), {**asdict(stats), "flow_run_id": str(runtime.flow_run.id)})
    if not keep_local:
        shutil.rmtree(run_dir, ignore_errors=True)  # the store has it now; a worker keeps no archive
    row = {"source": source, "run_key": key, "status": stats.status, "publications": len(result.publications)}
    if writer:
        try:
            row["writer_run"] = request_writer(writer)
        except Exception as exc:  # the run is safe in the store: the next writer run stores it
            get_run_logger().warning("run %s is in the store, but no writer run could be asked for: %s", key, exc)
    return row


# --- store-runs: the single writer -------------------------------------------------------------------------------


@task(name="ingest run", cache_policy=NO_CACHE)
def ingest(db_path: Path, store: ObjectStore, ref: RunRef, folder: Path, config: Config) -> dict[str, int]:
    """Store one finished run into the digest (idempotent: a run already ingested changes nothing)."""
    with Digest(db_path) as db:
        counts: dict[str, int] = ingest_run(db, store, ref, folder, config=config)
    return counts


@flow(name="store-runs")
def store_runs(
    db_path: Path | None = None, config_dir: Path | None = None, work_dir_path: Path | None = None
) -> dict[str, Any]:
    """Ingest every finished run the digest lacks, in order; then dedupe, merge the index and publish a snapshot."""
    db_file = writer_db(db_path)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    config = load_config(config_dir)
    store = configured_store(config)
    folder = work_dir(work_dir_path) / "ingest"
    with Digest(db_file) as db:
        leftover = db.pending_work()  # asked for by a writer run that ended before doing it
        refs = pending_runs(db, store, window=pending_window(config))
        if refs:  # asked for before storing: a writer killed after storing still leaves it asked for
            db.request_work(PUBLISH)
    counts: Counter[str] = Counter()
    rows = []
    for ref in refs:
        stored = ingest(db_file, store, ref, folder, config)  # asks for the dedupe when it stores a change
        counts.update(stored)
        rows.append({"run": str(ref), **stored})
    began = Digest.work_began()  # after ingesting: what ingesting asked for is done below
    with Digest(db_file) as db:
        pending = db.pending_work()
    if DEDUPE in pending:
        dedupe_digest(db_file)
        optimize_search(db_file)
        with Digest(db_file) as db:
            db.work_done(DEDUPE, began)
    snapshot = None
    if PUBLISH in pending:
        with Digest(db_file) as db:
            everyone = sorted(db.source_titles())
        # Known pages change only for the sources stored now, unless an earlier writer run left publishing undone.
        publish_known(store, db_file, everyone if PUBLISH in leftover else sorted({ref.source for ref in refs}))
        snapshot = publish_snapshot(store, db_file, keep=config.settings.store.keep_snapshots)
        with Digest(db_file) as db:
            db.work_done(PUBLISH, began)
    shutil.rmtree(folder, ignore_errors=True)
    create_markdown_artifact(key=WRITER_ARTIFACT_KEY, markdown=writer_markdown(rows, snapshot))
    return {"runs": [str(ref) for ref in refs], **counts, "snapshot": snapshot}


def writer_markdown(rows: list[dict[str, Any]], snapshot: str | None) -> str:
    """One row per run a writer run took from the store (0 ingested: stored before, left as it was)."""
    lines = [
        "# Runs stored from the object store",
        "",
        "| run | ingested | publications | new | changed | unchanged | gone |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['ingested']} | {r['publications']} | {r['new']} | {r['changed']}"
            f" | {r['unchanged']} | {r['gone']} |"
        )
    lines += ["", f"Snapshot: `{snapshot}`" if snapshot else "No new snapshot: nothing changed."]
    return "\n".join(lines) + "\n"


# --- fleet-fanout: one crawl-to-store run per source -------------------------------------------------------------


@flow(name="fleet-fanout")
def fleet_fanout(
    sources: list[str] | None = None,
    base_urls: dict[str, str] | None = None,
    config_dir: Path | None = None,
    deployment: str = CRAWL_DEPLOYMENT,
    writer: str = WRITER_DEPLOYMENT,
    reruns: int = 1,
    poll_seconds: float = 5.0,
    timeout_s: float = 6 * 3600,
) -> list[dict[str, Any]]:
    """One `deployment` run per source on any worker; a run whose worker died (Crashed) is run again `reruns`
    times; then one writer run, waited for, so that the digest holds the night when this flow returns."""
    logger = get_run_logger()
    began = datetime.now(UTC)
    config = load_config(config_dir)
    names = sources or list(config.sources)
    for name in names:
        config.source(name)  # an unknown name fails the run before anything starts

    def start(name: str, attempt: int) -> Any:
        parameters: dict[str, Any] = {"source": name, "writer": writer}
        if config_dir is not None:
            parameters["config_dir"] = str(config_dir)
        if base_urls and name in base_urls:
            parameters["base_url"] = base_urls[name]
        suffix = f"-rerun{attempt}" if attempt else ""
        child = run_deployment(deployment, parameters=parameters, timeout=0, flow_run_name=f"crawl-{name}{suffix}")
        assert isinstance(child, FlowRun)
        return child.id

    run_ids = {name: start(name, 0) for name in names}
    finished = wait_for_runs(run_ids, poll_seconds, timeout_s)
    attempts = dict.fromkeys(names, 0)
    why: dict[str, str] = {}  # the state message of a run that was run again
    for attempt in range(1, reruns + 1):
        crashed = [n for n, r in finished.items() if r.state is not None and r.state.is_crashed()]
        if not crashed:
            break
        logger.warning("runs whose worker died, run again: %s", ", ".join(crashed))
        why.update({n: str(getattr(finished[n].state, "message", "") or "") for n in crashed})
        again = {name: start(name, attempt) for name in crashed}
        attempts.update(dict.fromkeys(crashed, attempt))
        finished.update(wait_for_runs(again, poll_seconds, timeout_s))
    writer_run = run_deployment(writer, timeout=0, flow_run_name="store-runs-after-fanout")
    assert isinstance(writer_run, FlowRun)
    stored = wait_for_runs({"writer": writer_run.id}, poll_seconds, timeout_s)["writer"]
    store = configured_store(config)
    markers = {}
    for ref in indexed_runs(store, since=key_time(began)):  # this fan-out's runs, not the whole archive
        try:
            marker = read_finished(store, ref)
        except StoreKeyMissing:
            continue  # an attempt that died before its marker
        markers[str(marker.get("stats", {}).get("flow_run_id"))] = marker
    report = []
    for name in names:
        run = finished[name]
        state = run.state
        marker = markers.get(str(run.id), {})
        row: dict[str, Any] = dict(marker.get("stats") or {"source": name, "status": "missing"})
        row.update(
            source=name,
            run_key=marker.get("run_key"),
            flow_run=run.name,
            flow_run_state=state.name if state else "unknown",
            reruns=attempts[name],
            rerun_because=why.get(name, ""),
            writer_run_state=stored.state.name if stored.state else "unknown",
        )
        report.append(row)
    create_markdown_artifact(
        key=FLEET_ARTIFACT_KEY,
        markdown=fanout_markdown(report),
        description="What each source's crawl-to-store run published; the writer stored it after",
    )
    bad = [r["source"] for r in report if r["flow_run_state"] != "Completed"]
    if bad or not (stored.state and stored.state.is_completed()):
        raise FleetRunError(f"did not complete: {', '.join(bad) or 'the writer run'} (see the artifact)")
    return report


def fanout_markdown(report: list[dict[str, Any]]) -> str:
    """One row per source: what its worker published (the writer's artifact says what was stored), then alerts."""
    lines = [
        f"# Fleet run: {len(report)} source(s) through the object store",
        "",
        "| source | status | fetched | errors | seconds | run key | flow run | state | re-runs |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | --- | ---: |",
    ]
    for r in report:
        errors = sum((r.get("errors") or {}).values())
        lines.append(
            f"| {r['source']} | {r['status']} | {r.get('pages_fetched', 0)} | {errors}"
            f" | {float(r.get('duration_s') or 0):.1f} | {r.get('run_key') or ''} | {r['flow_run']}"
            f" | {r['flow_run_state']} | {r['reruns']} |"
        )
    alerts = [r for r in report if r["status"] != "ok" or r["flow_run_state"] != "Completed" or r["reruns"]]
    if alerts:
        lines += ["", "## Alerts", ""]
        for r in alerts:
            why = f"; run again after: {r['rerun_because']}" if r.get("rerun_because") else ""
            text = f"{r['status']}, flow run {r['flow_run_state']}: {str(r.get('message') or '').strip()[:300]}{why}"
            lines.append(f"- **{r['source']}**: {text}")
    lines += ["", f"Writer run after the crawls: {report[0]['writer_run_state'] if report else 'none'}"]
    return "\n".join(lines) + "\n"


# --- zombie runs: a worker that dies leaves its run Running; Prefect marks it Crashed when heartbeats stop --------


def zombie_automation(within_s: float = 90.0) -> Any:
    """The automation that marks a flow run Crashed when its heartbeats stop for `within_s` seconds.

    Flow runs send heartbeats when PREFECT_FLOWS_HEARTBEAT_FREQUENCY is set (at least 30 s) on the workers;
    `within_s` should be about three of them. Prefect's documented recipe (Detect zombie flows).
    """
    from prefect.automations import Automation
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=ZOMBIE_AUTOMATION,
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=within_s),
        ),
        actions=[
            ChangeFlowRunState(
                name="Crashed", state=StateType.CRASHED, message="no heartbeat: its worker is gone", force=False
            )
        ],
    )


def setup_fleet(pools: tuple[str, ...] = (CRAWL_POOL, WRITER_POOL), within_s: float = 600.0) -> list[str]:
    """Create what prefect.yaml cannot: the work pools (process type) and the zombie automation; says what it did.

    Safe to run again: what exists is left as it is.
    """
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.workers.process import ProcessWorker

    done = []
    with get_client(sync_client=True) as client:
        for pool in pools:
            try:
                template = ProcessWorker.get_default_base_job_template()
                client.create_work_pool(WorkPoolCreate(name=pool, type="process", base_job_template=template))
                done.append(f"work pool {pool}: created")
            except ObjectAlreadyExists:
                done.append(f"work pool {pool}: exists")
        exists = client.read_automations_by_name(name=ZOMBIE_AUTOMATION)
    if exists:
        done.append(f"automation {ZOMBIE_AUTOMATION!r}: exists")
    else:
        zombie_automation(within_s).create()
        done.append(f"automation {ZOMBIE_AUTOMATION!r}: created ({within_s:.0f} s without a heartbeat)")
    return done
