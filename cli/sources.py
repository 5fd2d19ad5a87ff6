"""`migdigest sources`: list and validate the configuration; --check-live, the layout-change alarm."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cli.console import console, fail
from cli.demo import unknown_mirrors
from cli.options import (
    ConfigOption,
    check_taxonomy,
    known_sources_or_fail,
    load_or_fail,
    parse_overrides,
)
from migdigest.config import Config
from migdigest.paths import CONFIG_DIR


def _check_live(
    config: Config, names: list[str], overrides: dict[str, str], max_pages: int, config_dir: Path | None
) -> None:
    from flows.livecheck import check_source

    known_sources_or_fail(config, [*names, *overrides])
    taxonomy = check_taxonomy(config_dir)
    table = Table(title="live check")
    for col in ("source", "status", "discovered", "fetched", "publications", "example", "problems"):
        table.add_column(col, justify="right" if col in ("discovered", "fetched", "publications") else "left")
    results = []
    with console.status("checking sources...") as status:
        for name in names:
            status.update(escape(f"checking {name} ({overrides.get(name) or config.source(name).base_url})"))
            results.append(
                check_source(
                    config.source(name),
                    taxonomy,
                    settings=config.settings,
                    base_url=overrides.get(name),
                    max_pages=max_pages,
                )
            )
    for r in results:
        colour = "green" if r.status == "ok" else "red"
        table.add_row(
            Text(r.source), f"[{colour}]{r.status}[/{colour}]", str(r.discovered), str(r.fetched), str(r.publications),
            Text(r.example[:60]), Text(r.problems[:60]),
        )  # fmt: skip
    console.print(table)
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


def sources(
    check_live: Annotated[
        bool, typer.Option("--check-live", help="Fetch a few pages of each site and check they still yield.")
    ] = False,
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only these sources.")] = None,
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="NAME=URL: check a mirror of NAME at URL instead.")
    ] = None,
    max_pages: Annotated[int, typer.Option(min=2, max=200, help="Responses per source in a live check.")] = 12,
    config_dir: ConfigOption = None,
) -> None:
    """List the configured sources and validate the configuration (--check-live: the layout-change alarm)."""
    config = load_or_fail(config_dir)
    if problems := unknown_mirrors(config):  # only the demo uses it, but a wrong one is a config that cannot work
        raise fail("\n".join(problems), 2)
    if check_live:
        _check_live(config, source or list(config.sources), parse_overrides(base_url), max_pages, config_dir)
        return
    table = Table(title=f"sources ({config_dir or CONFIG_DIR})")
    for col in ("name", "title", "base URL", "discovery", "mirror"):
        table.add_column(col)
    for src in config.sources.values():
        d = src.discovery
        found = ", ".join(
            f"{n} {k}" for k, n in (("sitemaps", len(d.sitemaps)), ("feeds", len(d.feeds)),
                                    ("listings", len(d.listings))) if n
        )  # fmt: skip
        table.add_row(*(Text(v) for v in (src.name, src.title, src.base_url, found, src.mirror or "")))
    console.print(table)
    console.print(f"{len(config.sources)} source(s), configuration valid")


# Commands whose modules import Prefect or the roundup code only when they run (keeps --help fast).
