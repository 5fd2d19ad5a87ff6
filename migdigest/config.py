"""The sources config (`sources.yaml`, `sources.d/`) as typed objects; errors name file, source, key and fix."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Self

from parsel import Selector
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from migdigest.models import DOC_TYPES
from migdigest.objectstore import ENV_ENDPOINT_URL, ENV_URL, ObjectStore, check_store_url, open_store
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

    url: str = Field(description="the listing's first page: a path on the site or an absolute URL")
    item: str = Field(description="CSS selector of one teaser")
    link: str = Field(default="a", description="CSS selector, inside a teaser, of the link to the publication")
    type_label: str | None = Field(
        default=None, description="CSS selector, inside a teaser, of its type label (mapped by `type_labels`)"
    )
    date: str | None = Field(
        default=None, description="CSS selector, inside a teaser, of its date (a sign of change for known pages)"
    )
    next: str | None = Field(default=None, description="CSS selector of the link to the next page (none: one page)")
    max_pages: int = Field(default=50, ge=1, description="pages of the listing read at most")
    # Incremental runs stop paging after a page whose items are all known, but always read min_pages pages.
    stop_when_known: bool = Field(default=True, description="stop paging after a page whose items are all known")
    min_pages: int = Field(default=1, ge=1, description="pages always read, known items or not")

    _css = field_validator("item", "link", "type_label", "date", "next")(_check_css)


class Discovery(_Strict):
    """How publications are found: sitemaps, feeds and listing pages (paths or absolute URLs)."""

    sitemaps: list[str] = Field(default=[], description="sitemaps or sitemap indexes (gzipped or not)")
    feeds: list[str] = Field(default=[], description="RSS or Atom feeds")
    listings: list[Listing] = Field(default=[], description="listing pages of teasers, paged by a next link")

    @model_validator(mode="after")
    def _some_method(self) -> Self:
        if not (self.sitemaps or self.feeds or self.listings):
            raise ValueError("name at least one of sitemaps, feeds or listings (with none, nothing is ever found)")
        return self


class UrlType(_Strict):
    """A document type implied by a URL path pattern."""

    pattern: str = Field(description="regex searched in the URL path")
    type: str = Field(description="the document type of a matching page (one of the digest's types)")

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

    title: str | None = Field(default=None, description="CSS selector of the title")
    date: str | None = Field(default=None, description="CSS selector of the publication date")
    authors: str | None = Field(default=None, description="CSS selector of the authors' names (one element each)")
    type: str | None = Field(default=None, description="CSS selector of the type label (mapped by `type_labels`)")
    body: str | None = Field(default=None, description="CSS selector of the body's blocks (authoritative when found)")
    pdf: str | None = Field(
        default=None, description="CSS selector of the link to the publication's own PDF (no match: no PDF)"
    )

    _css = field_validator("title", "date", "authors", "type", "body", "pdf")(_check_css)


class Politeness(_Strict):
    """How gently a real site is crawled."""

    delay: float = Field(default=1.0, ge=0, description="seconds between requests (AutoThrottle may wait longer)")
    concurrency: int = Field(default=2, ge=1, le=16, description="requests in flight at once")
    timeout: float = Field(default=30.0, gt=0, description="seconds before a request is given up")


class Source(_Strict):
    """One site the digest follows."""

    name: str = Field(description="the source's key under `sources:` (set from it, never written)")
    title: str = Field(description="the name readers see")
    base_url: str = Field(description="scheme and host of the real site; paths in discovery are resolved against it")
    homepage: str = Field(default="", description="where a reader is sent for the source itself")
    mirror: str | None = Field(default=None, description="bundled mirror used by `migdigest demo`")
    discovery: Discovery = Field(description="how publications are found (see below)")
    include: list[str] = Field(default_factory=list, description="regexes on the URL path of publications")
    exclude: list[str] = Field(default=[], description="regexes on the URL path of pages that are never publications")
    type_labels: dict[str, str] = Field(
        default={}, description="label as the site prints it -> document type (labels compared lower-cased)"
    )
    url_types: list[UrlType] = Field(default=[], description="document types implied by URL patterns")
    selectors: Selectors = Field(default=Selectors(), description="CSS selectors over the generic extractor")
    politeness: Politeness = Field(default=Politeness(), description="how gently the real site is crawled")
    # Other host names of the same publisher (an old domain, a www-less twin): a rel=canonical there is trusted.
    aliases: list[str] = Field(default_factory=list, description="other host names of this source")
    revisit_max_days: int | None = Field(default=None, ge=1, description="overrides settings.revisit_max_days")

    @field_validator("mirror")
    @classmethod
    def _mirror_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            raise ValueError(
                f"{value!r} is not a bundled mirror's name: use the name of one (such as 'mpi'); "
                "to crawl another address give `--base-url NAME=URL` to the command instead"
            )
        return value

    @field_validator("aliases")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", host):
                raise ValueError(f"{host!r} is not a host name; write it as www.example.org (no scheme or path)")
        return [host.lower() for host in value]

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


class StoreSettings(_Strict):
    """Where runs and digest snapshots travel between machines (credentials come from the environment only)."""

    url: str | None = Field(
        default=None,
        description=f"s3://bucket/prefix, file:///folder or a folder path (none: data/store; ${ENV_URL} overrides)",
    )
    endpoint_url: str | None = Field(
        default=None, description=f"an S3-compatible server's address (none: AWS; ${ENV_ENDPOINT_URL} overrides)"
    )
    keep_snapshots: int = Field(default=3, ge=1, description="digest snapshots kept in the store, newest first")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_store_url(value) if value is not None else None

    def open(self, url: str | None = None, *, endpoint_url: str | None = None) -> ObjectStore:
        """The store: `url` / `endpoint_url` when given, else $MIGDIGEST_STORE_URL / _ENDPOINT_URL, else these."""
        return open_store(
            url or os.environ.get(ENV_URL) or self.url,
            endpoint_url=endpoint_url or os.environ.get(ENV_ENDPOINT_URL) or self.endpoint_url,
        )


class Settings(_Strict):
    """Crawler-wide settings."""

    user_agent: str = Field(
        default="migdigest/0.1 (+https://github.com/migdigest/migdigest)", description="the crawler's User-Agent"
    )
    contact: str = Field(default="https://github.com/migdigest/migdigest", description="where site owners reach us")
    # Nights a publication's PDF that fails (5xx, reset, timeout, crawl ended first) is fetched again, then given up.
    pdf_max_attempts: int = Field(
        default=5, ge=1, description="nights a failing PDF is fetched again before it is given up"
    )
    # A page without validators or dates whose content has not changed is checked again after 1, 2, 4... days,
    # at most this many (every page is fetched at least once in this many days); a source may set its own.
    revisit_max_days: int = Field(
        default=30, ge=1, description="most days between two checks of an unchanged page without validators"
    )
    # Time limits, in seconds: past one the work is stopped and the source recorded failed with the reason.
    crawl_time_limit: float = Field(default=6 * 3600.0, gt=0, description="one source's crawl process")
    stop_grace: float = Field(default=30.0, gt=0, description="between SIGTERM and SIGKILL of a crawl process")
    extract_time_limit: float = Field(default=3600.0, gt=0, description="one source's extraction task")
    store_time_limit: float = Field(default=1800.0, gt=0, description="one source's store task")
    # Off, the nightly extracts a source's pages only once its crawl has ended, as before issue 20 (bench/README.md).
    extract_while_crawling: bool = Field(
        default=True, description="the nightly extracts pages while the crawl still fetches them"
    )
    store: StoreSettings = Field(default=StoreSettings(), description="the object store of runs and snapshots")


class Config(_Strict):
    """Everything in `config/`."""

    settings: Settings = Settings()
    sources: dict[str, Source]
    files: dict[str, str] = {}  # the file each source was read from, for messages that name it

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
    paths = [config_dir / "sources.yaml", *sorted((config_dir / "sources.d").glob("*.yaml"))]
    settings = Settings()
    sources: dict[str, Source] = {}
    files: dict[str, str] = {}
    for path in paths:
        if not path.exists():
            continue
        data = read_yaml(path)
        if path.parent.name == "sources.d" and not data.get("sources"):
            # An emptied file must not silently drop the sources it held.
            raise ConfigError(
                f"{path}: no sources in this file; define one under 'sources:', or delete the file to drop its source"
            )
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
            files[name] = str(path)
    if not sources:
        raise ConfigError(f"{config_dir}: no sources configured; add one to sources.yaml")
    return Config(settings=settings, sources=sources, files=files)


__all__ = [
    "Config",
    "ConfigError",
    "Discovery",
    "Listing",
    "Politeness",
    "Selectors",
    "Settings",
    "Source",
    "StoreSettings",
    "UrlType",
    "load_config",
]
