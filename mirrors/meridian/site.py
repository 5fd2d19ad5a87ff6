"""The Meridian mirror as a `Site`: content.yaml rendered through its templates, and the ground truth."""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment

from mirrors.kit.assets import png
from mirrors.kit.dates import uk_date
from mirrors.kit.markup import inline_html, parse_blocks
from mirrors.kit.site import CSS, HTML, PDF, PNG, RSS, TEXT, XML, Page, PublicationTruth, Rendering, Site
from mirrors.kit.templates import environment as template_environment
from mirrors.meridian import pdfs
from mirrors.meridian.content import DOC_TYPES, FILES, HERE, Content, Publication, load

GOLDEN_PAGES = {
    "report": "/research/seasonal-work-schemes-what-workers-say/",
    "commentary": "/commentary/why-fees-persist/",
    "type_listing": "/research/reports/",
}
_CSS = b"/* meridian theme (mirror stand-in) */\nbody{font-family:Georgia,serif}\n"
_BUILT = datetime(2024, 1, 8, 10, tzinfo=UTC)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of the Meridian templates."""
    return template_environment(HERE / "templates", inline=inline_html, human_date=uk_date)


def _ld(data: dict[str, Any]) -> str:
    return json.dumps({"@context": "https://schema.org", **data}, ensure_ascii=False).replace("</", "<\\/")


def render(c: Content, base: str) -> Rendering:
    """Every page of the mirror with absolute URLs on `base`."""
    env = environment()
    pages: dict[str, Page] = {}
    per_page = int(c.data["settings"]["per_page"])
    snapshot = _noon(c.data["settings"]["modified"])
    pubs = list(c.publications)

    def add(path: str, body: str | bytes, ctype: str, when: datetime) -> None:
        pages[path] = Page(body.encode() if isinstance(body, str) else body, ctype, when)

    def html(template: str, path: str, title: str, **ctx: Any) -> str:
        ctx.setdefault("description", "")
        ctx.setdefault("schema", _ld({"@type": "WebPage", "name": title, "url": base + path}))
        ctx.setdefault("next_page", None)
        ctx.setdefault("og_type", "website")
        return env.get_template(template).render(base=base, path=path, title=title, kinds=c.kinds,
                                                 topics=c.topics, **ctx)  # fmt: skip

    def newest(items: list[Publication]) -> datetime:
        return _noon(max((p.modified for p in items), default=snapshot.date()))

    def listing(path: str, title: str, items: list[Publication], intro: str = "") -> None:
        """A listing of teasers, paged as <path>page/N/ with rel=next and numbered links."""
        count = max(1, math.ceil(len(items) / per_page))
        numbers = [(n + 1, path if n == 0 else f"{path}page/{n + 1}/") for n in range(count)]
        for n in range(count):
            key = numbers[n][1]
            schema = _ld({"@type": "CollectionPage", "name": title, "url": base + key})
            body = html("listing.html", key, title, rows=items[n * per_page : (n + 1) * per_page], intro=intro,
                        schema=schema, numbers=numbers if count > 1 else [], current=n + 1,
                        prev_page=numbers[n - 1][1] if n else None,
                        next_page=numbers[n + 1][1] if n + 1 < count else None)  # fmt: skip
            add(key, body, HTML, newest(items))

    for pub in pubs:
        people = [{"@type": "Person", "name": a.name, "url": base + a.path} for a in pub.authors]
        publisher = {"@type": "Organization", "name": "Meridian Centre for Migration Research"}
        schema = _ld({"@type": "Report" if pub.section == "research" else "Article", "headline": pub.title,
                      "datePublished": pub.published.isoformat(), "dateModified": pub.modified.isoformat(),
                      "author": people, "description": pub.summary, "url": base + pub.path,
                      "publisher": publisher})  # fmt: skip
        related = [p for p in pubs if p is not pub and set(p.topics) & set(pub.topics)][:3]
        body = html("publication.html", pub.path, pub.title, pub=pub, description=pub.summary, schema=schema,
                    related=related, og_type="article")  # fmt: skip
        add(pub.path, body, HTML, _noon(pub.modified))
        if pub.pdf_path:
            add(pub.pdf_path, (FILES / f"{pub.slug}.pdf").read_bytes(), PDF, _noon(pub.published))

    research = [p for p in pubs if p.section == "research"]
    listing("/research/", "Research", research, "Reports, policy briefs and working papers by the Centre's fellows.")
    for kind in c.kinds.values():
        listing(kind.path, kind.plural, [p for p in pubs if p.kind == kind])
    for slug, name in c.topics.items():
        listing(f"/topics/{slug}/", name, [p for p in pubs if slug in p.topics])
    for person in c.people.values():
        own = [p for p in pubs if person in p.authors]
        schema = _ld({"@type": "ProfilePage", "mainEntity": {"@type": "Person", "name": person.name}})
        add(person.path, html("person.html", person.path, person.name, person=person, rows=own, schema=schema,
                              og_type="profile"), HTML, newest(own))  # fmt: skip
    add("/people/", html("people.html", "/people/", "People", people=list(c.people.values())), HTML, snapshot)
    for page in c.data["pages"]:
        path = f"/{page['slug']}/"
        add(path, html("page.html", path, page["title"], blocks=parse_blocks(page["body"])), HTML, snapshot)
    add("/search/", html("page.html", "/search/", "Search", blocks=parse_blocks("Search the Centre's work.")), HTML,
        snapshot)  # fmt: skip
    schema = _ld({"@type": "WebSite", "name": "Meridian Centre for Migration Research", "url": base + "/"})
    add("/", html("home.html", "/", "Meridian Centre for Migration Research", rows=pubs[:per_page], schema=schema),
        HTML, newest(pubs))  # fmt: skip

    feed = env.get_template("rss.xml").render(base=base, items=pubs[: int(c.data["settings"]["feed_items"])],
                                              built=newest(pubs))  # fmt: skip
    add("/feed.xml", feed, RSS, newest(pubs))
    listings = ["/research/", *(k.path for k in c.kinds.values()), *(f"/topics/{t}/" for t in c.topics)]
    maps: dict[str, list[tuple[str, date]]] = {
        "/sitemaps/pages.xml": [(p, snapshot.date()) for p in
                                ["/", *listings, "/people/", *(p.path for p in c.people.values()),
                                 *(f"/{page['slug']}/" for page in c.data["pages"])]],
        "/sitemaps/research.xml.gz": [(p.path, p.modified) for p in research],
        "/sitemaps/commentary.xml": [(p.path, p.modified) for p in pubs if p.section == "commentary"],
    }  # fmt: skip
    sitemap = env.get_template("sitemap.xml")
    for path, entries in maps.items():
        xml = sitemap.render(base=base, index=False, entries=entries)
        if path.endswith(".gz"):
            add(path, gzip.compress(xml.encode(), mtime=0), "application/gzip", snapshot)
        else:
            add(path, xml, XML, snapshot)
    index = [(path, max(d for _, d in entries)) for path, entries in maps.items()]
    add("/sitemap.xml", sitemap.render(base=base, index=True, entries=index), XML, snapshot)
    add("/robots.txt", env.get_template("robots.txt").render(base=base), TEXT, _BUILT)
    add("/assets/site.css", _CSS, CSS, _BUILT)
    add("/assets/logo.png", png((20, 70, 90)), PNG, _BUILT)
    missing = html("page.html", "/404/", "Page not found", blocks=parse_blocks("This page does not exist."))
    return Rendering(pages, Page(missing.encode(), HTML, snapshot, status=404))


class MeridianSite(Site):
    """meridianmigration.org: research and commentary, type and topic listings, feed, sitemap index, PDFs."""

    name = "meridian"
    server_header = "nginx"
    extra_headers = (("X-Content-Type-Options", "nosniff"),)
    pdf_folder = FILES

    def render(self, base_url: str) -> Rendering:
        """Render every page of the mirror for `base_url`."""
        return render(load(), base_url)

    def route(self, rendering: Rendering, path: str, query: dict[str, list[str]]) -> str:
        """Paths end in a slash (files excepted); paging is in the path (/page/N/), the query is ignored."""
        if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
            path += "/"
        return path

    def publications(self) -> list[PublicationTruth]:
        """Every research output and commentary, newest first."""
        return [PublicationTruth.of(p, DOC_TYPES[p.kind.slug], p.kind.label) for p in load().publications]

    def golden_pages(self) -> Mapping[str, str]:
        """A report, a commentary and a type listing."""
        return GOLDEN_PAGES

    def pdf_files(self) -> dict[Path, bytes]:
        """The research PDFs, in files/."""
        return {FILES / f"{p.slug}.pdf": pdfs.build(p) for p in load().publications if p.pdf_path}
