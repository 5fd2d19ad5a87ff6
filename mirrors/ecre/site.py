"""The ECRE mirror: content.yaml rendered through WordPress-like templates, discoverable only by its RSS feeds."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment

from mirrors.ecre import pdfs
from mirrors.kit.assets import JPEG, png
from mirrors.kit.content import read_yaml
from mirrors.kit.dates import uk_date
from mirrors.kit.markup import Block, check_body, inline_html, parse_blocks, squash
from mirrors.kit.site import CSS, HTML, PDF, RSS, TEXT, XML, Page, PublicationTruth, Rendering, Site
from mirrors.kit.site import JPEG as JPEG_TYPE
from mirrors.kit.site import PNG as PNG_TYPE
from mirrors.kit.templates import environment as template_environment

HERE = Path(__file__).parent
FILES = HERE / "files"
THEME = "/wp-content/themes/ecre"
THEME_DATE = datetime(2023, 4, 3, 9, tzinfo=UTC)
TAGS = {"en": "en-GB", "fr": "fr-FR"}  # <html lang>, by Polylang language
PNG = png((11, 61, 92))
# The digest's document type of a post, by its primary category.
DOC_TYPES = {
    "policy-papers": "policy brief",
    "comments": "report",
    "weekly-bulletin": "article",
    "editorials": "commentary",
    "notes-dorientation": "policy brief",
    "bulletin-hebdomadaire": "article",
}
GOLDEN_PAGES = {
    "policy_paper": "/ecre-policy-paper-11-border-procedures-are-not-a-panacea/",
    "comments": "/ecre-comments-on-the-proposal-for-a-screening-regulation/",
    "weekly_bulletin": "/italy-suspends-incoming-dublin-transfers/",
    "editorial": "/editorial-the-pact-is-adopted-the-work-begins/",
    "note_fr": "/fr/note-dorientation-le-pacte-sur-la-migration-et-lasile/",
    "bulletin_fr": "/fr/grece-nouvelles-restrictions-pour-les-ong/",
    "category_archive": "/category/publications/policy-papers/",
}
_CSS = b"/* ecre theme (mirror stand-in) */\nbody{font-family:Roboto,sans-serif}\n"


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


def _utc(value: Any) -> datetime:
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
                date=_utc(raw["date"]),
                modified=_utc(raw.get("modified", raw["date"])),
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


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of the ECRE templates."""
    return template_environment(HERE / "templates", inline=inline_html, human_date=uk_date, rfc822=format_datetime)


def _schema(base: str, path: str, kind: str, name: str, lang: str, post: Post | None = None) -> str:
    """Yoast SEO's JSON-LD graph: the page, and for posts the Article with its author's Person node."""
    url = base + path
    site = {"@type": "WebSite", "@id": f"{base}/#website", "url": f"{base}/", "name": "ECRE",
            "publisher": {"@id": f"{base}/#organization"}, "inLanguage": lang}  # fmt: skip
    org = {"@type": "Organization", "@id": f"{base}/#organization", "url": f"{base}/",
           "name": "European Council on Refugees and Exiles (ECRE)",
           "sameAs": ["https://www.facebook.com/ECRE.org", "https://x.com/ecre"]}  # fmt: skip
    page: dict[str, Any] = {"@type": kind, "@id": url, "url": url, "name": name,
                            "isPartOf": {"@id": f"{base}/#website"}, "inLanguage": lang}  # fmt: skip
    graph: list[dict[str, Any]] = [page, site, org]
    if post is not None:
        person_id = f"{base}/#/schema/person/{hashlib.md5(post.author.login.encode()).hexdigest()}"
        page.update(datePublished=post.date.isoformat(), dateModified=post.modified.isoformat(),
                    description=post.summary)  # fmt: skip
        words = sum(len(b.text.split()) for b in post.body)
        article = {"@type": "Article", "@id": f"{url}#article", "isPartOf": {"@id": url},
                   "author": {"name": post.author.name, "@id": person_id}, "headline": post.title,
                   "datePublished": post.date.isoformat(), "dateModified": post.modified.isoformat(),
                   "mainEntityOfPage": {"@id": url}, "wordCount": words,
                   "publisher": {"@id": f"{base}/#organization"},
                   "articleSection": [c.name for c in post.categories], "inLanguage": lang}  # fmt: skip
        person = {"@type": "Person", "@id": person_id, "name": post.author.name, "url": base + post.author.path}
        graph = [article, page, site, org, person]
    text = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
    return text.replace("</", "<\\/")


def render(c: Content, base: str) -> Rendering:
    """Every page of the mirror with absolute URLs on `base`."""
    env = environment()
    pages: dict[str, Page] = {}
    paginated: dict[str, int] = {}
    per_page = int(c.data["settings"]["per_page"])
    snapshot = _utc(c.data["settings"]["modified"])
    publications = [p for p in c.posts if p.pdf_path and p.lang == "en"]

    def add(path: str, body: str | bytes, ctype: str, when: datetime) -> None:
        """Store one response."""
        pages[path] = Page(body.encode() if isinstance(body, str) else body, ctype, when)

    def html(template: str, path: str, title: str, lang: str = "en", **ctx: Any) -> str:
        """Render an HTML template with the context every page shares."""
        ctx.setdefault("description", "")
        ctx.setdefault("og_type", "website")
        ctx.setdefault("schema", _schema(base, path, "WebPage", f"{title} - ECRE", TAGS[lang]))
        ctx.setdefault("post", None)
        return env.get_template(template).render(
            base=base, path=path, title=title, lang=lang, s=c.data["strings"][lang], latest=publications[0], **ctx
        )

    def newest(posts: list[Post]) -> datetime:
        """Last-Modified of a page showing `posts`: their newest change."""
        return max((p.modified for p in posts), default=snapshot)

    def archive(path: str, title: str, posts: list[Post], lang: str = "en", kind: str = "CollectionPage") -> None:
        """A category or author archive, paged as /page/N/."""
        count = max(1, math.ceil(len(posts) / per_page))
        name = f"{title}, Author at ECRE" if kind == "ProfilePage" else f"{title} Archives - ECRE"
        for n in range(count):
            key = path if n == 0 else f"{path}page/{n + 1}/"
            rows = posts[n * per_page : (n + 1) * per_page]
            prev = (path if n == 1 else f"{path}page/{n}/") if n else None
            nxt = f"{path}page/{n + 2}/" if n + 1 < count else None
            schema = _schema(base, key, kind, name, TAGS[lang])
            body = html("archive.html", key, title, lang, rows=rows, prev=prev, next=nxt, schema=schema, home=False)
            add(key, body, HTML, newest(posts))

    def feed(path: str, title: str, posts: list[Post], lang: str = "en") -> None:
        """An RSS feed of `posts`, paged as ?paged=N."""
        count = max(1, math.ceil(len(posts) / per_page))
        if count > 1:
            paginated[path] = count
        for n in range(count):
            key = path if n == 0 else f"{path}?paged={n + 1}"
            items = posts[n * per_page : (n + 1) * per_page]
            xml = env.get_template("rss.xml").render(base=base, path=path, title=title, items=items, lang=lang,
                                                     built=newest(posts))  # fmt: skip
            add(key, xml, RSS, newest(posts))

    for post in c.posts:
        if post.pdf_path:
            add(post.pdf_path, (FILES / Path(post.pdf or "").name).read_bytes(), PDF, post.date)
        lang = post.lang
        siblings = [p for p in c.posts if p.lang == lang]
        i = siblings.index(post)
        body = html(
            "post.html", post.path, post.title, lang, post=post, description=post.summary, og_type="article",
            schema=_schema(base, post.path, "WebPage", f"{post.title} - ECRE", TAGS[lang], post),
            older=siblings[i + 1] if i + 1 < len(siblings) else None, newer=siblings[i - 1] if i else None,
        )  # fmt: skip
        add(post.path, body, HTML, post.modified)

    for cat in c.categories.values():
        posts = [p for p in c.posts if cat in p.categories]
        archive(cat.path, cat.name, posts, cat.lang)
        feed(f"{cat.path}feed/", f"{cat.name} Archives - ECRE", posts, cat.lang)
    for user in c.users.values():
        posts = [p for p in c.posts if p.author == user]
        archive(user.path, user.name, posts, kind="ProfilePage")
    for page in c.data["pages"]:
        path = f"/{page['slug']}/"
        body = html("page.html", path, page["title"], blocks=parse_blocks(page["body"]))
        add(path, body, HTML, _utc(page["modified"]))
    for lang, home in (("en", "/"), ("fr", "/fr/")):
        posts = [p for p in c.posts if p.lang == lang]
        schema = _schema(base, home, "CollectionPage", "ECRE", TAGS[lang])
        body = html("archive.html", home, "ECRE", lang, rows=posts[:per_page], prev=None, next=None, home=True,
                    schema=schema)  # fmt: skip
        add(home, body, HTML, newest(posts))
        feed("/feed/" if lang == "en" else "/fr/feed/", "ECRE", posts, lang)

    # Yoast's sitemaps exist (robots.txt names the index) even though the source config does not use them.
    maps = {
        "post-sitemap.xml": [(p.path, p.modified) for p in c.posts],
        "page-sitemap.xml": [("/", newest(list(c.posts)))]
        + [(f"/{p['slug']}/", _utc(p["modified"])) for p in c.data["pages"]],
        "category_name-sitemap.xml": [(cat.path, snapshot) for cat in c.categories.values()],
    }
    sm = env.get_template("sitemap.xml")
    index = [(f"/{name}", max(w for _, w in entries)) for name, entries in maps.items()]
    add("/sitemap_index.xml", sm.render(base=base, index=True, entries=index), XML, snapshot)
    for name, entries in maps.items():
        add(f"/{name}", sm.render(base=base, index=False, entries=entries), XML, snapshot)
    add("/robots.txt", env.get_template("robots.txt").render(base=base), TEXT, THEME_DATE)
    api = {"name": "ECRE", "description": "European Council on Refugees and Exiles", "url": base, "home": base,
           "gmt_offset": "2", "timezone_string": "Europe/Brussels", "namespaces": ["oembed/1.0", "wp/v2"]}  # fmt: skip
    add("/wp-json/", json.dumps(api), "application/json; charset=UTF-8", snapshot)
    add(f"{THEME}/style.css", _CSS, CSS, THEME_DATE)
    add(f"{THEME}/images/logo.png", PNG, PNG_TYPE, THEME_DATE)
    add("/wp-content/uploads/2023/04/ecre-share.jpg", JPEG, JPEG_TYPE, THEME_DATE)
    missing = html("page.html", "/404/", "Page not found", blocks=parse_blocks("It looks like nothing was found here."))
    return Rendering(pages, Page(missing.encode(), HTML, snapshot, status=404), paginated)


class EcreSite(Site):
    """ecre.org (WordPress): posts at /<slug>/, category and author archives, paged RSS feeds, PDFs."""

    name = "ecre"
    extra_headers = (
        ("X-Powered-By", "PHP/8.1.27"),
        ("Link", '<https://ecre.org/wp-json/>; rel="https://api.w.org/"'),
        ("X-Content-Type-Options", "nosniff"),
    )

    pdf_folder = FILES

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror for `base_url`."""
        return render(load(), base_url)

    def publications(self) -> list[PublicationTruth]:
        """Every post, newest first (French ones too)."""
        return [PublicationTruth.of(p, DOC_TYPES[p.category.slug], p.category.name, p.lang) for p in load().posts]

    def golden_pages(self) -> Mapping[str, str]:
        """One page per post type and a category archive (tests/fixtures/ecre/)."""
        return GOLDEN_PAGES

    def pdf_files(self) -> dict[Path, bytes]:
        """The PDFs attached to posts, in files/."""
        return {FILES / Path(p.pdf).name: pdfs.build(p) for p in load().posts if p.pdf}

    def route(self, rendering: Rendering, path: str, query: dict[str, list[str]]) -> str:
        """WordPress routing: paths end in a slash (files excepted); feeds page with `?paged=N` (1-based)."""
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            path += "/"
        pages = rendering.paginated.get(path)
        raw = (query.get("paged") or ["1"])[0]
        number = int(raw) if raw.isdigit() else 1
        if pages is None or number <= 1:
            return path
        return f"{path}?paged={number}"  # past the last page: no such key, WordPress's 404
