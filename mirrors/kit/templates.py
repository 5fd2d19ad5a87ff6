"""The one way the mirrors build their Jinja2 environments: strict, autoescaped, whitespace as the CMS prints it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def environment(folder: Path, **filters: Callable[..., Any]) -> Environment:
    """A Jinja2 environment over the templates in `folder`, with the site's own `filters`."""
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(("html", "xml")),
        undefined=StrictUndefined,  # a missing context value is a bug in the mirror, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(filters)
    return env
