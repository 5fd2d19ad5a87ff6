"""`migdigest extract`: one saved page through the extractor, printed as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.console import console, fail
from cli.options import (
    ConfigOption,
    load_or_fail,
)
from migdigest.config import Source
from migdigest.yamlconf import ConfigError


def _source_for(url: str, sources: dict[str, Source]) -> Source | None:
    host = url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    for src in sources.values():
        if src.base_url.split("://", 1)[-1].removeprefix("www.") == host:
            return src
    return None


def extract(
    file: Annotated[Path, typer.Argument(help="A saved HTML page.", exists=True, dir_okay=False, readable=True)],
    url: Annotated[str | None, typer.Option(help="The URL the page was fetched from.")] = None,
    source: Annotated[str | None, typer.Option(help="Use this source's selectors and type labels.")] = None,
    config_dir: ConfigOption = None,
) -> None:
    """Extract one saved page and print it as JSON."""
    from extract.page import ExtractionError, extract_page

    config = load_or_fail(config_dir)
    page_url = url or file.resolve().as_uri()
    try:
        src = config.source(source) if source else _source_for(page_url, config.sources)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    try:
        result = extract_page(file.read_bytes(), page_url, source=src)
    except ExtractionError as exc:
        raise fail(str(exc)) from None
    data = result.as_dict()
    data["source"] = src.name if src else None
    console.print_json(json.dumps(data, ensure_ascii=False))
