"""The ODI mirror's content, loaded from `content.yaml` and `publications.yaml` into typed records."""

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
PEOPLE_PREFIX = "/en/about/our-people"


@dataclass(frozen=True, slots=True)
class DocType:
    """A publication type: its label (a taxonomy term shown on cards and pages) and where it lives."""

    key: str  # "report", "working-paper", "briefing-paper", "expert-comment", "explainer"
    label: str  # "Research reports"
    doc_type: str  # the digest's type: "report", "working paper", "policy brief", "commentary", "article"
    section: str  # "publications" or "insights"
    series: str  # how the PDF cover names it: "Research report"; empty for insights

    @property
    def prefix(self) -> str:
        """Root-relative URL of the section listing."""
        return f"/en/{self.section}/"


@dataclass(frozen=True, slots=True)
class Person:
    """An author: ODI staff have a profile page; partners from other institutions have none."""

    slug: str
    name: str
    role: str
    bio: str
    external: bool
    affiliation: str

    @property
    def path(self) -> str | None:
        """Root-relative URL of the profile page, if the person has one."""
        return None if self.external else f"{PEOPLE_PREFIX}/{self.slug}/"


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic hub under /en/topics/."""

    slug: str
    name: str
    description: str

    @property
    def path(self) -> str:
        """Root-relative URL of the topic page."""
        return f"/en/topics/{self.slug}/"


@dataclass(frozen=True, slots=True)
class Publication:
    """One publication page: a research output under /en/publications/ or an insight under /en/insights/."""

    slug: str
    doc_type: DocType
    title: str
    authors: tuple[Person, ...]
    published: date
    modified: date
    topics: tuple[Topic, ...]
    summary: str
    body: tuple[Block, ...]
    pdf_name: str | None  # file name of the PDF (under files/ and in the /documents/<id>/ URL)
    pdf_id: int | None  # Wagtail document id
    pdf_snippet: str | None
    page_id: int  # Wagtail page id

    @property
    def path(self) -> str:
        """Root-relative URL of the page (Wagtail: always with a trailing slash)."""
        return f"{self.doc_type.prefix}{self.slug}/"

    @property
    def pdf_path(self) -> str | None:
        """Root-relative URL of the PDF, if the publication has one."""
        return f"/documents/{self.pdf_id}/{self.pdf_name}" if self.pdf_name else None


@dataclass(frozen=True, slots=True)
class StaticPage:
    """A basic page (about, newsletter, our work...)."""

    path: str
    title: str
    summary: str
    body: tuple[Block, ...]
    modified: date
    parent: str | None  # path of the breadcrumb parent
    directory: str | None  # "people" or "work": a generated list under the body


@dataclass(frozen=True, slots=True)
class Feature:
    """A promoted block on the Human Mobility Initiative page."""

    title: str
    text: str
    link: str
    link_text: str
    image_alt: str


@dataclass(frozen=True, slots=True)
class Programme:
    """The Human Mobility Initiative page: the real text, features, press and its publication list."""

    path: str
    title: str
    hero_alt: str
    intro: tuple[Block, ...]
    features: tuple[Feature, ...]
    media: tuple[Feature, ...]
    publications: tuple[str, ...]  # publication slugs, in the page's order
    modified: date


@dataclass(frozen=True, slots=True)
class Event:
    """A past event with its page (not a publication)."""

    slug: str
    title: str
    day: date
    time: str
    summary: str
    body: tuple[Block, ...]
    speakers: tuple[Person, ...]

    @property
    def path(self) -> str:
        """Root-relative URL of the event page."""
        return f"/en/events/{self.slug}/"


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the ODI mirror renders."""

    settings: dict[str, Any]
    types: dict[str, DocType]
    people: dict[str, Person]
    topics: dict[str, Topic]
    pages: tuple[StaticPage, ...]
    programme: Programme
    events: tuple[Event, ...]
    publications: tuple[Publication, ...]  # newest first
    site_modified: date

    def section(self, name: str) -> list[Publication]:
        """The publications listed under /en/<name>/, newest first."""
        return [p for p in self.publications if p.doc_type.section == name]


def _feature(raw: dict[str, Any]) -> Feature:
    return Feature(raw["title"], squash(raw["text"]), raw["link"], raw["link_text"], raw.get("image_alt", ""))


def _publication(raw: dict[str, Any], refs: dict[str, Any], page_id: int, pdf_id: int | None) -> Publication:
    doc_type: DocType = refs["types"][raw["type"]]
    body = check_body(raw["slug"], parse_blocks(raw["body"]))
    published = as_date(raw["published"])
    return Publication(
        slug=raw["slug"],
        doc_type=doc_type,
        title=raw["title"],
        authors=tuple(refs["people"][slug] for slug in raw["authors"]),
        published=published,
        modified=as_date(raw.get("modified", published)),
        topics=tuple(refs["topics"][slug] for slug in raw["topics"]),
        summary=squash(raw["summary"]),
        body=body,
        pdf_name=raw.get("pdf"),
        pdf_id=pdf_id,
        pdf_snippet=squash(raw["pdf_snippet"]) if raw.get("pdf_snippet") else None,
        page_id=page_id,
    )


@functools.cache
def load() -> Content:
    """Load and check the content files (once per process)."""
    data = read_yaml(HERE / "content.yaml")
    raw_pubs: list[dict[str, Any]] = read_yaml(HERE / "publications.yaml")
    types = {key: DocType(key=key, **value) for key, value in data["types"].items()}
    people = {
        raw["slug"]: Person(
            raw["slug"],
            raw["name"],
            raw["role"],
            raw.get("bio", ""),
            bool(raw.get("external")),
            raw.get("affiliation", "ODI"),
        )
        for raw in data["people"]
    }
    topics = {raw["slug"]: Topic(raw["slug"], raw["name"], squash(raw["description"])) for raw in data["topics"]}
    refs = {"types": types, "people": people, "topics": topics}
    # Wagtail ids grow with creation: pages and documents of older publications have smaller ids.
    ordered = sorted(raw_pubs, key=lambda r: (str(r["published"]), r["slug"]))
    page_ids = {r["slug"]: 9000 + 41 * i for i, r in enumerate(ordered)}
    with_pdf = [r for r in ordered if r.get("pdf")]
    pdf_ids = {r["slug"]: 11200 + 113 * i for i, r in enumerate(with_pdf)}
    pubs = sorted(
        (_publication(raw, refs, page_ids[raw["slug"]], pdf_ids.get(raw["slug"])) for raw in raw_pubs),
        key=lambda p: (p.published, p.page_id),
        reverse=True,
    )
    pages = tuple(
        StaticPage(
            path=raw["path"],
            title=raw["title"],
            summary=squash(raw["summary"]),
            body=parse_blocks(raw["body"]),
            modified=as_date(raw["modified"]),
            parent=raw.get("parent"),
            directory=raw.get("directory"),
        )
        for raw in data["pages"]
    )
    hmi = data["programme"]
    programme = Programme(
        path=hmi["path"],
        title=hmi["title"],
        hero_alt=hmi["hero_alt"],
        intro=parse_blocks(hmi["intro"]),
        features=tuple(_feature(f) for f in hmi["features"]),
        media=tuple(_feature(f) for f in hmi["media"]),
        publications=tuple(hmi["publications"]),
        modified=as_date(hmi["modified"]),
    )
    events = tuple(
        Event(
            slug=raw["slug"],
            title=raw["title"],
            day=as_date(raw["date"]),
            time=raw["time"],
            summary=squash(raw["summary"]),
            body=parse_blocks(raw["body"]),
            speakers=tuple(people[s] for s in raw["speakers"]),
        )
        for raw in data["events"]
    )
    content = Content(
        settings=data["settings"],
        types=types,
        people=people,
        topics=topics,
        pages=pages,
        programme=programme,
        events=tuple(sorted(events, key=lambda e: e.day, reverse=True)),
        publications=tuple(pubs),
        site_modified=as_date(data["settings"]["modified"]),
    )
    _check(content)
    return content


def _check(content: Content) -> None:
    paths = [p.path for p in content.publications]
    if len(set(paths)) != len(paths):
        raise ValueError("two publications share a path")
    slugs = {p.slug for p in content.publications}
    missing = [s for s in content.programme.publications if s not in slugs]
    if missing:
        raise ValueError(f"the programme page lists unknown publications {missing}")
    firsts = [p.body[0].text for p in content.publications]
    if len(set(firsts)) != len(firsts):
        raise ValueError("two publications start with the same paragraph")
    for pub in content.publications:
        if pub.doc_type.section == "publications" and not pub.pdf_name:
            raise ValueError(f"{pub.slug}: research outputs have a PDF")
        if bool(pub.pdf_name) != bool(pub.pdf_snippet):
            raise ValueError(f"{pub.slug}: a PDF needs a pdf_snippet, and a pdf_snippet a PDF")
        if not pub.authors:
            raise ValueError(f"{pub.slug}: no authors")
