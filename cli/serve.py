"""`migdigest serve`: the digest in Datasette, from the local file or from the newest snapshot in the store."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.console import console, fail
from cli.options import (
    ConfigOption,
    DbOption,
    need_digest,
    reading,
)
from migdigest.paths import DATA_DIR, DEFAULT_DB

DEFAULT_CACHE = DATA_DIR / "snapshot-cache"


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    db: DbOption = DEFAULT_DB,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Serve the newest digest snapshot of the object store, read-only.")
    ] = False,
    store: Annotated[
        str | None,
        typer.Option(help="The store's URL (default: $MIGDIGEST_STORE_URL, then settings.store in the config)."),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(help="An S3-compatible server's address for --store.", envvar="MIGDIGEST_STORE_ENDPOINT_URL"),
    ] = None,
    cache_dir: Annotated[
        Path, typer.Option(help="Where --from-store keeps the fetched snapshot.", envvar="MIGDIGEST_SNAPSHOT_CACHE")
    ] = DEFAULT_CACHE,
    config_dir: ConfigOption = None,
) -> None:
    """Browse and search the digest in Datasette."""
    from outputs.datasette import datasette_args

    if from_store:
        db = _fetch_snapshot(store, endpoint_url, cache_dir, config_dir)
    else:
        need_digest(db)
    try:
        args = datasette_args(db, host, port, immutable=from_store)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    with reading(db):
        pass  # a missing, empty, damaged or outdated digest is refused here, with the fix, not in Datasette
    console.print(f"Datasette on http://{host}:{port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    os.execv(sys.executable, args)


def _fetch_snapshot(url: str | None, endpoint_url: str | None, cache_dir: Path, config_dir: Path | None) -> Path:
    """The newest snapshot, downloaded into `cache_dir` (kept when unchanged); errors exit with the fix."""
    from migdigest.config import ConfigError, load_config
    from migdigest.objectstore import StoreError, open_store
    from storage.snapshot import fetch_latest_snapshot

    try:
        if url:
            store = open_store(url, endpoint_url=endpoint_url)
        else:
            store = load_config(config_dir).settings.store.open(endpoint_url=endpoint_url)
        console.print(f"fetching the newest digest snapshot from {store.url} ...")
        return fetch_latest_snapshot(store, cache_dir)
    except (StoreError, ConfigError) as exc:
        raise fail(str(exc)) from None
