"""Render every page of the MMC mirror (WordPress, Yoast SEO) for one base URL."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, urlencode

from jinja2 import Environment
from markupsafe import Markup, escape

from mirrors.kit.dates import geneva, gmt_iso, rfc822, uk_date
from mirrors.kit.markup import Block, inline_html, plain
from mirrors.kit.site import JPEG, PDF, PNG, Page, Rendering
from mirrors.kit.templates import environment as template_environment
from mirrors.mmc import assets
from mirrors.mmc.content import FILES, HERE, Content, Edition, Item, Person, StaticPage, Term

HTML = "text/html; charset=UTF-8"
SITEMAP = "text/xml; charset=UTF-8"  # what Yoast sends for its sitemaps
RSS = "application/rss+xml; charset=UTF-8"
TEXT = "text/plain; charset=utf-8"
CSS = "text/css"
JS = "application/javascript"
XSL = "text/xsl"

SITE_NAME = "Mixed Migration Centre"
TAGLINE = "Data, research and analysis on mixed migration"
ANNUAL_REPORT = "/wp-content/uploads/2022/04/MMC-Annual-Report-2021.pdf"
INDEX = "index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1"
NOINDEX = "noindex, follow"
SEARCH_TERMS = ("4Mi", "smuggling", "Libya")  # search result pages rendered ahead (others on demand)
THEME_DATE = datetime.fromisoformat("2022-03-01T10:00:00+01:00")
PAGES_CREATED = datetime.fromisoformat("2019-06-03T11:00:00+02:00")  # the site's relaunch on WordPress
_SELF = "\0"  # canonical: the page's own URL


@dataclass(frozen=True, slots=True)
class Pager:
    """Where an archive page sits among its pages; page 1 is the bare path, then /page/N/."""

    current: int  # 1-based
    count: int
    first: str  # absolute URL of page 1 (ends with /)
    query: str = ""  # kept on every page link: "?type=report", "?s=libya"

    def url(self, number: int) -> str:
        """Absolute URL of page `number`."""
        return (self.first if number == 1 else f"{self.first}page/{number}/") + self.query


@dataclass(frozen=True, slots=True)
class Crumb:
    """One breadcrumb (Yoast breadcrumbs: the last one has no link)."""

    name: str
    path: str | None


def page_key(path: str, number: int, query: str = "") -> str:
    """The rendering key of page `number` of the archive at `path`."""
    return (path if number == 1 else f"{path}page/{number}/") + query


def filter_query(params: dict[str, str]) -> str:
    """The query string of a resources filter, parameters in a fixed order ('' when there is none)."""
    kept = {k: params[k] for k in ("type", "region") if params.get(k)}
    return "?" + urlencode(kept) if kept else ""


def search_query(term: str) -> str:
    """The query string of a search."""
    return "?s=" + quote_plus(term)


def _words(blocks: Sequence[Block]) -> int:
    return sum(len(plain(b.text).split()) for b in blocks if b.kind != "video")


def _person_id(base: str, person: Person) -> str:
    return f"{base}/#/schema/person/{hashlib.md5(person.slug.encode()).hexdigest()}"


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment of the MMC theme templates."""
    return template_environment(HERE / "templates", site_date=uk_date, gmt_iso=gmt_iso, rfc822=rfc822)


class Builder:
    """Collects the pages of one rendering; cheap to create, so search pages can be rendered on demand."""

    def __init__(self, content: Content, base: str) -> None:
        self.c = content
        self.base = base
        self.env = environment()
        self.pages: dict[str, Page] = {}
        self.aliases: dict[str, str] = {}
        self.sitemaps: dict[str, list[dict[str, Any]]] = {}
        self.per_page = int(content.settings["per_page"])
        self.base_markup = Markup(escape(base))
        self._cards: dict[str, Markup] = {}

    # -- plumbing ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of a root-relative path (WordPress writes absolute URLs everywhere)."""
        return self.base + path

    def _add(self, key: str, body: str | bytes, content_type: str, modified: datetime) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.pages[key] = Page(data, content_type, modified)

    def _in_sitemap(
        self, sitemap: str, path: str, modified: datetime, images: Sequence[str] = (), first: bool = False
    ) -> None:
        entry: dict[str, Any] = {"loc": self.url(path), "lastmod": gmt_iso(modified), "first": first}
        entry["images"] = [self.url(i) for i in images]
        self.sitemaps.setdefault(sitemap, []).append(entry)

    def blocks(self, body: Sequence[Block]) -> Markup:
        """Gutenberg markup of body blocks."""
        out: list[str] = []
        for block in body:
            text = inline_html(block.text, self.base) if block.kind not in ("ul", "video") else ""
            if block.kind == "p":
                out.append(f"<p>{text}</p>")
            elif block.kind in ("h2", "h3"):
                out.append(f'<{block.kind} class="wp-block-heading">{text}</{block.kind}>')
            elif block.kind == "blockquote":
                out.append(f'<blockquote class="wp-block-quote"><p>{text}</p></blockquote>')
            elif block.kind == "ul":
                items = "".join(f"<li>{inline_html(i, self.base)}</li>" for i in block.items)
                out.append(f"<ul>{items}</ul>")
            elif block.kind == "video":
                vid, title = block.text.split(" ", 1)
                out.append(
                    '<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube '
                    'wp-embed-aspect-16-9 wp-has-aspect-ratio"><div class="wp-block-embed__wrapper">\n'
                    f'<iframe loading="lazy" title="{escape(title)}" width="800" height="450" '
                    f'src="https://www.youtube.com/embed/{vid}?feature=oembed" frameborder="0" allow="accelerometer; '
                    'autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" '
                    "allowfullscreen></iframe>\n</div></figure>"
                )
        return Markup("\n\n".join(out))

    def _menu(self) -> list[dict[str, Any]]:
        c = self.c
        resources = [{"title": "All resources", "path": "/resources/"}] + [
            {"title": k.plural, "path": "/resources/" + filter_query({"type": k.key})}
            for k in c.resource_types.values()
        ]
        return [
            {
                "title": "About",
                "path": "/about/",
                "children": [
                    {"title": "About MMC", "path": "/about/"},
                    {"title": "4Mi", "path": "/4mi/"},
                    {"title": "Contact", "path": "/contact/"},
                ],
            },
            {
                "title": "Regions",
                "path": "/region/east-africa-yemen/",
                "children": [{"title": r.name, "path": r.path} for r in c.regions.values()],
            },
            {"title": "Resources", "path": "/resources/", "children": resources},
            {
                "title": "Mixed Migration Review",
                "path": "/mmr/",
                "children": [{"title": e.kicker, "path": e.path} for e in c.editions]
                + [{"title": "All editions", "path": "/mmr/"}],
            },
            {
                "title": "Themes",
                "path": "/category/4mi/",
                "children": [{"title": t.name, "path": t.path} for t in list(c.categories.values())[:7]],
            },
            {"title": "News", "path": "/articles/", "children": []},
        ]

    def _schema(self, *pieces: dict[str, Any]) -> Markup:
        base = self.base
        website = {
            "@type": "WebSite",
            "@id": f"{base}/#website",
            "url": f"{base}/",
            "name": SITE_NAME,
            "description": TAGLINE,
            "publisher": {"@id": f"{base}/#organization"},
            "potentialAction": [
                {
                    "@type": "SearchAction",
                    "target": {"@type": "EntryPoint", "urlTemplate": f"{base}/?s={{search_term_string}}"},
                    "query-input": "required name=search_term_string",
                }
            ],
            "inLanguage": "en-US",
        }
        organization = {
            "@type": "Organization",
            "@id": f"{base}/#organization",
            "name": SITE_NAME,
            "url": f"{base}/",
            "logo": {
                "@type": "ImageObject",
                "inLanguage": "en-US",
                "@id": f"{base}/#/schema/logo/image/",
                "url": self.url(assets.LOGO),
                "contentUrl": self.url(assets.LOGO),
                "width": 400,
                "height": 120,
                "caption": SITE_NAME,
            },
            "image": {"@id": f"{base}/#/schema/logo/image/"},
            "sameAs": ["https://www.facebook.com/MixedMigrationCentre", "https://twitter.com/Mixed_Migration"],
        }
        graph = [*pieces, website, organization]
        data = json.dumps(
            {"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False, separators=(",", ":")
        )
        return Markup(data.replace("</", "<\\/"))

    def _breadcrumb(self, url: str, crumbs: Sequence[Crumb]) -> dict[str, Any]:
        elements = []
        for n, crumb in enumerate(crumbs, 1):
            element: dict[str, Any] = {"@type": "ListItem", "position": n, "name": crumb.name}
            if crumb.path is not None:
                element["item"] = self.url(crumb.path)
            elements.append(element)
        return {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb", "itemListElement": elements}

    def _person(self, person: Person) -> dict[str, Any]:
        piece: dict[str, Any] = {
            "@type": "Person",
            "@id": _person_id(self.base, person),
            "name": person.name,
            "image": {
                "@type": "ImageObject",
                "inLanguage": "en-US",
                "@id": f"{self.base}/#/schema/person/image/",
                "url": f"https://secure.gravatar.com/avatar/{hashlib.md5(person.slug.encode()).hexdigest()}"
                "?s=96&d=mm&r=g",
                "caption": person.name,
            },
        }
        if person.bio and person.slug != "mmc":
            piece["description"] = person.bio
        if person.path:
            piece["url"] = self.url(person.path)
        return piece

    @functools.cached_property
    def chrome(self) -> dict[str, Markup]:
        """Header, sidebar and footer: the same on every page, so rendered once per build."""
        ctx = {
            "base": self.base_markup,
            "menu": self._menu(),
            "latest_resources": self.c.resources[:5],
            "latest_edition": self.c.editions[0],
            "all_tags": list(self.c.tags.values()),
            "regions": list(self.c.regions.values()),
            "year": self.c.site_modified.year,
            "assets": assets,
        }
        parts = ("header", "sidebar", "footer")
        return {p: Markup(self.env.get_template(f"{p}.html").render(**ctx)) for p in parts}

    def card(self, item: Item) -> Markup:
        """The teaser of an item in archives and related lists (rendered once per build)."""
        found = self._cards.get(item.path)
        if found is None:
            macro = self.env.get_template("macros.html").module.card  # type: ignore[attr-defined]
            found = self._cards[item.path] = Markup(macro(item, self.base_markup))
        return found

    def _html(self, template: str, head: dict[str, Any], crumbs: Sequence[Crumb], **ctx: Any) -> str:
        defaults: dict[str, Any] = {
            "base": self.base_markup,
            "head": head,
            "crumbs": crumbs,
            "chrome": self.chrome,
            "card": self.card,
            "blocks": self.blocks,
            "regions": list(self.c.regions.values()),
            "assets": assets,
            "sidebar": True,
            "wp_version": self.c.settings["wp_version"],
            "yoast_version": self.c.settings["yoast_version"],
        }
        defaults.update(ctx)
        return self.env.get_template(template).render(**defaults)

    def _head(
        self,
        path: str,
        title: str,
        *,
        schema: Markup,
        description: str = "",
        og_type: str = "article",
        robots: str = INDEX,
        seo_title: str | None = None,
        item: Item | Edition | None = None,
        pager: Pager | None = None,
        shortlink: str | None = None,
        author: str | None = None,
        reading: int | None = None,
        image: str | None = None,
        canonical: str | None = _SELF,
    ) -> dict[str, Any]:
        full = seo_title or f"{title} - {SITE_NAME}"
        return {
            "title": full,
            "description": description,
            "robots": robots,
            "canonical": None if canonical is None else self.url(path if canonical == _SELF else canonical),
            "og_type": og_type,
            "og_title": full,
            "og_url": self.url(path),
            "item": item,
            "prev": pager.url(pager.current - 1) if pager and pager.current > 1 else None,
            "next": pager.url(pager.current + 1) if pager and pager.current < pager.count else None,
            "shortlink": shortlink,
            "author": author,
            "reading": reading,
            "image": self.url(image) if image else None,
            "schema": schema,
        }

    # -- singular pages ----------------------------------------------------------------------------
    def assets(self) -> None:
        """Theme, plugin and core files, the logo and icons, the sitemap stylesheet, uploads."""
        for path, css in assets.STYLES.items():
            self._add(path, css, CSS, THEME_DATE)
        for path, js in assets.SCRIPTS.items():
            self._add(path, js, JS, THEME_DATE)
        for path in (assets.LOGO, assets.ICON_32, assets.ICON_192, assets.DRC_LOGO):
            self._add(path, assets.PNG, PNG, THEME_DATE)
        self._add(assets.SITEMAP_XSL, assets.XSL, XSL, THEME_DATE)
        api = {
            "name": SITE_NAME,
            "description": TAGLINE,
            "url": self.base,
            "home": self.base,
            "gmt_offset": "1",
            "timezone_string": "Europe/Zurich",
            "namespaces": ["oembed/1.0", "yoast/v1", "contact-form-7/v1", "wp/v2", "wp-site-health/v1"],
            "authentication": {},
            "routes": {},
        }
        self._add("/wp-json/", json.dumps(api, separators=(",", ":")), "application/json; charset=UTF-8", THEME_DATE)
        rsd = self.env.get_template("rsd.xml").render(base=self.base)
        self._add("/xmlrpc.php", rsd, "text/xml; charset=UTF-8", THEME_DATE)
        for item in self.c.items:
            for size in ("", "-1024x683", "-600x400"):
                self._add(f"{item.image}{size}.jpg", assets.JPEG, JPEG, item.published)
        for pdf in sorted((FILES / "uploads").rglob("*.pdf")):
            rel = pdf.relative_to(FILES).as_posix()
            year, month = rel.split("/")[1:3]
            when = geneva(datetime(int(year), int(month), 1).date(), 9)
            self._add(f"/wp-content/{rel}", pdf.read_bytes(), PDF, when)

    def _item_schema(self, item: Item, crumbs: Sequence[Crumb]) -> Markup:
        url = self.url(item.path)
        words = _words(item.body)
        article = {
            "@type": "Article",
            "@id": f"{url}#article",
            "isPartOf": {"@id": url},
            "author": {"name": item.user.name, "@id": _person_id(self.base, item.user)},
            "headline": item.title,
            "datePublished": gmt_iso(item.published),
            "dateModified": gmt_iso(item.modified),
            "mainEntityOfPage": {"@id": url},
            "wordCount": words,
            "publisher": {"@id": f"{self.base}/#organization"},
            "image": {"@id": f"{url}#primaryimage"},
            "thumbnailUrl": self.url(item.image + ".jpg"),
            "keywords": [t.name for t in item.tags],
            "articleSection": [t.name for t in item.categories],
            "inLanguage": "en-US",
        }
        if not item.tags:
            del article["keywords"]
        webpage = {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": f"{item.title} - {SITE_NAME}",
            "isPartOf": {"@id": f"{self.base}/#website"},
            "primaryImageOfPage": {"@id": f"{url}#primaryimage"},
            "image": {"@id": f"{url}#primaryimage"},
            "thumbnailUrl": self.url(item.image + ".jpg"),
            "datePublished": gmt_iso(item.published),
            "dateModified": gmt_iso(item.modified),
            "description": item.summary,
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-US",
            "potentialAction": [{"@type": "ReadAction", "target": [url]}],
        }
        image = {
            "@type": "ImageObject",
            "inLanguage": "en-US",
            "@id": f"{url}#primaryimage",
            "url": self.url(item.image + ".jpg"),
            "contentUrl": self.url(item.image + ".jpg"),
            "width": 1500,
            "height": 1000,
        }
        return self._schema(article, webpage, image, self._breadcrumb(url, crumbs), self._person(item.user))

    def _crumbs(self, item: Item) -> list[Crumb]:
        home = Crumb("Home", "/")
        if item.post_type == "resource":
            return [home, Crumb("Resources", "/resources/"), Crumb(item.title, None)]
        if item.edition is not None:
            return [home, Crumb("Mixed Migration Review", "/mmr/"), Crumb(item.edition.kicker, item.edition.path),
                    Crumb(item.title, None)]  # fmt: skip
        return [home, Crumb("News", "/articles/"), Crumb(item.title, None)]

    def _related(self, item: Item) -> list[Item]:
        mine = {t.slug for t in item.regions + item.categories}
        scored = [
            (len(mine & {t.slug for t in other.regions + other.categories}), other.published, other)
            for other in self.c.resources
            if other.path != item.path
        ]
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        return [s[2] for s in scored[:3]]

    def items(self) -> None:
        """Every resource, Review piece and news post, with its shortlink alias."""
        sitemap = {"resource": "resource", "mmr": "mmr", "post": "post"}
        for item in self.c.items:
            crumbs = self._crumbs(item)
            pdf_size = ""
            if item.pdf_path:
                size = (FILES / item.pdf_path.removeprefix("/wp-content/").lstrip("/")).stat().st_size
                pdf_size = f"{math.ceil(size / 1024)} KB"
            head = self._head(
                item.path,
                item.title,
                schema=self._item_schema(item, crumbs),
                description=item.summary,
                item=item,
                shortlink=f"p={item.post_id}",
                author=item.user.name,
                reading=max(1, math.ceil(_words(item.body) / 200)),
                image=item.image + ".jpg",
            )
            body = self._html(
                "single.html",
                head,
                crumbs,
                item=item,
                body_class=self._body_class(item),
                related=self._related(item) if item.post_type == "resource" else [],
                siblings=self.c.pieces(item.edition) if item.edition else [],
                pdf_size=pdf_size,
            )
            self._add(item.path, body, HTML, item.modified)
            self.aliases[f"/?p={item.post_id}"] = item.path
            self._in_sitemap(sitemap[item.post_type], item.path, item.modified, [item.image + ".jpg"])

    def _body_class(self, item: Item) -> str:
        kind = item.post_type
        classes = f"{kind}-template-default single single-{kind} postid-{item.post_id}"
        return classes + (
            " single-format-standard wp-custom-logo" if kind == "post" else " wp-custom-logo wp-embed-responsive"
        )

    def editions(self) -> None:
        """The Review edition pages (hubs of their pieces) and the /mmr/ archive of editions."""
        for edition in self.c.editions:
            url = self.url(edition.path)
            crumbs = [Crumb("Home", "/"), Crumb("Mixed Migration Review", "/mmr/"), Crumb(edition.kicker, None)]
            webpage = {
                "@type": "WebPage",
                "@id": url,
                "url": url,
                "name": f"{edition.title} - {SITE_NAME}",
                "isPartOf": {"@id": f"{self.base}/#website"},
                "datePublished": gmt_iso(edition.published),
                "dateModified": gmt_iso(edition.modified),
                "description": edition.description,
                "breadcrumb": {"@id": f"{url}#breadcrumb"},
                "inLanguage": "en-US",
                "potentialAction": [{"@type": "ReadAction", "target": [url]}],
            }
            head = self._head(
                edition.path,
                edition.title,
                schema=self._schema(webpage, self._breadcrumb(url, crumbs)),
                description=edition.description,
                item=edition,
                shortlink=f"p={edition.post_id}",
            )
            report = next(r for r in self.c.resources if r.slug == edition.report)
            pieces = self.c.pieces(edition)
            sections = [(kind, [p for p in pieces if p.kind is kind]) for kind in self.c.mmr_kinds.values()]
            body = self._html(
                "edition.html",
                head,
                crumbs,
                edition=edition,
                report=report,
                sections=[(kind, found) for kind, found in sections if found],
                body_class=f"mmr-template-default single single-mmr postid-{edition.post_id} wp-custom-logo",
                sidebar=False,
            )
            modified = max([edition.modified, *(p.modified for p in pieces)])
            self._add(edition.path, body, HTML, modified)
            self.aliases[f"/?p={edition.post_id}"] = edition.path
            self._in_sitemap("mmr", edition.path, modified)
        self._archive(
            "/mmr/",
            [],
            kind="mmr",
            title="Mixed Migration Review",
            heading="Mixed Migration Review",
            description=(
                "The Mixed Migration Review is the annual flagship report of the Mixed Migration Centre: trends, "
                "policy developments, essays, interviews and 4Mi data."
            ),
            body_class="archive post-type-archive post-type-archive-mmr wp-custom-logo",
            crumbs=[Crumb("Home", "/"), Crumb("Mixed Migration Review", None)],
            editions=list(self.c.editions),
            sitemap="mmr",
            seo_title=f"Mixed Migration Review Archive - {SITE_NAME}",
        )

    def static_pages(self) -> None:
        """WordPress pages."""
        for page in self.c.pages:
            url = self.url(page.path)
            crumbs = [Crumb("Home", "/"), Crumb(page.title, None)]
            description = plain(page.body[0].text)[:155].rsplit(" ", 1)[0] + "…"
            webpage = {
                "@type": "WebPage",
                "@id": url,
                "url": url,
                "name": f"{page.title} - {SITE_NAME}",
                "isPartOf": {"@id": f"{self.base}/#website"},
                "datePublished": gmt_iso(PAGES_CREATED),
                "dateModified": gmt_iso(page.modified),
                "breadcrumb": {"@id": f"{url}#breadcrumb"},
                "inLanguage": "en-US",
                "potentialAction": [{"@type": "ReadAction", "target": [url]}],
            }
            head = self._head(
                page.path,
                page.title,
                schema=self._schema(webpage, self._breadcrumb(url, crumbs)),
                description=description,
                shortlink=f"page_id={page.post_id}",
            )
            body = self._html(
                "page.html",
                head,
                crumbs,
                page=page,
                body_class=f"page-template-default page page-id-{page.post_id} wp-custom-logo",
                contact_form=page.path == "/contact/",
                signup=page.path == "/newsletter/",
            )
            self._add(page.path, body, HTML, page.modified)
            self.aliases[f"/?page_id={page.post_id}"] = self.aliases[f"/?p={page.post_id}"] = page.path
            self._in_sitemap("page", page.path, page.modified)

    def home(self) -> None:
        """The front page (a static page)."""
        url = self.url("/")
        webpage = {
            "@type": "WebPage",
            "@id": f"{url}",
            "url": url,
            "name": f"{SITE_NAME} - {TAGLINE}",
            "isPartOf": {"@id": f"{self.base}/#website"},
            "about": {"@id": f"{self.base}/#organization"},
            "dateModified": gmt_iso(self.c.site_modified),
            "description": "The Mixed Migration Centre is a global centre for data, research and analysis on mixed "
            "migration, part of the Danish Refugee Council.",
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-US",
        }
        head = self._head(
            "/",
            SITE_NAME,
            schema=self._schema(webpage, self._breadcrumb(url, [Crumb("Home", None)])),
            description=str(webpage["description"]),
            og_type="website",
            seo_title=f"{SITE_NAME} - {TAGLINE}",
        )
        body = self._html(
            "home.html",
            head,
            [],
            body_class="home page-template page-template-front-page page page-id-2 wp-custom-logo",
            sidebar=False,
            featured=self.c.editions[0],
            latest=self.c.resources[:6],
            snapshots=[r for r in self.c.resources if r.kind and r.kind.key == "4mi-snapshot"][:3],
            news=self.c.posts[:3],
        )
        self._add("/", body, HTML, self.c.site_modified)
        self._in_sitemap("page", "/", self.c.site_modified, first=True)

    # -- archives ---------------------------------------------------------------------------------
    def _archive(
        self,
        path: str,
        items: Sequence[Item],
        *,
        kind: str,
        title: str,
        heading: str,
        description: str,
        body_class: str,
        crumbs: list[Crumb],
        per_page: int | None = None,
        query: str = "",
        sitemap: str | None = None,
        seo_title: str | None = None,
        schema_type: Any = "CollectionPage",
        robots: str = INDEX,
        only: int | None = None,
        **ctx: Any,
    ) -> None:
        per_page = per_page or self.per_page
        count = max(1, math.ceil(len(items) / per_page))
        latest = max([i.modified for i in items], default=self.c.site_modified)
        for number in range(1, count + 1):
            if only is not None and number != only:
                continue
            pager = Pager(number, count, self.url(path), query)
            key = page_key(path, number, query)
            url = self.url(key)
            suffix = f" - Page {number} of {count}" if number > 1 else ""
            full = (seo_title or f"{title} - {SITE_NAME}").replace(f" - {SITE_NAME}", f"{suffix} - {SITE_NAME}")
            pieces: list[dict[str, Any]] = [
                {
                    "@type": schema_type,
                    "@id": url,
                    "url": url,
                    "name": full,
                    "isPartOf": {"@id": f"{self.base}/#website"},
                    "breadcrumb": {"@id": f"{url}#breadcrumb"},
                    "inLanguage": "en-US",
                },
                self._breadcrumb(url, crumbs),
            ]
            person = ctx.get("person")
            if isinstance(person, Person):
                pieces[0]["mainEntity"] = {"@id": _person_id(self.base, person)}
                pieces.append({**self._person(person), "mainEntityOfPage": {"@id": url}})
            # Yoast: no canonical on search results; filters (query arguments) keep the unfiltered canonical.
            canonical = None if kind == "search" else page_key(path, number)
            head = self._head(
                key,
                title,
                schema=self._schema(*pieces),
                description=description if number == 1 else "",
                og_type="profile" if isinstance(person, Person) else "website",
                robots=robots,
                seo_title=full,
                pager=pager,
                canonical=canonical,
            )
            body = self._html(
                "archive.html",
                head,
                crumbs,
                kind=kind,
                heading=heading,
                archive_description=description,
                rows=items[(number - 1) * per_page : number * per_page],
                pager=pager,
                body_class=body_class + (" paged paged-" + str(number) if number > 1 else ""),
                **ctx,
            )
            self._add(key, body, HTML, latest)
            if number == 1 and not query:
                self.aliases[f"{path}page/1/"] = path
        if sitemap:
            self._in_sitemap(sitemap, path, latest, first=kind in ("resources", "blog", "mmr"))

    def resources_archive(self) -> None:
        """/resources/ with its filters (?type=, ?region=), 12 a page."""
        c = self.c
        per_page = int(c.settings["resources_per_page"])
        combos: list[dict[str, str]] = [{}]
        combos += [{"type": t} for t in c.resource_types]
        combos += [{"region": r} for r in c.regions]
        combos += [{"type": t, "region": r} for t in c.resource_types for r in c.regions]
        for params in combos:
            found = [
                r
                for r in c.resources
                if (not params.get("type") or (r.kind and r.kind.key == params["type"]))
                and (not params.get("region") or any(t.slug == params["region"] for t in r.regions))
            ]
            self._archive(
                "/resources/",
                found,
                kind="resources",
                title="Resources",
                heading="Resources",
                description="Reports, 4Mi snapshots, briefing papers and articles by the Mixed Migration Centre.",
                body_class="archive post-type-archive post-type-archive-resource wp-custom-logo",
                crumbs=[Crumb("Home", "/"), Crumb("Resources", None)],
                per_page=per_page,
                query=filter_query(params),
                sitemap="resource" if not params else None,
                seo_title=f"Resources Archive - {SITE_NAME}",
                filters=params,
                types=list(c.resource_types.values()),
            )

    def blog(self) -> None:
        """/articles/: the posts page (news)."""
        self._archive(
            "/articles/",
            self.c.posts,
            kind="blog",
            title="News",
            heading="News",
            description="",
            body_class="blog wp-custom-logo",
            crumbs=[Crumb("Home", "/"), Crumb("News", None)],
            sitemap="post",
        )

    def taxonomies(self) -> None:
        """Category, tag and region archives."""
        c = self.c
        for term in c.categories.values():
            self._term_archive(term, [i for i in c.items if term in i.categories], "category", "Category")
        for term in c.tags.values():
            self._term_archive(term, [i for i in c.items if term in i.tags], "post_tag", "Tag")
        for term in c.regions.values():
            self._term_archive(term, [i for i in c.items if term in i.regions], "region", "Region")

    def _term_archive(self, term: Term, items: list[Item], sitemap: str, label: str) -> None:
        body_class = {
            "category": f"archive category category-{term.slug} category-{term.term_id}",
            "post_tag": f"archive tag tag-{term.slug} tag-{term.term_id}",
            "region": f"archive tax-region term-{term.slug} term-{term.term_id}",
        }[term.taxonomy]
        seo = f"{term.name} Archives - {SITE_NAME}"
        self._archive(
            term.path,
            items,
            kind=term.taxonomy,
            title=term.name,
            heading=term.name if term.taxonomy == "region" else f"{label}: {term.name}",
            description=term.description,
            body_class=body_class + " wp-custom-logo",
            crumbs=[Crumb("Home", "/"), Crumb(term.name, None)],
            sitemap=sitemap,
            seo_title=seo,
            term=term,
        )

    def authors(self) -> None:
        """Author archives of WordPress users: posts whose WordPress author they are."""
        for person in self.c.people.values():
            if not person.path:
                continue
            items = [i for i in self.c.items if i.user is person]
            self._archive(
                person.path,
                items,
                kind="author",
                title=person.name,
                heading=person.name,
                description=person.bio,
                body_class=f"archive author author-{person.slug} author-{person.user_id} wp-custom-logo",
                crumbs=[Crumb("Home", "/"), Crumb(f"Archives for {person.name}", None)],
                sitemap="author",
                seo_title=f"{person.name}, Author at {SITE_NAME}",
                schema_type="ProfilePage",
                person=person,
                avatar=f"https://secure.gravatar.com/avatar/{hashlib.md5(person.slug.encode()).hexdigest()}"
                "?s=120&d=mm&r=g",
            )

    def search_pages(self, term: str, only: int | None = None) -> None:
        """The results of searching `term` (title, excerpt and content), 10 a page."""
        needle = term.strip().lower()
        found = [
            i
            for i in self.c.items
            if needle
            and (
                needle in i.title.lower()
                or needle in i.summary.lower()
                or any(needle in plain(b.text).lower() for b in i.body)
            )
        ]
        self._archive(
            "/",
            found,
            kind="search",
            title=f"You searched for {term}",
            heading=f"Search Results for: {term}",
            description="",
            body_class="search search-results wp-custom-logo" if found else "search search-no-results wp-custom-logo",
            crumbs=[Crumb("Home", "/"), Crumb(f"You searched for {term}", None)],
            query=search_query(term),
            seo_title=f"You searched for {term} - {SITE_NAME}",
            schema_type=["CollectionPage", "SearchResultsPage"],
            robots=NOINDEX,
            only=only,
            term=term,
        )

    def search(self) -> None:
        """A few search result pages rendered ahead; others are rendered on demand by the site."""
        for term in SEARCH_TERMS:
            self.search_pages(term)

    # -- machine-readable files ---------------------------------------------------------------------
    def feeds(self) -> None:
        """/feed/ (newest posts, resources and Review pieces) and the comments feed."""
        c = self.c
        items = list(c.items[: int(c.settings["feed_items"])])
        template = self.env.get_template("feed.xml")
        xml = template.render(base=self.base, items=items, blocks=self.blocks, built=c.items[0].modified,
                              wp_version=c.settings["wp_version"])  # fmt: skip
        self._add("/feed/", xml, RSS, c.items[0].modified)
        comments = self.env.get_template("comments_feed.xml").render(base=self.base, built=c.items[0].modified,
                                                                     wp_version=c.settings["wp_version"])  # fmt: skip
        self._add("/comments/feed/", comments, RSS, c.items[0].modified)

    def sitemap_files(self) -> None:
        """Yoast's sitemap index and one sitemap per content type, taxonomy and for authors."""
        order = ("post", "page", "resource", "mmr", "category", "post_tag", "region", "author")
        index = []
        for name in order:
            entries = self.sitemaps.get(name, [])
            if not entries:
                continue
            if name in ("post", "resource", "mmr", "page"):
                # Yoast lists the archive (or the home page) first, then the items by last modification.
                entries = [e for e in entries if e["first"]] + sorted(
                    (e for e in entries if not e["first"]), key=lambda e: e["lastmod"]
                )
            latest = max(e["lastmod"] for e in entries)
            xml = self.env.get_template("urlset.xml").render(base=self.base, entries=entries, xsl=assets.SITEMAP_XSL)
            self._add(f"/{name}-sitemap.xml", xml, SITEMAP, datetime.fromisoformat(latest))
            index.append({"loc": self.url(f"/{name}-sitemap.xml"), "lastmod": latest})
        xml = self.env.get_template("sitemap_index.xml").render(base=self.base, sitemaps=index, xsl=assets.SITEMAP_XSL)
        newest = datetime.fromisoformat(max(e["lastmod"] for e in index))
        self._add("/sitemap_index.xml", xml, SITEMAP, newest)
        self.aliases["/sitemap.xml"] = "/sitemap_index.xml"

    def robots(self) -> None:
        """WordPress's virtual robots.txt as edited in Yoast."""
        text = self.env.get_template("robots.txt").render(base=self.base)
        self._add("/robots.txt", text, TEXT, THEME_DATE)

    def not_found(self) -> Page:
        """The theme's 404 page."""
        head = self._head(
            "/404/",
            "Page not found",
            schema=self._schema(),
            robots=NOINDEX,
            og_type="website",
            canonical=None,
        )
        body = self._html("not_found.html", head, [], body_class="error404 wp-custom-logo", sidebar=False)
        return Page(body.encode("utf-8"), HTML, self.c.site_modified, status=404)


def render(content: Content, base_url: str) -> Rendering:
    """All pages of the MMC mirror with absolute URLs on `base_url`."""
    b = Builder(content, base_url)
    b.assets()
    b.home()
    b.static_pages()
    b.blog()
    b.items()
    b.editions()
    b.resources_archive()
    b.taxonomies()
    b.authors()
    b.search()
    b.feeds()
    b.sitemap_files()
    b.robots()
    return Rendering(pages=b.pages, not_found=b.not_found(), aliases=b.aliases)


def render_search(content: Content, base_url: str, term: str, number: int) -> Page | None:
    """One page of search results for a term not rendered ahead (None past the last page)."""
    b = Builder(content, base_url)
    b.search_pages(term, only=number)
    return b.pages.get(page_key("/", number, search_query(term)))


__all__ = ["Builder", "StaticPage", "filter_query", "page_key", "render", "render_search", "search_query"]
