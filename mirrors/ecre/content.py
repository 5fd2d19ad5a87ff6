"""The ECRE mirror's content, loaded from `content.yaml` into typed records: categories, users, posts."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mirrors.kit.content import read_yaml
from mirrors.kit.markup import Block, check_body, parse_blocks, squash

HERE = Path(__file__).parent
FILES = HERE / "files"


@dataclass(frozen=True, slots=True)
class Category:
    """A WordPress category; its archive is at `path`, its feed at `path` + "feed/"."""

    slug: str
    name: str
    path: str
    parent: str | None
    lang: str


@dataclass(frozen=True, slots=True)
class User:
    """A WordPress account; its archive is /author/<login>/."""

    login: str
    name: str
    institutional: bool

    @property
    def path(self) -> str:
        """Root-relative URL of the author archive."""
        return f"/author/{self.login}/"


@dataclass(frozen=True, slots=True)
class Post:
    """One WordPress post."""

    id: int
    slug: str
    category: Category  # the primary category (Yoast), shown above the title
    categories: tuple[Category, ...]  # all of them, by name, as WordPress lists them
    author: User
    title: str
    date: datetime  # UTC
    modified: datetime
    summary: str
    body: tuple[Block, ...]
    pdf: str | None  # path under /wp-content/uploads/
    pdf_snippet: str | None
    lang: str

    @property
    def published(self) -> datetime:
        """When it was published (WordPress's post date)."""
        return self.date

    @property
    def authors(self) -> tuple[User, ...]:
        """Its personal authors: the institutional "ECRE" account publishes most posts, and is none."""
        return () if self.author.institutional else (self.author,)

    @property
    def path(self) -> str:
        """Root-relative URL (Polylang puts French posts under /fr/)."""
        return f"/fr/{self.slug}/" if self.lang == "fr" else f"/{self.slug}/"

    @property
    def pdf_path(self) -> str | None:
        """Root-relative URL of the attached PDF, if any."""
        return f"/wp-content/uploads/{self.pdf}" if self.pdf else None


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the mirror renders."""

    data: dict[str, Any]
    categories: dict[str, Category]
    users: dict[str, User]
    posts: tuple[Post, ...]  # newest first


def utc(value: Any) -> datetime:
    """A YAML date or 'YYYY-MM-DD HH:MM' string as a UTC datetime."""
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


@functools.cache
def load() -> Content:
    """Read and check content.yaml (once per process)."""
    data = read_yaml(HERE / "content.yaml")
    cats = {
        slug: Category(slug, c["name"], c["path"], c.get("parent"), c.get("lang", "en"))
        for slug, c in data["categories"].items()
    }
    users = {login: User(login, u["name"], bool(u.get("institutional"))) for login, u in data["users"].items()}
    posts = []
    for i, raw in enumerate(sorted(data["posts"], key=lambda r: str(r["date"]))):
        body = check_body(raw["slug"], parse_blocks(raw["body"]))
        primary = cats[raw["category"]]
        chain = [primary] + ([cats[primary.parent]] if primary.parent else [])
        posts.append(
            Post(
                id=38000 + 211 * i,
                slug=raw["slug"],
                category=primary,
                categories=tuple(sorted(chain, key=lambda c: c.name)),
                author=users[raw["author"]],
                title=raw["title"],
                date=utc(raw["date"]),
                modified=utc(raw.get("modified", raw["date"])),
                summary=squash(raw["summary"]),
                body=body,
                pdf=raw.get("pdf"),
                pdf_snippet=raw.get("pdf_snippet"),
                lang=raw.get("lang", "en"),
            )
        )
    if len({p.path for p in posts}) != len(posts) or any(bool(p.pdf) != bool(p.pdf_snippet) for p in posts):
        raise ValueError("duplicate post paths, or a pdf without pdf_snippet")
    return Content(data, cats, users, tuple(sorted(posts, key=lambda p: p.date, reverse=True)))
