"""Schedules: the deployed flows run through Prefect on the mirrors; prefect.yaml; two workers sharing one digest."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from migdigest.config import load_config
from migdigest.paths import REPO_ROOT
from outputs import roundup as rd
from storage import Digest
from tests.test_mail import Inbox

PREFECT = str(Path(sys.executable).parent / "prefect")
TEAMS_YAML = """
teams:
  everything:
    recipients: [digest@example.org]
  policy:
    title: Policy desk
    recipients: [policy@example.org, desk@example.org]
    searches: [{name: asylum, query: asylum}]
"""


def prefect_env(tmp_path: Path, api_url: str, drop: tuple[str, ...] = ("PREFECT_",)) -> dict[str, str]:
    """This environment for a Prefect server, workers and drivers of a test's own: its home, its API, quiet."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(drop)},
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_CLI_PROMPT": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PYTHONPATH": str(REPO_ROOT),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api_post(api_url: str, path: str, body: dict[str, Any]) -> Any:
    """POST to the Prefect API with every field spelled out (this stack's server refuses JSON nulls)."""
    request = urllib.request.Request(
        api_url.rstrip("/") + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _artifacts(api_url: str, key: str) -> list[dict[str, Any]]:
    body = {"artifacts": {"key": {"any_": [key]}}, "limit": 50, "offset": 0, "sort": "CREATED_DESC"}
    return list(_api_post(api_url, "/artifacts/filter", body))


def _harness_api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the Prefect test harness sets PREFECT_API_URL"
    return str(url)


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("schedule-config")
    shutil.copy(REPO_ROOT / "config" / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(REPO_ROOT / "config" / "sources.d", folder / "sources.d")
    (folder / "teams.yaml").write_text(TEAMS_YAML, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def crawled(prefect_harness: None, mpi_mirror: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The MPI mirror crawled by the nightly flow as the deployments run it (with its summary hook)."""
    from flows.weekly import scheduled_nightly

    db_path = tmp_path_factory.mktemp("schedule") / "digest.db"
    state = scheduled_nightly(sources=["mpi"], db_path=db_path, base_urls={"mpi": mpi_mirror}, return_state=True)
    return db_path, state


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def _newest_week(db_path: Path) -> rd.IsoWeek:
    from datetime import date

    with Digest(db_path) as db:
        newest = max(d["published"] for d in db.documents("mpi") if d["published"])
    return rd.IsoWeek.containing(date.fromisoformat(newest[:10]))


# --- the flows through Prefect's engine, on the mirror ----------------------------------------------------------


def test_scheduled_nightly_stores_the_mirror_and_publishes_a_summary(crawled: tuple[Path, Any]) -> None:
    from mirrors import SITES

    db_path, state = crawled
    assert state.is_completed(), state.message
    [report] = state.result()
    assert report["status"] == "ok"
    assert report["new"] == len(SITES["mpi"].publications())
    with Digest(db_path) as db:
        assert len(db.documents("mpi")) == len(SITES["mpi"].publications())
    [artifact] = [
        a
        for a in _artifacts(_harness_api_url(), "nightly-run")
        if a["flow_run_id"] == str(state.state_details.flow_run_id)
    ]
    assert artifact["type"] == "markdown"
    assert f"| mpi | ok | {report['pages_fetched']} | {report['new']} | 0 | 0 | 0 | 0 |" in artifact["data"]


def test_weekly_roundup_archives_and_emails_every_team(
    crawled: tuple[Path, Any],
    config_dir: Path,
    smtp: tuple[Inbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.weekly import weekly_roundup

    db_path, _ = crawled
    inbox, port = smtp
    monkeypatch.setenv("MIGDIGEST_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MIGDIGEST_SMTP_PORT", str(port))
    monkeypatch.setenv("MIGDIGEST_MAIL_FROM", "roundups@example.org")
    week = _newest_week(db_path)
    state = weekly_roundup(week=week.label, db_path=db_path, out_dir=tmp_path, config_dir=config_dir, return_state=True)
    assert state.is_completed(), state.message
    rows = {row["team"]: row for row in state.result()}
    with Digest(db_path) as db:
        expected = db.documents_in_period(week.start.isoformat(), week.end.isoformat())
    assert expected
    assert rows["everything"]["items"] == len(expected)
    assert rows["policy"]["items"] <= len(expected)
    for team, row in rows.items():
        assert row["send"]["sent"]
        assert row["send"]["attempts"] == 1
        for fmt in ("html", "md", "txt"):
            assert (tmp_path / "roundups" / team / f"{week.label}.{fmt}").exists()
    received = {tuple(env.rcpt_tos) for env, _ in inbox.received}
    assert received == {("digest@example.org",), ("policy@example.org", "desk@example.org")}
    everything = next(m for m in inbox.messages() if m["To"] == "digest@example.org")
    assert everything["Subject"].startswith(f"everything: weekly roundup, {week.dates} ({week.label}): ")
    assert expected[0]["title"] in everything.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [artifact] = [
        a
        for a in _artifacts(_harness_api_url(), "weekly-roundup")
        if a["flow_run_id"] == str(state.state_details.flow_run_id)
    ]
    assert "| everything | " in artifact["data"]
    assert "sent to 1 (attempts: 1)" in artifact["data"]


def test_weekly_roundup_send_failure_fails_the_run_but_keeps_the_archive(
    crawled: tuple[Path, Any], config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.weekly import weekly_roundup

    db_path, _ = crawled
    monkeypatch.setenv("MIGDIGEST_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MIGDIGEST_SMTP_PORT", str(_free_port()))  # nothing listens there
    week = _newest_week(db_path)
    state = weekly_roundup(
        week=week.label, teams=["policy"], db_path=db_path, out_dir=tmp_path, config_dir=config_dir,
        send_attempts=2, send_backoff=0.01, return_state=True,
    )  # fmt: skip
    assert state.is_failed()
    assert "roundups archived but not emailed for: policy" in str(state.message)
    assert (tmp_path / "roundups" / "policy" / f"{week.label}.html").exists()
    [artifact] = [
        a
        for a in _artifacts(_harness_api_url(), "weekly-roundup")
        if a["flow_run_id"] == str(state.state_details.flow_run_id)
    ]
    assert "**FAILED** after 2 attempt(s): ConnectionRefusedError" in artifact["data"]


def test_weekly_roundup_without_smtp_settings_still_archives(
    crawled: tuple[Path, Any], config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.weekly import weekly_roundup

    monkeypatch.delenv("MIGDIGEST_SMTP_HOST", raising=False)
    db_path, _ = crawled
    state = weekly_roundup(
        week="2026-W47", teams=["everything"], db_path=db_path, out_dir=tmp_path, config_dir=config_dir,
        return_state=True,
    )  # fmt: skip
    assert state.is_failed()
    assert (tmp_path / "roundups" / "everything" / "2026-W47.txt").read_text().count("Nothing new this week.") == 1


# --- serving and deployments (no server needed) ---------------------------------------------------------------


def test_served_deployments_have_the_cron_schedules(tmp_path: Path) -> None:
    from flows.schedule import build_deployments

    nightly, weekly = build_deployments(db_path=tmp_path / "d.db", out_dir=tmp_path, timezone="Europe/Berlin")
    assert (nightly.name, nightly.flow_name, weekly.name, weekly.flow_name) == (
        "nightly", "nightly", "weekly-roundup", "weekly-roundup",
    )  # fmt: skip
    crons = [
        (getattr(s.schedule, "cron", None), getattr(s.schedule, "timezone", None)) for s in nightly.schedules or []
    ]
    assert crons == [("0 2 * * *", "Europe/Berlin")]
    assert [getattr(s.schedule, "cron", None) for s in weekly.schedules or []] == ["0 7 * * 1"]
    assert str(nightly.entrypoint).endswith("flows/weekly.py:scheduled_nightly")  # the variant with the summary hook
    assert nightly.parameters == {"db_path": str(tmp_path / "d.db"), "config_dir": None}
    assert weekly.parameters["out_dir"] == str(tmp_path)
    assert weekly.parameters["send"] is True


def _schedule_cli() -> typer.Typer:
    from cli.schedule import schedule

    app = typer.Typer()
    app.command()(schedule)

    @app.callback()
    def main() -> None:
        """Keep `schedule` a subcommand, as in migdigest."""

    return app


def test_schedule_explains_that_cron_needs_a_prefect_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.schedule

    monkeypatch.setattr(flows.schedule, "configured_api_url", lambda: None)
    result = CliRunner().invoke(_schedule_cli(), ["schedule"])
    assert result.exit_code == 2
    assert "PREFECT_API_URL is not set" in result.output
    assert "prefect server start --host 127.0.0.1" in result.output
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in result.output

    url = f"http://127.0.0.1:{_free_port()}/api"
    monkeypatch.setattr(flows.schedule, "configured_api_url", lambda: url)
    result = CliRunner().invoke(_schedule_cli(), ["schedule"])
    assert result.exit_code == 2
    assert f"no Prefect server answers at {url}" in result.output


def test_prefect_yaml_declares_the_deployments_for_a_work_pool() -> None:
    from prefect.cli.deploy._models import PrefectYamlModel
    from prefect.flows import load_flow_from_entrypoint

    spec = PrefectYamlModel.model_validate(yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text()))
    by_name = {d.name: d for d in spec.deployments}
    single = {"nightly", "nightly-source", "weekly-roundup"}  # the fleet's deployments: tests/test_fleet.py
    assert set(by_name) == single | {"crawl-to-store", "store-runs", "fleet"}
    crons = {name: [getattr(s, "cron", None) for s in d.schedules or []] for name, d in by_name.items()}
    assert {n: c for n, c in crons.items() if n in single} == {
        "nightly": ["0 2 * * *"], "nightly-source": [], "weekly-roundup": ["0 7 * * 1"],
    }  # fmt: skip
    assert not any(crons[n] for n in set(by_name) - single)  # one nightly crawl: the fleet takes nightly's cron
    flows: dict[str | None, Any] = {}
    for name, deployment in ((n, by_name[n]) for n in sorted(single)):
        assert deployment.work_pool
        assert deployment.work_pool.name == "migdigest"
        assert deployment.entrypoint
        flows[name] = load_flow_from_entrypoint(str(REPO_ROOT / deployment.entrypoint))
    assert (flows["nightly"].name, flows["nightly-source"].name, flows["weekly-roundup"].name) == (
        "nightly-fanout", "nightly", "weekly-roundup",
    )  # fmt: skip
    from flows.weekly import SOURCE_DEPLOYMENT

    assert SOURCE_DEPLOYMENT == "nightly/nightly-source"  # what the fan-out starts, as declared above
    assert flows["nightly-source"].on_completion_hooks  # the summary artifact travels with the entrypoint


# --- two workers, one digest ----------------------------------------------------------------------------------

# Runs in its own process against the real server: registers prefect.yaml's deployments, waits for two online
# workers, then runs the fan-out flow, which starts one nightly-source run per source and waits for them.
DRIVER = textwrap.dedent(
    """
    import json, os, sys, time, urllib.request
    import yaml
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments.runner import RunnerDeployment
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.schedules import Cron
    from prefect.workers.process import ProcessWorker
    from flows.weekly import nightly_fanout

    api, args = sys.argv[1], json.loads(sys.argv[2])

    def post(path, body):
        req = urllib.request.Request(api + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=30).read())

    deadline = time.monotonic() + 300
    while True:  # the server may still be starting
        try:
            if json.loads(urllib.request.urlopen(api + "/health", timeout=2).read()) is True:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "no healthy server"
        time.sleep(0.5)
    spec = yaml.safe_load(open("prefect.yaml"))
    pool = spec["definitions"]["work_pool"]["name"]
    with get_client(sync_client=True) as client:
        for name in sorted({d["work_pool"]["name"] for d in spec["deployments"]}):  # the fleet's writer has its own
            try:
                template = ProcessWorker.get_default_base_job_template()
                client.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))
            except ObjectAlreadyExists:
                pass
    # As `prefect deploy` does: flow runs start in this checkout (without a pull step Prefect 3.8 copies the whole
    # folder, .venv included, into a temporary workspace for every flow run, and deletes it after).
    here = [{"prefect.deployments.steps.set_working_directory": {"directory": os.getcwd()}}]
    for d in spec["deployments"]:
        deployment_id = RunnerDeployment.from_entrypoint(
            d["entrypoint"], name=d["name"], parameters=d["parameters"], tags=d["tags"],
            description=d["description"], work_pool_name=d["work_pool"]["name"],
            work_queue_name=d["work_pool"]["work_queue_name"],
            schedules=[Cron(s["cron"], timezone=s["timezone"]) for s in d["schedules"]],
        ).apply()
        with get_client(sync_client=True) as client:
            client.update_deployment(deployment_id, DeploymentUpdate(pull_steps=here))
    deadline = time.monotonic() + 300
    while len(post(f"/work_pools/{pool}/workers/filter", {"limit": 10, "offset": 0,
               "workers": {"status": {"any_": ["ONLINE"]}}})) < 2:
        assert time.monotonic() < deadline, "the two workers never came online"
        time.sleep(0.5)
    print("REPORT " + json.dumps(nightly_fanout(**args, poll_seconds=1.0), default=str), flush=True)
    """
)


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            args, env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(procs: list[subprocess.Popen[bytes]], grace: float = 5.0) -> None:
    """Stop processes we started and everything they started (each has its own session), all at once."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # workers may finish their current poll first
            proc.wait(timeout=10)


def _wait_healthy(api_url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "prefect server exited"
        try:
            with urllib.request.urlopen(api_url + "/health", timeout=2) as response:
                if json.loads(response.read()) is True:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout} s")


@pytest.mark.slow
def test_two_workers_crawl_two_sources_into_one_digest(mpi_mirror: str, tmp_path: Path) -> None:
    from mirrors import SITES
    from mirrors.server import MirrorServer

    started = time.monotonic()
    config = load_config()
    # A second mirrored source that is not blocked by design (odi's mirror answers normally; its challenge
    # variant is a separate mirror).
    other = next((n for n, s in config.sources.items() if n != "mpi" and s.mirror in SITES), None)
    if other is None:
        pytest.skip("needs a second configured source with a bundled mirror")
    sources = ["mpi", other]
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(tmp_path, api_url)
    db_path = tmp_path / "digest.db"
    logs = tmp_path / "logs"
    logs.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    mirror = MirrorServer(config.sources[other].mirror or "")
    try:
        mirror.start()
        args = {"sources": sources, "db_path": str(db_path), "base_urls": {"mpi": mpi_mirror, other: mirror.base_url}}
        server = _start(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env, logs / "server.log"
        )
        procs.append(server)
        # The driver imports Prefect and the flows while the server starts.
        driver = _start([sys.executable, "-c", DRIVER, api_url, json.dumps(args)], env, logs / "driver.log")
        procs.append(driver)
        # Deadlines catch a hang, not slowness: on a loaded 2-core machine the server has taken over 120 s to start.
        _wait_healthy(api_url, server, timeout=300)
        for name in ("w1", "w2"):
            worker = [
                PREFECT,
                "worker",
                "start",
                "--pool",
                "migdigest",
                "--type",
                "process",
                "--name",
                name,
                "--limit",
                "1",
            ]
            procs.append(_start(worker, env, logs / f"{name}.log"))
        driver.wait(timeout=900)
        output = (logs / "driver.log").read_text(errors="replace")
        report_line = next((line for line in output.splitlines() if line.startswith("REPORT ")), None)
        assert report_line, f"the driver failed:\n{output[-3000:]}"
        report = json.loads(report_line.removeprefix("REPORT "))
        print(f"\ntwo workers, sources {sources}: {time.monotonic() - started:.0f} s; logs in {logs}")
    finally:
        _stop(procs)
        mirror.stop()
    assert {row["source"]: (row["status"], row["flow_run_state"]) for row in report} == {
        name: ("ok", "Completed") for name in sources
    }
    ran_on = {
        run: [w for w in ("w1", "w2") if f"Flow run '{run}'" in (logs / f"{w}.log").read_text(errors="replace")]
        for run in (row["flow_run"] for row in report)
    }
    assert sorted(w for workers in ran_on.values() for w in workers) == ["w1", "w2"], ran_on  # one run each
    with Digest(db_path) as db:
        for name in sources:
            expected = {p.path for p in SITES[config.sources[name].mirror or name].publications()}
            rows = db.documents(name)
            assert len(rows) == len(expected) == len({r["canonical_url"] for r in rows})
        assert db.integrity_check() == []  # PRAGMA integrity_check, foreign keys and the FTS index
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
