"""`migdigest alerts`: each team's alert for the last night (new publications on its watched searches and topics)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.console import console, err, fail
from cli.options import DbOption, need_digest
from migdigest.paths import DEFAULT_DB, DEFAULT_OUT_DIR
from migdigest.yamlconf import ConfigError


def alerts(
    team: Annotated[str | None, typer.Option(help="Only this team (default: every team in teams.yaml).")] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send", help="Email each alert (SMTP from the MIGDIGEST_SMTP_* variables) and record what was sent."
        ),
    ] = False,
    db: DbOption = DEFAULT_DB,
    out_dir: Annotated[
        Path,
        typer.Option("--out-dir", help="Output folder; alerts go to <out-dir>/alerts/<team>/.", envvar="MIGDIGEST_OUT"),
    ] = DEFAULT_OUT_DIR,
    config_dir: Annotated[
        Path | None,
        typer.Option("--config-dir", help="Folder with teams.yaml and sources (default: the bundled config/)."),
    ] = None,
) -> None:
    """Build each team's alert: new publications on its watched searches and topics, never sent before.

    Without --send the alerts are only written to the archive (a preview); with it each team gets at most one
    message a night, and what was sent is recorded in the digest so that it is never sent again.
    """
    from outputs import roundup as rd
    from outputs.alerts import run_alerts
    from outputs.mail import MailConfigError, SmtpSettings
    from storage import Digest

    try:
        teams = rd.load_team_config(config_dir)
        chosen = rd.pick_teams(teams, [team] if team else None)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    smtp = None
    if send:
        try:
            smtp = SmtpSettings.from_env()
        except MailConfigError as exc:
            raise fail(str(exc), 2) from None
    need_digest(db)
    with Digest(db) as digest:
        outcomes = run_alerts(digest, teams, chosen, out_dir, smtp=smtp)
    failed = []
    for outcome in outcomes:
        if not outcome.items:
            console.print(f"{outcome.team}: {outcome.note}", highlight=False)
            continue
        n = outcome.items
        what = f"{n} new publication{'s' if n != 1 else ''} ({', '.join(outcome.watched)})"
        if outcome.send is None:
            console.print(f"{outcome.team}: {what}, {outcome.note} -> {outcome.files['html']}", highlight=False)
        elif outcome.sent:
            console.print(f"{outcome.team}: {what}, sent to {', '.join(outcome.send.recipients)}", highlight=False)
        else:
            failed.append(outcome.team)
            err.print(
                f"[red]not sent[/red] {outcome.team} after {outcome.send.attempts} attempt(s): "
                f"{escape(outcome.send.error)} (archived; it goes again with the next --send)",
                highlight=False,
            )
    if failed:
        raise typer.Exit(1)
