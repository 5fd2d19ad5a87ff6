"""`migdigest run`: the nightly flow (crawl, extract, store) over the configured sources."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.alerts import alerts_after_night, check_alerts_ready
from cli.console import console
from cli.options import (
    ConfigOption,
    DbOption,
    check_taxonomy,
    known_sources_or_fail,
    load_or_fail,
    parse_overrides,
)
from migdigest.paths import DEFAULT_DB


def print_report(report: list[dict[str, Any]], seconds: float) -> None:
    """The nightly run table, its totals and an alert line per source that did not end ok."""
    table = Table(title="nightly run")
    for col in ("source", "status", "fetched", "stored", "new", "changed", "unchanged", "errors"):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for row in report:
        errors = sum(row["errors"].values())
        table.add_row(
            row["source"], row["status"], str(row["pages_fetched"]), str(row["stored"]), str(row["new"]),
            str(row["changed"]), str(row["unchanged"]), str(errors),
        )  # fmt: skip
    console.print(table)
    fetched = sum(r["pages_fetched"] for r in report)
    stored = sum(r["stored"] for r in report)
    errors = sum(sum(r["errors"].values()) for r in report)
    console.print(
        f"pages fetched: {fetched}  publications stored: {stored}  errors: {errors}  seconds: {seconds:.1f}",
        highlight=False,
    )
    for row in report:
        if row["status"] != "ok":
            console.print(f"[red]ALERT[/red] {row['source']}: {row['status']}: {row['message']}", highlight=False)
        if row["errors"]:
            console.print(f"  {row['source']} errors: {row['errors']}", highlight=False)


def run_nightly(**kwargs: Any) -> list[dict[str, Any]]:
    """Run the nightly flow with these arguments; its per-source report."""
    from flows.nightly import nightly  # imported late: Prefect is slow to import and not needed elsewhere

    result: list[dict[str, Any]] = nightly(**kwargs)
    return result


def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only these sources.")] = None,
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="NAME=URL: crawl a mirror of NAME at URL instead.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    config_dir: ConfigOption = None,
    alerts: Annotated[
        bool,
        typer.Option(
            "--alerts", help="Then email tonight's alerts (teams.yaml `alerts:`; SMTP from MIGDIGEST_SMTP_*)."
        ),
    ] = False,
) -> None:
    """Run the nightly flow (crawl, extract, store) on the configured sources."""
    config = load_or_fail(config_dir)
    overrides = parse_overrides(base_url)
    known_sources_or_fail(config, [*(source or []), *overrides])
    check_taxonomy(config_dir)
    if alerts:
        check_alerts_ready(config_dir)
    night = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    report = run_nightly(sources=source or None, db_path=db, base_urls=overrides, config_dir=config_dir)
    print_report(report, time.perf_counter() - started)
    # Alerts (cli/alerts.py, flows/alerts.py) go out once everything of the night is stored.
    alerts_ok = alerts_after_night(db, config_dir, night) if alerts else True
    if any(r["status"] != "ok" for r in report) or not alerts_ok:
        raise typer.Exit(1)
