"""The MPI mirror's content, loaded from `content.yaml` and `publications.yaml` into typed records."""

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
PDF_DIR = "/sites/default/files/publications"


@dataclass(frozen=True, slots=True)
class DocType:
    """A publication type: how it is labelled, where it lives and which feed carries it."""

    key: str  # "report", "policy brief", "commentary", "article"
    label: str  # as the listings show it: "Reports"
    singular: str  # "Report"
    prefix: str  # "/research"
    node_type: str  # Drupal bundle: "research"
    feed_id: int  # /rss/taxonomy-term/<feed_id>
    month_only: bool  # True: the page shows "April 2024" and has no article:published_time
    pdf_label: str  # "Full Report"


@dataclass(frozen=True, slots=True)
class Person:
    """An author; staff live under /about/staff/, others under /person/."""

    slug: str
    name: str
    staff: bool
    role: str
    bio: str
    nid: int

    @property
    def path(self) -> str:
        """Root-relative URL of the author page."""
        return f"/about/staff/{self.slug}" if self.staff else f"/person/{self.slug}"


@dataclass(frozen=True, slots=True)
class Topic:
    """A taxonomy term page under /topics/."""

    slug: str
    name: str
    description: str
    tid: int

    @property
    def path(self) -> str:
        """Root-relative URL of the topic page."""
        return f"/topics/{self.slug}"


@dataclass(frozen=True, slots=True)
class Image:
    """A teaser or hero image with its alt text and photo credit."""

    file: str
    alt: str
    credit: str

    def src(self, style: str) -> str:
        """URL of the image in a Drupal image style."""
        return f"/sites/default/files/styles/{style}/public/images/{self.file}"


@dataclass(frozen=True, slots=True)
class Publication:
    """One publication page (a Drupal node)."""

    slug: str
    doc_type: DocType
    title: str
    authors: tuple[Person, ...]
    published: date
    modified: date
    topics: tuple[Topic, ...]
    summary: str
    body: tuple[Block, ...]
    image: Image | None
    pdf: str | None  # file stem without "-final.pdf"
    pdf_snippet: str | None
    programs: tuple[str, ...]  # program slugs that list it besides those listing its type
    nid: int

    @property
    def path(self) -> str:
        """Root-relative URL of the page."""
        return f"{self.doc_type.prefix}/{self.slug}"

    @property
    def pdf_path(self) -> str | None:
        """Root-relative URL of the PDF, if the publication has one."""
        return f"{PDF_DIR}/{self.pdf}-final.pdf" if self.pdf else None


@dataclass(frozen=True, slots=True)
class Program:
    """A program page: intro, featured items and a paginated list of its publications."""

    slug: str
    name: str
    intro: tuple[Block, ...]
    image: Image | None
    featured: tuple[str, ...]  # publication paths
    lists_all: bool  # True: every publication; otherwise those of `types` and those naming the program
    types: tuple[str, ...]  # doc type keys listed
    listing_title: str
    nid: int

    def lists(self, pub: Publication) -> bool:
        """Whether the program page lists `pub`."""
        return self.lists_all or pub.doc_type.key in self.types or self.slug in pub.programs

    @property
    def path(self) -> str:
        """Root-relative URL of the program page."""
        return f"/programs/{self.slug}"


@dataclass(frozen=True, slots=True)
class StaticPage:
    """A basic page (about, contact, newsletters, ...)."""

    path: str
    title: str
    body: tuple[Block, ...]
    modified: date
    parent: str | None  # path of the breadcrumb parent, if not the home page
    directory: str | None  # "staff", "topics" or "programs": a generated list under the body
    nid: int


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the MPI mirror renders."""

    settings: dict[str, Any]
    types: dict[str, DocType]
    people: dict[str, Person]
    topics: dict[str, Topic]
    programs: tuple[Program, ...]
    pages: tuple[StaticPage, ...]
    publications: tuple[Publication, ...]  # newest first
    most_popular: tuple[str, ...]  # publication paths
    site_modified: date


def _image(raw: dict[str, Any] | None) -> Image | None:
    return Image(raw["file"], raw["alt"], raw["credit"]) if raw else None


def _publication(raw: dict[str, Any], content: dict[str, Any], nid: int) -> Publication:
    doc_type: DocType = content["types"][raw["type"]]
    body = check_body(raw["slug"], parse_blocks(raw["body"]))
    published = as_date(raw["published"])
    return Publication(
        slug=raw["slug"],
        doc_type=doc_type,
        title=raw["title"],
        authors=tuple(content["people"][slug] for slug in raw["authors"]),
        published=published,
        modified=as_date(raw.get("modified", published)),
        topics=tuple(content["topics"][slug] for slug in raw["topics"]),
        summary=squash(raw["summary"]),
        body=body,
        image=_image(raw.get("image")),
        pdf=raw.get("pdf"),
        pdf_snippet=raw.get("pdf_snippet"),
        programs=tuple(raw.get("programs", ())),
        nid=nid,
    )


@functools.cache
def load() -> Content:
    """Load and check the content files (once per process)."""
    data = read_yaml(HERE / "content.yaml")
    raw_pubs: list[dict[str, Any]] = read_yaml(HERE / "publications.yaml")
    types = {key: DocType(key=key, **value) for key, value in data["types"].items()}
    people = {
        raw["slug"]: Person(raw["slug"], raw["name"], bool(raw.get("staff")), raw["role"], raw["bio"], 2000 + i)
        for i, raw in enumerate(data["people"])
    }
    topics = {
        raw["slug"]: Topic(raw["slug"], raw["name"], squash(raw["description"]), 300 + i)
        for i, raw in enumerate(data["topics"])
    }
    refs = {"types": types, "people": people, "topics": topics}
    ordered = sorted(raw_pubs, key=lambda r: (str(r["published"]), r["slug"]))
    nid_of = {r["slug"]: 14000 + 37 * i for i, r in enumerate(ordered)}
    pubs = sorted(
        (_publication(raw, refs, nid_of[raw["slug"]]) for raw in raw_pubs),
        key=lambda p: (p.published, p.nid),
        reverse=True,
    )
    programs = tuple(
        Program(
            slug=raw["slug"],
            name=raw["name"],
            intro=parse_blocks(raw["intro"]),
            image=_image(raw.get("image")),
            featured=tuple(raw.get("featured", ())),
            lists_all=bool(raw.get("lists_all")),
            types=tuple(raw.get("types", ())),
            listing_title=raw.get("listing_title", "Recent Activity"),
            nid=900 + i,
        )
        for i, raw in enumerate(data["programs"])
    )
    pages = tuple(
        StaticPage(
            path=raw["path"],
            title=raw["title"],
            body=parse_blocks(raw["body"]),
            modified=as_date(raw["modified"]),
            parent=raw.get("parent"),
            directory=raw.get("directory"),
            nid=100 + i,
        )
        for i, raw in enumerate(data["pages"])
    )
    content = Content(
        settings=data["settings"],
        types=types,
        people=people,
        topics=topics,
        programs=programs,
        pages=pages,
        publications=tuple(pubs),
        most_popular=tuple(data["most_popular"]),
        site_modified=as_date(data["settings"]["modified"]),
    )
    _check(content)
    return content


def _check(content: Content) -> None:
    paths = [p.path for p in content.publications]
    if len(set(paths)) != len(paths):
        raise ValueError("two publications share a path")
    known = set(paths)
    for program in content.programs:
        missing = [p for p in program.featured if p not in known]
        if missing:
            raise ValueError(f"program {program.slug} features unknown publications {missing}")
    if any(p not in known for p in content.most_popular):
        raise ValueError("most_popular names an unknown publication")
    programs = {p.slug for p in content.programs}
    for pub in content.publications:
        if pub.doc_type.month_only and pub.published.day != 1:
            raise ValueError(f"{pub.slug}: {pub.doc_type.label} show only month and year; use day 01")
        if not set(pub.programs) <= programs:
            raise ValueError(f"{pub.slug}: unknown program in {pub.programs}")
        if pub.doc_type.key == "report" and not pub.pdf:
            raise ValueError(f"report {pub.slug} has no PDF")
        if pub.pdf and not pub.pdf_snippet:
            raise ValueError(f"{pub.slug} has a PDF but no pdf_snippet")
