"""The consoles every command prints to, and the one way a command fails with a message."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

# Piped output (CI logs, `| less`) gets a wide console so run tables are not squeezed to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` as an error (escaped: config patterns such as `[a-z]` are text, not markup); exit `code`."""
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
