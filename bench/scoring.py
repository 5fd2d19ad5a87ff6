"""How extraction is scored against real pages' ground truth: one module for the bench and the quality gate.

Rules (bench/README.md explains them):
- body: WCXB's word-level F1: lower-cased `\\w+` tokens, multiset overlap, per page; a mean over pages.
- title: the same words in the same order (case, punctuation, quotes and spacing ignored).
- date: the same calendar date (the first YYYY-MM-DD of each).
- author: names split at `;`, `,`, "and", "&", each compared case-folded with spaces collapsed; "same set" when
  both sets are equal, "overlap" when they share a name.
- page kind: migdigest's kinds and WCXB's types folded into publication / index / other.
Fields are scored only on pages whose ground truth has a value for them.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Coarse = str  # "publication" | "index" | "other"

# WCXB page types, and what the digest does with each.
WCXB_KIND = {
    "article": "publication",
    "listing": "index",
    "collection": "index",
    "service": "other",
    "product": "other",
    "forum": "other",
    "documentation": "other",
}
# migdigest page kinds (extract/page.py, or a finer extract/page_kind.py) folded the same way; unknown names
# count as "other", so a new kind is scored without a change here.
_PUBLICATION = {"article", "publication"}
_INDEX = {"listing", "collection", "archive", "tag", "author", "search", "index", "category"}


def coarse_kind(kind: str | None) -> Coarse:
    """publication, index or other, for a migdigest page kind or a WCXB page type."""
    name = (kind or "").lower()
    if name in WCXB_KIND:
        return WCXB_KIND[name]
    if name in _PUBLICATION:
        return "publication"
    return "index" if name in _INDEX else "other"


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str | None) -> list[str]:
    """Lower-cased `\\w+` tokens, as WCXB's scorer makes them."""
    return _WORD.findall(unicodedata.normalize("NFC", text or "").lower())


def word_f1(truth: str | None, pred: str | None) -> tuple[float, float, float]:
    """(precision, recall, F1) of the predicted body's words against the truth's, as multisets."""
    t, p = Counter(words(truth)), Counter(words(pred))
    if not t and not p:
        return 1.0, 1.0, 1.0
    if not t or not p:
        return 0.0, 0.0, 0.0
    overlap = sum((t & p).values())
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    return precision, recall, (2 * precision * recall / (precision + recall) if overlap else 0.0)


def title_match(truth: str, pred: str | None) -> bool:
    """Same words in the same order."""
    return bool(pred) and words(truth) == words(pred)


def date_match(truth: str, pred: str | None) -> bool:
    """Same calendar date."""
    found = re.search(r"\d{4}-\d{2}-\d{2}", pred or "")
    return found is not None and found[0] == truth.strip()[:10]


def author_names(value: str | Iterable[str] | None) -> set[str]:
    """A set of case-folded names from a string ("A, B and C") or a list of names."""
    items = [value] if isinstance(value, str) else list(value or [])
    parts = [p for item in items for p in re.split(r";|,|\s+(?:and|und|et|y)\s+|\s*&\s*", item)]
    return {" ".join(unicodedata.normalize("NFC", p).split()).casefold() for p in parts if p.strip()}


def author_match(truth: str | Iterable[str], pred: Iterable[str] | str | None, *, strict: bool) -> bool:
    """Same set of names (strict), or at least one name in common."""
    gold, got = author_names(truth), author_names(pred)
    if not got:
        return False
    return got == gold if strict else bool(got & gold)


@dataclass
class Truth:
    """What a benchmark says about one page; empty where it says nothing."""

    body: str = ""
    title: str = ""
    date: str = ""
    author: str = ""
    kind: str = ""  # the benchmark's page type ("" when every page is an article)


@dataclass
class Guess:
    """What one extractor made of one page."""

    body: str | None = None  # None when it raised
    title: str = ""
    date: str = ""
    authors: list[str] = field(default_factory=list)
    kind: str | None = None  # None when the extractor does not tell


FIELDS = ("body_f1", "title", "date", "author", "author_strict", "kind")


def score(truth: Truth, guess: Guess) -> dict[str, float]:
    """Per-page scores: body_f1 in [0, 1]; the others 1.0 or 0.0, present only where the truth has a value."""
    out = {"body_f1": word_f1(truth.body, guess.body)[2]} if truth.body else {}
    if truth.title:
        out["title"] = float(title_match(truth.title, guess.title))
    if truth.date:
        out["date"] = float(date_match(truth.date, guess.date))
    if truth.author:
        out["author"] = float(author_match(truth.author, guess.authors, strict=False))
        out["author_strict"] = float(author_match(truth.author, guess.authors, strict=True))
    if truth.kind and guess.kind is not None:
        out["kind"] = float(coarse_kind(truth.kind) == coarse_kind(guess.kind))
    return out


def mean_scores(pages: Iterable[Mapping[str, float]]) -> dict[str, tuple[float, int]]:
    """Mean and count of each field over the pages that have it."""
    found: dict[str, list[float]] = {}
    for page in pages:
        for key, value in page.items():
            found.setdefault(key, []).append(value)
    return {key: (statistics.fmean(values), len(values)) for key, values in found.items()}


def index_rates(pairs: Iterable[tuple[str, str | None]]) -> dict[str, float]:
    """From (truth kind, guessed kind): the share of index pages recognised as index, and the share of
    publications taken for index pages (the two rates issue 16 sets targets for)."""
    index_hits = index_total = pub_lost = pub_total = 0
    for truth, guess in pairs:
        if guess is None:
            continue
        t, g = coarse_kind(truth), coarse_kind(guess)
        if t == "index":
            index_total += 1
            index_hits += g == "index"
        elif t == "publication":
            pub_total += 1
            pub_lost += g == "index"
    return {
        "index_recognised": index_hits / index_total if index_total else 0.0,
        "publications_as_index": pub_lost / pub_total if pub_total else 0.0,
    }


def migdigest_guess(html: bytes, url: str) -> Guess:
    """migdigest's extractor on one page (no source configuration, no hints), as a Guess."""
    from extract.page import extract_page  # here, so that scoring alone imports no extractor

    ex = extract_page(html, url)
    return Guess(body=ex.body, title=ex.title, date=ex.published or "", authors=list(ex.authors), kind=ex.page_type)


def held_out(key: str) -> bool:
    """The half of a benchmark's pages kept out of tuning, fixed by a hash of the page's id."""
    import hashlib

    return hashlib.sha256(key.encode()).digest()[0] % 2 == 1
