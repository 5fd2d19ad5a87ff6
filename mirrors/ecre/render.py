"""Render every page of the ECRE mirror for one base URL: WordPress templates, paged feeds, Yoast sitemaps."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment

from mirrors.ecre.content import FILES, HERE, Content, Post, utc
from mirrors.kit.assets import JPEG, png
from mirrors.kit.dates import uk_date
from mirrors.kit.markup import inline_html, parse_blocks
from mirrors.kit.site import CSS, HTML, PDF, RSS, TEXT, XML, Page, Rendering
from mirrors.kit.site import JPEG as JPEG_TYPE
from mirrors.kit.site import PNG as PNG_TYPE
from mirrors.kit.templates import environment as template_environment

THEME = "/wp-content/themes/ecre"
THEME_DATE = datetime(2023, 4, 3, 9, tzinfo=UTC)
TAGS = {"en": "en-GB", "fr": "fr-FR"}  # <html lang>, by Polylang language
PNG = png((11, 61, 92))
_CSS = b"/* ecre theme (mirror stand-in) */\nbody{font-family:Roboto,sans-serif}\n"


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
    snapshot = utc(c.data["settings"]["modified"])
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
        add(path, body, HTML, utc(page["modified"]))
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
        + [(f"/{p['slug']}/", utc(p["modified"])) for p in c.data["pages"]],
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
