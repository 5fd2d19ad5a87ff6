"""`migdigest roundup`: build, archive and (with --send) email the weekly roundups, without Prefect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.console import console, err, fail
from cli.options import TeamsConfigOption, reading, smtp_or_fail, teams_or_fail
from migdigest.paths import DEFAULT_DB, DEFAULT_OUT_DIR


def roundup(
    week: Annotated[
        str | None,
        typer.Option(help="ISO week such as 2026-W47 (default: the last complete week, Monday to Sunday, UTC)."),
    ] = None,
    team: Annotated[str | None, typer.Option(help="Only this team (default: every team in teams.yaml).")] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Also email each roundup (SMTP from the MIGDIGEST_SMTP_* variables).")
    ] = False,
    db: Annotated[Path, typer.Option("--db", help="Digest SQLite file.", envvar="MIGDIGEST_DB")] = DEFAULT_DB,
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out-dir", help="Output folder; roundups go to <out-dir>/roundups/<team>/.", envvar="MIGDIGEST_OUT"
        ),
    ] = DEFAULT_OUT_DIR,
    config_dir: TeamsConfigOption = None,
) -> None:
    """Build each team's weekly roundup (HTML, Markdown, text, Atom feed) and optionally email it."""
    from outputs import roundup as rd
    from outputs.mail import send_roundup

    try:
        iso_week = rd.IsoWeek.parse(week) if week else rd.IsoWeek.last_complete()
    except rd.WeekError as exc:
        raise fail(str(exc), 2) from None
    teams, chosen = teams_or_fail(config_dir, team)
    settings = smtp_or_fail(send)
    failed = []
    with reading(db) as digest:
        for member in chosen:
            archived = rd.produce(digest, member, iso_week, out_dir, teams.settings)
            count = len(archived.roundup.items)
            console.print(
                f"{member.name}: {iso_week.label}, {count} publication{'s' if count != 1 else ''}"
                f" -> {archived.files['html'].parent}",
                highlight=False,
                markup=False,
            )
            if settings is not None and not member.recipients:
                console.print("  no recipients in teams.yaml: archived only", highlight=False)
            elif settings is not None:
                result = send_roundup(archived, settings)
                if result.sent:
                    refused = f" (refused: {', '.join(result.refused)})" if result.refused else ""
                    console.print(f"  sent to {', '.join(result.recipients)}{refused}", highlight=False, markup=False)
                else:
                    failed.append(member.name)
                    err.print(
                        f"[red]not sent[/red] {escape(member.name)} after {result.attempts} attempt(s):"
                        f" {escape(result.error)}"
                        " (the roundup is archived; send it again with --send)",
                        highlight=False,
                    )
    if failed:
        raise typer.Exit(1)
