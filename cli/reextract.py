"""`migdigest reextract`: the digest rebuilt from the archived raw responses, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.console import console, fail
from cli.nightly import lock_or_fail
from cli.options import (
    ConfigOption,
    DbOption,
    check_taxonomy,
    known_sources_or_fail,
    load_or_fail,
)
from cli.progress import show_progress
from migdigest.config import StoreSettings
from migdigest.objectstore import ObjectStore, StoreError
from migdigest.paths import DEFAULT_DB


def reextract(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only these sources.")] = None,
    runs_dir: Annotated[Path | None, typer.Option(help="Archived runs (default: runs/ next to the digest).")] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="Replay the finished runs of this object store (s3://bucket/prefix or a folder) instead; "
            "default: the configured store ($MIGDIGEST_STORE_URL or settings.store.url) when one is set and "
            "--runs-dir is not given."
        ),
    ] = None,
    db: DbOption = DEFAULT_DB,
    config_dir: ConfigOption = None,
) -> None:
    """Rebuild the digest from the archived raw responses of every run, without the network."""
    from flows.progress import listening
    from flows.reextract import reextract as replay

    config = load_or_fail(config_dir)
    known_sources_or_fail(config, source or [])
    check_taxonomy(config_dir)
    runs = runs_dir or db.parent / "runs"
    archive = _store_or_fail(store, config.settings.store, local_given=runs_dir is not None)
    if archive is None and not runs.is_dir():
        raise fail(f"no archived runs in {runs}")
    with (
        lock_or_fail(db, source or list(config.sources), wait=False),
        show_progress(console, "reextract") as listener,
        listening(listener),
    ):
        try:
            report = replay(db, runs, sources=source or None, config_dir=config_dir, store=archive)
        except StoreError as exc:  # the store went away mid-replay: what was replayed is stored, run by run
            raise fail(str(exc)) from None
    table = Table(title=f"re-extracted from {archive.url if archive else runs}")
    for col in ("source", "runs", "new", "changed", "unchanged", "gone"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for name, counts in report.items():
        table.add_row(name, *(str(counts[k]) for k in ("runs", "new", "changed", "unchanged", "gone")))
    console.print(table)


def _store_or_fail(url: str | None, settings: StoreSettings, *, local_given: bool) -> ObjectStore | None:
    """The store whose runs to replay: --store, else a configured one unless --runs-dir says local; or None."""
    import os

    from migdigest.objectstore import ENV_URL

    if url is None and (local_given or not (os.environ.get(ENV_URL) or settings.url)):
        return None
    try:
        return settings.open(url)
    except StoreError as exc:
        raise fail(str(exc)) from None
