"""The `migdigest` command line: one Typer app, a module per command (heavy imports wait until a command runs)."""

from __future__ import annotations

import typer

from cli.add_source import add_source
from cli.alerts import alerts
from cli.demo import demo
from cli.extract import extract
from cli.fleet import fleet_setup
from cli.health import health
from cli.nightly import run
from cli.reextract import reextract
from cli.roundup import roundup
from cli.schedule import schedule
from cli.search import history, search
from cli.serve import serve
from cli.sources import sources

app = typer.Typer(
    help="Follow what migration think tanks publish: crawl, extract, store and search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for command in (demo, run, extract, search, serve, reextract, history, health, sources, roundup, schedule):
    app.command()(command)
app.command()(alerts)
app.command("add-source")(add_source)
app.command("fleet-setup")(fleet_setup)

if __name__ == "__main__":
    app()
