"""`migdigest search` and `migdigest history`: full-text search and a publication's versions."""

from __future__ import annotations

import datetime as dt
import difflib
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


def _check_date(value: str | None, option: str) -> None:
    """Exit 2 unless `value` is a date that exists, written YYYY, YYYY-MM or YYYY-MM-DD."""
    if value is None:
        return
    parts = value.split("-")
    try:
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
            raise ValueError
        dt.date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
        if any(len(p) != 2 for p in parts[1:]):
            raise ValueError
    except ValueError:
        raise fail(
            f"{option} {value!r} is not a date: write YYYY-MM-DD (or YYYY-MM, or YYYY), e.g. 2024-05-31", 2
        ) from None


def _check_known(option: str, value: str | None, known: list[str]) -> None:
    """Exit 2 naming the valid values when `value` is not one of them."""
    if value is None or value in known:
        return
    if len(known) <= 40:
        valid = ", ".join(known) or "none yet"
        raise fail(f"unknown {option} {value!r}; this digest has: {valid}", 2)
    close = difflib.get_close_matches(value, known, n=8, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}" if close else ""
    raise fail(f"unknown {option} {value!r} ({len(known)} in this digest){hint}", 2)


def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", OR, prefix*.')],
    source: Annotated[str | None, typer.Option(help="Only this source (its short name, e.g. mpi).")] = None,
    doc_type: Annotated[str | None, typer.Option("--type", help="Only this document type.")] = None,
    topic: Annotated[str | None, typer.Option(help="Only publications with this topic.")] = None,
    region: Annotated[str | None, typer.Option(help="Only publications about this region.")] = None,
    author: Annotated[str | None, typer.Option(help="Only publications by this author (full name).")] = None,
    since: Annotated[str | None, typer.Option(help="Only published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Only published on or before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Full-text search the digest (ranked, with snippets)."""
    from storage import QueryError
    from storage.search import Filters

    _check_date(since, "--since")
    _check_date(until, "--until")
    if since and until and since > until:
        raise fail(f"--since {since} is after --until {until}: swap them", 2)
    filters = Filters(source=source, doc_type=doc_type, since=since, until=until, topic=topic, region=region,
                      author=author)  # fmt: skip
    with reading(db) as digest:
        known = digest.filter_values()
        for option, value, key in (("--source", source, "source"), ("--type", doc_type, "doc_type"),
                                   ("--topic", topic, "topic"), ("--region", region, "region"),
                                   ("--author", author, "author")):  # fmt: skip
            _check_known(option, value, known[key])
        try:
            hits = digest.search(query, limit=limit, filters=filters)
            total = digest.search_count(query, filters) if len(hits) == limit else len(hits)
        except QueryError as exc:
            raise fail(str(exc), 2) from None
    if as_json:
        for hit in hits:
            print(json.dumps(asdict(hit), ensure_ascii=False))
        return
    if not hits:
        console.print("no results")
        return
    shown = f"{total:,} result{'s' if total != 1 else ''}"
    console.print(shown if total == len(hits) else f"{shown}, the best {len(hits)} shown (--limit)")
    for hit in hits:
        # Titles and snippets are crawled text: never Rich markup. URLs go on a line of their own, never wrapped
        # or cut, so that a terminal can still open them at 80 columns.
        console.print(
            f"[bold]{escape(hit.title)}[/bold]  [dim]{escape(f'{hit.source} · {hit.doc_type} · {hit.published}')}[/dim]"
        )
        console.print(hit.url, highlight=False, markup=False, no_wrap=True, overflow="ignore", crop=False)
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
