"""Load and validate `config/teams.yaml`: who gets a weekly roundup, and which publications make it up."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from migdigest.paths import CONFIG_DIR
from migdigest.yamlconf import ConfigError, Strict, describe, read_yaml, suggest

TEAMS_FILE = "teams.yaml"
# A team's name is a folder name under out/roundups/ and part of its feed's id: keep it plain.
_TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Deliberately loose (no DNS, no quoting rules): catches typos such as a missing @ or a stray space.
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$")

# Checks a saved search's query; raises ValueError saying what is wrong (storage.search.build_match does).
QueryCheck = Callable[[str], object]


def _clean(values: list[str]) -> list[str]:
    """Whitespace-normalised, non-empty, first occurrence kept."""
    seen: dict[str, None] = {}
    for value in values:
        name = " ".join(value.split())
        if name:
            seen.setdefault(name, None)
    return list(seen)


# BaseModel is named again only for ruff: it cannot see through an imported base that this is a pydantic model,
# whose list and dict defaults are copied for each instance (so RUF012 does not apply).
class _Strict(Strict, BaseModel):
    """A part of teams.yaml: strict (unknown keys are errors) and frozen."""


class SavedSearch(_Strict):
    """A full-text query whose matches belong in the roundup (same syntax as `migdigest search`)."""

    name: str = Field(min_length=1)
    query: str

    @field_validator("query")
    @classmethod
    def _searchable(cls, value: str, info: ValidationInfo) -> str:
        # The query language belongs to the search layer above the core: whoever loads teams to run their
        # searches passes its check in (outputs/roundup.py does), and its complaint is reported like any other.
        check: QueryCheck | None = (info.context or {}).get("check_query")
        if check is not None:
            try:
                check(value)
            except ValueError as exc:
                raise ValueError(f"{exc}; write words, a quoted phrase, OR, or prefix*") from None
        return value


class Alerts(_Strict):
    """Which of a team's own saved searches and topics also send a message the night a new publication matches."""

    searches: list[str] = []  # names of the team's saved searches
    topics: list[str] = []  # some of the team's topics

    @field_validator("searches", "topics")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return _clean(value)


class Team(_Strict):
    """One team: its recipients and what its roundup covers (no criteria at all = everything)."""

    name: str
    title: str = ""
    recipients: list[str] = []
    topics: list[str] = []
    regions: list[str] = []
    sources: list[str] = []
    searches: list[SavedSearch] = []
    alerts: Alerts = Alerts()

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

    @field_validator("alerts")
    @classmethod
    def _alerts_are_own_interests(cls, value: Alerts, info: ValidationInfo) -> Alerts:
        # An alert watches one of the team's own interests, so that it says why in the roundup's words.
        searches = [s.name for s in info.data.get("searches", [])]
        for i, name in enumerate(value.searches):
            if name not in searches:
                raise ValueError(
                    f"searches.{i}: {name!r} is not one of the team's saved searches{suggest(name, searches)};"
                    f" use a name from its 'searches' ({', '.join(searches) or 'none'})"
                )
        topics: list[str] = info.data.get("topics", [])
        for i, name in enumerate(value.topics):
            if name.casefold() not in {t.casefold() for t in topics}:
                raise ValueError(
                    f"topics.{i}: {name!r} is not one of the team's topics{suggest(name, topics)};"
                    f" add it to its 'topics' first ({', '.join(topics) or 'none'})"
                )
        return value

    @property
    def display_name(self) -> str:
        """The title if set, else the name."""
        return self.title or self.name

    @property
    def wants_alerts(self) -> bool:
        """True when some saved search or topic of the team sends alerts."""
        return bool(self.alerts.searches or self.alerts.topics)

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
    # The public address of the Datasette instance (e.g. https://digest.example.org): each item then links to its
    # page in the digest, <digest_url>/digest/documents/<id>.
    digest_url: str = ""
    # Who handles "unsubscribe" and "change what we receive" requests (a mailto: in every mail and in the
    # List-Unsubscribe header); empty: the sender's address (MIGDIGEST_MAIL_FROM).
    manage_address: str = ""
    # Optional one-click unsubscribe and preference pages; `{team}` is replaced by the team's name.
    unsubscribe_url: str = ""
    preferences_url: str = ""
    # A roundup with at least this many items opens with a list of contents.
    contents_from: int = Field(default=6, ge=1)
    # Alerts consider publications first stored within this many days (and never send one twice).
    alert_days: int = Field(default=7, ge=1, le=90)

    @field_validator("public_url", "digest_url", "unsubscribe_url", "preferences_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an absolute http(s) URL such as https://digest.example.org/roundups")
        return value.rstrip("/")

    @field_validator("manage_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if value and not _ADDRESS.match(value.strip()):
            raise ValueError(f"{value!r} is not an email address such as digest-admin@example.org")
        return value.strip()

    def page_for(self, url: str, team: str) -> str:
        """A configured page URL with `{team}` filled in."""
        return url.replace("{team}", team)


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
            raise ConfigError(f"no team named {name!r}{suggest(name, self.teams)}; configured teams: {known}") from None


def _describe(path: Path, team: str | None, error: ValidationError, prefix: str = "") -> str:
    model = Team if team else TeamSettings

    def known_keys(loc: tuple[int | str, ...]) -> str:
        return f" (keys: {', '.join(k for k in model.model_fields if k != 'name')})"

    owner = f"team {team!r}" if team else ""
    return describe(path, error, owner=owner, prefix=prefix, spelling_hint=known_keys, plain_messages=True)


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
                    f"{suggest(name, by_folded.values())}; use one defined in {where_defined}"
                )
    return problems


def load_teams(
    config_dir: Path | None = None,
    *,
    known_sources: Iterable[str] | None = None,
    known_topics: Iterable[str] | None = None,
    known_regions: Iterable[str] | None = None,
    check_query: QueryCheck | None = None,
) -> Teams:
    """Read `teams.yaml` under `config_dir` into validated Teams; names and queries are checked as far as known."""
    path = (config_dir or CONFIG_DIR) / TEAMS_FILE
    if not path.exists():
        raise ConfigError(f"{path}: no teams file; create it with a 'teams:' mapping (see config/teams.yaml)")
    data = read_yaml(path, "expected a mapping with 'teams' (and optionally 'settings') at the top level")
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
            teams[str(name)] = Team.model_validate({"name": str(name), **raw}, context={"check_query": check_query})
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
