"""The date a page shows next to its headline ("By A. Writer · March 4, 2025"), read from the text itself."""

from __future__ import annotations

import re
from datetime import date

from lxml.html import HtmlElement

# Month names in the languages the digest reads (English, German, French, Spanish); a name may be shortened to
# three letters or more ("Sept", "Dez.", "févr."), but "Marketing" is no month.
_MONTH_NAMES = [
    ("january", "januar", "janvier", "enero"), ("february", "februar", "février", "febrero"),
    ("march", "märz", "mars", "marzo"), ("april", "avril", "abril"), ("may", "mai", "mayo"),
    ("june", "juni", "juin", "junio"), ("july", "juli", "juillet", "julio"), ("august", "août", "agosto"),
    ("september", "septembre", "septiembre", "setiembre"), ("october", "oktober", "octobre", "octubre"),
    ("november", "novembre", "noviembre"), ("december", "dezember", "décembre", "diciembre"),
]  # fmt: skip
_MONTH = r"([^\W\d_]{3,10})\.?"
_YEAR = r"((?:19|20)\d\d)(?!\d)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|er|º|\.)?"
_DATE = re.compile(
    rf"(?<!\w){_MONTH}\s+{_DAY},?\s+{_YEAR}"  # March 4, 2025
    # 4 March 2025, 4. März 2025, 4 de marzo de 2025
    rf"|(?<!\w){_DAY}\s+(?:de\s+|of\s+)?{_MONTH},?\s+(?:de\s+)?{_YEAR}"
    rf"|(?<!\d)((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)"  # 2025-03-04
    rf"|(?<![\d/.])(\d{{1,2}})([/.])(\d{{1,2}})[/.]{_YEAR}",  # 03/04/2025, 4.3.2025
    re.IGNORECASE,
)

# How much text around the headline holds its dateline: the byline and date come right after the <h1> (or just
# before it, above the headline), before the body starts.
AFTER_CHARS = 400
BEFORE_CHARS = 150
_TEXT = "not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript) and not(ancestor::head)"


def _month(name: str) -> int | None:
    name = name.lower()
    for number, names in enumerate(_MONTH_NAMES, 1):
        if any(full.startswith(name) for full in names) and (len(name) >= 3 or name == "mai"):
            return number
    return None


def first_date(text: str, *, month_first: bool | None = None) -> str | None:
    """The first calendar date written in `text`, as YYYY-MM-DD. Numbers alone ("03/10/2023") are read month
    first when `month_first`, day first when it is False, and skipped when it is None and both could be the
    month: a page that says only "en" writes them either way."""
    for m in _DATE.finditer(text):
        g = m.groups()
        try:
            if g[0]:
                month, day, year = _month(g[0]), int(g[1]), int(g[2])
            elif g[3]:
                month, day, year = _month(g[4]), int(g[3]), int(g[5])
            elif g[6]:
                year, month, day = int(g[6]), int(g[7]), int(g[8])
            else:
                a, b, year = int(g[9]), int(g[11]), int(g[12])
                if a > 12 or b > 12:
                    day_first = a > 12
                elif month_first is None:
                    continue
                else:
                    day_first = not month_first
                day, month = (a, b) if day_first else (b, a)
            if month:
                return date(year, month, day).isoformat()
        except ValueError:
            continue
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def headline(tree: HtmlElement, title: str) -> HtmlElement | None:
    """The <h1> that shows `title`, else the page's first <h1>."""
    h1s = list(tree.iter("h1"))
    wanted = _words(title)
    return next((h for h in h1s if _words(h.text_content()) == wanted), h1s[0] if h1s else None)


def _text(nodes: list[str], limit: int, *, backwards: bool = False) -> str:
    """The text of `nodes` up to about `limit` characters; from the last node back when `backwards`."""
    kept, size = [], 0
    for node in reversed(nodes) if backwards else nodes:
        kept.append(str(node))
        size += len(node.strip())
        if size >= limit:
            break
    return " ".join(" ".join(reversed(kept) if backwards else kept).split())


def _month_first(tree: HtmlElement) -> bool | None:
    """How the page writes numeric dates: month first in American English, day first in any other language or
    region it names, unknown (None) when it says only "en" or nothing."""
    root = tree.getroottree().getroot()
    lang = (root.get("lang") or root.get("xml:lang") or "").strip().lower().replace("_", "-")
    if lang in ("", "en"):
        return None
    return lang == "en-us"


def headline_date(tree: HtmlElement, title: str) -> str | None:
    """The first date in the text right after the headline (its dateline), else in the text just above it."""
    h1 = headline(tree, title)
    if h1 is None:
        return None
    month_first = _month_first(tree)
    after = h1.xpath(f"(following::text()[{_TEXT}])[position() <= 60]")
    found = first_date(_text(after, AFTER_CHARS), month_first=month_first)
    if found:
        return found
    before = h1.xpath(f"(preceding::text()[{_TEXT}])[position() > last() - 30]")
    return first_date(_text(before, BEFORE_CHARS, backwards=True), month_first=month_first)
