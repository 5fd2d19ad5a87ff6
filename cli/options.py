"""What the commands share: the --db and --config-dir options and the checks that fail with a message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.console import fail
from migdigest.config import Config, load_config
from migdigest.yamlconf import ConfigError

if TYPE_CHECKING:
    from extract.taxonomy import Taxonomy
    from migdigest.teams import Team, Teams
    from outputs.mail import SmtpSettings
    from storage import Digest

DbOption = Annotated[Path, typer.Option("--db", help="Digest SQLite file.", envvar="MIGDIGEST_DB")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config-dir", help="Folder with sources.yaml (default: the bundled config/).")
]
TeamsConfigOption = Annotated[
    Path | None, typer.Option("--config-dir", help="Folder with teams.yaml and sources (default: the bundled config/).")
]


def load_or_fail(config_dir: Path | None) -> Config:
    """The configuration, or exit 2 with the file, key and fix of what is wrong."""
    try:
        return load_config(config_dir)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


def check_taxonomy(config_dir: Path | None) -> Taxonomy:
    """The folder's taxonomy, refused before a run starts when broken (a flow loading it again gets it cached)."""
    from extract.taxonomy import load_taxonomy
    from migdigest.taxonomy import taxonomy_path

    try:
        return load_taxonomy(taxonomy_path(config_dir))
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


def known_sources_or_fail(config: Config, names: list[str]) -> None:
    """Exit 2 naming the configured sources when one of `names` is not among them."""
    for name in names:
        try:
            config.source(name)
        except ConfigError as exc:
            raise fail(str(exc), 2) from None


def need_digest(db: Path) -> None:
    """Exit with a hint when there is no digest yet."""
    if not db.exists():
        raise fail(f"no digest at {db}; run `migdigest demo` or `migdigest run` first")


@contextmanager
def reading(db: Path) -> Iterator[Digest]:
    """The digest opened read-only; a missing, empty or damaged file exits 1 with the path and the fix."""
    import sqlite3

    from storage import Digest, DigestError, is_damage
    from storage.digest import damaged

    try:
        with Digest.open_read(db) as digest:
            yield digest
    except DigestError as exc:
        raise fail(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        if is_damage(exc):  # a truncated file may open and fail only on the page a query reads
            raise fail(str(damaged(db, exc))) from None
        raise


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for item in items or []:
        name, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise fail(f"--base-url wants NAME=URL, got {item!r}", 2)
        overrides[name] = url.rstrip("/")
    return overrides


def teams_or_fail(config_dir: Path | None, team: str | None) -> tuple[Teams, list[Team]]:
    """teams.yaml and the team asked for (or all of them); exit 2 with the file's message when it is wrong."""
    from outputs.roundup import load_team_config, pick_teams

    try:
        teams = load_team_config(config_dir)
        return teams, pick_teams(teams, [team] if team else None)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


def smtp_or_fail(send: bool) -> SmtpSettings | None:
    """The SMTP settings from the environment when mail is to be sent; exit 2 saying what is missing."""
    from outputs.mail import MailConfigError, SmtpSettings

    if not send:
        return None
    try:
        return SmtpSettings.from_env()
    except MailConfigError as exc:
        raise fail(str(exc), 2) from None
