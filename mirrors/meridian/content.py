"""The Meridian mirror's content, loaded from `content.yaml` into typed records: people, types, publications."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mirrors.kit.content import as_date, read_yaml
from mirrors.kit.markup import Block, check_body, parse_blocks, squash

HERE = Path(__file__).parent
FILES = HERE / "files"

# The digest's document type of each of the site's types.
DOC_TYPES = {"report": "report", "policy-brief": "policy brief", "working-paper": "working paper",
             "commentary": "commentary"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    """A member of staff, with a profile page."""

    slug: str
    name: str
    role: str

    @property
    def path(self) -> str:
        """Root-relative URL of the profile."""
        return f"/people/{self.slug}/"


@dataclass(frozen=True, slots=True)
class Kind:
    """A publication type: its label, and the listing of that type."""

    slug: str
    label: str
    plural: str
    path: str


@dataclass(frozen=True, slots=True)
class Publication:
    """One research output or commentary."""

    slug: str
    section: str  # "research" or "commentary"
    kind: Kind
    title: str
    authors: tuple[Person, ...]
    topics: tuple[str, ...]
    published: date
    modified: date
    summary: str
    body: tuple[Block, ...]
    pdf_snippet: str | None

    @property
    def path(self) -> str:
        """Root-relative URL of the page."""
        return f"/{self.section}/{self.slug}/"

    @property
    def pdf_path(self) -> str | None:
        """Root-relative URL of the PDF (research only)."""
        return f"/files/{self.slug}.pdf" if self.pdf_snippet else None


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the mirror renders."""

    data: dict[str, Any]
    kinds: dict[str, Kind]
    people: dict[str, Person]
    topics: dict[str, str]
    publications: tuple[Publication, ...]  # newest first


@functools.cache
def load() -> Content:
    """Read and check content.yaml (once per process)."""
    data = read_yaml(HERE / "content.yaml")
    kinds = {slug: Kind(slug, k["label"], k["plural"], k["path"]) for slug, k in data["types"].items()}
    people = {slug: Person(slug, p["name"], p["role"]) for slug, p in data["people"].items()}
    pubs = [
        Publication(
            slug=raw["slug"],
            section=raw["section"],
            kind=kinds[raw["type"]],
            title=raw["title"],
            authors=tuple(people[a] for a in raw["authors"]),
            topics=tuple(raw["topics"]),
            published=as_date(raw["date"]),
            modified=as_date(raw.get("modified", raw["date"])),
            summary=squash(raw["summary"]),
            body=check_body(raw["slug"], parse_blocks(raw["body"])),
            pdf_snippet=raw.get("pdf_snippet"),
        )
        for raw in data["publications"]
    ]
    if len({p.path for p in pubs}) != len(pubs) or any(bool(p.pdf_snippet) != (p.section == "research") for p in pubs):
        raise ValueError("duplicate publication paths, or a research output without pdf_snippet")
    ordered = tuple(sorted(pubs, key=lambda p: p.published, reverse=True))
    return Content(data, kinds, people, dict(data["topics"]), ordered)
