"""`migdigest alerts`: each team's alert for the last night (new publications on its watched searches and topics)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from cli.console import console, err, fail
from cli.options import DbOption, TeamsConfigOption, need_digest, smtp_or_fail, teams_or_fail
from migdigest.paths import DEFAULT_DB, DEFAULT_OUT_DIR
from migdigest.yamlconf import ConfigError


def alerts(
    team: Annotated[str | None, typer.Option(help="Only this team (default: every team in teams.yaml).")] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send",
            help="Email each alert (SMTP from MIGDIGEST_SMTP_*), one a team a night; what was sent is recorded.",
        ),
    ] = False,
    db: DbOption = DEFAULT_DB,
    out_dir: Annotated[
        Path,
        typer.Option("--out-dir", help="Output folder; alerts go to <out-dir>/alerts/<team>/.", envvar="MIGDIGEST_OUT"),
    ] = DEFAULT_OUT_DIR,
    config_dir: TeamsConfigOption = None,
) -> None:
    """Build each team's alert: new publications on its watched searches and topics (archived; --send mails them)."""
    from outputs.alerts import run_alerts
    from storage import Digest

    teams, chosen = teams_or_fail(config_dir, team)
    smtp = smtp_or_fail(send)
    need_digest(db)
    with Digest(db) as digest:
        outcomes = run_alerts(digest, teams, chosen, out_dir, smtp=smtp)
    if not print_outcomes([{**asdict(o), "sent": o.sent} for o in outcomes]):
        raise typer.Exit(1)


def print_outcomes(rows: list[dict[str, Any]]) -> bool:
    """A line per team (what was new, on which watched interests, sent or not); False when a send failed."""
    ok = True
    for row in rows:
        if not row["items"]:
            console.print(f"{row['team']}: {row['note']}", highlight=False, markup=False)
            continue
        n, send = row["items"], row["send"]
        what = f"{n} new publication{'s' if n != 1 else ''} ({', '.join(row['watched'])})"
        if send is None:
            console.print(
                f"{row['team']}: {what}, {row['note']} -> {row['files']['html']}", highlight=False, markup=False
            )
        elif send["sent"]:
            console.print(
                f"{row['team']}: {what}, sent to {', '.join(send['recipients'])}", highlight=False, markup=False
            )
        else:
            ok = False
            err.print(
                f"[red]not sent[/red] {escape(row['team'])} after {send['attempts']} attempt(s): "
                f"{escape(send['error'])}"
                " (archived; it goes again with the next --send)",
                highlight=False,
            )
    return ok


def check_alerts_ready(config_dir: Path | None) -> None:
    """Before a nightly run with --alerts: teams.yaml and the SMTP settings must be right (exit 2 if not)."""
    from outputs import roundup as rd
    from outputs.mail import MailConfigError, SmtpSettings

    try:
        rd.load_team_config(config_dir)
        SmtpSettings.from_env()
    except (ConfigError, MailConfigError) as exc:
        raise fail(f"--alerts: {exc}", 2) from None


def alerts_after_night(db: Path, config_dir: Path | None, night_started: str, out_dir: Path = DEFAULT_OUT_DIR) -> bool:
    """Run the `alerts` flow for the night that started at `night_started`; False when some alert was not sent."""
    from flows.alerts import alerts as alerts_flow

    state = alerts_flow(
        db_path=db, out_dir=out_dir, config_dir=config_dir, night_started=night_started, return_state=True
    )
    rows = state.result(raise_on_failure=False)
    if isinstance(rows, list):
        return print_outcomes(rows)
    err.print(f"[red]alerts failed[/red]: {escape(str(state.message))}", highlight=False)
    return False
