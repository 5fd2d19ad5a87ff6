"""The taxonomy file's model, location and checks; compiling it and tagging text are extract/taxonomy.py's."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from migdigest.paths import CONFIG_DIR
from migdigest.yamlconf import ConfigError, Strict, describe, read_yaml, suggest

TAXONOMY_FILE = "taxonomy.yaml"
DEFAULT_PATH = CONFIG_DIR / TAXONOMY_FILE
LANGUAGES = ("en", "fr", "es", "pt", "it", "de")
_SHAPE = "expected a mapping with 'topics', 'regions' and 'countries' at the top level"


def taxonomy_path(config_dir: Path | None = None) -> Path:
    """The taxonomy a run with `config_dir` tags with: the folder's taxonomy.yaml, else the bundled one."""
    # A folder may hold only sources.yaml (as --config-dir's help says): its runs are tagged as they always were.
    own = (config_dir or CONFIG_DIR) / TAXONOMY_FILE
    return own if own.exists() else DEFAULT_PATH


# BaseModel is named again only for ruff: it cannot see through an imported base that this is a pydantic model,
# whose list and dict defaults are copied for each instance (so RUF012 does not apply).
class _Strict(Strict, BaseModel):
    """A part of taxonomy.yaml: strict (unknown keys are errors) and frozen."""


class Entry(_Strict):
    """Patterns per language, plus an optional stricter body threshold."""

    en: list[str] = []
    fr: list[str] = []
    es: list[str] = []
    pt: list[str] = []
    it: list[str] = []
    de: list[str] = []
    min_body_mentions: int | None = Field(default=None, ge=1)

    def patterns(self) -> list[str]:
        """Every pattern, all languages."""
        return [p for lang in LANGUAGES for p in getattr(self, lang)]


class TopicSpec(Entry):
    """One topic: its patterns (its name is a label, not a pattern)."""

    description: str = ""


class RegionSpec(Entry):
    """One region: its parents and patterns (its name is a pattern too)."""

    parents: list[str] = []


class CountrySpec(Entry):
    """One country or territory: ISO code, region and patterns (its name is a pattern too)."""

    iso: str
    region: str
    also: list[str] = Field(default=[], description="further regions it belongs to")

    @field_validator("iso")
    @classmethod
    def _iso(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code; use two capital letters such as 'SY'")
        return value


class IgnoreSpec(_Strict):
    """Phrases that look like a match but are not one ("Guinea pig", "cross-border")."""

    topics: list[str] = []
    places: list[str] = []


class TaxonomySettings(_Strict):
    """How many body mentions tag a publication when the title and summary are silent."""

    body_min_mentions: int = Field(default=2, ge=1)


class TaxonomyFile(_Strict):
    """The whole of `taxonomy.yaml`."""

    settings: TaxonomySettings = TaxonomySettings()
    topics: dict[str, TopicSpec]
    regions: dict[str, RegionSpec]
    countries: dict[str, CountrySpec]
    ignore: IgnoreSpec = IgnoreSpec()


def read_taxonomy(path: Path) -> TaxonomyFile:
    """Read and validate a taxonomy file (keys, codes, region references); patterns are checked when compiled."""
    if not path.exists():
        raise ConfigError(f"{path}: taxonomy file not found; create it (see docs/extraction.md)")
    data = read_yaml(path, _SHAPE, empty_ok=False)
    try:
        spec = TaxonomyFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(path, exc, spelling_hint=_language_hint)) from None
    problems = _check_references(spec)
    if problems:
        raise ConfigError("\n".join(f"{path}: {p}" for p in problems))
    return spec


def _language_hint(loc: tuple[int | str, ...]) -> str:
    # A short unknown key is probably meant as a language ("eng", "sp").
    return f" (languages: {', '.join(LANGUAGES)})" if len(str(loc[-1])) <= 3 else ""


def _check_references(spec: TaxonomyFile) -> list[str]:
    problems = []
    regions = spec.regions
    for name, spec_region in regions.items():
        for parent in spec_region.parents:
            if parent not in regions:
                problems.append(
                    f"key 'regions.{name}.parents': unknown region {parent!r}{suggest(parent, regions)}; "
                    "define it under 'regions' or fix the name"
                )
    for name in regions:
        seen, stack = set(), list(regions[name].parents)
        while stack:
            current = stack.pop()
            if current == name:
                problems.append(f"key 'regions.{name}.parents': the region is its own ancestor; break the cycle")
                break
            if current in regions and current not in seen:
                seen.add(current)
                stack.extend(regions[current].parents)
    codes: dict[str, str] = {}
    for name, country in spec.countries.items():
        for field, ref in [("region", country.region), *(("also", r) for r in country.also)]:
            if ref not in regions:
                problems.append(
                    f"key 'countries.{name}.{field}': unknown region {ref!r}{suggest(ref, regions)}; "
                    "use a region defined under 'regions'"
                )
        if country.iso in codes:
            problems.append(f"key 'countries.{name}.iso': {country.iso} is also the code of {codes[country.iso]!r}")
        codes[country.iso] = name
    for kind, names in (("topics", spec.topics), ("regions", regions), ("countries", spec.countries)):
        if not names:
            problems.append(f"key {kind!r}: empty; list at least one")
    return problems


def taxonomy_names(config_dir: Path | None = None) -> tuple[list[str], list[str]] | None:
    """Topic names and region (and country) names declared in taxonomy.yaml, or None if there is none."""
    # The folder's own file only, as before: a folder without one leaves the teams' topics and regions unchecked.
    path = (config_dir or CONFIG_DIR) / TAXONOMY_FILE
    if not path.exists():
        return None
    # Only the names are needed (teams.yaml is checked against them); the full checks run when it is compiled.
    data = read_yaml(path, _SHAPE)
    topics = data.get("topics") or {}
    places = [*(data.get("regions") or {}), *(data.get("countries") or {})]
    if not isinstance(topics, dict):
        return None
    return [str(t) for t in topics], [str(p) for p in places]
