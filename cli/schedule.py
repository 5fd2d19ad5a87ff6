"""`migdigest schedule`: serve the nightly crawl and the weekly roundups on cron schedules from one machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.console import console, err
from flows import schedule as plan
from flows.schedule import NIGHTLY_CRON, START_SERVER_HELP, WEEKLY_CRON
from migdigest.paths import DEFAULT_DB, DEFAULT_OUT_DIR


def schedule(
    db: Annotated[Path, typer.Option("--db", help="Digest SQLite file.", envvar="MIGDIGEST_DB")] = DEFAULT_DB,
    out_dir: Annotated[
        Path,
        typer.Option("--out-dir", help="Where roundups are archived (<out-dir>/roundups/).", envvar="MIGDIGEST_OUT"),
    ] = DEFAULT_OUT_DIR,
    config_dir: Annotated[
        Path | None, typer.Option("--config-dir", help="Folder with sources and teams.yaml (default: config/).")
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the cron times, e.g. Europe/Berlin.")] = "UTC",
    nightly_cron: Annotated[str, typer.Option(help="When the nightly crawl runs (cron).")] = NIGHTLY_CRON,
    weekly_cron: Annotated[str, typer.Option(help="When the weekly roundups are sent (cron).")] = WEEKLY_CRON,
    send: Annotated[bool, typer.Option(help="Email the weekly roundups (SMTP from MIGDIGEST_SMTP_*).")] = True,
    alerts: Annotated[
        bool, typer.Option("--alerts", help="After each nightly crawl, email the teams' alerts (teams.yaml `alerts:`).")
    ] = False,
) -> None:
    """Run the nightly crawl (02:00) and the weekly roundups (Mondays 07:00) on schedule, on this machine."""
    api_url = plan.configured_api_url()
    if not api_url:
        err.print("[red]error:[/red] PREFECT_API_URL is not set.", highlight=False)
        typer.echo(START_SERVER_HELP, err=True)
        raise typer.Exit(2)
    problem = plan.server_problem(api_url)
    if problem:
        err.print(f"[red]error:[/red] {escape(problem)}.", highlight=False)
        typer.echo(START_SERVER_HELP, err=True)
        raise typer.Exit(2)
    if send and not os.environ.get("MIGDIGEST_SMTP_HOST"):
        err.print(
            "[yellow]warning:[/yellow] MIGDIGEST_SMTP_HOST is not set: weekly runs will fail to email (use --no-send"
            " to only archive roundups).",
            highlight=False,
        )
    console.print(
        f"serving on {api_url}: nightly '{nightly_cron}', weekly-roundup '{weekly_cron}' ({timezone}); Ctrl-C stops",
        highlight=False,
    )
    plan.serve_schedules(db, out_dir, config_dir, timezone, nightly_cron, weekly_cron, send, alerts)
