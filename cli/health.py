"""`migdigest health`: the last runs per source and what an operator should look at."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cli.console import console
from cli.options import (
    DbOption,
    reading,
)
from migdigest.paths import DEFAULT_DB

_CAPTION = "pages fetched · chg changed · err errors (kinds below) · live publications"


def _when(stamp: str | None) -> str:
    """An ISO time as 'MM-DD HH:MM' (UTC): enough to tell last night from a week ago."""
    return (stamp or "")[5:16].replace("T", " ")


def health(
    runs: Annotated[int, typer.Option(min=1, max=1000, help="How many recent runs to judge.")] = 50,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Show the last runs per source and flag anomalies (blocked, failing, quiet, yield drop, coverage)."""
    from outputs.health import assess, conflict_findings, integrity_findings, pdf_findings

    with reading(db) as digest:
        history = digest.last_runs(runs)
        extra = [
            *integrity_findings(digest.integrity_check(), str(db)),
            *pdf_findings(digest.pdf_problems()),
            *conflict_findings(digest.identity_conflicts()),
        ]
    # Ten narrow columns: the table fits a terminal of 80 columns (304s and unchanged pages are in the digest).
    table = Table(
        title="last run per source", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), caption=_CAPTION
    )
    for col in ("source", "last run", "status", "pages", "new", "chg", "gone", "err", "live", "secs"):
        table.add_column(col, justify="left" if col in ("source", "last run", "status") else "right")
    shown: set[str] = set()
    for r in history:
        if r["source"] in shown:
            continue
        shown.add(r["source"])
        table.add_row(  # Text cells: values from the digest are never markup
            Text(r["source"]), _when(r["finished"] or r["started"]), Text(r["status"]), str(r["pages_fetched"]),
            str(r["new"]), str(r["changed"]), str(r["gone"]), str(sum(r["errors"].values())),
            str(r["live_documents"]), f"{r['duration_s'] or 0:.0f}",
        )  # fmt: skip
    console.print(table)
    findings = [*assess(history), *extra]
    for f in findings:
        colour = "red" if f.level == "alert" else "yellow"
        console.print(
            f"[{colour}]{f.level.upper()}[/{colour}] {escape(f.source)}: {escape(f.message)}", highlight=False
        )
    if not findings:
        console.print("no anomalies")
    if any(f.level == "alert" for f in findings):
        raise typer.Exit(1)
