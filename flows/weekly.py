"""The scheduled flows: `weekly_roundup` (every team's roundup, archived then emailed) and nightly's deployable
forms: `scheduled_nightly` (the nightly flow plus a run-summary artifact) and `nightly_fanout` (one flow run per
source through a deployment, for several workers). flows/schedule.py and prefect.yaml deploy them.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.deployments import run_deployment

from flows.nightly import nightly
from migdigest.config import load_config
from migdigest.paths import DEFAULT_DB, DEFAULT_OUT_DIR
from migdigest.teams import Team, TeamSettings
from outputs import roundup as rd
from outputs.mail import DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_S, MailConfigError, SendResult, SmtpSettings, send_roundup
from storage import Digest

ARTIFACT_KEY = "weekly-roundup"
NIGHTLY_ARTIFACT_KEY = "nightly-run"
SOURCE_DEPLOYMENT = "nightly/nightly-source"  # flow name / deployment name, as prefect.yaml declares it


class RoundupSendError(RuntimeError):
    """Some roundups were archived but could not be emailed; the flow run fails so that operators see it."""


@task(name="build roundup", cache_policy=NO_CACHE)
def build_and_archive(db_path: Path, team: Team, week: str, out_dir: Path, settings: TeamSettings) -> rd.Archived:
    """Build one team's roundup and write it to the archive (and its feed) before anything is sent."""
    with Digest(db_path) as digest:
        return rd.produce(digest, team, rd.IsoWeek.parse(week), out_dir, settings)


# The one network task of this flow. Its retries live in send_roundup (attempts with backoff, permanent 5xx
# answers not retried) so that `migdigest roundup --send` behaves the same without Prefect.
@task(name="send roundup", cache_policy=NO_CACHE)
def send_archived(archived: rd.Archived, smtp: SmtpSettings, attempts: int, backoff: float) -> dict[str, Any]:
    """Email one archived roundup; returns the outcome, never raises for SMTP trouble."""
    return asdict(send_roundup(archived, smtp, attempts=attempts, backoff=backoff))


def summary_markdown(week: str, rows: list[dict[str, Any]]) -> str:
    """The run summary as a Markdown table (one row per team)."""
    lines = [
        f"# Weekly roundups, {week}",
        "",
        "| team | publications | archived | email |",
        "| --- | ---: | --- | --- |",
    ]
    for row in rows:
        if row["send"] is None:
            email = row.get("note") or "not sent (send=False)"
        elif row["send"]["sent"]:
            email = f"sent to {len(row['send']['recipients'])} (attempts: {row['send']['attempts']})"
        else:
            email = f"**FAILED** after {row['send']['attempts']} attempt(s): {row['send']['error']}"
        lines.append(f"| {row['team']} | {row['items']} | `{row['html']}` | {email.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


@flow(name="weekly-roundup")
def weekly_roundup(
    week: str | None = None,
    teams: list[str] | None = None,
    send: bool = True,
    db_path: Path = DEFAULT_DB,
    out_dir: Path = DEFAULT_OUT_DIR,
    config_dir: Path | None = None,
    send_attempts: int = DEFAULT_ATTEMPTS,
    send_backoff: float = DEFAULT_BACKOFF_S,
) -> list[dict[str, Any]]:
    """Archive every team's (or `teams`') roundup of `week` (default: last complete week), then email them."""
    logger = get_run_logger()
    iso_week = rd.IsoWeek.parse(week) if week else rd.IsoWeek.last_complete()
    config = rd.load_team_config(config_dir)
    chosen = rd.pick_teams(config, teams)
    smtp, mail_problem = None, ""
    if send:
        try:
            smtp = SmtpSettings.from_env()
        except MailConfigError as exc:  # archive anyway; the run fails at the end, naming the fix
            mail_problem = str(exc)
    rows: list[dict[str, Any]] = []
    for team in chosen:
        archived = build_and_archive(Path(db_path), team, iso_week.label, Path(out_dir), config.settings)
        outcome, note = None, ""
        if send and not team.recipients:
            note = "no recipients in teams.yaml: archived only"
        elif smtp is not None:
            outcome = send_archived(archived, smtp, send_attempts, send_backoff)
        elif mail_problem:
            outcome = asdict(SendResult(team=team.name, recipients=list(team.recipients), error=mail_problem))
        if outcome and not outcome["sent"]:
            logger.error("roundup of %s for %s not sent: %s", team.name, iso_week.label, outcome["error"])
        rows.append(
            {
                "team": team.name,
                "week": iso_week.label,
                "items": len(archived.roundup.items),
                "html": str(archived.files["html"]),
                "files": {fmt: str(path) for fmt, path in archived.files.items()},
                "feed": str(archived.feed),
                "send": outcome,
                "note": note,
            }
        )
    create_markdown_artifact(
        key=ARTIFACT_KEY,
        markdown=summary_markdown(iso_week.label, rows),
        description=f"Weekly roundups for {iso_week.label}",
    )
    failed = [row["team"] for row in rows if row["send"] and not row["send"]["sent"]]
    if failed:
        raise RoundupSendError(f"roundups archived but not emailed for: {', '.join(failed)} (see the artifact)")
    return rows


# --- nightly: a summary artifact without touching flows/nightly.py -------------------------------------------


def nightly_summary_markdown(report: list[dict[str, Any]], title: str = "Nightly run") -> str:
    """One row per source (the stats dicts nightly() returns, or crawl_runs rows), alerts listed below."""
    lines = [
        f"# {title}",
        "",
        "| source | status | fetched | new | changed | unchanged | gone | errors | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report:
        errors = sum((row.get("errors") or {}).values())
        lines.append(
            f"| {row['source']} | {row['status']} | {row.get('pages_fetched', 0)} | {row.get('new', 0)}"
            f" | {row.get('changed', 0)} | {row.get('unchanged', 0)} | {row.get('gone', 0)} | {errors}"
            f" | {float(row.get('duration_s') or 0):.1f} |"
        )
    alerts = [row for row in report if row["status"] != "ok"]
    if alerts:
        lines += ["", "## Alerts", ""]
        lines += [f"- **{r['source']}**: {r['status']}: {str(r.get('message') or '').strip()[:300]}" for r in alerts]
    return "\n".join(lines) + "\n"


def _nightly_completed(flow: Flow[Any, Any], flow_run: FlowRun, state: State[Any]) -> None:
    """on_completion hook: the run's per-source table as a markdown artifact of this flow run."""
    report = state.result(raise_on_failure=False)
    if isinstance(report, list):
        create_markdown_artifact(
            key=NIGHTLY_ARTIFACT_KEY,
            markdown=nightly_summary_markdown(report, f"Nightly run {flow_run.name}"),
            description="What each source yielded in this nightly run",
        )


def _nightly_failed(flow: Flow[Any, Any], flow_run: FlowRun, state: State[Any]) -> None:
    """on_failure hook: say that the run failed, and why, where operators look for the summary."""
    create_markdown_artifact(
        key=NIGHTLY_ARTIFACT_KEY,
        markdown=f"# Nightly run {flow_run.name}: FAILED\n\n```\n{state.message or 'no message'}\n```\n",
        description="The nightly run failed",
    )


# The nightly flow as deployments run it: the same flow (same name, parameters and tasks) with hooks that
# publish its summary. Hooks travel with this object, so deployments must use this entrypoint
# (flows/weekly.py:scheduled_nightly), not flows/nightly.py:nightly.
scheduled_nightly = nightly.with_options(on_completion=[_nightly_completed], on_failure=[_nightly_failed])


class NightlyFanoutError(RuntimeError):
    """Some per-source nightly runs did not complete."""


def wait_for_runs(run_ids: dict[str, Any], poll_seconds: float, timeout_s: float) -> dict[str, FlowRun]:
    """Poll the API until every flow run is in a final state (or the timeout passes); the last seen runs."""
    deadline = time.monotonic() + timeout_s
    latest: dict[str, FlowRun] = {}
    with get_client(sync_client=True) as client:
        while True:
            latest = {name: client.read_flow_run(run_id) for name, run_id in run_ids.items()}
            if all(r.state is not None and r.state.is_final() for r in latest.values()):
                return latest
            if time.monotonic() > deadline:
                return latest
            time.sleep(poll_seconds)


@flow(name="nightly-fanout")
def nightly_fanout(
    sources: list[str] | None = None,
    db_path: Path = DEFAULT_DB,
    base_urls: dict[str, str] | None = None,
    config_dir: Path | None = None,
    deployment: str = SOURCE_DEPLOYMENT,
    poll_seconds: float = 5.0,
    timeout_s: float = 6 * 3600,
) -> list[dict[str, Any]]:
    """Start one `deployment` run per source (workers pick them up in parallel), wait, summarise from the digest."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    config = load_config(config_dir)
    names = sources or list(config.sources)
    for name in names:
        config.source(name)  # an unknown name fails the run before anything starts
    run_ids = {}
    for name in names:
        parameters: dict[str, Any] = {"sources": [name], "db_path": str(db_path)}
        if config_dir is not None:
            parameters["config_dir"] = str(config_dir)
        if base_urls and name in base_urls:
            parameters["base_urls"] = {name: base_urls[name]}
        child = run_deployment(deployment, parameters=parameters, timeout=0, flow_run_name=f"nightly-{name}")
        assert isinstance(child, FlowRun)  # the sync call returns the run, not a coroutine
        run_ids[name] = child.id
    finished = wait_for_runs(run_ids, poll_seconds, timeout_s)
    with Digest(db_path) as digest:
        runs = [r for r in digest.last_runs(10 * len(names) + 10) if r["source"] in names and r["started"] >= started]
    latest = {r["source"]: r for r in reversed(runs)}  # last_runs is newest first: the newest row wins
    report = []
    for name in names:
        state = finished[name].state
        row = dict(latest.get(name) or {"source": name, "status": "missing", "errors": {}})
        row["flow_run"] = finished[name].name
        row["flow_run_state"] = state.name if state else "unknown"
        if state is None or not state.is_completed():
            row["status"] = "failed" if row["status"] == "ok" else row["status"]
            row["message"] = f"flow run {finished[name].name}: {state.name if state else 'no state'}"
        report.append(row)
    create_markdown_artifact(
        key=NIGHTLY_ARTIFACT_KEY,
        markdown=nightly_summary_markdown(report, f"Nightly run, {len(names)} source(s) in parallel"),
        description="What each source yielded in this nightly run",
    )
    bad = [row["source"] for row in report if row["flow_run_state"] != "Completed"]
    if bad:
        raise NightlyFanoutError(f"nightly runs that did not complete: {', '.join(bad)} (see the artifact)")
    return report
