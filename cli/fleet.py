"""`migdigest fleet-setup`: the work pools and the zombie automation of the object-store topology (docs/scaling.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.console import console, err
from flows import schedule as plan
from flows.schedule import START_SERVER_HELP


def fleet_setup(
    zombie_seconds: Annotated[
        float,
        typer.Option(
            min=60,
            help="Mark a flow run Crashed after this long without a heartbeat (about 3x the workers'"
            " PREFECT_FLOWS_HEARTBEAT_FREQUENCY).",
        ),
    ] = 600.0,
) -> None:
    """Create the crawl and writer work pools and the automation that marks runs of dead workers Crashed."""
    api_url = plan.configured_api_url()
    problem = plan.server_problem(api_url) if api_url else "PREFECT_API_URL is not set"
    if problem:
        err.print(f"[red]error:[/red] {escape(problem)}.", highlight=False)
        typer.echo(START_SERVER_HELP, err=True)
        raise typer.Exit(2)
    from flows.fleet import setup_fleet

    for line in setup_fleet(within_s=zombie_seconds):
        console.print(line, highlight=False)
    console.print("next: prefect --no-prompt deploy --all, then start the workers (docs/scaling.md)", highlight=False)
