"""The `alerts` flow (each team's alert after a nightly run) and `nightly-alerts` (the nightly, then the alerts).

The nightly flow itself stays as it is: `nightly_with_alerts` runs it (as deployments do, with its summary
artifact) as a subflow and, once every source is stored, runs `alerts` bounded to that night (at most one
message a team, see outputs/alerts.py). `migdigest schedule --alerts` deploys it as the nightly.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.weekly import scheduled_nightly
from migdigest.paths import DEFAULT_DB, DEFAULT_OUT_DIR
from outputs import alerts as al
from outputs import roundup as rd
from outputs.mail import DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_S, MailConfigError, SmtpSettings
from storage import Digest

ARTIFACT_KEY = "alerts"


class AlertSendError(RuntimeError):
    """Some alerts were archived but could not be emailed; the flow run fails so that operators see it."""


@task(name="team alerts", cache_policy=NO_CACHE)
def team_alerts(
    db_path: Path,
    config_dir: Path | None,
    teams: list[str] | None,
    out_dir: Path,
    smtp: SmtpSettings | None,
    night_started: str | None,
    attempts: int,
    backoff: float,
) -> list[dict[str, Any]]:
    """Build, archive, send and record every chosen team's alert; one dict per team."""
    config = rd.load_team_config(config_dir)
    chosen = rd.pick_teams(config, teams)
    with Digest(db_path) as db:
        outcomes = al.run_alerts(
            db, config, chosen, out_dir, smtp=smtp, night_started=night_started, attempts=attempts, backoff=backoff
        )
    return [{**asdict(o), "sent": o.sent} for o in outcomes]


def summary_markdown(rows: list[dict[str, Any]]) -> str:
    """One row per team: how many new publications, on which watched interests, and what became of the mail."""
    lines = ["# Alerts", "", "| team | new | watched | email |", "| --- | ---: | --- | --- |"]
    for row in rows:
        send = row["send"]
        if send is None:
            email = row["note"]
        elif send["sent"]:
            email = f"sent to {len(send['recipients'])} (attempts: {send['attempts']})"
        else:
            email = f"**FAILED** after {send['attempts']} attempt(s): {send['error']}"
        watched = ", ".join(row["watched"])
        lines.append(f"| {row['team']} | {row['items']} | {watched} | {email.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


@flow(name="alerts")
def alerts(
    db_path: Path = DEFAULT_DB,
    out_dir: Path = DEFAULT_OUT_DIR,
    config_dir: Path | None = None,
    teams: list[str] | None = None,
    send: bool = True,
    night_started: str | None = None,
    send_attempts: int = DEFAULT_ATTEMPTS,
    send_backoff: float = DEFAULT_BACKOFF_S,
) -> list[dict[str, Any]]:
    """Each team's alert for the night that started at `night_started` (default: the newest crawl run)."""
    smtp = None
    if send:
        try:
            smtp = SmtpSettings.from_env()
        except MailConfigError as exc:
            raise AlertSendError(f"alerts not sent: {exc}") from None
    rows = team_alerts(
        Path(db_path), config_dir, teams, Path(out_dir), smtp, night_started, send_attempts, send_backoff
    )
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=summary_markdown(rows), description="Tonight's alerts")
    failed = [row["team"] for row in rows if row["send"] and not row["send"]["sent"]]
    for row in rows:
        if row["send"] and not row["send"]["sent"]:
            get_run_logger().error("alert for %s not sent: %s", row["team"], row["send"]["error"])
    if failed:
        raise AlertSendError(f"alerts archived but not emailed for: {', '.join(failed)} (they go again next night)")
    return rows


@flow(name="nightly-alerts")
def nightly_with_alerts(
    sources: list[str] | None = None,
    db_path: Path = DEFAULT_DB,
    base_urls: dict[str, str] | None = None,
    config_dir: Path | None = None,
    runs_dir: Path | None = None,
    out_dir: Path = DEFAULT_OUT_DIR,
    send: bool = True,
    send_attempts: int = DEFAULT_ATTEMPTS,
    send_backoff: float = DEFAULT_BACKOFF_S,
) -> dict[str, list[dict[str, Any]]]:
    """The nightly flow, then tonight's alerts (sent after every source is stored)."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    # The nightly as deployments run it (with its summary artifact), as a subflow.
    report = scheduled_nightly(
        sources=sources, db_path=db_path, base_urls=base_urls, config_dir=config_dir, runs_dir=runs_dir
    )
    sent = alerts(
        db_path=db_path,
        out_dir=out_dir,
        config_dir=config_dir,
        send=send,
        night_started=started,
        send_attempts=send_attempts,
        send_backoff=send_backoff,
    )
    return {"nightly": report, "alerts": sent}
