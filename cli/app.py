"""The `migdigest` command line: demo, run, extract, search, serve, sources."""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.console import console, fail
from cli.roundup import roundup
from cli.schedule import schedule
from migdigest.config import Source, load_config
from migdigest.paths import CONFIG_DIR, DEFAULT_DB, REPO_ROOT
from migdigest.yamlconf import ConfigError

app = typer.Typer(
    help="Follow what migration think tanks publish: crawl, extract, store and search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[Path, typer.Option("--db", help="Digest SQLite file.", envvar="MIGDIGEST_DB")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config-dir", help="Folder with sources.yaml (default: the bundled config/).")
]


def _config(config_dir: Path | None) -> Any:
    try:
        return load_config(config_dir)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


def _check_taxonomy(config_dir: Path | None) -> None:
    """Refuse a broken taxonomy before a run starts, as a broken sources config is (its flow loads it again, cached)."""
    from extract.taxonomy import load_taxonomy
    from migdigest.taxonomy import taxonomy_path

    try:
        load_taxonomy(taxonomy_path(config_dir))
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


def _print_report(report: list[dict[str, Any]], seconds: float) -> None:
    table = Table(title="nightly run")
    for col in ("source", "status", "fetched", "stored", "new", "changed", "unchanged", "errors"):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for row in report:
        errors = sum(row["errors"].values())
        table.add_row(
            row["source"], row["status"], str(row["pages_fetched"]), str(row["stored"]), str(row["new"]),
            str(row["changed"]), str(row["unchanged"]), str(errors),
        )  # fmt: skip
    console.print(table)
    fetched = sum(r["pages_fetched"] for r in report)
    stored = sum(r["stored"] for r in report)
    errors = sum(sum(r["errors"].values()) for r in report)
    console.print(
        f"pages fetched: {fetched}  publications stored: {stored}  errors: {errors}  seconds: {seconds:.1f}",
        highlight=False,
    )
    for row in report:
        if row["status"] != "ok":
            console.print(f"[red]ALERT[/red] {row['source']}: {row['status']}: {row['message']}", highlight=False)
        if row["errors"]:
            console.print(f"  {row['source']} errors: {row['errors']}", highlight=False)


def _run_nightly(**kwargs: Any) -> list[dict[str, Any]]:
    from flows.nightly import nightly  # imported late: Prefect is slow to import and not needed elsewhere

    result: list[dict[str, Any]] = nightly(**kwargs)
    return result


@app.command()
def demo(
    db: DbOption = DEFAULT_DB,
    config_dir: ConfigOption = None,
) -> None:
    """Serve the bundled mirrors on 127.0.0.1 and run the nightly flow over them into the digest."""
    # The mirrors are test and demo sites kept in the repository, not part of the installed package.
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))
    from mirrors.server import MirrorServer

    config = _config(config_dir)
    _check_taxonomy(config_dir)
    mirrored = {name: src for name, src in config.sources.items() if src.mirror}
    if not mirrored:
        raise fail("no configured source has a bundled mirror")
    servers = [MirrorServer(src.mirror) for src in mirrored.values()]
    started = time.perf_counter()
    try:
        for server in servers:
            server.start()
        base_urls = {name: s.base_url for name, s in zip(mirrored, servers, strict=True)}
        for name, url in base_urls.items():
            console.print(f"mirror of {name} ({mirrored[name].base_url}) at {url}", highlight=False)
        report = _run_nightly(sources=list(mirrored), db_path=db, base_urls=base_urls, config_dir=config_dir)
    finally:
        for server in servers:
            server.stop()
    _print_report(report, time.perf_counter() - started)
    console.print(f"digest: {db}")
    console.print("browse it:  .venv/bin/migdigest serve    search it:  .venv/bin/migdigest search 'remittances'")


@app.command()
def run(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only these sources.")] = None,
    base_url: Annotated[
        list[str] | None, typer.Option("--base-url", help="NAME=URL: crawl a mirror of NAME at URL instead.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    config_dir: ConfigOption = None,
) -> None:
    """Run the nightly flow (crawl, extract, store) on the configured sources."""
    config = _config(config_dir)
    overrides = _overrides(base_url)
    for name in [*(source or []), *overrides]:
        try:
            config.source(name)
        except ConfigError as exc:
            raise fail(str(exc), 2) from None
    _check_taxonomy(config_dir)
    started = time.perf_counter()
    report = _run_nightly(sources=source or None, db_path=db, base_urls=overrides, config_dir=config_dir)
    _print_report(report, time.perf_counter() - started)
    if any(r["status"] != "ok" for r in report):
        raise typer.Exit(1)


def _overrides(items: list[str] | None) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for item in items or []:
        name, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise fail(f"--base-url wants NAME=URL, got {item!r}", 2)
        overrides[name] = url.rstrip("/")
    return overrides


def _check_live(
    config: Any, names: list[str], overrides: dict[str, str], max_pages: int, config_dir: Path | None
) -> None:
    from extract.taxonomy import load_taxonomy
    from flows.livecheck import check_source
    from migdigest.taxonomy import taxonomy_path

    for name in [*names, *overrides]:
        try:
            config.source(name)
        except ConfigError as exc:
            raise fail(str(exc), 2) from None
    _check_taxonomy(config_dir)
    taxonomy = load_taxonomy(taxonomy_path(config_dir))
    table = Table(title="live check")
    for col in ("source", "status", "discovered", "fetched", "publications", "example", "problems"):
        table.add_column(col, justify="right" if col in ("discovered", "fetched", "publications") else "left")
    results = []
    with console.status("checking sources...") as status:
        for name in names:
            status.update(f"checking {name} ({overrides.get(name) or config.source(name).base_url})")
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
            r.source, f"[{colour}]{r.status}[/{colour}]", str(r.discovered), str(r.fetched), str(r.publications),
            r.example[:60], r.problems[:60],
        )  # fmt: skip
    console.print(table)
    if any(r.status != "ok" for r in results):
        raise typer.Exit(1)


def _source_for(url: str, sources: dict[str, Source]) -> Source | None:
    host = url.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    for src in sources.values():
        if src.base_url.split("://", 1)[-1].removeprefix("www.") == host:
            return src
    return None


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="A saved HTML page.", exists=True, dir_okay=False, readable=True)],
    url: Annotated[str | None, typer.Option(help="The URL the page was fetched from.")] = None,
    source: Annotated[str | None, typer.Option(help="Use this source's selectors and type labels.")] = None,
    config_dir: ConfigOption = None,
) -> None:
    """Extract one saved page and print it as JSON."""
    from extract.page import ExtractionError, extract_page

    config = _config(config_dir)
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


@app.command()
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
    from storage import Digest, QueryError

    if not db.exists():
        raise fail(f"no digest at {db}; run `migdigest demo` or `migdigest run` first")
    digest = Digest(db)
    try:
        hits = digest.search(query, limit=limit, source=source, doc_type=doc_type, since=since)
    except QueryError as exc:
        raise fail(str(exc), 2) from None
    finally:
        digest.close()
    if as_json:
        for hit in hits:
            print(json.dumps(asdict(hit), ensure_ascii=False))
        return
    if not hits:
        console.print("no results")
        return
    for hit in hits:
        console.print(f"[bold]{hit.title}[/bold]  [dim]{hit.source} · {hit.doc_type} · {hit.published}[/dim]")
        console.print(f"  {hit.url}", highlight=False)
        console.print(f"  {hit.snippet}", highlight=False, markup=False)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    db: DbOption = DEFAULT_DB,
) -> None:
    """Browse and search the digest in Datasette."""
    from outputs.datasette import datasette_args
    from storage import Digest

    if not db.exists():
        raise fail(f"no digest at {db}; run `migdigest demo` or `migdigest run` first")
    try:
        args = datasette_args(db, host, port)
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    Digest(db).close()  # apply pending migrations before Datasette opens the file read-only
    console.print(f"Datasette on http://{host}:{port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    os.execv(sys.executable, args)


@app.command()
def reextract(
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Only these sources.")] = None,
    runs_dir: Annotated[Path | None, typer.Option(help="Archived runs (default: runs/ next to the digest).")] = None,
    db: DbOption = DEFAULT_DB,
    config_dir: ConfigOption = None,
) -> None:
    """Rebuild the digest from the archived raw responses of every run, without the network."""
    from flows.reextract import reextract as replay

    config = _config(config_dir)
    for name in source or []:
        try:
            config.source(name)
        except ConfigError as exc:
            raise fail(str(exc), 2) from None
    _check_taxonomy(config_dir)
    runs = runs_dir or db.parent / "runs"
    if not runs.is_dir():
        raise fail(f"no archived runs in {runs}")
    report = replay(db, runs, sources=source or None, config_dir=config_dir)
    table = Table(title=f"re-extracted from {runs}")
    for col in ("source", "runs", "new", "changed", "unchanged", "gone"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for name, counts in report.items():
        table.add_row(name, *(str(counts[k]) for k in ("runs", "new", "changed", "unchanged", "gone")))
    console.print(table)


@app.command()
def history(
    url: Annotated[str, typer.Argument(help="A publication's URL (as stored, or as on the site).")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Show how a publication changed: its versions and a word-level diff of each change."""
    from extract.normalise import canonical_url
    from extract.textdiff import changed_words, word_diff
    from storage import Digest

    if not db.exists():
        raise fail(f"no digest at {db}; run `migdigest demo` or `migdigest run` first")
    with Digest(db) as digest:
        key = canonical_url(url)
        doc = digest.document(key)
        if doc is None:
            raise fail(f"no publication {key} in {db}")
        versions = digest.versions(key)
    console.print(f"[bold]{doc['title']}[/bold]  status: {doc['status']}  first seen {doc['first_seen']}")
    if not versions:
        console.print("unchanged since it was first stored")
        return
    texts = [*((v["title"], v["body"], v["seen_at"]) for v in versions), (doc["title"], doc["body"], "now")]
    for (old_title, old_body, _), (new_title, new_body, when) in itertools.pairwise(texts):
        removed, added = changed_words(old_body, new_body)
        console.rule(f"change seen {when}: -{removed} +{added} words")
        if old_title != new_title:
            console.print(word_diff(old_title, new_title), markup=False, highlight=False)
        console.print(word_diff(old_body, new_body), markup=False, highlight=False)


@app.command()
def health(
    runs: Annotated[int, typer.Option(min=1, max=1000, help="How many recent runs to judge.")] = 50,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Show the last runs per source and flag anomalies (blocked, failing, quiet, yield drop, coverage)."""
    from outputs.health import assess
    from storage import Digest

    if not db.exists():
        raise fail(f"no digest at {db}; run `migdigest demo` or `migdigest run` first")
    with Digest(db) as digest:
        history = digest.last_runs(runs)
    table = Table(title="last run per source")
    cols = ("source", "finished", "status", "fetched", "304", "new", "changed", "unchanged", "gone", "errors",
            "discovered", "live", "seconds")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("source", "finished", "status") else "right")
    shown: set[str] = set()
    for r in history:
        if r["source"] in shown:
            continue
        shown.add(r["source"])
        table.add_row(
            r["source"], str(r["finished"] or ""), r["status"], str(r["pages_fetched"]), str(r["not_modified"]),
            str(r["new"]), str(r["changed"]), str(r["unchanged"]), str(r["gone"]), str(sum(r["errors"].values())),
            str(r["discovered"]), str(r["live_documents"]), f"{r['duration_s'] or 0:.1f}",
        )  # fmt: skip
    console.print(table)
    findings = assess(history)
    for f in findings:
        colour = "red" if f.level == "alert" else "yellow"
        console.print(f"[{colour}]{f.level.upper()}[/{colour}] {f.source}: {f.message}", highlight=False)
    if not findings:
        console.print("no anomalies")
    if any(f.level == "alert" for f in findings):
        raise typer.Exit(1)


@app.command()
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
    config = _config(config_dir)
    if check_live:
        _check_live(config, source or list(config.sources), _overrides(base_url), max_pages, config_dir)
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
        table.add_row(src.name, src.title, src.base_url, found, src.mirror or "")
    console.print(table)
    console.print(f"{len(config.sources)} source(s), configuration valid")


# Commands whose modules import Prefect or the roundup code only when they run (keeps --help fast).
app.command()(roundup)
app.command()(schedule)

if __name__ == "__main__":
    app()
