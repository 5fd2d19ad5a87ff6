"""Render every page of the MPI mirror for one base URL."""

from __future__ import annotations

import functools
import html
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, Template

from mirrors.kit.dates import eastern, long_date, month_year
from mirrors.kit.markup import inline_html
from mirrors.kit.site import CSS, HTML, JPEG, PDF, PNG, RSS, TEXT, XML, Page, Rendering
from mirrors.kit.templates import environment as template_environment
from mirrors.mpi import assets
from mirrors.mpi.content import FILES, HERE, Content, DocType, Person, Program, Publication, StaticPage

JS = "application/javascript"
# What Drupal's Http4xxController renders for a 4xx without a page of its own (404 and 403 have theirs).
_CLIENT_ERROR = """{% extends "base.html" %}
{% block content %}
<h1 class="page-title">Client error</h1>
<div class="client-error">A client error happened</div>
{% endblock %}
"""


@dataclass(frozen=True, slots=True)
class Crumb:
    """One breadcrumb link."""

    title: str
    path: str | None


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a listing page sits among its pages."""

    id: int
    current: int
    count: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a generated directory (staff, topics, programs)."""

    title: str
    path: str
    subtitle: str = ""
    text: str = ""


def published_iso(day: date) -> str:
    """Publication time as Drupal's metatag writes it."""
    return eastern(day, 9).isoformat()


def modified_iso(day: date) -> str:
    """Modification time, ISO 8601 with offset."""
    return eastern(day, 15, 30).isoformat()


def rss_description(summary: str) -> str:
    """The teaser HTML that Drupal puts (escaped once more by the template) in an RSS description."""
    return f"<p>{html.escape(summary, quote=False)}</p>"


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of the MPI templates."""
    return template_environment(
        HERE / "templates",
        inline=inline_html,
        month_year=month_year,
        long_date=long_date,
        published_iso=published_iso,
        modified_iso=modified_iso,
        utc_iso=lambda day: f"{day.isoformat()}T12:00:00Z",
        rfc822=lambda day: format_datetime(eastern(day, 9)),
        rss_description=rss_description,
    )


def _sort_name(person: Person) -> str:
    """Surname first, keeping particles with it ("Le Coz" sorts under L)."""
    words = person.name.split()
    start = len(words) - 1
    while start > 1 and words[start - 1] in ("Le", "de", "van", "von", "da"):
        start -= 1
    return " ".join(words[start:] + words[:start])


def _size(num: int) -> str:
    return f"{num / 1024:.1f} KB" if num < 1024 * 1024 else f"{num / 1024 / 1024:.2f} MB"


class Builder:
    """Collects the pages of one rendering."""

    # How many items a search page and a feed show; None: all (the 47 fit). The scaled site caps them.
    search_results: int | None = None
    feed_items: int | None = None

    def __init__(self, content: Content, base: str) -> None:
        self.content = content
        self.base = base
        self.env = environment()
        self.pages: dict[str, Page] = {}
        self.paginated: dict[str, int] = {}
        self.aliases: dict[str, str] = {}
        self.sitemap: list[dict[str, str]] = []
        self.by_path = {p.path: p for p in content.publications}
        self.feeds = sorted(content.types.values(), key=lambda t: t.feed_id)
        self._dom_id = 0

    # -- plumbing ---------------------------------------------------------------------------------
    def _add(self, key: str, body: str | bytes, content_type: str, modified: datetime) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[key] = Page(data, content_type, modified)

    def _in_sitemap(self, path: str, modified: datetime, changefreq: str, priority: str) -> None:
        self.sitemap.append(
            {"path": path, "lastmod": modified.isoformat(), "changefreq": changefreq, "priority": priority}
        )

    def _popular(self, exclude: str = "") -> list[Publication]:
        return [self.by_path[p] for p in self.content.most_popular if p != exclude][:5]

    def _menu(self, active: str) -> list[dict[str, Any]]:
        c = self.content
        research = [
            {"title": "Research", "path": "/research"},
            {"title": "Commentary", "path": "/news"},
            {"title": "Migration Information Source", "path": "/programs/migration-information-source"},
        ]
        about = [
            {"title": "About MPI", "path": "/about"},
            {"title": "Staff", "path": "/about/staff"},
            {"title": "Careers", "path": "/about/careers"},
            {"title": "Contact", "path": "/contact"},
            {"title": "Newsletters", "path": "/newsletters"},
        ]
        items = [
            ("Topics", "/topics", [{"title": t.name, "path": t.path} for t in c.topics.values()]),
            ("Programs", "/programs", [{"title": p.name, "path": p.path} for p in c.programs]),
            ("Research", "/research", research),
            ("Events", "/events", []),
            ("Data Hub", "/programs/data-hub", []),
            ("About", "/about", about),
        ]
        return [
            {"title": t, "path": p, "children": ch, "active": active == p or active.startswith(p + "/")}
            for t, p, ch in items
        ]

    def _html(self, template: str | Template, path: str, title: str, **ctx: Any) -> str:
        system_path = ctx.pop("system_path", f"node/{ctx.get('nid') or 0}")
        settings = {
            "path": {
                "baseUrl": "/",
                "pathPrefix": "",
                "currentPath": system_path,
                "currentPathIsAdmin": False,
                "isFront": path == "/",
                "currentLanguage": "en",
            },
            "pluralDelimiter": "\u0003",
            "suppressDeprecationErrors": True,
            "ajaxPageState": {"libraries": "eJx1kFEOwyAIhi_k9EgGK6tNUKyA3Xb6dX1Zsyx7gI-fDwgJxxRWHE2x", "theme": "mpi"},
            "ajaxTrustedUrl": {"/search/site": True},
            "eu_cookie_compliance": {
                "cookie_policy_version": "1.0.1",
                "popup_enabled": True,
                "popup_agreed_enabled": False,
                "popup_link": "/about/privacy-policy",
                "popup_position": False,
                "method": "opt_in",
            },
            "user": {"uid": 0, "permissionsHash": "5b0b3a6f2d9c1e2a7f1d4c8b9e0a6d3c"},
        }
        defaults: dict[str, Any] = {
            "base": self.base,
            "canonical": path,
            "title": title,
            "head_title": f"{title} | migrationpolicy.org",
            "description": "",
            "og_type": "website",
            "og_image": assets.OG_IMAGE_PATH,
            "nid": None,
            "breadcrumb": [Crumb("Home", "/")],
            "body_class": "path-node",
            "main_menu": self._menu(path),
            "all_feeds": self.feeds,
            "feeds_alternate": [],
            "all_topics": list(self.content.topics.values()),
            "popular": self._popular(path),
            "year": self.content.site_modified.year,
            "today": f"{self.content.site_modified:%m/%d/%Y}",
            "drupal_settings": settings,
        }
        defaults.update(ctx)
        return self.env.get_template(template).render(**defaults)

    def _listing(
        self,
        path: str,
        items: Sequence[Publication],
        modified: datetime,
        *,
        sitemap: tuple[str, str] | None = ("daily", "0.7"),
        **ctx: Any,
    ) -> None:
        per_page = int(self.content.settings["per_page"])
        count = max(1, math.ceil(len(items) / per_page))
        if count > 1:
            self.paginated[path] = count
        self._dom_id += 1
        for n in range(count):
            key = path if n == 0 else f"{path}?page={n}"
            body = self._html(
                "listing.html",
                key,
                rows=items[n * per_page : (n + 1) * per_page],
                pager=Pager(self._dom_id, n, count),
                dom_id=f"{self._dom_id:04x}a7c3e1",
                form_action=path,
                **ctx,
            )
            self._add(key, body, HTML, modified)
        if sitemap:
            self._in_sitemap(path, modified, *sitemap)

    def _latest(self, pubs: Iterable[Publication]) -> datetime:
        days = [p.modified for p in pubs]
        return eastern(max(days) if days else self.content.site_modified, 15, 30)

    # -- pages ------------------------------------------------------------------------------------
    def assets(self) -> None:
        """Theme files and the images the pages show."""
        when = eastern(date(2023, 6, 1), 10)
        self._add(assets.CSS_PATH, assets.CSS, CSS, when)
        self._add(assets.JS_PATH, assets.JS, JS, when)
        for path in (assets.LOGO_PATH, assets.FAVICON_PATH, assets.OG_IMAGE_PATH):
            self._add(path, assets.PNG, PNG, when)
        images = [p.image for p in self.content.publications] + [p.image for p in self.content.programs]
        for image in images:
            if image is not None:
                for style in ("featured_teaser", "hero"):
                    self._add(image.src(style), assets.JPEG, JPEG, when)

    def publications(self) -> None:
        """Every publication page, its /node/N alias and its PDF."""
        for pub in self.content.publications:
            pdf_size = ""
            if pub.pdf_path:
                data = (FILES / "publications" / f"{pub.pdf}-final.pdf").read_bytes()
                pdf_size = _size(len(data))
                self._add(pub.pdf_path, data, PDF, eastern(pub.published, 9))
            modified = eastern(pub.modified, 15, 30)
            body = self._html(
                "publication.html",
                pub.path,
                pub.title,
                pub=pub,
                nid=pub.nid,
                description=pub.summary,
                og_type="article",
                og_image=pub.image.src("hero") if pub.image else assets.OG_IMAGE_PATH,
                breadcrumb=self._pub_crumbs(pub.doc_type),
                body_class=f"path-node page-node-type-{pub.doc_type.node_type}",
                related=self._related(pub),
                pdf_size=pdf_size,
            )
            self._add(pub.path, body, HTML, modified)
            self.aliases[f"/node/{pub.nid}"] = pub.path
            self._in_sitemap(pub.path, modified, "monthly", "0.5")

    def _pub_crumbs(self, doc_type: DocType) -> list[Crumb]:
        home = Crumb("Home", "/")
        if doc_type.key == "article":
            return [
                home,
                Crumb("Programs", "/programs"),
                Crumb("Migration Information Source", "/programs/migration-information-source"),
            ]
        if doc_type.key == "commentary":
            return [home, Crumb("Commentary", "/news")]
        return [home, Crumb("Research", "/research")]

    def _related(self, pub: Publication) -> list[Publication]:
        mine = {t.slug for t in pub.topics}
        scored = [
            (len(mine & {t.slug for t in other.topics}), other.published, other.nid, other)
            for other in self.content.publications
            if other.path != pub.path
        ]
        scored.sort(key=lambda s: (s[0], s[1], s[2]), reverse=True)
        return [s[3] for s in scored[:3]]

    def people(self) -> None:
        """Author pages: bio and their publications."""
        for person in self.content.people.values():
            items = [p for p in self.content.publications if person in p.authors]
            crumbs = [Crumb("Home", "/")]
            if person.staff:
                crumbs += [Crumb("About", "/about"), Crumb("Staff", "/about/staff")]
            self._listing(
                person.path,
                items,
                self._latest(items),
                sitemap=("monthly", "0.3"),
                kind="person",
                person=person,
                bio=[" ".join(part.split()) for part in person.bio.split("\n\n")],
                title=person.name,
                description=" ".join(person.bio.split())[:300],
                nid=person.nid,
                breadcrumb=crumbs,
                body_class="path-node page-node-type-person",
                view_name="author-content",
                listing_title=f"Publications by {person.name}",
                featured=[],
                filters=False,
                experts=[],
            )
            self.aliases[f"/node/{person.nid}"] = person.path

    def topics(self) -> None:
        """Taxonomy term pages under /topics/."""
        for topic in self.content.topics.values():
            items = [p for p in self.content.publications if topic in p.topics]
            self._listing(
                topic.path,
                items,
                self._latest(items),
                kind="topic",
                topic=topic,
                title=topic.name,
                description=topic.description,
                breadcrumb=[Crumb("Home", "/"), Crumb("Topics", "/topics")],
                body_class="path-taxonomy",
                system_path=f"taxonomy/term/{topic.tid}",
                view_name="taxonomy-term",
                listing_title="",
                featured=[],
                filters=False,
                experts=[],
            )
            self.aliases[f"/taxonomy/term/{topic.tid}"] = topic.path

    def programs(self) -> None:
        """Program pages: intro, featured items, then every listed publication, paginated."""
        for program in self.content.programs:
            items = [p for p in self.content.publications if program.lists(p)]
            self._listing(
                program.path,
                items,
                self._latest(items),
                kind="program",
                program=program,
                title=program.name,
                description=program.intro[0].text if program.intro else "",
                nid=program.nid,
                breadcrumb=[Crumb("Home", "/"), Crumb("Programs", "/programs")],
                body_class="path-node page-node-type-program",
                view_name="program-content",
                listing_title=program.listing_title,
                featured=[self.by_path[p] for p in program.featured],
                filters=program.lists_all,
                experts=self._experts(program, items),
                feeds_alternate=self.feeds,
            )
            self.aliases[f"/node/{program.nid}"] = program.path

    def _experts(self, program: Program, items: Sequence[Publication]) -> list[Person]:
        counts = Counter(a.slug for p in items for a in p.authors if a.staff)
        return [self.content.people[slug] for slug, _ in counts.most_common(6)]

    def type_listings(self) -> None:
        """The Research (reports and policy briefs) and Commentary listings."""
        c = self.content
        for path, title, keys in (
            ("/research", "Research", ("report", "policy brief")),
            ("/news", "Commentary", ("commentary",)),
        ):
            items = [p for p in c.publications if p.doc_type.key in keys]
            self._listing(
                path,
                items,
                self._latest(items),
                kind="listing",
                title=title,
                description=f"{title} from the Migration Policy Institute.",
                body_class="path-" + path.strip("/"),
                system_path=path.strip("/"),
                view_name="content-listing",
                listing_title="",
                featured=[],
                filters=True,
                experts=[],
                feeds_alternate=[t for t in self.feeds if t.key in keys],
            )

    def static_pages(self) -> None:
        """Basic pages, some with a generated directory (staff, topics, programs)."""
        titles = {p.path: p.title for p in self.content.pages}
        for page in self.content.pages:
            crumbs = [Crumb("Home", "/")]
            if page.parent:
                crumbs.append(Crumb(titles.get(page.parent, page.parent.strip("/").title()), page.parent))
            modified = eastern(page.modified, 15, 30)
            body = self._html(
                "page.html",
                page.path,
                page.title,
                blocks=page.body,
                description=page.body[0].text[:300] if page.body else "",
                nid=page.nid,
                breadcrumb=crumbs,
                body_class="path-node page-node-type-page",
                directory=self._directory(page),
                view_name=f"{page.directory or 'none'}-directory",
            )
            self._add(page.path, body, HTML, modified)
            self.aliases[f"/node/{page.nid}"] = page.path
            self._in_sitemap(page.path, modified, "monthly", "0.4")

    def _directory(self, page: StaticPage) -> list[Entry]:
        c = self.content
        if page.directory == "staff":
            staff = sorted((p for p in c.people.values() if p.staff), key=_sort_name)
            return [Entry(p.name, p.path, p.role) for p in staff]
        if page.directory == "topics":
            return [Entry(t.name, t.path, "", t.description) for t in c.topics.values()]
        if page.directory == "programs":
            return [Entry(p.name, p.path, "", p.intro[0].text if p.intro else "") for p in c.programs]
        return []

    def home(self) -> None:
        """The front page."""
        c = self.content
        international = c.programs[0]
        modified = self._latest(c.publications)
        body = self._html(
            "home.html",
            "/",
            "Migration Policy Institute",
            head_title="Migration Policy Institute | migrationpolicy.org",
            description=(
                "The Migration Policy Institute is an independent, nonpartisan think tank that seeks to "
                "improve immigration and integration policies through authoritative research and analysis."
            ),
            breadcrumb=[],
            body_class="path-frontpage",
            system_path="node",
            featured=[self.by_path[p] for p in international.featured[:3]],
            latest=[p for p in c.publications if p.doc_type.key in ("report", "policy brief")][:6],
            source=[p for p in c.publications if p.doc_type.key == "article"][:3],
            feeds_alternate=self.feeds,
        )
        self._add("/", body, HTML, modified)
        self._in_sitemap("/", modified, "daily", "1.0")

    def search(self) -> None:
        """Search pages (disallowed in robots.txt): the empty form and one results page per topic."""
        c = self.content
        when = eastern(c.site_modified, 15, 30)
        searches: list[tuple[str, str, list[Publication]]] = [("/search/site", "", [])]
        for topic in c.topics.values():
            found = [p for p in c.publications if topic in p.topics][: self.search_results]
            searches.append((f"/search/site/{topic.slug}", topic.slug.replace("-", " "), found))
        for path, keys, results in searches:
            body = self._html(
                "search.html",
                path,
                "Search",
                keys=keys,
                results=results,
                body_class="path-search",
                system_path=path.strip("/"),
            )
            self._add(path, body, HTML, when)

    def feeds_xml(self) -> None:
        """One RSS feed per publication type, with its latest items."""
        for doc_type in self.feeds:
            items = [p for p in self.content.publications if p.doc_type.key == doc_type.key]
            latest = items[: self.feed_items]
            xml = self.env.get_template("rss.xml").render(base=self.base, feed=doc_type, items=latest)
            self._add(f"/rss/taxonomy-term/{doc_type.feed_id}", xml, RSS, self._latest(items))

    def sitemap_xml(self) -> None:
        """simple_sitemap's sitemap.xml over every indexable page."""
        xml = self.env.get_template("sitemap.xml").render(base=self.base, entries=self.sitemap)
        self._add("/sitemap.xml", xml, XML, self._latest(self.content.publications))

    def robots(self) -> None:
        """Drupal's default robots.txt plus the sitemap line."""
        text = self.env.get_template("robots.txt").render(base=self.base)
        self._add("/robots.txt", text, TEXT, eastern(date(2023, 6, 1), 10))

    def not_found(self) -> Page:
        """The Drupal 404 page."""
        body = self._html(
            "not_found.html",
            "/system/404",
            "Page not found",
            breadcrumb=[Crumb("Home", "/")],
            body_class="path-system",
            system_path="system/404",
        )
        return Page(body.encode("utf-8"), HTML, eastern(self.content.site_modified, 15, 30), status=404)

    def client_error(self, status: int) -> Page:
        """Drupal's generic 4xx page (route system.4xx), e.g. the 410 Gone of a deleted node's alias."""
        body = self._html(
            self.env.from_string(_CLIENT_ERROR),
            "/system/4xx",
            "Client error",
            breadcrumb=[Crumb("Home", "/")],
            body_class="path-system",
            system_path="system/4xx",
        )
        return Page(body.encode("utf-8"), HTML, eastern(self.content.site_modified, 15, 30), status=status)


def render(content: Content, base_url: str) -> Rendering:
    """All pages of the MPI mirror with absolute URLs on `base_url`."""
    b = Builder(content, base_url)
    b.assets()
    b.home()
    b.publications()
    b.programs()
    b.type_listings()
    b.topics()
    b.people()
    b.static_pages()
    b.search()
    b.feeds_xml()
    b.sitemap_xml()
    b.robots()
    return Rendering(pages=b.pages, not_found=b.not_found(), paginated=b.paginated, aliases=b.aliases)
