"""The sources config (`sources.yaml`, `sources.d/`) as typed objects; errors name file, source, key and fix."""

from __future__ import annotations

import re
from pathlib import Path

from parsel import Selector
from pydantic import BaseModel, Field, ValidationError, field_validator

from migdigest.models import DOC_TYPES
from migdigest.paths import CONFIG_DIR
from migdigest.yamlconf import ConfigError, Strict, describe, read_yaml


def _check_css(value: str | None) -> str | None:
    if value:
        try:
            Selector(text="<html></html>").css(value)
        except Exception as exc:  # parsel raises several kinds for bad CSS
            raise ValueError(f"not a valid CSS selector ({exc})") from None
    return value


# BaseModel is named again only for ruff: it cannot see through an imported base that this is a pydantic model,
# whose list and dict defaults are copied for each instance (so RUF012 does not apply).
class _Strict(Strict, BaseModel):
    """A part of the sources config: strict (unknown keys are errors) and frozen."""


class Listing(_Strict):
    """A listing page: where items are, what to read from each, how to reach the next page."""

    url: str
    item: str = Field(description="CSS selector of one teaser")
    link: str = "a"
    type_label: str | None = None
    date: str | None = None
    next: str | None = None
    max_pages: int = Field(default=50, ge=1)
    # Incremental runs stop paging after a page whose items are all known, but always read min_pages pages.
    stop_when_known: bool = True
    min_pages: int = Field(default=1, ge=1)

    _css = field_validator("item", "link", "type_label", "date", "next")(_check_css)


class Discovery(_Strict):
    """How publications are found: sitemaps, feeds and listing pages (paths or absolute URLs)."""

    sitemaps: list[str] = []
    feeds: list[str] = []
    listings: list[Listing] = []


class UrlType(_Strict):
    """A document type implied by a URL path pattern."""

    pattern: str
    type: str

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:  # not a ValueError: pydantic would let it escape as a traceback
            raise ValueError(f"{value!r} is not a valid regular expression ({exc})") from None
        return value

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in DOC_TYPES:
            raise ValueError(f"unknown document type {value!r}; use one of {', '.join(DOC_TYPES)}")
        return value


class Selectors(_Strict):
    """Optional CSS selectors that override what the generic extractor finds."""

    title: str | None = None
    date: str | None = None
    authors: str | None = None
    type: str | None = None
    body: str | None = None
    pdf: str | None = None

    _css = field_validator("title", "date", "authors", "type", "body", "pdf")(_check_css)


class Politeness(_Strict):
    """How gently a real site is crawled."""

    delay: float = Field(default=1.0, ge=0)
    concurrency: int = Field(default=2, ge=1, le=16)
    timeout: float = Field(default=30.0, gt=0)


class Source(_Strict):
    """One site the digest follows."""

    name: str
    title: str
    base_url: str
    homepage: str = ""
    mirror: str | None = Field(default=None, description="bundled mirror used by `migdigest demo`")
    discovery: Discovery
    include: list[str] = Field(default_factory=list, description="regexes on the URL path of publications")
    exclude: list[str] = []
    type_labels: dict[str, str] = {}
    url_types: list[UrlType] = []
    selectors: Selectors = Selectors()
    politeness: Politeness = Politeness()

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+$", value.rstrip("/")):
            raise ValueError("must be a scheme and host such as https://www.example.org")
        return value.rstrip("/")

    @field_validator("include", "exclude")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
        return value

    @field_validator("type_labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for label, doc_type in value.items():
            if doc_type not in DOC_TYPES:
                raise ValueError(f"label {label!r} maps to unknown type {doc_type!r}; use one of {DOC_TYPES}")
        return {label.strip().lower(): doc_type for label, doc_type in value.items()}


class Settings(_Strict):
    """Crawler-wide settings."""

    user_agent: str = "migdigest/0.1 (+https://github.com/migdigest/migdigest)"
    contact: str = "https://github.com/migdigest/migdigest"
    # Time limits, in seconds: past one the work is stopped and the source recorded failed with the reason.
    crawl_time_limit: float = Field(default=6 * 3600.0, gt=0, description="one source's crawl process")
    stop_grace: float = Field(default=30.0, gt=0, description="between SIGTERM and SIGKILL of a crawl process")
    extract_time_limit: float = Field(default=3600.0, gt=0, description="one source's extraction task")
    store_time_limit: float = Field(default=1800.0, gt=0, description="one source's store task")


class Config(_Strict):
    """Everything in `config/`."""

    settings: Settings = Settings()
    sources: dict[str, Source]

    def source(self, name: str) -> Source:
        """The source called `name`, or a ConfigError listing the known ones."""
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources)) or "none"
            raise ConfigError(f"no source named {name!r}; configured sources: {known}") from None


def load_config(config_dir: Path | None = None) -> Config:
    """Read `sources.yaml` (and `sources.d/*.yaml`) under `config_dir` into a validated Config."""
    config_dir = config_dir or CONFIG_DIR
    files = [config_dir / "sources.yaml", *sorted((config_dir / "sources.d").glob("*.yaml"))]
    settings = Settings()
    sources: dict[str, Source] = {}
    for path in files:
        if not path.exists():
            continue
        data = read_yaml(path)
        unknown = set(data) - {"settings", "sources"}
        if unknown:
            raise ConfigError(f"{path}: unknown top-level key(s) {sorted(unknown)}; use 'settings' and 'sources'")
        if "settings" in data:
            try:
                settings = Settings.model_validate(data["settings"])
            except ValidationError as exc:
                raise ConfigError(describe(path, exc)) from None
        declared = data.get("sources") or {}
        if not isinstance(declared, dict):
            raise ConfigError(f"{path}: 'sources' must map source names to their settings")
        for name, raw in declared.items():
            if not isinstance(raw, dict):
                raise ConfigError(f"{path}: source {name!r}: expected a mapping of keys")
            if name in sources:
                raise ConfigError(f"{path}: source {name!r} is defined twice; rename one")
            try:
                sources[name] = Source.model_validate({"name": name, **raw})
            except ValidationError as exc:
                raise ConfigError(describe(path, exc, owner=f"source {name!r}")) from None
    if not sources:
        raise ConfigError(f"{config_dir}: no sources configured; add one to sources.yaml")
    return Config(settings=settings, sources=sources)


__all__ = [
    "Config",
    "ConfigError",
    "Discovery",
    "Listing",
    "Politeness",
    "Selectors",
    "Settings",
    "Source",
    "UrlType",
    "load_config",
]
