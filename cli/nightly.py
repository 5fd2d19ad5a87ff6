"""`migdigest run`: the nightly flow (crawl, extract, store) over the configured sources."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from cli.alerts import alerts_after_night, check_alerts_ready
from cli.console import console, err, fail
from cli.options import (
    ConfigOption,
    DbOption,
    check_taxonomy,
    known_sources_or_fail,
    load_or_fail,
    parse_overrides,
)
from cli.progress import show_progress
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
            # Messages carry what processes and sites said (log lines with [brackets]): text, not markup.
            alert = f"{row['source']}: {row['status']}: {row['message']}"
            console.print(f"[red]ALERT[/red] {escape(alert)}", highlight=False)
        if row["errors"]:
            console.print(f"  {row['source']} errors: {row['errors']}", highlight=False)


# Exit codes of `run` and `demo` besides 0: 1 some source did not end ok; 75 (EX_TEMPFAIL) another night holds
# the lock of one of the sources; 128 + N stopped by signal N.
LOCKED_EXIT = 75


@contextmanager
def lock_or_fail(db: Path, sources: list[str], wait: bool) -> Iterator[None]:
    """The locks of these sources in the digest; one taken, it says who holds it and exits 75, or waits if asked."""
    from storage.lock import LockHeld, digest_lock

    held = ExitStack()
    try:
        held.enter_context(digest_lock(db, sources))
    except LockHeld as exc:
        if not wait:
            raise fail(f"{exc}; run again later, or with --wait to wait for it", LOCKED_EXIT) from None
        err.print(f"waiting: {escape(str(exc))}", highlight=False, soft_wrap=True)
        held.enter_context(digest_lock(db, sources, wait=True))
    with held:
        yield


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT stop the crawl processes first, then unwind (so Prefect's server is stopped at exit)."""
    from spiders.crawl import stop_crawls

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        err.print(f"stopping on {signal.Signals(signum).name}: ending the crawls", highlight=False)
        stop_crawls()
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _crawls_ahead(count: int) -> Iterator[None]:
    """The night's crawl processes import Scrapy while Prefect is imported and its server starts (seconds)."""
    from spiders.crawl import prestart_crawls, release_spares

    ahead = prestart_crawls(count)
    try:
        yield
    finally:
        release_spares(ahead)


def run_nightly(*, names: list[str], wait: bool = False, **kwargs: Any) -> list[dict[str, Any]]:
    """Run the nightly flow with these arguments, holding the locks of `names`, showing progress; its report."""
    with lock_or_fail(Path(kwargs["db_path"]), names, wait), _stop_on_signals(), _crawls_ahead(len(names)):
        # imported late (and after the lock: a second night says so at once): Prefect is slow to import
        from flows.nightly import nightly
        from flows.progress import listening
        from flows.server import temporary_server

        # A source's failure is recorded and shown in the summary: Prefect's traceback of the failed task would
        # only bury the progress lines (a deployment, run without this command, keeps it in its logs).
        task_log = logging.getLogger("prefect.task_runs")
        level = task_log.level
        task_log.setLevel(logging.CRITICAL)
        try:
            with temporary_server(), show_progress(console) as listener, listening(listener):
                result: list[dict[str, Any]] = nightly(**kwargs)
        finally:
            task_log.setLevel(level)
    return result


def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only these sources.")] = None,
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="NAME=URL: crawl a mirror of NAME at URL instead.")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="If another night crawls one of these sources, wait for it instead of exiting 75."),
    ] = False,
    db: DbOption = DEFAULT_DB,
    config_dir: ConfigOption = None,
    alerts: Annotated[
        bool,
        typer.Option(
            "--alerts", help="Then email tonight's alerts (teams.yaml `alerts:`; SMTP from MIGDIGEST_SMTP_*)."
        ),
    ] = False,
) -> None:
    """Run the nightly flow (crawl, extract, store) on the configured sources; exit 1 if a source failed."""
    config = load_or_fail(config_dir)
    overrides = parse_overrides(base_url)
    known_sources_or_fail(config, [*(source or []), *overrides])
    check_taxonomy(config_dir)
    if alerts:
        check_alerts_ready(config_dir)
    night = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    names = source or list(config.sources)
    report = run_nightly(
        names=names, sources=source or None, db_path=db, base_urls=overrides, config_dir=config_dir, wait=wait
    )
    print_report(report, time.perf_counter() - started)
    # Alerts (cli/alerts.py, flows/alerts.py) go out once everything of the night is stored.
    alerts_ok = alerts_after_night(db, config_dir, night) if alerts else True
    if any(r["status"] != "ok" for r in report) or not alerts_ok:
        raise typer.Exit(1)
