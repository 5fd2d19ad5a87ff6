"""Render every page of the CGD mirror for one base URL: Drupal 9 templates and a paged simple_sitemap."""

from __future__ import annotations

import functools
import json
import math
from datetime import date, datetime
from typing import Any

from jinja2 import Environment

from mirrors.cgd.content import FILES, HERE, Content, Publication
from mirrors.kit import assets
from mirrors.kit.dates import eastern, long_date
from mirrors.kit.markup import inline_html, parse_blocks
from mirrors.kit.site import CSS, HTML, JPEG, PDF, PNG, TEXT, XML, Page, Rendering
from mirrors.kit.templates import environment as template_environment

STYLE = "/themes/custom/cgd/dist/css/cgd.css"
LOGO = "/themes/custom/cgd/logo.png"
THEME_DATE = date(2023, 2, 1)
_PNG = assets.png((11, 61, 92))
_CSS = b"/* cgd theme (mirror stand-in) */\nbody{font-family:Lato,sans-serif}.cookie-banner{position:fixed;bottom:0}\n"


def drupal_iso(day: date, hour: int = 9) -> str:
    """A Washington, DC time on `day` as Drupal's schema_metatag writes it (offset without a colon)."""
    return f"{eastern(day, hour):%Y-%m-%dT%H:%M:%S%z}"


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of the CGD templates."""
    return template_environment(HERE / "templates", inline=inline_html, long_date=long_date, drupal_iso=drupal_iso)


def _jsonld(pub: Publication, base: str) -> str:
    """schema_metatag's JSON-LD for a publication node."""
    graph = {
        "@type": pub.kind["schema"],
        "headline": pub.title,
        "name": pub.title,
        "description": pub.summary,
        "datePublished": drupal_iso(pub.published),
        "dateModified": drupal_iso(pub.modified, 15),
        "author": [
            {"@type": "Person", "name": a.name, **({"url": base + a.path} if a.expert else {})} for a in pub.authors
        ],
        "publisher": {"@type": "Organization", "name": "Center For Global Development", "url": base + "/"},
        "mainEntityOfPage": base + pub.path,
    }
    text = json.dumps({"@context": "https://schema.org", "@graph": [graph]}, ensure_ascii=False)
    return text.replace("</", "<\\/")


def render(c: Content, base: str) -> Rendering:
    """Every page of the mirror with absolute URLs on `base`."""
    env = environment()
    pages: dict[str, Page] = {}
    paginated: dict[str, int] = {}
    aliases: dict[str, str] = {}
    sitemap: list[tuple[str, datetime]] = []
    experts = [p for p in c.people.values() if p.expert]
    pubs = c.publications
    site_when = eastern(c.modified, 15, 30)

    def add(path: str, body: str | bytes, ctype: str, when: datetime, listed: bool = False) -> None:
        """Store one response; `listed` also puts it in the sitemap."""
        pages[path] = Page(body.encode() if isinstance(body, str) else body, ctype, when)
        if listed:
            sitemap.append((path, when))

    def html(template: str, path: str, title: str, **ctx: Any) -> str:
        """Render an HTML template with the context every page shares."""
        ctx.setdefault("description", "")
        ctx.setdefault("og_type", "website")
        ctx.setdefault("jsonld", "")
        ctx.setdefault("nid", None)
        return env.get_template(template).render(
            base=base, path=path, title=title, topics=c.data["topics"], year=c.modified.year, **ctx
        )

    def latest(items: list[Publication]) -> datetime:
        """Last-Modified of a page showing `items`: their newest change."""
        return eastern(max((p.modified for p in items), default=c.modified), 15, 30)

    def listing(path: str, title: str, items: list[Publication], per_page: int = 10**6, **ctx: Any) -> None:
        """A teaser listing, split into `?page=N` pages of `per_page` rows."""
        count = max(1, math.ceil(len(items) / per_page))
        if count > 1:
            paginated[path] = count
        for n in range(count):
            key = path if n == 0 else f"{path}?page={n}"
            rows = items[n * per_page : (n + 1) * per_page]
            add(key, html("listing.html", path, title, rows=rows, page=n, pages=count, **ctx), HTML, latest(items))
        sitemap.append((path, latest(items)))

    for pub in pubs:
        pdf_size = ""
        if pub.pdf_path:
            data = (FILES / f"{pub.slug}.pdf").read_bytes()
            pdf_size = f"{len(data) / 1024:.0f} KB"
            add(pub.pdf_path, data, PDF, eastern(pub.published, 9))
        mine = {t["slug"] for t in pub.topics}
        related = sorted(
            (p for p in pubs if p is not pub), key=lambda p: (len(mine & {t["slug"] for t in p.topics}), p.published)
        )[::-1][:3]
        body = html(
            "publication.html", pub.path, pub.title, pub=pub, description=pub.summary, og_type="article",
            jsonld=_jsonld(pub, base), nid=pub.nid, pdf_size=pdf_size, related=related,
        )  # fmt: skip
        add(pub.path, body, HTML, eastern(pub.modified, 15, 30), listed=True)
        aliases[f"/node/{pub.nid}"] = pub.path
    for person in experts:
        mine_pubs = [p for p in pubs if person in p.authors]
        body = html("expert.html", person.path, person.name, person=person, rows=mine_pubs, og_type="profile",
                    description=person.bio)  # fmt: skip
        add(person.path, body, HTML, latest(mine_pubs), listed=True)
        add(person.photo, assets.JPEG, JPEG, eastern(THEME_DATE, 10))
    for topic in c.data["topics"]:
        items = [p for p in pubs if topic in p.topics]
        listing(f"/topics/{topic['slug']}", topic["name"], items, intro=topic["description"])
    for event in c.data["events"]:
        when = eastern(event["date"], 15, 30)
        body = html("page.html", f"/event/{event['slug']}", event["title"], event=event, blocks=(),
                    description=event["text"])  # fmt: skip
        add(f"/event/{event['slug']}", body, HTML, when, listed=True)
    for page in c.data["pages"]:
        body = html("page.html", page["path"], page["title"], event=None, blocks=parse_blocks(page["body"]))
        add(page["path"], body, HTML, eastern(page["modified"], 15, 30), listed=True)
    papers = [p for p in pubs if p.kind["prefix"] == "/publication"]
    per_page = int(c.data["settings"]["per_page"])
    listing("/section/publications", "Publications", papers, per_page, intro="")
    listing("/section/blog", "Blog", [p for p in pubs if p not in papers], intro="")
    body = html("expert.html", "/section/experts", "Experts", person=None, rows=[], experts=experts)
    add("/section/experts", body, HTML, site_when, listed=True)
    body = html("page.html", "/section/events", "Events", event=None, blocks=(), events=c.data["events"])
    add("/section/events", body, HTML, site_when, listed=True)
    add("/", html("listing.html", "/", "Center For Global Development", rows=pubs[:8], page=0, pages=1, intro="",
                  home=True), HTML, latest(list(pubs)))  # fmt: skip
    sitemap.insert(0, ("/", latest(list(pubs))))

    # simple_sitemap: entities grouped by type, then an index at /sitemap.xml once they don't fit in one sitemap.
    order = ("/page/", "/event/", "/publication/", "/blog/", "/expert/", "/topics/", "/section/")
    sitemap.sort(key=lambda e: next((i for i, p in enumerate(order) if e[0].startswith(p)), -1))
    size = int(c.data["settings"]["sitemap_max_links"])
    chunks = [sitemap[i : i + size] for i in range(0, len(sitemap), size)]
    sm = env.get_template("sitemap.xml")
    newest = max(when for _, when in sitemap)
    add("/sitemap.xml", sm.render(base=base, index=len(chunks), when=newest, entries=[]), XML, newest)
    for n, chunk in enumerate(chunks, start=1):
        when = max(w for _, w in chunk)
        add(f"/sitemap.xml?page={n}", sm.render(base=base, index=0, when=when, entries=chunk), XML, when)
    paginated["/sitemap.xml"] = len(chunks) + 1
    add("/robots.txt", env.get_template("robots.txt").render(base=base), TEXT, eastern(THEME_DATE, 10))
    add(STYLE, _CSS, CSS, eastern(THEME_DATE, 10))
    add(LOGO, _PNG, PNG, eastern(THEME_DATE, 10))
    missing = html("page.html", "/system/404", "Page not found", event=None,
                   blocks=parse_blocks("The requested page could not be found."))  # fmt: skip
    return Rendering(pages, Page(missing.encode(), HTML, site_when, status=404), paginated, aliases)
