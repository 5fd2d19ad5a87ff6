"""`migdigest search` and `migdigest history`: full-text search and a publication's versions."""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape

from cli.console import console, fail
from cli.options import (
    DbOption,
    reading,
)
from migdigest.paths import DEFAULT_DB


def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", OR, prefix*.')],
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this document type.")] = None,
    since: Annotated[str | None, typer.Option(help="Only published on or after YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Full-text search the digest (ranked, with snippets)."""
    from storage import QueryError

    with reading(db) as digest:
        try:
            hits = digest.search(query, limit=limit, source=source, doc_type=doc_type, since=since)
        except QueryError as exc:
            raise fail(str(exc), 2) from None
    if as_json:
        for hit in hits:
            print(json.dumps(asdict(hit), ensure_ascii=False))
        return
    if not hits:
        console.print("no results")
        return
    for hit in hits:
        # Text from the digest is never markup: a title holding "[/b]" is printed as written.
        meta = escape(f"{hit.source} · {hit.doc_type} · {hit.published}")
        console.print(f"[bold]{escape(hit.title)}[/bold]  [dim]{meta}[/dim]")
        console.print(f"  {hit.url}", highlight=False, markup=False)
        console.print(f"  {hit.snippet}", highlight=False, markup=False)


def history(
    url: Annotated[str, typer.Argument(help="A publication's URL (as stored, or as on the site).")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Show how a publication changed: its versions and a word-level diff of each change."""
    from extract.normalise import canonical_url
    from extract.textdiff import changed_words, word_diff

    with reading(db) as digest:
        key = canonical_url(url)
        doc = digest.document(key)
        if doc is None:  # an http-only site's publications keep http
            doc = digest.document(canonical_url(url, scheme="http"))
            key = doc["canonical_url"] if doc else key
        if doc is None:
            raise fail(f"no publication {key} in {db}")
        versions = digest.versions(key)
    console.print(
        f"[bold]{escape(doc['title'])}[/bold]  " + escape(f"status: {doc['status']}  first seen {doc['first_seen']}")
    )
    if not versions:
        console.print("unchanged since it was first stored")
        return
    texts = [*((v["title"], v["body"], v["seen_at"]) for v in versions), (doc["title"], doc["body"], "now")]
    for (old_title, old_body, _), (new_title, new_body, when) in itertools.pairwise(texts):
        removed, added = changed_words(old_body, new_body)
        console.rule(escape(f"change seen {when}: -{removed} +{added} words"))
        if old_title != new_title:
            console.print(word_diff(old_title, new_title), markup=False, highlight=False)
        console.print(word_diff(old_body, new_body), markup=False, highlight=False)
