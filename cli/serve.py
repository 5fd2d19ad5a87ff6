"""`migdigest serve`: the digest in Datasette."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli.console import console, fail
from cli.options import (
    DbOption,
    need_digest,
    reading,
)
from migdigest.paths import DEFAULT_DB


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    db: DbOption = DEFAULT_DB,
) -> None:
    """Browse and search the digest in Datasette."""
    from outputs.datasette import datasette_args

    need_digest(db)
    try:
        args = datasette_args(db, host, port)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    with reading(db):
        pass  # a missing, empty, damaged or outdated digest is refused here, with the fix, not in Datasette
    console.print(f"Datasette on http://{host}:{port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    os.execv(sys.executable, args)
