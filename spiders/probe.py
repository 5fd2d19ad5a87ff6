"""Probe a site never configured before: robots.txt, sitemaps, feeds and a paged listing, and the URL shapes found.

What `migdigest add-source` proposes is read from here. Fetches are few, sequential, with a short timeout and
the crawler's User-Agent, and obey robots.txt. Like a crawl, a probe may go through another origin (a mirror, a
`--base-url` copy) while every URL it reports stays the real site's (`spiders.mirror.OriginOverride`).
"""

from __future__ import annotations

import gzip
import http.client
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from parsel import Selector
from protego import Protego
from scrapy.utils.sitemap import Sitemap

from spiders.mirror import OriginOverride

# Where sites usually keep them, tried only when robots.txt and the page itself name none.
COMMON_SITEMAPS = ("/sitemap.xml", "/sitemap_index.xml", "/sitemap.xml.gz", "/wp-sitemap.xml")
COMMON_FEEDS = ("/feed/", "/feed.xml", "/rss.xml", "/rss/", "/atom.xml", "/index.xml")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml")
_MAX_BODY = 8 * 1024 * 1024
_COMMENTS = re.compile(r"\bcomments?\b", re.I)  # WordPress's "Site » Comments Feed"
_MAX_SITEMAPS = 30  # children of sitemap indexes read: enough to see the shapes, polite to a big site
_MAX_LISTING_CANDIDATES = 8
_LISTING_PAGES = 3  # pages of a listing read to confirm its paging

Channel = Literal["sitemap", "feed", "listing"]


class ProbeError(Exception):
    """The site cannot be probed (unreachable, not HTML); the message says what to do."""


@dataclass(frozen=True)
class Fetched:
    """One response, under the real site's URL."""

    url: str
    status: int
    content_type: str
    body: bytes

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300

    def text(self) -> str:
        """The body as text, in the charset the response names (UTF-8 when none), replacing what is not."""
        found = re.search(r"charset=[\"']?([\w.:-]+)", self.content_type, re.I)
        try:
            return self.body.decode(found.group(1) if found else "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # redirects are followed by `Fetcher.get`, through the origin override


class Fetcher:
    """Polite GETs of a real site's URLs, sent to `origin` instead when given (as spiders/mirror.py does)."""

    def __init__(
        self, real_base: str, origin: str | None, user_agent: str, timeout: float = 10.0, delay: float = 0.0
    ) -> None:
        # Both the host given and its www. twin: a site that redirects to the other must reach the copy too.
        parts = urlsplit(real_base)
        twin = parts.netloc.removeprefix("www.") if parts.netloc.startswith("www.") else "www." + parts.netloc
        self.overrides = [OriginOverride(b, origin) for b in (real_base, f"{parts.scheme}://{twin}")] if origin else []
        self.user_agent = user_agent
        self.timeout = timeout
        self.opener = urllib.request.build_opener(_NoRedirect)
        self.robots: Protego | None = None
        self.delay = delay  # seconds between requests
        self._last = 0.0

    def allowed(self, url: str) -> bool:
        """robots.txt lets the crawler fetch `url` (everything, before robots.txt is read)."""
        return self.robots is None or bool(self.robots.can_fetch(url, self.user_agent))

    def get(self, url: str) -> Fetched:
        """GET `url`, following up to 5 redirects; a network failure raises OSError (HTTP errors are answers)."""
        for _ in range(6):
            wait = self._last + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            target, headers = url, {"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
            found = next((t for o in self.overrides if (t := o.target(url)) is not None), None)
            if found is not None:
                target, host, scheme = found
                headers |= {"Host": host, "X-Forwarded-Proto": scheme}
            request = urllib.request.Request(target, headers=headers)
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    return Fetched(url, response.status, response.headers.get("Content-Type", ""),
                                   response.read(_MAX_BODY))  # fmt: skip
            except urllib.error.HTTPError as err:
                with err:
                    location = err.headers.get("Location") if 300 <= err.code < 400 else None
                    if not location:
                        return Fetched(url, err.code, err.headers.get("Content-Type", ""), err.read(_MAX_BODY))
                url = urljoin(url, location)
            except (urllib.error.URLError, http.client.HTTPException, TimeoutError) as exc:
                reason = getattr(exc, "reason", exc)
                raise OSError(f"{url}: {reason}") from None
        raise OSError(f"{url}: too many redirects")


@dataclass
class Robots:
    """What robots.txt says: the sitemaps it names and the paths it keeps crawlers from."""

    url: str
    found: bool
    sitemaps: list[str] = field(default_factory=list)
    disallow: list[str] = field(default_factory=list)


@dataclass
class SitemapRead:
    """One sitemap file read: an index of sitemaps or a set of URLs."""

    url: str
    kind: Literal["index", "urlset", "error"]
    entries: int
    gzipped: bool = False
    root: bool = False  # named by robots.txt or found at a usual place (not a child of an index)


@dataclass
class FeedRead:
    """One RSS or Atom feed read, and how it was found."""

    url: str
    kind: Literal["rss", "atom"]
    items: int
    found_by: str  # "link" (a page's <link rel=alternate>) or "common path"


@dataclass
class ListingGuess:
    """A page of repeated link blocks (teasers), as CSS selectors a `Listing` takes, and the pages read."""

    url: str
    item: str
    link: str
    type_label: str | None
    date: str | None
    next: str | None
    pages: list[str]  # the listing's pages read by following `next`
    links: list[str]  # publication URLs on those pages


@dataclass
class Shape:
    """URLs of one shape (first path segment and depth), where they were found, and whether to include them."""

    pattern: str  # the include regex on the URL path
    label: str  # for people: /research/*/
    counts: Counter[Channel]  # distinct URLs of this shape per channel
    paths: set[str] = field(default_factory=set)
    proposed: bool = False
    reason: str = ""  # why it is proposed, or not

    @property
    def total(self) -> int:
        """Distinct URLs of this shape."""
        return len(self.paths)

    @property
    def examples(self) -> list[str]:
        """A few of its paths."""
        return sorted(self.paths)[:3]


@dataclass
class Probe:
    """Everything a probe found about one site."""

    base_url: str
    start_url: str
    title: str
    robots: Robots
    sitemaps: list[SitemapRead]
    feeds: list[FeedRead]
    listing: ListingGuess | None
    urls: dict[Channel, set[str]]
    shapes: list[Shape]
    type_labels: dict[str, str]
    notes: list[str]

    @property
    def sitemap_roots(self) -> list[str]:
        """Sitemaps to configure: the top ones (an index, not its children)."""
        return [s.url for s in self.sitemaps if s.root]

    @property
    def include(self) -> list[str]:
        """The proposed include patterns."""
        return [s.pattern for s in self.shapes if s.proposed]


def base_of(url: str) -> str:
    """Scheme and host of `url`, or a ProbeError when it is not an http(s) URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ProbeError(f"{url!r} is not a web address; give one such as https://www.example.org/research/")
    return f"{parts.scheme}://{parts.netloc}"


def _same_site(a: str, b: str) -> bool:
    """Two bases of one site: the same host but for "www." (any scheme)."""
    return urlsplit(a).netloc.lower().removeprefix("www.") == urlsplit(b).netloc.lower().removeprefix("www.")


def path_of(url: str) -> str:
    """The URL's path, as include patterns see it (without the query)."""
    return urlsplit(url).path or "/"


# -- robots.txt ----------------------------------------------------------------------------------------


def read_robots(fetcher: Fetcher, base: str) -> Robots:
    """robots.txt's sitemaps and the Disallow rules that apply to every crawler (`User-agent: *`)."""
    url = base + "/robots.txt"
    got = fetcher.get(url)
    if not got.ok:
        return Robots(url, found=False)
    text = got.text()
    fetcher.robots = Protego.parse(text)
    disallow: list[str] = []
    group_is_all = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        key, _, value = (part.strip() for part in line.partition(":"))
        key = key.lower()
        if key == "user-agent":
            group_is_all = value == "*"
        elif key == "disallow" and group_is_all and value:
            disallow.append(value)
    sitemaps = [urljoin(base + "/", s) for s in fetcher.robots.sitemaps]
    return Robots(url, found=True, sitemaps=sitemaps, disallow=disallow)


# -- sitemaps ------------------------------------------------------------------------------------------


def read_sitemaps(fetcher: Fetcher, roots: Iterable[str]) -> tuple[list[SitemapRead], dict[str, str]]:
    """Read sitemaps and the indexes' children: (files read, URL -> lastmod)."""
    reads: list[SitemapRead] = []
    urls: dict[str, str] = {}
    queue = [(u, True) for u in dict.fromkeys(roots)]
    seen: set[str] = set()
    while queue and len(seen) < _MAX_SITEMAPS:
        url, root = queue.pop(0)
        if url in seen or not fetcher.allowed(url):
            continue
        seen.add(url)
        got = fetcher.get(url)
        body = got.body
        gzipped = body[:2] == b"\x1f\x8b"
        if gzipped:
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                body = b""
        try:
            sitemap = Sitemap(body) if got.ok and body.lstrip().startswith(b"<") else None
        except Exception:  # lxml raises several kinds on what is not XML
            sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            if not root:
                reads.append(SitemapRead(url, "error", 0, gzipped))
            continue
        entries = list(sitemap)
        if sitemap.type == "sitemapindex":
            reads.append(SitemapRead(url, "index", len(entries), gzipped, root))
            queue += [(urljoin(url, e.get("loc", "").strip()), False) for e in entries if e.get("loc")]
        else:
            reads.append(SitemapRead(url, "urlset", len(entries), gzipped, root))
            for e in entries:
                if e.get("loc"):
                    urls[urljoin(url, e["loc"].strip())] = e.get("lastmod", "")
    return reads, urls


# -- feeds ---------------------------------------------------------------------------------------------


def feed_links(html: str, page_url: str) -> list[str]:
    """Feeds a page announces with <link rel="alternate" type="application/rss+xml|atom+xml">."""
    soup = BeautifulSoup(html, "lxml")
    found = []
    for link in soup.find_all("link", href=True):
        rel = [str(r).lower() for r in link.get_attribute_list("rel") if r]
        kind = str(link.get("type") or "").lower()
        # WordPress announces a comments feed next to the posts' feed: its items are comments, not publications.
        if "alternate" in rel and kind in _FEED_TYPES and not _COMMENTS.search(str(link.get("title") or "")):
            found.append(urljoin(page_url, str(link["href"])))
    return list(dict.fromkeys(found))


def read_feed(got: Fetched) -> tuple[Literal["rss", "atom"], list[str]] | None:
    """(kind, item links) of an RSS or Atom feed, or None when the response is not one."""
    if not got.ok or not got.body.lstrip().startswith(b"<"):
        return None
    try:
        sel = Selector(body=got.body, type="xml")
    except Exception:  # not XML
        return None
    sel.remove_namespaces()
    root = sel.xpath("name(/*)").get("")
    if root in ("rss", "RDF"):
        links = sel.xpath("//item/link/text()").getall() or sel.xpath("//item/guid/text()").getall()
        return "rss", [urljoin(got.url, s.strip()) for s in links]
    if root == "feed":
        links = sel.xpath("//entry/link[not(@rel) or @rel='alternate']/@href").getall()
        return "atom", [urljoin(got.url, s.strip()) for s in links]
    return None


# -- listings (Beautiful Soup: reading markup nobody here wrote) ---------------------------------------

_LABEL_CLASS = re.compile(r"type|label|category|kicker|eyebrow|format|tag", re.I)
_NEXT_CLASS = re.compile(r"next", re.I)
_NEXT_TEXT = re.compile(r"^(next|older|more|suivant|weiter|siguiente|›|»|→)\b", re.I)
_CHROME = ("header", "nav", "footer", "aside", "form")


def _classes(tag: Tag) -> list[str]:
    return [str(c) for c in tag.get_attribute_list("class") if c]


def _signature(tag: Tag) -> tuple[str, str]:
    """Tag name and first class: teasers of one list share them; modifiers (`card--report`) may differ."""
    classes = _classes(tag)
    return tag.name, classes[0] if classes else ""


def _css_of(tag: Tag, only: Iterable[str] | None = None) -> str:
    """A CSS selector for a tag by its name and classes (`div.card`); `only` keeps those classes alone."""
    keep = set(only) if only is not None else None
    classes = [str(c) for c in _classes(tag) if re.fullmatch(r"-?[_a-zA-Z][\w-]*", str(c))]
    return tag.name + "".join(f".{c}" for c in classes if keep is None or c in keep)


def _title_link(item: Tag, page_url: str) -> Tag | None:
    """The link that names the item: inside a heading, else the one with the longest text."""
    for heading in item.find_all(re.compile(r"^h[1-6]$")):
        link = heading.find("a", href=True)
        if link is not None:
            return link
    links = [a for a in item.find_all("a", href=True) if not str(a["href"]).startswith(("#", "mailto:"))]
    return max(links, key=lambda a: len(a.get_text(" ", strip=True)), default=None)


def _relative_css(item: Tag, inner: Tag) -> str:
    """A selector for `inner` inside `item`: its nearest classed ancestor (or its heading) and its own name."""
    own = _css_of(inner)
    for parent in inner.parents:
        if parent is item:
            break
        if parent.get("class") or re.fullmatch(r"h[1-6]", parent.name or ""):
            return f"{_css_of(parent)} {own}"
    return own


def _in_chrome(tag: Tag) -> bool:
    return any(p.name in _CHROME for p in tag.parents) or tag.name in _CHROME


@dataclass
class _Group:
    parent: Tag
    items: list[Tag]
    score: float


def _groups(soup: BeautifulSoup, page_url: str) -> list[_Group]:
    """Sibling blocks of the same tag and classes, each with a titled link: the teasers of a listing."""
    groups: list[_Group] = []
    host = urlsplit(page_url).netloc
    for parent in soup.find_all(True):
        if _in_chrome(parent):
            continue
        by_sig: dict[tuple[str, str], list[Tag]] = {}
        for child in parent.find_all(True, recursive=False):
            by_sig.setdefault(_signature(child), []).append(child)
        for items in by_sig.values():
            titled = []
            for item in items:
                link = _title_link(item, page_url)
                if link is None:
                    continue
                target = urljoin(page_url, str(link["href"]))
                words = len(link.get_text(" ", strip=True).split())
                # A menu entry has a word or two; a teaser's title has more, and points into the same site.
                if words >= 3 and urlsplit(target).netloc == host:
                    titled.append(item)
            if len(titled) >= 3 and len(titled) >= len(items) * 0.8:
                text = sum(len(i.get_text(" ", strip=True).split()) for i in titled) / len(titled)
                groups.append(_Group(parent, titled, len(titled) * min(text, 80)))
    return sorted(groups, key=lambda g: g.score, reverse=True)


def _named(tag: Tag) -> str | None:
    """A selector for an ancestor that names itself: by id, else by classes; None for a bare tag."""
    ident = tag.get("id")
    if isinstance(ident, str) and re.fullmatch(r"[_a-zA-Z][\w-]*", ident):
        return f"#{ident}"
    return _css_of(tag) if _classes(tag) else None


def _item_selector(soup: BeautifulSoup, group: _Group) -> str | None:
    """A CSS selector matching exactly the group's items on the page (checked with parsel, as the spider uses)."""
    item = group.items[0]
    common = set.intersection(*({str(c) for c in _classes(i)} for i in group.items))
    own = _css_of(item, common)
    child = f"{_css_of(group.parent)} > {own}"
    tries = [own, child] if "." in own else [child]
    # Bare markup (<ul><li>): anchor it on the nearest ancestors that name themselves (#main, .content).
    tries += [f"{named} {child}" for a in list(group.parent.parents)[:4] if (named := _named(a))]
    page = Selector(text=str(soup))
    return next((css for css in tries if len(page.css(css)) == len(group.items)), None)


def _label_css(item: Tag) -> str | None:
    """A short labelled element in a teaser (its type, "Report"), by a class that says so."""
    for tag in item.find_all(True):
        if tag.find("a") is not None and tag.name != "a" and len(tag.find_all(True)) > 1:
            continue
        classes = " ".join(str(c) for c in _classes(tag))
        text = tag.get_text(" ", strip=True)
        if classes and _LABEL_CLASS.search(classes) and 0 < len(text.split()) <= 4:
            # The class that says what it is, not the CMS's generic ones (`field`, `field__item`).
            telling = next(c for c in _classes(tag) if _LABEL_CLASS.search(c))
            return _css_of(tag, [telling])
    return None


def _next_css(soup: BeautifulSoup) -> str | None:
    """The link to a listing's next page: rel=next, a class or text that says "next"."""
    if soup.select('a[rel~="next"][href]'):
        return 'a[rel~="next"]'
    for a in soup.find_all("a", href=True):
        if _in_chrome(a) and a.find_parent("nav") is None:
            continue
        classes = " ".join(str(c) for c in _classes(a))
        if classes and _NEXT_CLASS.search(classes):
            return _css_of(a)
        parent = a.parent
        pclasses = " ".join(str(c) for c in _classes(parent)) if parent is not None else ""
        if parent is not None and pclasses and _NEXT_CLASS.search(pclasses):
            return f"{_css_of(parent)} a"
    for a in soup.find_all("a", href=True):
        if _NEXT_TEXT.match(a.get_text(" ", strip=True)) and a.find_parent("nav") is not None:
            return None  # a "Next" link with nothing to select it by but its text: CSS cannot say so
    if soup.select('link[rel~="next"][href]'):
        return 'link[rel~="next"]'  # only in <head>: the spider reads its href all the same
    return None


def read_listing(html: str, page_url: str) -> ListingGuess | None:
    """The repeated teaser blocks of a page as listing selectors, or None when the page has none."""
    soup = BeautifulSoup(html, "lxml")
    for group in _groups(soup, page_url):
        item_css = _item_selector(soup, group)
        if item_css is None:
            continue
        first = group.items[0]
        link = _title_link(first, page_url)
        if link is None:
            continue
        link_css = _relative_css(first, link)
        date_css = "time" if first.find("time") is not None else None
        links = []
        for item in group.items:
            found = item.select_one(link_css)
            if found is not None and found.get("href"):
                links.append(urljoin(page_url, str(found["href"])))
        if len(links) < len(group.items):
            continue  # the title link's selector misses some items: try the next group
        return ListingGuess(page_url, item_css, link_css, _label_css(first), date_css, _next_css(soup), [page_url],
                            list(dict.fromkeys(links)))  # fmt: skip
    return None


def follow_listing(fetcher: Fetcher, guess: ListingGuess) -> ListingGuess:
    """Read a few more pages of the listing through its next link, to confirm the paging and collect links."""
    url = guess.url
    html = ""
    for _ in range(_LISTING_PAGES - 1):
        if not guess.next:
            break
        if not html:
            html = fetcher.get(url).text()
        href = Selector(text=html).css(guess.next).xpath("@href").get()
        if not href:
            break
        url = urljoin(url, href)
        if url in guess.pages or not fetcher.allowed(url):
            break
        got = fetcher.get(url)
        if not got.ok:
            break
        html = got.text()
        guess.pages.append(url)
        page = Selector(text=html)
        for item in page.css(guess.item):
            found = item.css(guess.link).xpath("@href").get()
            if found:
                guess.links.append(urljoin(url, found))
    guess.links = list(dict.fromkeys(guess.links))
    return guess


def nav_candidates(html: str, page_url: str) -> list[str]:
    """Section pages a home page links from its navigation (/research/, /publications/): listing candidates."""
    soup = BeautifulSoup(html, "lxml")
    host = urlsplit(page_url).netloc
    found: list[str] = []
    for a in soup.select("nav a[href], header a[href]"):
        url = urljoin(page_url, str(a["href"])).split("#")[0]
        parts = urlsplit(url)
        depth = len([s for s in parts.path.split("/") if s])
        # /research/, or one level down (/en/publications/, /section/publications): deeper links are items.
        if parts.netloc == host and 1 <= depth <= 2 and not parts.query:
            found.append(url)
    # Sections that usually hold publications first.
    keen = re.compile(r"research|publication|report|paper|analysis|insight|commentary|news|blog|articles?", re.I)
    found = list(dict.fromkeys(found))
    return sorted(found, key=lambda u: not keen.search(path_of(u)))[:_MAX_LISTING_CANDIDATES]


# -- URL shapes ----------------------------------------------------------------------------------------


_LANGUAGE = re.compile(r"[a-z]{2}(-[a-z]{2})?", re.I)


def shape_of(path: str) -> tuple[str, str]:
    """(include regex, label) of a path's shape: its first segment kept, deeper ones any slug."""
    segments = [s for s in path.split("/") if s]
    slash = "/" if path.endswith("/") else ""
    if not segments:
        return "^/$", "/"
    first = segments[0]
    head = r"\d+" if first.isdigit() else re.escape(first)
    label_head = "N" if first.isdigit() else first
    rest = segments[1:]
    if _LANGUAGE.fullmatch(first) and len(rest) >= 2:
        # A language prefix (/en/publications/slug/): the section is the segment after it.
        head, label_head, rest = f"{head}/{re.escape(rest[0])}", f"{label_head}/{rest[0]}", rest[1:]
    if not rest:
        if "." in first:
            return f"^/{head}{slash}$", f"/{label_head}{slash}"
        return f"^/[^/]+{slash}$", f"/*{slash}"
    regex = f"^/{head}" + "/[^/]+" * len(rest) + (f"{slash}$" if slash else "$")
    return regex, f"/{label_head}" + "/*" * len(rest) + slash


# A slug of three words or more is a title in the URL (a person's or topic's name is one or two words).
_TITLED_SLUG = re.compile(r"^[^/]*[a-z0-9][-_][^/]*[-_][^/]*[a-z0-9]$", re.I)
_MIN_TITLED = 5


def group_shapes(urls: dict[Channel, set[str]], base: str) -> list[Shape]:
    """Group the URLs found on the site by shape; propose those feeds or listings point to, or titled by slugs."""
    host = urlsplit(base).netloc.removeprefix("www.")
    shapes: dict[str, Shape] = {}
    for channel, found in urls.items():
        paths = {path_of(u) for u in found if urlsplit(u).netloc.removeprefix("www.") == host}
        for path in sorted(paths):
            regex, label = shape_of(path)
            shape = shapes.setdefault(regex, Shape(regex, label, Counter()))
            shape.counts[channel] += 1
            shape.paths.add(path)
    for shape in shapes.values():
        pointed = [c for c in ("feed", "listing") if shape.counts[c]]
        titled = [p for p in shape.paths if _TITLED_SLUG.match(p.rstrip("/").rsplit("/", 1)[-1])]
        if shape.pattern == "^/$":
            shape.reason = "the home page"
        elif pointed:
            shape.proposed, shape.reason = True, f"linked by {' and '.join(pointed)}"
        elif len(titled) >= _MIN_TITLED and len(titled) >= 0.8 * shape.total:
            # Only in sitemaps, but shaped like publications: many pages with a title for a slug.
            shape.proposed, shape.reason = True, f"{len(titled)} titled slugs"
        else:
            shape.reason = "not in feeds or listings" if shape.counts["sitemap"] else ""
    return sorted(shapes.values(), key=lambda s: (not s.proposed, -s.total, s.pattern))


# -- types ---------------------------------------------------------------------------------------------

_TYPE_WORDS = [
    (re.compile(r"policy brief|brief", re.I), "policy brief"),
    (re.compile(r"working paper", re.I), "working paper"),
    (re.compile(r"report", re.I), "report"),
    (re.compile(r"commentary|opinion|op-ed|blog", re.I), "commentary"),
    (re.compile(r"podcast", re.I), "podcast"),
    (re.compile(r"video", re.I), "video"),
    (re.compile(r"dataset|data set", re.I), "dataset"),
    (re.compile(r"event|webinar", re.I), "event"),
    (re.compile(r"article", re.I), "article"),
]


def type_labels(html_pages: Iterable[str], guess: ListingGuess | None) -> dict[str, str]:
    """Teaser labels seen on the listing that plainly name a document type ("Working Paper" -> working paper)."""
    if guess is None or not guess.type_label:
        return {}
    labels: dict[str, str] = {}
    for html in html_pages:
        for item in Selector(text=html).css(guess.item):
            text = " ".join(" ".join(item.css(guess.type_label).css("::text").getall()).split())
            for pattern, doc_type in _TYPE_WORDS:
                if text and pattern.search(text):
                    labels.setdefault(text, doc_type)
                    break
    return labels


# -- the probe -----------------------------------------------------------------------------------------


def _title(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    site_name = soup.find("meta", property="og:site_name")
    if site_name is not None and site_name.get("content"):
        return str(site_name["content"]).strip()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    return re.split(r"\s[|\-–—]\s", title)[-1].strip() if title else ""


def probe_site(
    url: str, *, origin: str | None = None, user_agent: str, timeout: float = 10.0, delay: float | None = None
) -> Probe:
    """Probe the site of `url` (a home page or a listing page); `origin` serves it in place of the real host.

    `delay`: seconds between requests; by default half a second, none for a copy on this machine.
    """
    base = base_of(url)
    start = url.strip() if urlsplit(url.strip()).path else base + "/"
    local = (origin or base).startswith(("http://127.", "http://localhost", "http://[::1]"))
    fetcher = Fetcher(base, origin, user_agent, timeout, delay=(0.0 if local else 0.5) if delay is None else delay)
    notes: list[str] = []
    try:
        robots = read_robots(fetcher, base)
        home = fetcher.get(base + "/")
        page = fetcher.get(start) if start != base + "/" else home
    except OSError as exc:
        shown = f" (through {origin})" if origin else ""
        raise ProbeError(f"cannot reach {base}{shown}: {exc}; check the address and your connection") from None
    start = page.url  # where redirects led
    if home.ok and base_of(home.url) != base and _same_site(base_of(home.url), base):
        # The site lives at its www (or https) variant: configure that, or the crawl would refuse its own links.
        notes.append(f"{base}/ redirects to {base_of(home.url)}/: that is the base URL")
        base = base_of(home.url)
    if not page.ok:
        raise ProbeError(f"{start} answered HTTP {page.status}; give a page of the site that loads in a browser")
    if "html" not in page.content_type.lower():
        raise ProbeError(f"{start} is not an HTML page ({page.content_type or 'no content type'})")
    if not fetcher.allowed(start):
        notes.append(f"robots.txt disallows {path_of(start)}: the crawl will not fetch it")

    # Sitemaps: those robots.txt names, else the usual places.
    roots = robots.sitemaps or [base + p for p in COMMON_SITEMAPS]
    sitemaps, sitemap_urls = read_sitemaps(fetcher, roots)

    # Feeds: announced by the pages, else the usual places.
    feeds: list[FeedRead] = []
    feed_urls: set[str] = set()
    announced = feed_links(page.text(), start) + (feed_links(home.text(), base + "/") if home.ok else [])
    tried = [(u, "link") for u in dict.fromkeys(announced)] or [(base + p, "common path") for p in COMMON_FEEDS]
    for feed_url, how in tried:
        if not fetcher.allowed(feed_url):
            continue
        read = read_feed(fetcher.get(feed_url))
        if read is not None:
            feeds.append(FeedRead(feed_url, read[0], len(read[1]), how))
            feed_urls.update(read[1])

    # A listing: the page given if it pages on, else a section linked from the home page's navigation that does
    # (a home page's "latest" block rarely pages), else the first page of teasers found.
    listing = read_listing(page.text(), start)
    pages_html = [page.text()]
    # Teasers on the page given count as pointers to publications even when another page is the listing to page.
    teasers = set(listing.links) if listing else set()
    if (listing is None or listing.next is None) and home.ok:
        for candidate in nav_candidates(home.text(), base + "/"):
            if candidate == start or not fetcher.allowed(candidate):
                continue
            got = fetcher.get(candidate)
            found = read_listing(got.text(), candidate) if got.ok else None
            if found is not None and (listing is None or found.next is not None):
                listing, pages_html = found, [got.text()]
            if listing is not None and listing.next is not None:
                break
    if listing is not None:
        listing = follow_listing(fetcher, listing)
        if listing.next is None:
            notes.append(f"the listing {path_of(listing.url)} has no next-page link CSS can select: one page read")

    urls: dict[Channel, set[str]] = {
        "sitemap": set(sitemap_urls),
        "feed": feed_urls,
        "listing": (set(listing.links) if listing else set()) | teasers,
    }
    shapes = group_shapes(urls, base)
    if not any(urls.values()):
        raise ProbeError(
            f"found no sitemap, feed or listing on {base}: robots.txt names no sitemap and none is at "
            f"{', '.join(COMMON_SITEMAPS)}; no feed is linked or at {', '.join(COMMON_FEEDS)}; and {start} has no "
            "repeated teasers. Run again with the URL of the page that lists the publications (e.g. "
            f"{base}/publications/), or write config/sources.d/NAME.yaml by hand (see docs/sources.md)"
        )
    return Probe(
        base_url=base,
        start_url=start,
        title=_title(home.text() if home.ok else page.text()) or urlsplit(base).netloc,
        robots=robots,
        sitemaps=sitemaps,
        feeds=feeds,
        listing=listing,
        urls=urls,
        shapes=shapes,
        type_labels=type_labels(pages_html, listing),
        notes=notes,
    )
