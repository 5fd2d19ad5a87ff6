"""Load and validate `config/teams.yaml`: who gets a weekly roundup, and which publications make it up."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from migdigest.config import ConfigError
from migdigest.paths import CONFIG_DIR

TEAMS_FILE = "teams.yaml"
# A team's name is a folder name under out/roundups/ and part of its feed's id: keep it plain.
_TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Deliberately loose (no DNS, no quoting rules): catches typos such as a missing @ or a stray space.
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$")


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt `topic:` must not silently widen a roundup to everything.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clean(values: list[str]) -> list[str]:
    """Whitespace-normalised, non-empty, first occurrence kept."""
    seen: dict[str, None] = {}
    for value in values:
        name = " ".join(value.split())
        if name:
            seen.setdefault(name, None)
    return list(seen)


class SavedSearch(_Strict):
    """A full-text query whose matches belong in the roundup (same syntax as `migdigest search`)."""

    name: str = Field(min_length=1)
    query: str

    @field_validator("query")
    @classmethod
    def _searchable(cls, value: str) -> str:
        from storage.search import QueryError, build_match

        try:
            build_match(value)
        except QueryError as exc:
            raise ValueError(f"{exc}; write words, a quoted phrase, OR, or prefix*") from None
        return value


class Team(_Strict):
    """One team: its recipients and what its roundup covers (no criteria at all = everything)."""

    name: str
    title: str = ""
    recipients: list[str] = []
    topics: list[str] = []
    regions: list[str] = []
    sources: list[str] = []
    searches: list[SavedSearch] = []

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _TEAM_NAME.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_' (it names the team's archive folder)")
        return value

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _ADDRESS.match(address.strip()):
                raise ValueError(f"{address!r} is not an email address such as analyst@example.org")
        return _clean(value)

    @field_validator("topics", "regions", "sources")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return _clean(value)

    @property
    def display_name(self) -> str:
        """The title if set, else the name."""
        return self.title or self.name

    @property
    def selects_everything(self) -> bool:
        """True when no topic, region, source or saved search narrows the roundup."""
        return not (self.topics or self.regions or self.sources or self.searches)


class TeamSettings(_Strict):
    """Settings shared by every team's roundup."""

    # Where out/roundups/ is published (e.g. https://digest.example.org/roundups); feed links are absolute then.
    public_url: str = ""
    # The Atom feed keeps this many weeks.
    feed_weeks: int = Field(default=52, ge=1, le=520)

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an absolute http(s) URL such as https://digest.example.org/roundups")
        return value.rstrip("/")


class Teams(_Strict):
    """Everything in teams.yaml."""

    settings: TeamSettings = TeamSettings()
    teams: dict[str, Team]

    def team(self, name: str) -> Team:
        """The team called `name`, or a ConfigError listing the known ones."""
        try:
            return self.teams[name]
        except KeyError:
            known = ", ".join(sorted(self.teams)) or "none"
            raise ConfigError(
                f"no team named {name!r}{_suggest(name, self.teams)}; configured teams: {known}"
            ) from None


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(path: Path, team: str | None, error: ValidationError, prefix: str = "") -> str:
    lines = []
    for err in error.errors():
        loc = prefix + ".".join(str(part) for part in err["loc"])
        where = f"team {team!r}, key {loc!r}" if team else f"key {loc!r}"
        if err["type"] == "extra_forbidden":
            keys = [k for k in (Team if team else TeamSettings).model_fields if k != "name"]
            fix = f"remove it or check its spelling (keys: {', '.join(keys)})"
        elif err["type"] == "missing":
            fix = "add it"
        else:
            fix = err["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: {where}: {fix}")
    return "\n".join(lines)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'teams' (and optionally 'settings') at the top level")
    return data


def _check_names(
    path: Path, teams: dict[str, Team], key: str, known: Iterable[str] | None, where_defined: str
) -> list[str]:
    if known is None:
        return []
    by_folded = {name.casefold(): name for name in known}
    problems = []
    for team in teams.values():
        for i, name in enumerate(getattr(team, key)):
            if name.casefold() not in by_folded:
                problems.append(
                    f"{path}: team {team.name!r}, key '{key}.{i}': unknown {key[:-1]} {name!r}"
                    f"{_suggest(name, by_folded.values())}; use one defined in {where_defined}"
                )
    return problems


def load_teams(
    config_dir: Path | None = None,
    *,
    known_sources: Iterable[str] | None = None,
    known_topics: Iterable[str] | None = None,
    known_regions: Iterable[str] | None = None,
) -> Teams:
    """Read `teams.yaml` under `config_dir` into validated Teams; names are checked against what is known."""
    path = (config_dir or CONFIG_DIR) / TEAMS_FILE
    if not path.exists():
        raise ConfigError(f"{path}: no teams file; create it with a 'teams:' mapping (see config/teams.yaml)")
    data = _read_yaml(path)
    unknown = set(data) - {"settings", "teams"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {sorted(unknown)}; use 'settings' and 'teams'")
    try:
        settings = TeamSettings.model_validate(data.get("settings") or {})
    except ValidationError as exc:
        raise ConfigError(_describe(path, None, exc, prefix="settings.")) from None
    declared = data.get("teams") or {}
    if not isinstance(declared, dict) or not declared:
        raise ConfigError(f"{path}: 'teams' must map team names to their settings; add at least one team")
    teams: dict[str, Team] = {}
    for name, raw in declared.items():
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: team {name!r}: expected a mapping of keys (recipients, topics, ...)")
        try:
            teams[str(name)] = Team.model_validate({"name": str(name), **raw})
        except ValidationError as exc:
            raise ConfigError(_describe(path, str(name), exc)) from None
    problems = [
        *_check_names(path, teams, "sources", known_sources, "config/sources.yaml or sources.d/"),
        *_check_names(path, teams, "topics", known_topics, "config/taxonomy.yaml"),
        *_check_names(path, teams, "regions", known_regions, "config/taxonomy.yaml"),
    ]
    if problems:
        raise ConfigError("\n".join(problems))
    return Teams(settings=settings, teams=teams)


def taxonomy_names(config_dir: Path | None = None) -> tuple[list[str], list[str]] | None:
    """Topic names and region (and country) names declared in taxonomy.yaml, or None if there is none."""
    path = (config_dir or CONFIG_DIR) / "taxonomy.yaml"
    if not path.exists():
        return None
    data = _read_yaml(path)
    topics = data.get("topics") or {}
    places = [*(data.get("regions") or {}), *(data.get("countries") or {})]
    if not isinstance(topics, dict):
        return None
    return [str(t) for t in topics], [str(p) for p in places]
