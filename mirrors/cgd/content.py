"""The CGD mirror's content, loaded from `content.yaml` into typed records (topics, events, pages stay plain)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mirrors.kit.content import read_yaml
from mirrors.kit.markup import Block, check_body, parse_blocks, squash

HERE = Path(__file__).parent
FILES = HERE / "files"


@dataclass(frozen=True, slots=True)
class Person:
    """An author; experts have a page under /expert/, guests appear as plain names."""

    slug: str
    name: str
    expert: bool
    role: str
    bio: str

    @property
    def path(self) -> str:
        """Root-relative URL of the expert page."""
        return f"/expert/{self.slug}"

    @property
    def photo(self) -> str:
        """URL of the headshot in the Drupal image style."""
        return f"/sites/default/files/styles/headshot/public/experts/{self.slug}.jpg"


@dataclass(frozen=True, slots=True)
class Publication:
    """One publication or blog post (a Drupal node)."""

    slug: str
    kind: dict[str, str]  # label, doc_type, prefix, schema, series
    number: int | None
    title: str
    authors: tuple[Person, ...]
    published: date
    modified: date
    topics: tuple[dict[str, str], ...]
    summary: str
    body: tuple[Block, ...]
    pdf_snippet: str | None
    nid: int

    @property
    def path(self) -> str:
        """Root-relative URL of the page."""
        return f"{self.kind['prefix']}/{self.slug}"

    @property
    def pdf_path(self) -> str | None:
        """Root-relative URL of the PDF (Drupal's public files, by upload month), if there is one."""
        return f"/sites/default/files/{self.published:%Y-%m}/{self.slug}.pdf" if self.pdf_snippet else None


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the mirror renders; topics, events and pages stay plain mappings."""

    data: dict[str, Any]
    people: dict[str, Person]
    publications: tuple[Publication, ...]  # newest first

    @property
    def modified(self) -> date:
        """The snapshot date."""
        day: date = self.data["settings"]["modified"]
        return day


@functools.cache
def load() -> Content:
    """Read and check content.yaml (once per process)."""
    data = read_yaml(HERE / "content.yaml")
    people = {
        p["slug"]: Person(p["slug"], p["name"], bool(p.get("expert")), p.get("role", ""), p.get("bio", ""))
        for p in data["people"]
    }
    topics = {t["slug"]: t for t in data["topics"]}
    pubs = []
    for i, raw in enumerate(sorted(data["publications"], key=lambda r: r["published"])):
        body = check_body(raw["slug"], parse_blocks(raw["body"]))
        pubs.append(
            Publication(
                slug=raw["slug"],
                kind=data["types"][raw["type"]],
                number=raw.get("number"),
                title=raw["title"],
                authors=tuple(people[a] for a in raw["authors"]),
                published=raw["published"],
                modified=raw.get("modified", raw["published"]),
                topics=tuple(topics[t] for t in raw["topics"]),
                summary=squash(raw["summary"]),
                body=body,
                pdf_snippet=raw.get("pdf_snippet"),
                nid=31000 + 53 * i,
            )
        )
    if len({p.path for p in pubs}) != len(pubs):
        raise ValueError("two publications share a path")
    return Content(data, people, tuple(sorted(pubs, key=lambda p: (p.published, p.nid), reverse=True)))
