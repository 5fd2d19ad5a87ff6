"""Pure normalisers: canonical URLs, dates, author names, titles, document types."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import urlsplit

from courlan import normalize_url
from htmldate.extractors import try_date_expr
from w3lib.url import url_query_cleaner

# Query parameters that identify a visit, not a page.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
    "fbclid", "gclid", "mc_cid", "mc_eid", "_ga", "ref", "share",
)  # fmt: skip


def canonical_url(url: str, scheme: str = "https") -> str:
    """Identity of a page: the site's scheme, no www variance, no tracking params, no fragment or trailing slash."""
    # `scheme` is the site's own (its base_url's): an http-only site keeps http, so its links keep working.
    url = url_query_cleaner(url, TRACKING_PARAMS, remove=True)
    url = normalize_url(url, strict=False, trailing_slash=False)
    url = re.sub(r"^https?://", f"{scheme}://", url)
    return re.sub(rf"^{scheme}://www\.", f"{scheme}://", url)


def bare_host(host: str | None) -> str:
    """A host name compared as the digest does: lower case, without a leading 'www.'."""
    return (host or "").lower().rstrip(".").removeprefix("www.")


def trusted_canonical(canonical: str | None, page_url: str, aliases: Iterable[str] = ()) -> str | None:
    """A page's rel=canonical if it may name the page's identity, else None.

    Trusted only as an http(s) URL on the page's own host or a host the source declares as its own (`aliases`):
    a canonical naming another site would let one page take over another source's publication.
    """
    if not canonical:
        return None
    try:
        parts = urlsplit(canonical.strip())
        host = parts.hostname  # parsed, so "https://a.org@evil.example/" is evil.example, not a.org
    except ValueError:  # an invalid IPv6 literal or port
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    own = {bare_host(urlsplit(page_url).hostname), *(bare_host(a) for a in aliases)}
    return canonical.strip() if bare_host(host) in own else None


_MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip


def parse_date(text: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) from a machine or human date string, or None."""
    if not text:
        return None
    text = text.strip()
    iso = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3])).isoformat()
        except ValueError:
            return None
    for fmt in ("%a, %d %b %Y %H:%M:%S %z", "%a, %d %b %Y %H:%M:%S %Z", "%B %d, %Y", "%d %B %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            pass
    month_year = re.match(r"^([A-Za-z]+)\.?\s+(\d{4})$", text)
    if month_year and month_year[1].lower() in _MONTHS:
        return f"{month_year[2]}-{_MONTHS.index(month_year[1].lower()) + 1:02d}-01"
    try:
        found = try_date_expr(text, "%Y-%m-%d", False, datetime(1990, 1, 1), datetime.now())
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None  # a date we cannot read must never cost the page its body
    return str(found) if found else None


# Byline lead-ins in the languages the digest reads: "By", "Written by", WordPress's "View all posts by" and
# their German, French and Spanish forms. A bare "von" goes only before a whole name ("von Daniela Obers"),
# never from one ("Von Trapp").
_AUTHOR_NOISE = re.compile(
    r"^(?:by|authors?|autor(?:in)?|autor/in|auteur|written by|posted by|published by|par|por|écrit par|rédigé par|"
    r"escrito por|publicado por|(?:ein )?(?:beitrag|artikel|text) von|geschrieben von|verfasst von|"
    r"(?:view|see) all posts by|(?:zeige )?alle beiträge von|voir tous les articles (?:de|par)|"
    r"ver todas las entradas de|von(?=\s+\S+\s+\S))\s*[:]?\s+"
    r"|\s*\((?:[^)]*)\)$|\s*email the author$|\s*→$",
    re.IGNORECASE,
)


# Words that make a byline fragment a job title or an organisation rather than a person.
_NOT_A_PERSON = re.compile(
    r"\b(senior|junior|associate|analyst|director|fellow|president|researcher|officer|manager|professor|"
    r"policy|program|programme|head|chief|editor|staff|team|institute|centre|center|university|"
    r"contributor|consultant|coordinator|lead|deputy|vice|intern|email|twitter|admin|administrator|webmaster|"
    r"writer|co-founder|founder|ceo|journalist|reporter|correspondent|columnist|"
    r"redaktion)\b|^red$",
    re.IGNORECASE,
)


_JOB_TITLE = re.compile(
    r"\b(senior|junior|associate|analyst|director|fellow|president|researcher|officer|manager|professor|head|"
    r"chief|editor|consultant|coordinator|lead|deputy|vice|intern|contributor|"
    r"writer|co-founder|founder|ceo|journalist|reporter|correspondent|columnist|contributing|staff)\b",
    re.IGNORECASE,
)
_ORGANISATION = re.compile(r"\b(institute|centre|center|university|council|initiative|network|programme)\b", re.I)


_NAME_ABBREVIATION = re.compile(r"(?:^|\s)(?:\w|Jr|Sr|Ph\.?D|M\.?D|Esq)\.$", re.IGNORECASE)


def clean_authors(names: list[str]) -> list[str]:
    """Split, strip bylines and roles, and de-duplicate person names, keeping their order."""
    out: list[str] = []
    for raw in names:
        # Entities first: "Redacci&oacute;n" must not be split at its semicolon.
        for part in re.split(r";|,|\s+and\s+|\s*&\s*|\s+y\s+|\s+et\s+|\n|\|", html.unescape(raw or "")):
            name = _AUTHOR_NOISE.sub("", " ".join(part.split())).strip(" ,:'\"“”‘’«»")
            # A sentence's full stop goes; an abbreviation's stays ("Perry Bacon Jr.", "Mary J.").
            if name.endswith(".") and not _NAME_ABBREVIATION.search(name):
                name = name.rstrip(".")
            role = _JOB_TITLE.search(name)
            if role and len(name[: role.start()].split()) >= 2 and not _ORGANISATION.search(name):
                name = name[: role.start()].strip(" ,.:-–—|")  # "Marta Foresti Senior Research Associate"
            if (
                name
                and len(name) <= 60
                and len(name.split()) <= 5
                and any(c.isalpha() for c in name)
                and not any(c.isdigit() for c in name)  # a byline's date or time, or an account ("user5105")
                and not _NOT_A_PERSON.search(name)
                and not re.search(r"https?:|www\.|@|\[at\]|\.(com|org|net)\b", name)
                and name not in out
            ):
                out.append(name)
    return out


# WordPress's classic themes title a post "Site » Blog Archive » Post", in the blog's language.
_BLOG_DECORATION = {"blog archive", "blog archiv", "archives du blog", "archivo del blog"}


def clean_title(title: str, site_names: list[str]) -> str:
    """Strip a site-name prefix or suffix such as ' | migrationpolicy.org', keeping the rest as written."""
    # Entities escaped twice by a CMS ("&#8222;Sturm&#8220;") and soft hyphens are not part of a title.
    # NFC, so that a title compares and searches alike however the page composed its accents and Indic letters.
    title = unicodedata.normalize("NFC", " ".join(html.unescape(title).replace("\xad", "").split()))
    lowered = {s.lower() for s in site_names if s} | _BLOG_DECORATION
    # Segments between separators, with their spans, so that what is kept keeps its own dashes.
    cuts = [m.span() for m in re.finditer(r"\s+[|–—:-]\s+|\s+::\s+|\s+»\s+", title)]
    if not cuts:
        return title
    bounds = [0, *(c for span in cuts for c in span), len(title)]
    segments = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]

    hosts = [_host_letters(name) for name in site_names if name and re.fullmatch(r"[\w.-]+\.[a-z]{2,}", name.lower())]

    def decoration(span: tuple[int, int]) -> bool:
        text = title[span[0] : span[1]].strip()
        return text.lower() in lowered or _looks_like_host(text) or any(_names_host(text, h) for h in hosts if h)

    while len(segments) > 1 and decoration(segments[-1]):
        segments.pop()
    while len(segments) > 1 and decoration(segments[0]):
        segments.pop(0)
    return title[segments[0][0] : segments[-1][1]].strip()


def _ascii_letters(text: str) -> str:
    """Lower-case ASCII letters and digits only: "JOHNSON'S®" is "johnsons", "Café" is "cafe"."""
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).lower())


def _host_letters(host: str) -> str:
    """A host's name without "www." and its public suffix, as letters: "blog.rust-lang.org" is "blogrustlang"."""
    labels = host.lower().removeprefix("www.").split(".")
    labels = labels[:-1] if len(labels) > 1 else labels
    if len(labels) > 1 and len(labels[-1]) <= 3 and labels[-1] in ("co", "com", "org", "net", "ac", "gov", "edu"):
        labels = labels[:-1]  # example.co.uk
    return _ascii_letters("".join(labels))


def _names_host(text: str, host: str) -> bool:
    """A title segment that spells the site's address: "Rust Blog" on blog.rust-lang.org, "Supermove" on
    supermove.com: every word of it is in the host name (one of them at least three letters long)."""
    parts = [_ascii_letters(w) for w in text.split()]
    parts = [p for p in parts if p]
    if not parts or len(parts) > 4:
        return False
    return (_ascii_letters(text) in host and len(_ascii_letters(text)) >= 3) or (
        all(p in host for p in parts) and any(len(p) >= 3 for p in parts)
    )


def _looks_like_host(text: str) -> bool:
    return bool(re.fullmatch(r"(www\.)?[a-z0-9-]+(\.[a-z]{2,})+", text.strip().lower()))


def word_count(text: str) -> int:
    """Number of words in `text`."""
    return len(re.findall(r"\w+", text))
