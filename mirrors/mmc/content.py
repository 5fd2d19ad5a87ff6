"""The MMC mirror's content, loaded from `content.yaml` and `publications.yaml` into typed records."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mirrors.kit.content import as_date, read_yaml
from mirrors.kit.dates import geneva
from mirrors.kit.markup import Block, check_body, parse_blocks, squash

HERE = Path(__file__).parent
FILES = HERE / "files"
UPLOADS = "/wp-content/uploads"


@dataclass(frozen=True, slots=True)
class Person:
    """An author; WordPress users have an author archive, outside contributors do not."""

    slug: str
    name: str
    user: bool
    role: str
    bio: str
    user_id: int

    @property
    def path(self) -> str | None:
        """Root-relative URL of the author archive, if the person has a WordPress account."""
        return f"/author/{self.slug}/" if self.user else None


@dataclass(frozen=True, slots=True)
class Kind:
    """A resource type or a section of the Mixed Migration Review."""

    key: str  # "4mi-snapshot", "essay"
    label: str  # as the page shows it: "4Mi Snapshot"
    plural: str
    doc_type: str  # the digest's document type


@dataclass(frozen=True, slots=True)
class Term:
    """A term of a WordPress taxonomy: category, post_tag or region."""

    taxonomy: str
    slug: str
    name: str
    description: str
    term_id: int

    @property
    def path(self) -> str:
        """Root-relative URL of the term archive."""
        base = {"category": "category", "post_tag": "tag", "region": "region"}[self.taxonomy]
        return f"/{base}/{self.slug}/"


@dataclass(frozen=True, slots=True)
class Edition:
    """A Mixed Migration Review edition: the hub page of post type mmr whose children are the pieces."""

    slug: str
    year: int
    title: str
    kicker: str
    theme: str
    published: datetime
    modified: datetime
    report: str  # slug of the full-report resource
    description: str
    intro: tuple[Block, ...]
    after: tuple[Block, ...]
    post_id: int

    @property
    def path(self) -> str:
        """Root-relative URL of the edition page."""
        return f"/mmr/{self.slug}/"


@dataclass(frozen=True, slots=True)
class Item:
    """One WordPress post of type post (news), resource or mmr (a Review piece)."""

    slug: str
    post_type: str  # "post", "resource" or "mmr"
    kind: Kind | None  # None for news posts
    title: str
    authors: tuple[Person, ...]
    user: Person  # the WordPress post author (the first author with an account, else the MMC account)
    speaker: str | None
    published: datetime
    modified: datetime
    regions: tuple[Term, ...]
    categories: tuple[Term, ...]
    tags: tuple[Term, ...]
    summary: str
    body: tuple[Block, ...]
    pdf: str | None
    pdf_snippet: str | None
    edition: Edition | None
    post_id: int

    @property
    def is_publication(self) -> bool:
        """Resources and Review pieces are publications; news posts are not."""
        return self.post_type != "post"

    @property
    def path(self) -> str:
        """Root-relative URL of the page (WordPress permalinks end with a slash)."""
        if self.post_type == "resource":
            return f"/resource/{self.slug}/"
        if self.post_type == "mmr":
            assert self.edition is not None
            return f"{self.edition.path}{self.slug}/"
        return f"/articles/{self.slug}/"

    @property
    def upload_dir(self) -> str:
        """The uploads folder of the month the item was published."""
        return f"{UPLOADS}/{self.published:%Y}/{self.published:%m}"

    @property
    def pdf_path(self) -> str | None:
        """Root-relative URL of the PDF, if there is one."""
        return f"{self.upload_dir}/{self.pdf}.pdf" if self.pdf else None

    @property
    def image(self) -> str:
        """Root-relative URL of the featured image, without the size suffix and extension."""
        return f"{self.upload_dir}/{self.slug[:48].rstrip('-')}"

    @property
    def terms(self) -> tuple[Term, ...]:
        """All terms of the item."""
        return self.categories + self.tags + self.regions


@dataclass(frozen=True, slots=True)
class StaticPage:
    """A WordPress page (about, contact, ...)."""

    path: str
    title: str
    body: tuple[Block, ...]
    modified: datetime
    post_id: int


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the MMC mirror renders."""

    settings: dict[str, Any]
    people: dict[str, Person]
    resource_types: dict[str, Kind]
    mmr_kinds: dict[str, Kind]
    regions: dict[str, Term]
    categories: dict[str, Term]
    tags: dict[str, Term]
    editions: tuple[Edition, ...]  # newest first
    pages: tuple[StaticPage, ...]
    items: tuple[Item, ...]  # newest first: publications and news posts
    site_modified: datetime

    @property
    def publications(self) -> tuple[Item, ...]:
        """Resources and Review pieces, newest first."""
        return tuple(i for i in self.items if i.is_publication)

    @property
    def resources(self) -> tuple[Item, ...]:
        """Resources, newest first."""
        return tuple(i for i in self.items if i.post_type == "resource")

    @property
    def posts(self) -> tuple[Item, ...]:
        """News posts, newest first."""
        return tuple(i for i in self.items if i.post_type == "post")

    def pieces(self, edition: Edition) -> tuple[Item, ...]:
        """The pieces of one edition in the order of its table of contents."""
        order = list(self.mmr_kinds)
        found = [i for i in self.items if i.edition is edition]
        return tuple(sorted(found, key=lambda i: (order.index(i.kind.key if i.kind else ""), i.post_id)))


def _terms(taxonomy: str, raw: list[dict[str, Any]], first_id: int) -> dict[str, Term]:
    return {
        r["slug"]: Term(taxonomy, r["slug"], r["name"], squash(str(r.get("description", ""))), first_id + i)
        for i, r in enumerate(raw)
    }


@functools.cache
def load() -> Content:
    """Load and check the content files (once per process)."""
    data = read_yaml(HERE / "content.yaml")
    raw_pubs: list[dict[str, Any]] = read_yaml(HERE / "publications.yaml")
    people = {
        r["slug"]: Person(r["slug"], r["name"], bool(r.get("user")), r.get("role", ""), squash(r.get("bio", "")), 2 + i)
        for i, r in enumerate(data["people"])
    }
    kinds = {
        "resource": {k: Kind(k, **v) for k, v in data["resource_types"].items()},
        "mmr": {k: Kind(k, **v) for k, v in data["mmr_kinds"].items()},
    }
    regions = _terms("region", data["regions"], 40)
    categories = _terms("category", data["categories"], 3)
    tags = _terms("post_tag", data["tags"], 60)

    # WordPress post ids grow with the publication time; editions and news posts share the sequence.
    raw_items = [dict(r) for r in raw_pubs] + [{**r, "post_type": "post"} for r in data["posts"]]
    raw_editions = data["editions"]
    dated = [(str(r["published"]), 0, str(r["slug"])) for r in raw_editions]
    dated += [(str(r["published"]), 1, str(r["slug"])) for r in raw_items]
    ids = {(kind, slug): 1100 + 37 * n for n, (_, kind, slug) in enumerate(sorted(dated))}

    editions = {
        str(r["slug"]): Edition(
            slug=str(r["slug"]),
            year=int(r["year"]),
            title=r["title"],
            kicker=r["kicker"],
            theme=r["theme"],
            published=geneva(as_date(r["published"]), 9),
            modified=geneva(as_date(r["modified"]), 16, 20),
            report=r["report"],
            description=squash(r["description"]),
            intro=parse_blocks(r["intro"]),
            after=parse_blocks(r["after"]),
            post_id=ids[(0, str(r["slug"]))],
        )
        for r in raw_editions
    }
    mmc = people["mmc"]
    items = []
    for raw in raw_items:
        post_type = raw["post_type"]
        authors = tuple(people[s] for s in raw.get("authors", ()))
        body = check_body(raw["slug"], parse_blocks(raw["body"]))
        day = as_date(raw["published"])
        items.append(
            Item(
                slug=raw["slug"],
                post_type=post_type,
                kind=kinds[post_type][raw["type"]] if post_type != "post" else None,
                title=raw["title"],
                authors=authors,
                user=next((a for a in authors if a.user), mmc),
                speaker=raw.get("speaker"),
                published=geneva(day, 9, 30 if post_type == "post" else 0),
                modified=geneva(as_date(raw.get("modified", day)), 16, 20),
                regions=tuple(regions[s] for s in raw.get("regions", ())),
                categories=tuple(categories[s] for s in raw.get("categories", ())),
                tags=tuple(tags[s] for s in raw.get("tags", ())),
                summary=squash(raw["summary"]),
                body=body,
                pdf=raw.get("pdf"),
                pdf_snippet=raw.get("pdf_snippet"),
                edition=editions[str(raw["edition"])] if post_type == "mmr" else None,
                post_id=ids[(1, raw["slug"])],
            )
        )
    items.sort(key=lambda i: (i.published, i.post_id), reverse=True)
    pages = tuple(
        StaticPage(r["path"], r["title"], parse_blocks(r["body"]), geneva(as_date(r["modified"]), 11), 2 + 9 * i)
        for i, r in enumerate(data["pages"])
    )
    content = Content(
        settings=data["settings"],
        people=people,
        resource_types=kinds["resource"],
        mmr_kinds=kinds["mmr"],
        regions=regions,
        categories=categories,
        tags=tags,
        editions=tuple(sorted(editions.values(), key=lambda e: e.published, reverse=True)),
        pages=pages,
        items=tuple(items),
        site_modified=geneva(as_date(data["settings"]["modified"]), 16, 20),
    )
    _check(content)
    return content


def _check(content: Content) -> None:
    paths = [i.path for i in content.items]
    if len(set(paths)) != len(paths):
        raise ValueError("two items share a path")
    resources = {i.slug for i in content.resources}
    for edition in content.editions:
        if edition.report not in resources:
            raise ValueError(f"edition {edition.slug}: unknown report resource {edition.report}")
    for item in content.items:
        if item.modified < item.published:
            raise ValueError(f"{item.slug}: modified before it was published")
        if bool(item.pdf) != bool(item.pdf_snippet):
            raise ValueError(f"{item.slug}: a PDF needs a pdf_snippet and a snippet needs a PDF")
        if item.kind and item.kind.doc_type in ("report", "policy brief") and not item.pdf:
            raise ValueError(f"{item.slug}: a {item.kind.label} has a PDF")
        if item.modified > content.site_modified:
            raise ValueError(f"{item.slug}: modified after the snapshot date")
