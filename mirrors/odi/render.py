"""Render every page of the ODI mirror for one base URL (Wagtail-like markup, paths with trailing slashes)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jinja2 import Environment

from mirrors.kit.dates import london, uk_date
from mirrors.kit.markup import inline_html
from mirrors.kit.site import CSS, HTML, JPEG, PDF, PNG, TEXT, XML, Page, Rendering
from mirrors.kit.templates import environment as template_environment
from mirrors.odi import assets
from mirrors.odi.content import FILES, HERE, Content, Feature, Person, Publication, StaticPage

JS = "application/javascript"
SVG = "image/svg+xml"


@dataclass(frozen=True, slots=True)
class Crumb:
    """One breadcrumb link."""

    title: str
    path: str


@dataclass(frozen=True, slots=True)
class Pager:
    """Where a listing page sits among its pages (Django's paginator counts from 1)."""

    path: str
    current: int
    count: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a generated directory (people, programmes)."""

    title: str
    path: str
    subtitle: str = ""


@dataclass(slots=True)
class OdiRendering(Rendering):
    """A rendering plus what cannot be rendered ahead: search results for any query, and redirects."""

    search: Callable[[str], Page] | None = None
    # Paths answered with a redirect -> root-relative target (e.g. "/" -> "/en/", as Wagtail's i18n does).
    redirects: dict[str, str] = field(default_factory=dict)


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of the ODI templates."""
    return template_environment(HERE / "templates", inline=inline_html, uk_date=uk_date)


def portrait(person: Person) -> str:
    """URL of a person's portrait rendition."""
    return assets.PORTRAIT_STYLE.format(slug=person.slug)


def feature_image(feature: Feature) -> str:
    """URL of a promoted block's image rendition, named after the uploaded file as Wagtail does."""
    stem = "".join(c if c.isalnum() else "_" for c in feature.image_alt.removesuffix(".PNG")).strip("_")
    return f"/media/images/{stem[:40].rstrip('_')}.2e16d0ba.fill-640x360.jpg"


def _size(num: int) -> str:
    return f"{max(1, round(num / 1024))} KB" if num < 1024 * 1024 else f"{num / 1024 / 1024:.1f} MB"


def matches(pub: Publication, query: str) -> bool:
    """Whether the site search finds `pub` for `query` (every word in the title, summary or topics)."""
    haystack = " ".join([pub.title, pub.summary, *(t.name for t in pub.topics)]).lower()
    words = query.lower().split()
    return bool(words) and all(word in haystack for word in words)


class Builder:
    """Collects the pages of one rendering."""

    def __init__(self, content: Content, base: str) -> None:
        self.content = content
        self.base = base
        self.env = environment()
        self.pages: dict[str, Page] = {}
        self.paginated: dict[str, int] = {}
        self.sitemap: list[dict[str, str]] = []
        self.by_slug = {p.slug: p for p in content.publications}
        self.in_programme = set(content.programme.publications)

    # -- plumbing ---------------------------------------------------------------------------------
    def _add(self, key: str, body: str | bytes, content_type: str, modified: datetime) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[key] = Page(data, content_type, modified)

    def _in_sitemap(self, path: str, modified: date) -> None:
        self.sitemap.append({"path": path, "lastmod": modified.isoformat()})

    def _html(self, template: str, path: str, title: str, **ctx: Any) -> str:
        topics = list(self.content.topics.values())
        defaults: dict[str, Any] = {
            "base": self.base,
            "canonical": path,
            "title": title,
            "head_title": f"{title} | {self.content.settings['site_title']}",
            "site_title": self.content.settings["site_title"],
            "description": "",
            "og_image": assets.SOCIAL_IMAGE_PATH,
            "breadcrumb": [Crumb("Home", "/en/")],
            "body_class": "template-page",
            "all_topics": topics,
            "trending": [self.content.topics[s] for s in ("migration", "climate-and-sustainability", "public-finance")],
            "year": self.content.site_modified.year,
            "assets": assets,
            "portrait": portrait,
            "feature_image": feature_image,
        }
        defaults.update(ctx)
        return self.env.get_template(template).render(**defaults)

    def _latest(self, pubs: Iterable[Publication]) -> date:
        days = [p.modified for p in pubs]
        return max(days) if days else self.content.site_modified

    def _listing(self, path: str, items: Sequence[Publication], **ctx: Any) -> None:
        per_page = int(self.content.settings["per_page"])
        count = max(1, math.ceil(len(items) / per_page))
        self.paginated[path] = count
        modified = self._latest(items)
        for n in range(1, count + 1):
            key = path if n == 1 else f"{path}?page={n}"
            rows = items[(n - 1) * per_page : n * per_page]
            body = self._html(
                "listing.html",
                path,
                rows=rows,
                pager=Pager(path, n, count),
                first=(n - 1) * per_page + 1 if rows else 0,
                last=(n - 1) * per_page + len(rows),
                total=len(items),
                **ctx,
            )
            self._add(key, body, HTML, london(modified, 16, 5))
        self._in_sitemap(path, modified)

    # -- pages ------------------------------------------------------------------------------------
    def static_files(self) -> None:
        """Stylesheet, script, logo, favicon and the image renditions the pages show."""
        when = london(date(2022, 11, 1), 10)
        self._add(assets.CSS_PATH, assets.CSS, CSS, when)
        self._add(assets.JS_PATH, assets.JS, JS, when)
        self._add(assets.LOGO_PATH, assets.LOGO, SVG, when)
        self._add(assets.FAVICON_PATH, assets.PNG, PNG, when)
        images = [assets.SOCIAL_IMAGE_PATH, assets.HERO_PATH]
        images += [feature_image(f) for f in self.content.programme.features]
        images += [portrait(p) for p in self.content.people.values() if p.path]
        for path in images:
            self._add(path, assets.JPEG, JPEG, when)

    def home(self) -> None:
        """The front page, /en/ (the bare domain redirects to it)."""
        c = self.content
        body = self._html(
            "home.html",
            "/en/",
            c.settings["site_title"],
            head_title=c.settings["site_title"],
            description=(
                "ODI is an independent, global think tank, working for a sustainable and peaceful world in which "
                "every person thrives."
            ),
            breadcrumb=[],
            body_class="template-home-page",
            latest=c.section("publications")[:6],
            insights=c.section("insights")[:4],
            events=c.events,
        )
        self._add("/en/", body, HTML, london(self._latest(c.publications), 16, 5))
        self._in_sitemap("/en/", self._latest(c.publications))

    def publications(self) -> None:
        """Every publication page and its PDF."""
        for pub in self.content.publications:
            pdf_size = ""
            if pub.pdf_path and pub.pdf_name:
                data = (FILES / pub.pdf_name).read_bytes()
                pdf_size = _size(len(data))
                self._add(pub.pdf_path, data, PDF, london(pub.published, 9, 30))
            section = "Publications" if pub.doc_type.section == "publications" else "Insights"
            body = self._html(
                "publication.html",
                pub.path,
                pub.title,
                pub=pub,
                description=pub.summary,
                breadcrumb=[Crumb("Home", "/en/"), Crumb(section, pub.doc_type.prefix)],
                body_class=f"template-{pub.doc_type.section[:-1]}-page",
                related=self._related(pub),
                pdf_size=pdf_size,
                in_programme=pub.slug in self.in_programme,
            )
            self._add(pub.path, body, HTML, london(pub.modified, 16, 20))
            self._in_sitemap(pub.path, pub.modified)

    def _related(self, pub: Publication) -> list[Publication]:
        mine = {t.slug for t in pub.topics}
        scored = [
            (len(mine & {t.slug for t in other.topics}), other.published, other.page_id, other)
            for other in self.content.publications
            if other.path != pub.path
        ]
        scored.sort(key=lambda s: (s[0], s[1], s[2]), reverse=True)
        return [s[3] for s in scored[:3]]

    def sections(self) -> None:
        """The two listings that hold every publication: research outputs and insights, 20 a page."""
        c = self.content
        for name, title, intro in (
            ("publications", "Publications", "Research reports, working papers and briefing papers from ODI."),
            ("insights", "Insights", "Expert comment, explainers and analysis from ODI's researchers."),
        ):
            path = f"/en/{name}/"
            self._listing(
                path,
                c.section(name),
                title=title,
                intro=intro,
                description=intro,
                body_class="template-listing-page",
                filters=[t for t in c.types.values() if t.section == name],
            )

    def topics(self) -> None:
        """Topic hubs: an introduction and everything tagged with the topic, 20 a page."""
        for topic in self.content.topics.values():
            items = [p for p in self.content.publications if topic in p.topics]
            self._listing(
                topic.path,
                items,
                title=topic.name,
                intro=topic.description,
                description=topic.description,
                body_class="template-topic-page",
                filters=[],
            )

    def people(self) -> None:
        """Profile pages of ODI staff (partners from other institutions have none)."""
        for person in self.content.people.values():
            if not person.path:
                continue
            work = [p for p in self.content.publications if person in p.authors]
            modified = self._latest(work)
            body = self._html(
                "person.html",
                person.path,
                person.name,
                person=person,
                work=work,
                description=person.bio.split(". ")[0] + ".",
                og_image=portrait(person),
                breadcrumb=[
                    Crumb("Home", "/en/"),
                    Crumb("About ODI", "/en/about/"),
                    Crumb("Our people", "/en/about/our-people/"),
                ],
                body_class="template-person-page",
            )
            self._add(person.path, body, HTML, london(modified, 16, 5))
            self._in_sitemap(person.path, modified)

    def programme(self) -> None:
        """The Human Mobility Initiative page with its publication list."""
        prog = self.content.programme
        body = self._html(
            "programme.html",
            prog.path,
            prog.title,
            programme=prog,
            publications=[self.by_slug[s] for s in prog.publications],
            description=prog.intro[0].text,
            og_image=assets.HERO_PATH,
            breadcrumb=[
                Crumb("Home", "/en/"),
                Crumb("About ODI", "/en/about/"),
                Crumb("Our work", "/en/about/our-work/"),
            ],
            body_class="template-programme-page",
        )
        self._add(prog.path, body, HTML, london(prog.modified, 16, 5))
        self._in_sitemap(prog.path, prog.modified)

    def static_pages(self) -> None:
        """Basic pages, some with a generated directory (people, programmes)."""
        titles = {p.path: p.title for p in self.content.pages}
        titles[self.content.programme.path] = self.content.programme.title
        for page in self.content.pages:
            crumbs = [Crumb("Home", "/en/")]
            if page.parent:
                crumbs.append(Crumb(titles[page.parent], page.parent))
            body = self._html(
                "page.html",
                page.path,
                page.title,
                blocks=page.body,
                description=page.summary,
                breadcrumb=crumbs,
                directory=self._directory(page),
                label="",
                when="",
                speakers=[],
            )
            self._add(page.path, body, HTML, london(page.modified, 16, 5))
            self._in_sitemap(page.path, page.modified)

    def _directory(self, page: StaticPage) -> list[Entry]:
        c = self.content
        if page.directory == "people":
            staff = sorted((p for p in c.people.values() if p.path), key=lambda p: p.name.split()[-1])
            return [Entry(p.name, p.path or "", p.role) for p in staff]
        if page.directory == "work":
            pages = [p for p in c.pages if p.parent == c.programme.path]
            return [Entry(c.programme.title, c.programme.path, "Hosted by ODI with LSE IGA and CGD")] + [
                Entry(p.title, p.path, "Data visualisation") for p in pages
            ]
        return []

    def events(self) -> None:
        """The events listing and a page per event (events are not publications)."""
        c = self.content
        for event in c.events:
            body = self._html(
                "page.html",
                event.path,
                event.title,
                blocks=event.body,
                description=event.summary,
                breadcrumb=[Crumb("Home", "/en/"), Crumb("Events", "/en/events/")],
                body_class="template-event-page",
                directory=[],
                label="Event",
                when=f"{uk_date(event.day)}, {event.time}",
                speakers=event.speakers,
            )
            self._add(event.path, body, HTML, london(event.day, 17))
            self._in_sitemap(event.path, event.day)
        latest = max(e.day for e in c.events)
        body = self._html(
            "events.html",
            "/en/events/",
            "Events",
            events=c.events,
            description="Public events, launches and debates hosted by ODI, in London and online.",
            body_class="template-event-index-page",
        )
        self._add("/en/events/", body, HTML, london(latest, 17))
        self._in_sitemap("/en/events/", latest)

    def search_page(self, query: str) -> Page:
        """The search results page for `query` (the empty form when it is blank)."""
        query = " ".join(query.split())
        results = [p for p in self.content.publications if matches(p, query)][:20]
        body = self._html(
            "search.html",
            "/en/search/",
            "Search",
            query=query,
            results=results,
            breadcrumb=[],
            body_class="template-search",
        )
        return Page(body.encode("utf-8"), HTML, london(self.content.site_modified, 16, 5))

    def searches(self) -> None:
        """The empty search form and the searches the topic pages suggest."""
        self.pages["/en/search/"] = self.search_page("")
        for query in ("migration", "refugees", "care workers", "climate"):
            self.pages[f"/en/search/?q={query.replace(' ', '+')}"] = self.search_page(query)

    def sitemap_xml(self) -> None:
        """Wagtail's sitemap.xml over every page in the page tree."""
        xml = self.env.get_template("sitemap.xml").render(base=self.base, entries=self.sitemap)
        self._add("/sitemap.xml", xml, XML, london(self._latest(self.content.publications), 16, 20))

    def robots(self) -> None:
        """robots.txt with the sitemap line."""
        text = self.env.get_template("robots.txt").render(base=self.base)
        self._add("/robots.txt", text, TEXT, london(date(2022, 11, 1), 10))

    def not_found(self) -> Page:
        """The 404 page."""
        body = self._html("not_found.html", "/en/404/", "Page not found", breadcrumb=[], body_class="template-404")
        return Page(body.encode("utf-8"), HTML, london(self.content.site_modified, 16, 5), status=404)


def robots_page(content: Content, base_url: str) -> Page:
    """Only robots.txt, for sites that serve it and little else (the challenge mirror)."""
    b = Builder(content, base_url)
    b.robots()
    return b.pages["/robots.txt"]


def render(content: Content, base_url: str) -> OdiRendering:
    """All pages of the ODI mirror with absolute URLs on `base_url`."""
    b = Builder(content, base_url)
    b.static_files()
    b.home()
    b.publications()
    b.sections()
    b.topics()
    b.people()
    b.programme()
    b.static_pages()
    b.events()
    b.searches()
    b.sitemap_xml()
    b.robots()
    return OdiRendering(
        pages=b.pages,
        not_found=b.not_found(),
        paginated=b.paginated,
        search=b.search_page,
        redirects={"/": "/en/"},
    )
