"""`migdigest demo`: the bundled mirrors served on 127.0.0.1 and the nightly flow run over them."""

from __future__ import annotations

import sys
import time

from cli.console import console, fail
from cli.nightly import print_report, run_nightly
from cli.options import (
    ConfigOption,
    DbOption,
    check_taxonomy,
    load_or_fail,
)
from migdigest.config import Config
from migdigest.paths import DEFAULT_DB, REPO_ROOT


def demo(
    db: DbOption = DEFAULT_DB,
    config_dir: ConfigOption = None,
) -> None:
    """Serve the bundled mirrors on 127.0.0.1 and run the nightly flow over them into the digest."""
    # The mirrors are test and demo sites kept in the repository, not part of the installed package.
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))
    try:
        from mirrors.server import MirrorServer
    except ModuleNotFoundError:
        raise fail(f"the demo serves the mirrors of a repository checkout; none at {REPO_ROOT / 'mirrors'}") from None

    config = load_or_fail(config_dir)
    check_taxonomy(config_dir)
    if problems := unknown_mirrors(config):
        raise fail("\n".join(problems), 2)
    mirrored = {name: src for name, src in config.sources.items() if src.mirror}
    if not mirrored:
        raise fail("no configured source has a bundled mirror")
    servers = [MirrorServer(src.mirror) for src in mirrored.values() if src.mirror]
    started = time.perf_counter()
    try:
        for server in servers:
            server.start()
        base_urls = {name: s.base_url for name, s in zip(mirrored, servers, strict=True)}
        for name, url in base_urls.items():
            console.print(f"mirror of {name} ({mirrored[name].base_url}) at {url}", highlight=False)
        report = run_nightly(
            names=list(mirrored), sources=list(mirrored), db_path=db, base_urls=base_urls, config_dir=config_dir
        )
    finally:
        for server in servers:
            server.stop()
    print_report(report, time.perf_counter() - started)
    console.print(f"digest: {db}")
    console.print("browse it:  .venv/bin/migdigest serve    search it:  .venv/bin/migdigest search 'remittances'")


def unknown_mirrors(config: Config) -> list[str]:
    """A message for each source whose `mirror:` names no bundled mirror (none outside a repository checkout)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))
    try:
        from mirrors import SITES
    except ModuleNotFoundError:
        return []
    return [
        f"{config.files.get(name, 'sources.yaml')}: source {name!r}, key 'mirror': {src.mirror!r} is not a bundled"
        f" mirror; use one of {', '.join(sorted(SITES))}, or remove the key"
        for name, src in config.sources.items()
        if src.mirror and src.mirror not in SITES
    ]
