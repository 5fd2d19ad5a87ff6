"""A page's title: the headline as shown, without the site's name (docs/extraction.md, "Fields of a page")."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from extract.metadata import ARTICLE_TYPES, PageMeta
from extract.normalise import clean_title

# Whole class or id tokens only: "site-title" or "navbar-brand" name the site, "article-header-title" does not.
_SITE_TITLE = re.compile(
    r"(?:site|blog|header)[-_]?(?:title|name|logo|brand(?:ing)?)|(?:site[-_]?)?logo\w*|\w*[-_]?brand(?:ing)?|"
    # "masthead", "masthead__logo", not a CSS module's "MastheadArticleSection_content__0TTSi" (an article's hero)
    r"masthead(?:[-_]\w*)?",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"\s+(?:[|–—:»-]|::)\s+")
_HEADLINE_MARK = re.compile(r"(?:entry|post|article|page)[-_]?title|headline", re.IGNORECASE)


def _tokens(el: HtmlElement) -> list[str]:
    return f"{el.get('class', '')} {el.get('id', '')}".split()


def _metadata_titles(meta: PageMeta) -> set[str]:
    """The titles the page's metadata gives the article (JSON-LD headline, og:title), folded, unless they are
    only the site's name (a home page's)."""
    site = " ".join(_unescaped(meta.first("og:site_name") or "").split()).casefold()
    found = (meta.ld("headline", ARTICLE_TYPES), meta.first("og:title"))
    folded = {" ".join(_unescaped(t).split()).casefold().translate(_QUOTES) for t in found if isinstance(t, str)}
    return folded - {site, ""}


def _is_site_title(h1: HtmlElement, named: set[str] | frozenset[str] = frozenset()) -> bool:
    """An <h1> that holds the site's name (a themed header linking home), not the page's headline; `named` are
    the titles the page's metadata gives the article (an <h1> that is one of them is the headline)."""
    text = " ".join(h1.text_content().split()).casefold().translate(_QUOTES)
    if text in named:
        return False  # whatever its classes say ("blogtitle"), the page's metadata names it as the article's title
    words, segments = _words(text), {s for t in named for s in _SEPARATOR.split(t)[1:]}
    if len(words) >= 4 and len(words & _words(" ".join(named))) * 2 >= len(words) and text not in segments:
        # A headline-long <h1> worded like the article's metadata title is the post's own ("blog-title"), unless
        # it is the decoration after a separator there ("About - State of AI newsletter").
        return False
    marks = [h1, *h1.iterdescendants()]
    if any(el.get("itemprop") == "headline" or any(map(_HEADLINE_MARK.fullmatch, _tokens(el))) for el in marks):
        return False  # the theme marks it as the post's own title
    for el in (h1, *h1.iterancestors()):
        if el.tag in ("main", "article", "body", "html"):
            break  # inside the content, or the whole page (body classes say nothing about this <h1>)
        if any(map(_SITE_TITLE.fullmatch, _tokens(el))):
            return True
    return any(urlsplit(a.get("href", "")).path in ("", "/") and a.get("href") for a in h1.iter("a"))


_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "–": "-", "—": "-"})


def _unescaped(text: str) -> str:
    """Entities decoded however many times a CMS escaped them ("&amp;#038;" in a JSON-LD headline is "&")."""
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _continuation_chars() -> str:
    """Characters that a UTF-8 continuation byte (0x80-0xBF) shows as in Latin-1 or Windows-1252."""
    chars = {chr(b) for b in range(0x80, 0xC0)}
    chars |= {bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xC0)} - {""}
    return "".join(sorted(chars))


# A lead byte of a two- to four-byte UTF-8 character (Â, Ã, â, ð ...) and its continuation bytes, as shown.
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{re.escape(_continuation_chars())}]{{1,3}}")


def _as_bytes(char: str) -> int:
    return char.encode("cp1252")[0] if ord(char) > 0xFF else ord(char)


def _unmojibaked(text: str) -> str:
    """UTF-8 read as Latin-1 or Windows-1252 by a CMS ("JOHNSONâ\x80\x99SÂ®") read back ("JOHNSON’S®")."""

    def mend(found: re.Match[str]) -> str:
        try:
            return bytes(map(_as_bytes, found[0])).decode("utf-8")
        except UnicodeDecodeError:
            return found[0]

    return _MOJIBAKE.sub(mend, text)


def _without_lead_name(title: str, names: set[str]) -> str:
    """A title that starts with the site's host name and no separator ("davidbau.com Vibe Coding") without it; a
    brand's name may start the headline ("Docker Hardened Images: …"), a host's does not."""
    folded = title.casefold()
    for name in sorted((n for n in names if "." in n), key=len, reverse=True):
        rest = title[len(name) :].strip()
        if name and folded.startswith(name + " ") and len(rest.split()) >= 2:
            return rest
    return title


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


# What follows a title in an <h1> that is the headline's own subtitle ("Tiny House Living: Why Live in One?").
_SUBTITLE = re.compile(r"\s*[:–—-]\s+\w")


def _mended(garbled: str, title: str) -> bool:
    """The <h1> is `title` with characters its CMS could not encode shown as "?" or U+FFFD ("Beginner? Guide")."""
    if not ("?" in garbled or "\ufffd" in garbled) or garbled == title:
        return False
    pattern = "".join(".{1,3}" if c in "?\ufffd" else re.escape(c) for c in garbled)
    return re.fullmatch(pattern, title) is not None


def _holds(text: str, part: str) -> bool:
    """`part` occurs in `text` as whole words: a <title> cut off mid-word ("… and k") is not inside "… and keyboard"."""
    # The plain substring test first: most parts are not in the text at all, and each pattern is compiled anew.
    return part in text and re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text) is not None


def _headline(tree: HtmlElement, meta: PageMeta, site_names: list[str]) -> str | None:
    """The page's <h1> that the page's own titles name: the headline as shown, without site-name decoration.

    Pages often give search engines a shorter or reworded title, so the <h1> is taken when it shares most of
    its words (or at least two) with the <title>, og:title or JSON-LD headline; of several, the closest. An <h1>
    that holds a title plus a kicker or byline ("Tunesien Große Aufgaben …") gives that title.
    """
    folded_names = {n.casefold() for n in site_names}
    named = _metadata_titles(meta)
    raw = [meta.first("og:title", "twitter:title"), tree.findtext(".//title"), meta.ld("headline", ARTICLE_TYPES)]
    titles = [clean_title(t, site_names) for t in raw if isinstance(t, str) and t.strip()]
    folded = [t.casefold().translate(_QUOTES) for t in titles]
    joined = " | ".join(html.unescape(t).casefold().translate(_QUOTES) for t in raw if isinstance(t, str))
    title_words = _words(joined)
    best: tuple[float, str] | None = None
    for h1 in tree.iter("h1"):
        lines = _lines(h1)
        text = clean_title(" ".join(lines), [])
        key = text.casefold().translate(_QUOTES)
        if len(lines) > 1 and key not in joined:
            # A headline set on lines of their own (a kicker, a subtitle, a byline under it): the line a title
            # names is the headline; when none is, the page's own title words it better than the arrangement.
            named_lines = [ln for ln in lines if len(ln.split()) >= 2 and ln.casefold().translate(_QUOTES) in joined]
            if not named_lines:
                continue
            line = max(named_lines, key=len)  # a kicker or the site's name beside the headline is the shorter
            text = clean_title(line, [])
            key = text.casefold().translate(_QUOTES)
        words = _words(text)
        if not 3 <= len(text) <= 300 or key in folded_names or _is_site_title(h1, named):
            continue
        garbled = next((t for t, f in zip(titles, folded, strict=True) if _mended(key, f)), None)
        if garbled:
            text, key = garbled, garbled.casefold().translate(_QUOTES)
        inside = [
            t
            for t, f in zip(titles, folded, strict=True)
            if len(f.split()) >= 2 and _holds(key, f) and not _SUBTITLE.match(key.removeprefix(f))
        ]
        if key in joined:
            # Named as is by a title: the longest such <h1> wins. A lone word is a headline when a title is it
            # or starts with it ("Resources" for "Resources Archive"); one from the middle of a title ("Discord"
            # in "How we pwned X, Discord, and hundreds of companies") is a section heading of the text.
            if len(words) < 2 and not any(f == key or f.startswith(key + " ") for f in folded):
                continue
            found = (2.0 + len(words) / 1000, text)
        elif inside:
            held = max(inside, key=len)
            found = (1.5, text if _with_year(text, held) else held)
        else:
            shared = len(words & title_words)
            score = shared / len(words) if words else 0.0
            # A paragraph in an <h1> (a teaser of 30 words) shares words with any title without being one.
            if not (score >= 0.5 or shared >= 2) or len(text.split()) > 25:
                continue
            found = (score, text)
        if best is None or found[0] > best[0]:
            best = found
    if best is None:
        return None
    # A title that is the <h1> plus the year it is for ("… for Seniors in 2025") says which edition it is.
    return next((t for t in titles if _with_year(t, best[1])), best[1])


_YEAR = re.compile(r"(?:(?:in|for|of)\s+)?(?:19|20)\d\d")


def _with_year(longer: str, shorter: str) -> bool:
    """`longer` is `shorter` with a year before or after it ("2025 Price Guide", "Best Tutors in 2025")."""
    long, short = _sequence(longer), _sequence(shorter)
    if len(short) < 2 or len(long) <= len(short):
        return False
    if long[: len(short)] == short:
        return _YEAR.fullmatch(" ".join(long[len(short) :])) is not None
    return long[-len(short) :] == short and re.fullmatch(r"(?:19|20)\d\d", " ".join(long[: -len(short)])) is not None


def _sequence(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


_BLOCKS = frozenset({"br", "div", "p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "time", "address"})


def _lines(h1: HtmlElement) -> list[str]:
    """The <h1>'s text by the lines it is set on: a <br> or a block child ("<span class='block'>") starts one."""
    out = [h1.text or ""]

    def walk(el: HtmlElement) -> None:
        for child in el:
            breaks = isinstance(child.tag, str) and (child.tag in _BLOCKS or "block" in _tokens(child))
            if breaks:
                out.append("")
            if isinstance(child.tag, str):
                out[-1] += child.text or ""
                walk(child)
            if breaks:
                out.append("")
            out[-1] += child.tail or ""

    walk(h1)
    return [" ".join(line.split()) for line in out if line.split()]


def page_title(
    tree: HtmlElement,
    meta: PageMeta,
    url: str,
    *,
    selected: list[str] | None = None,
    site_name: str | None = None,
    fallback: Callable[[], Any] = lambda: None,
) -> str:
    """The title: a source selector's text > the <h1> the page's titles name > JSON-LD headline > og:title >
    `fallback` (trafilatura's) > <title>; a candidate that is only the site's name or has no letters is skipped;
    the site's name is cut from the ends (a host's name from the start without a separator too), and what
    follows a pipe after a title of three words or more."""
    site_names = [n for n in (site_name, meta.first("og:site_name"), meta.ld("name", ("WebSite",)),
                              urlsplit(url).hostname) if isinstance(n, str)]  # fmt: skip
    # A theme's site-title <h1> names the site too: "seelenradio » Nummer zwei: Leo" is then the post's title.
    named = _metadata_titles(meta)
    site_names += [name for h1 in tree.iter("h1") if _is_site_title(h1, named) and (name := h1.text_content().strip())]
    folded_names = {" ".join(n.split()).casefold() for n in site_names}
    folded_names |= {n.removeprefix("www.") for n in folded_names}
    candidates: list[Callable[[], Any]] = [
        lambda: next(iter(selected or []), None),
        lambda: _headline(tree, meta, sorted(folded_names)),
        lambda: meta.ld("headline", ARTICLE_TYPES) or meta.ld("name", ARTICLE_TYPES),
        lambda: meta.first("og:title", "twitter:title", "citation_title", "dc.title"),
        fallback,
        lambda: tree.findtext(".//title"),  # trafilatura prefers og:title, which may be only the site's name
    ]
    # A candidate that is only the site's name (a blog's og:title, a CMS's JSON-LD) or has no letters says nothing.
    first_title = ""
    for candidate in candidates:
        value = candidate()
        if not (isinstance(value, str) and value.strip()):
            continue
        cleaned = _without_lead_name(clean_title(_unmojibaked(_unescaped(value)), site_names), folded_names)
        # What follows a pipe is the page's decoration (a section, a tagline, a brand clean_title did not know),
        # whichever candidate it came from: an SEO plugin's title pasted into the <h1> carries it too.
        head, bar, tail = cleaned.partition(" | ")
        if bar and len(head.split()) <= 2 and len(tail.split()) >= 4 and " | " not in tail:
            head = tail  # a name of a word or two first ("The Agency | ML at Georgia Tech") is the site's
        cleaned = head if bar and len(head.split()) >= 3 else cleaned
        first_title = first_title or cleaned
        if cleaned.casefold() not in folded_names and any(c.isalpha() for c in cleaned):
            return cleaned
    return first_title
