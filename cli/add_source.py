"""`migdigest add-source URL`: probe a new site, propose its discovery and include patterns, dry-run, write config."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer
from rich.markup import escape
from rich.table import Table

from cli.console import console, fail
from cli.options import ConfigOption
from migdigest.config import Discovery, Listing, Settings, Source, load_config
from migdigest.paths import CONFIG_DIR
from migdigest.yamlconf import ConfigError

if TYPE_CHECKING:
    from flows.livecheck import SampledPage
    from spiders.probe import Probe

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def show(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table: Rich on a terminal, plain aligned text otherwise (logs, pipes, tests)."""
    cells = [[str(c) for c in row] for row in rows]
    if console.is_terminal:
        table = Table(title=title, title_justify="left")
        for col in columns:
            table.add_column(col, overflow="fold")  # a URL or pattern cut short would mislead
        for row in cells:
            table.add_row(*(escape(c) for c in row))
        console.print(table)
        return
    widths = [max([len(col), *(len(r[i]) for r in cells)]) for i, col in enumerate(columns)]
    lines = [f"{title}:", "  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def say(text: str) -> None:
    """A line of output, never read as markup (patterns such as `[^/]+` are text)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def default_name(base_url: str) -> str:
    """A source name from the host: www.meridianmigration.org -> meridianmigration."""
    host = urlsplit(base_url).hostname or ""
    labels = [part for part in host.split(".") if part not in ("www", "www2")]
    word = labels[-2] if len(labels) >= 2 else (labels[0] if labels else "site")
    return re.sub(r"[^a-z0-9_-]", "-", word.lower()).strip("-")[:40] or "site"


def _relative(url: str, base: str) -> str:
    """A URL on the site as a path (the config resolves paths against base_url); other URLs as they are."""
    return url[len(base) :] or "/" if url.startswith(base + "/") or url == base else url


def proposed_source(probe: Probe, name: str) -> Source:
    """The source a probe suggests: its sitemaps, feeds and listing, and the include patterns it proposes."""
    base = probe.base_url
    listings = []
    if probe.listing is not None:
        guess = probe.listing
        listings.append(
            Listing(
                url=_relative(guess.url, base),
                item=guess.item,
                link=guess.link,
                type_label=guess.type_label,
                date=guess.date,
                next=guess.next,
            )
        )
    discovery = Discovery(
        sitemaps=[_relative(u, base) for u in probe.sitemap_roots],
        feeds=[_relative(f.url, base) for f in probe.feeds],
        listings=listings,
    )
    return Source(
        name=name,
        title=probe.title,
        base_url=base,
        homepage=probe.start_url,
        discovery=discovery,
        include=probe.include,
        type_labels=probe.type_labels,
    )


def _q(value: str) -> str:
    """A YAML scalar: JSON's double-quoted strings are YAML too."""
    return json.dumps(value, ensure_ascii=False)


def render_yaml(source: Source, probe: Probe, command: str) -> str:
    """The source as `config/sources.d/NAME.yaml`, with a comment on every key saying what it does and why."""
    d = source.discovery
    out = [
        f"# {source.title}: written by `{command}` on {date.today().isoformat()}.",
        "# Every key is described in docs/sources.md; `migdigest sources` validates this file. Real URLs only: crawl",
        f"# a copy of the site with `migdigest run --source {source.name} --base-url {source.name}=URL`.",
        "sources:",
        f"  {source.name}:",
        "    # Shown in search results, roundups and `migdigest sources`.",
        f"    title: {_q(source.title)}",
        "    # Scheme and host of the real site: stored URLs are on it, discovery paths below are resolved against it.",
        f"    base_url: {_q(source.base_url)}",
        "    # Where a reader is sent for the source itself.",
        f"    homepage: {_q(source.homepage)}",
        "    discovery:",
    ]
    if d.sitemaps:
        urls = sum(s.entries for s in probe.sitemaps if s.kind == "urlset")
        out += [
            f"      # Sitemaps (indexes are followed, .gz is read): {len(probe.sitemaps)} file(s), {urls} URLs; "
            + ("named by robots.txt." if probe.robots.sitemaps else "found at the usual place."),
            f"      sitemaps: [{', '.join(_q(s) for s in d.sitemaps)}]",
        ]
    if d.feeds:
        how = sorted({f.found_by for f in probe.feeds})
        items = sum(f.items for f in probe.feeds)
        out += [
            f"      # RSS/Atom feeds ({items} items), found by {' and '.join(how)}: new items are seen quickly.",
            f"      feeds: [{', '.join(_q(f) for f in d.feeds)}]",
        ]
    for listing in d.listings:
        guess = probe.listing
        pages = len(guess.pages) if guess else 1
        links = len(guess.links) if guess else 0
        out += [
            f"      # A listing of teasers, read on {pages} page(s) ({links} links); selectors read from its repeated"
            " blocks.",
            "      listings:",
            f"        - url: {_q(listing.url)}",
            "          # One teaser (CSS selector).",
            f"          item: {_q(listing.item)}",
            "          # The teaser's link to the publication.",
            f"          link: {_q(listing.link)}",
        ]
        if listing.type_label:
            out += [
                "          # The teaser's type label (see type_labels).",
                f"          type_label: {_q(listing.type_label)}",
            ]
        if listing.date:
            out += [
                "          # The teaser's date: a change sign for known pages.",
                f"          date: {_q(listing.date)}",
            ]
        if listing.next:
            out += ["          # The link to the next page; paging stops after a page of known items.",
                    f"          next: {_q(listing.next)}"]  # fmt: skip
    shapes = [s for s in probe.shapes if s.proposed]
    out.append("    # Regexes on the URL path: only URLs matching one are fetched as publications. Proposed from the")
    out.append("    # URL shapes found (those feeds or listings point to, or whose slugs are titles):")
    for s in shapes:
        counts = ", ".join(f"{n} in {c}" for c, n in sorted(s.counts.items()))
        out.append(f"    #   {s.label}: {s.reason} ({counts})")
    out.append("    # Index pages of the same shape are recognised by extraction and never stored.")
    out.append("    include:" + ("" if source.include else " []"))
    out += [f"      - {_q(p)}" for p in source.include]
    out += ["    # Regexes on the URL path of pages never fetched as publications.", "    exclude: []"]
    if source.type_labels:
        out.append("    # Teaser labels seen on the listing -> the digest's document type.")
        out.append("    type_labels:")
        out += [f"      {_q(label)}: {_q(doc_type)}" for label, doc_type in probe.type_labels.items()]
    polite = source.politeness
    out += [
        "    # How gently the real site is crawled: seconds between requests, parallel requests, timeout.",
        f"    politeness: {{delay: {polite.delay}, concurrency: {polite.concurrency}, timeout: {polite.timeout}}}",
    ]
    return "\n".join(out) + "\n"


def _existing(config_dir: Path) -> tuple[set[str], Settings]:
    """Names of the sources already configured, and the crawler settings (a folder with none is fine)."""
    files = [config_dir / "sources.yaml", *sorted((config_dir / "sources.d").glob("*.yaml"))]
    if not any(f.exists() for f in files):
        return set(), Settings()
    try:
        config = load_config(config_dir)
    except ConfigError as exc:
        if "no sources configured" in str(exc):
            return set(), load_or_fail_settings(config_dir)
        raise fail(str(exc), 2) from None
    return set(config.sources), config.settings


def load_or_fail_settings(config_dir: Path) -> Settings:
    """The settings of a folder whose sources.yaml has settings but no source yet."""
    from migdigest.yamlconf import read_yaml

    path = config_dir / "sources.yaml"
    data = read_yaml(path) if path.exists() else {}
    try:
        return Settings.model_validate(data.get("settings") or {})
    except ValueError as exc:
        raise fail(f"{path}: {exc}", 2) from None


def _print_probe(probe: Probe) -> None:
    robots = probe.robots
    say(f"site: {probe.title} ({probe.base_url}), probed from {probe.start_url}")
    if robots.found:
        say(f"robots.txt: sitemaps named: {', '.join(robots.sitemaps) or 'none'}; "
            f"disallowed: {', '.join(robots.disallow) or 'nothing'}")  # fmt: skip
    else:
        say("robots.txt: none (everything allowed)")
    rows: list[list[object]] = [
        [f"sitemap ({s.kind}{', gz' if s.gzipped else ''})", s.url, s.entries] for s in probe.sitemaps
    ]
    rows += [[f"feed ({f.kind}, {f.found_by})", f.url, f.items] for f in probe.feeds]
    if probe.listing is not None:
        g = probe.listing
        rows.append([f"listing ({len(g.pages)} pages)", g.url, len(g.links)])
    show("discovery found", ["channel", "URL", "URLs"], rows or [["none", "", 0]])
    if probe.listing is not None:
        g = probe.listing
        show("listing read (Beautiful Soup, repeated teaser blocks)", ["key", "CSS selector"],
             [["item", g.item], ["link", g.link], ["type_label", g.type_label or "-"], ["date", g.date or "-"],
              ["next", g.next or "- (one page)"]])  # fmt: skip
    show(
        "URL shapes",
        ["include?", "shape", "sitemap", "feed", "listing", "why", "examples"],
        [["yes" if s.proposed else "no", s.label, s.counts["sitemap"], s.counts["feed"], s.counts["listing"],
          s.reason, " ".join(s.examples[:2])] for s in probe.shapes],
    )  # fmt: skip
    for note in probe.notes:
        say(f"note: {note}")


def _print_dry_run(pages: list[SampledPage], max_pages: int) -> None:
    rows = []
    for kind, meaning in (("publication", "yes"), ("index", "no"), ("other", "no")):
        found = [p for p in pages if p.kind == kind]
        details = sorted({p.detail for p in found})
        examples = " ".join(urlsplit(p.url).path for p in found[:3])
        rows.append([kind, meaning, len(found), ", ".join(details), examples])
    columns = ["kind", "stored?", "pages", "judged", "examples"]
    show(f"dry run (at most {max_pages} responses): what a crawl would store", columns, rows)


def add_source(
    url: Annotated[str, typer.Argument(help="A page of the site: its home page or the page listing publications.")],
    name: Annotated[str | None, typer.Option("--name", help="Source name (default: from the host).")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Probe and dry-run a copy of the site at this URL instead.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Write the file without asking.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Probe and show, write nothing.")] = False,
    max_pages: Annotated[int, typer.Option(min=2, max=200, help="Responses fetched by the dry-run crawl.")] = 30,
    config_dir: ConfigOption = None,
) -> None:
    """Probe a new site (robots.txt, sitemaps, feeds, a listing), dry-run a crawl, write config/sources.d/NAME.yaml."""
    from flows.livecheck import dry_run as crawl_sample
    from spiders.probe import ProbeError, base_of, probe_site

    folder = config_dir or CONFIG_DIR
    try:
        real_base = base_of(url)
    except ProbeError as exc:
        raise fail(str(exc), 2) from None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise fail(f"--base-url wants a URL such as http://127.0.0.1:8000, got {base_url!r}", 2)
    name = name or default_name(real_base)
    if not _NAME.match(name):
        raise fail(f"source name {name!r}: use lower-case letters, digits, '-' or '_', starting with a letter", 2)
    # The file first: one that exists is never overwritten, even when it does not load (an emptied file).
    target = folder / "sources.d" / f"{name}.yaml"
    if target.exists():
        raise fail(f"a source named {name!r} already exists ({target}); choose another with --name", 2)
    known, settings = _existing(folder)
    if name in known:
        raise fail(f"a source named {name!r} already exists ({folder}); choose another with --name", 2)

    with console.status(f"probing {real_base}..."):
        try:
            probe = probe_site(url, origin=base_url, user_agent=settings.user_agent)
        except ProbeError as exc:
            raise fail(str(exc), 2) from None
    _print_probe(probe)
    try:
        source = proposed_source(probe, name)
    except ValueError as exc:  # a selector or pattern the models refuse: say so rather than write it
        raise fail(
            f"the proposed source is not valid ({exc}); write {target} by hand (see docs/sources.md)", 2
        ) from None
    if not source.include:
        say("note: no URL shape was proposed: every URL discovery finds will be fetched; add `include` patterns")

    with console.status(f"dry run: crawling at most {max_pages} responses..."):
        pages = crawl_sample(source, settings=settings, base_url=base_url, max_pages=max_pages)
    _print_dry_run(pages, max_pages)
    if not any(p.kind == "publication" for p in pages):
        say("warning: the dry run found no publication; check the include patterns before the first night")

    command = f"migdigest add-source {url} --name {name}"
    text = render_yaml(source, probe, command)
    if dry_run:
        say(f"--dry-run: would write {target}:")
        say(text)
        return
    if not yes:
        if not sys.stdin.isatty():
            say(text)
            say(f"not written: run again with --yes to write {target}")
            return
        say(text)
        if not typer.confirm(f"write {target}?", default=True):
            say("not written")
            return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    try:
        load_config(folder).source(name)
    except ConfigError as exc:
        target.unlink()  # a file the loader refuses would break every other command: take it back
        raise fail(f"the written file did not validate, so it was removed: {exc}", 2) from None
    say(f"wrote {target}; `migdigest sources` lists it, `migdigest run --source {name}` crawls it")
