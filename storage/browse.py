"""The analyst's search page: filter, rank, page and count facets exactly over any set of publications.

Every publication's facet values (publisher, type, topics, regions, year, language, authors, dates) are held in
memory as numpy arrays, loaded once from a covering index and the link tables (migration 9) and reloaded when
`browse_state.version` moves. A request then costs:

- the matching ids from FTS5 (one `group_concat(rowid)`, a few ms even for a word in every publication);
- filters, facet counts and the newest-first order as array operations over at most every publication (exact
  counts for every query, whatever it matches; facets are disjunctive: a facet's counts ignore its own filter);
- relevance: bm25 over every match when there are at most RANK_ALL; above that bm25 over the matches in the
  title only (a title hit weighs 10x a body hit), and the other matches follow newest first. This bounds the cost
  of ranking a common word by its title matches instead of every match (bm25 over 100,000 matches: ~200 ms);
- the page's rows by id, and their snippets made in a private in-memory FTS5 table holding only those rows (a
  `rowid =` lookup in the digest's index re-reads a common word's whole doclist: ~5 ms a row).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from storage.search import RANK, QueryError, build_match
from storage.snippets import FTS_SNIPPETS_UP_TO, Texts, fts_snippets, lead, snippets

Sort = Literal["relevance", "newest"]
Ranking = Literal["all", "title", "none"]
FacetName = Literal["publisher", "type", "topic", "region", "year", "language", "author"]
FACETS: tuple[FacetName, ...] = ("publisher", "type", "topic", "region", "year", "language", "author")
LABELS: dict[str, str] = {
    "publisher": "Publisher",
    "type": "Type",
    "topic": "Topic",
    "region": "Region",
    "year": "Year",
    "language": "Language",
    "author": "Author",
}
# Language names for the facet (the value stays the ISO 639-1 code the extractor stores).
LANGUAGES = {"ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fa": "Persian", "fr": "French",
             "it": "Italian", "ja": "Japanese", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "ru": "Russian",
             "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese"}  # fmt: skip
# Above this many matches bm25 is computed over the title matches only (see the module's docstring).
RANK_ALL = 5_000
PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
HIT_START = "\ue000"
HIT_END = "\ue001"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class BrowseError(ValueError):
    """A request the page cannot run: the message says what is wrong and how to write it."""


@dataclass(frozen=True, slots=True)
class BrowseQuery:
    """What the analyst asked for: text, filters (OR within a facet, AND across), dates, order and page."""

    q: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    since: str | None = None  # published on or after (YYYY-MM-DD)
    until: str | None = None  # published on or before
    added: str | None = None  # new in the digest since (first seen on or after)
    sort: Sort | None = None  # None: relevance with a query, newest without
    page: int = 1
    size: int = PAGE_SIZE

    @property
    def order(self) -> Sort:
        """The order in force."""
        if self.sort is not None:
            return self.sort
        return "relevance" if self.q.strip() else "newest"


@dataclass(frozen=True, slots=True)
class Hit:
    """One publication on a page; `snippet` marks query hits with HIT_START and HIT_END."""

    id: int
    title: str
    url: str
    canonical_url: str
    source: str
    publisher: str
    doc_type: str
    published: str | None
    language: str | None
    authors: list[str]
    topics: list[str]
    regions: list[str]
    status: str
    snippet: str
    score: float | None


@dataclass(frozen=True, slots=True)
class FacetValue:
    """A facet value with its count over the current selection (its own facet's filter left out)."""

    value: str
    label: str
    count: int
    selected: bool


@dataclass(slots=True)
class BrowseResult:
    """One page of results, the exact total, every facet, and what the page needs to explain itself."""

    query: BrowseQuery
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    matches: int | None  # publications the text matches before filters (None without a query)
    ranking: Ranking
    ranked: int  # how many of `total` are in relevance order (the rest follow newest first)
    newest: str | None  # the newest publication date in the whole digest
    documents: int  # publications in the digest
    pages: int


def parse_date(value: str | None, name: str) -> str | None:
    """A YYYY-MM-DD date that exists, or None for empty; BrowseError naming the field otherwise."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if not _ISO_DATE.match(text):
            raise ValueError
        date.fromisoformat(text)
    except ValueError:
        raise BrowseError(f"{name}: {text[:40]!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-05-31") from None
    return text


# --- the in-memory facet index ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Multi:
    """A many-valued facet as (row, value code) pairs sorted by row, with where each row's pairs start."""

    rows: IntArray
    codes: IntArray
    names: list[str]
    starts: IntArray  # row -> index of its first pair (length: rows + 1)

    @classmethod
    def of(cls, rows: IntArray, codes: IntArray, names: list[str], n: int) -> _Multi:
        """Pairs in row order, indexed."""
        order = np.argsort(rows, kind="stable")
        rows, codes = rows[order], codes[order]
        return cls(rows, codes, names, np.searchsorted(rows, np.arange(n + 1)).astype(np.int64))

    def codes_of(self, selected: IntArray) -> IntArray:
        """The value codes of these rows (all their pairs), without touching the others."""
        first, last = self.starts[selected], self.starts[selected + 1]
        sizes = last - first
        total = int(sizes.sum())
        if not total:
            return np.zeros(0, dtype=np.int64)
        # Positions first..last-1 of every selected row, in one vector.
        offsets = np.repeat(first - np.cumsum(sizes) + sizes, sizes)
        return self.codes[offsets + np.arange(total)]


@dataclass(slots=True)
class _Index:
    version: int
    ids: IntArray
    position: IntArray  # id -> row, -1 where no document
    published: npt.NDArray[np.str_]  # first 10 characters, "" when undated
    first_seen: npt.NDArray[np.str_]
    newest_order: IntArray  # rows, newest first (undated last), then highest id first
    single: dict[str, tuple[IntArray, list[str]]]  # facet -> (code per row, value names)
    multi: dict[str, _Multi]
    publishers: dict[str, str]  # source name -> title
    newest: str | None

    def rows_of(self, ids: IntArray) -> IntArray:
        ids = ids[(ids >= 0) & (ids < len(self.position))]
        rows = self.position[ids]
        return rows[rows >= 0]


_CACHE: dict[str, _Index] = {}
_CACHE_LOCK = threading.Lock()


def _codes(values: Sequence[str | None]) -> tuple[IntArray, list[str]]:
    names = sorted({v for v in values if v})
    lookup = {name: code for code, name in enumerate(names)}
    return np.array([lookup.get(v or "", -1) for v in values], dtype=np.int64), names


def _load_index(conn: sqlite3.Connection, version: int) -> _Index:
    rows = conn.execute(
        "SELECT id, published, source, doc_type, language, first_seen FROM documents INDEXED BY documents_browse"
    ).fetchall()
    n = len(rows)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    position = np.full(int(ids.max()) + 1 if n else 1, -1, dtype=np.int64)
    position[ids] = np.arange(n, dtype=np.int64)
    published = np.array([(r[1] or "")[:10] for r in rows], dtype="U10")
    first_seen = np.array([(r[5] or "")[:10] for r in rows], dtype="U10")
    years = [r[1][:4] if r[1] and r[1][:4].isdigit() else None for r in rows]
    single = {
        "publisher": _codes([r[2] for r in rows]),
        "type": _codes([r[3] for r in rows]),
        "language": _codes([r[4] for r in rows]),
        "year": _codes(years),
    }
    multi: dict[str, _Multi] = {}
    for facet, link, column, names_table in (
        ("topic", "document_topics", "topic_id", "topics"),
        ("region", "document_regions", "region_id", "regions"),
        ("author", "document_authors", "author_id", "authors"),
    ):
        names = dict(conn.execute(f"SELECT id, name FROM {names_table}").fetchall())
        ordered = sorted(names.values())
        code_of = {name: code for code, name in enumerate(ordered)}
        pairs = conn.execute(f"SELECT document_id, {column} FROM {link}").fetchall()
        doc = np.array([p[0] for p in pairs], dtype=np.int64)
        codes = np.array([code_of[names[p[1]]] for p in pairs], dtype=np.int64)
        keep = (doc < len(position)) & (position[np.minimum(doc, len(position) - 1)] >= 0)
        multi[facet] = _Multi.of(position[doc[keep]], codes[keep], ordered, n)
    # Newest first: dated before undated, then published descending, then the highest id first.
    newest_order = np.lexsort((-ids, _descending(published), published == "")) if n else ids
    publishers = {name: title or name for name, title in conn.execute("SELECT name, title FROM sources")}
    newest = str(published[newest_order[0]]) if n and published[newest_order[0]] else None
    return _Index(version, ids, position, published, first_seen, newest_order, single, multi, publishers, newest)


def _descending(values: npt.NDArray[np.str_]) -> IntArray:
    """Sort keys that order strings from largest to smallest."""
    _, inverse = np.unique(values, return_inverse=True)
    return -inverse.astype(np.int64)


def _index(conn: sqlite3.Connection) -> _Index:
    """The facet index of this connection's database, reloaded when the digest's publications changed."""
    path = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "") or f"{id(conn)}"
    version = int(conn.execute("SELECT version FROM browse_state").fetchone()[0])
    cached = _CACHE.get(path)
    if cached is not None and cached.version == version:
        return cached
    with _CACHE_LOCK:
        cached = _CACHE.get(path)
        if cached is None or cached.version != version:
            cached = _load_index(conn, version)
            _CACHE[path] = cached
        return cached


# --- the request --------------------------------------------------------------------------------------------


def _match_rows(conn: sqlite3.Connection, index: _Index, match: str) -> IntArray:
    # One row with every id: fetching 100,000 one-column rows through the sqlite3 module costs 3x as much.
    text = conn.execute(
        "SELECT group_concat(rowid) FROM documents_fts WHERE documents_fts MATCH ?", [match]
    ).fetchone()[0]
    return index.rows_of(_ids(text))


def _ids(text: str | None) -> IntArray:
    """The ids of a `group_concat(rowid)`."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def _facet_mask(index: _Index, facet: str, values: Sequence[str]) -> BoolArray | None:
    if not values:
        return None
    n = len(index.ids)
    if facet in index.single:
        codes, names = index.single[facet]
        wanted = [names.index(v) for v in values if v in names]
        return np.isin(codes, wanted) if wanted else np.zeros(n, dtype=bool)
    multi = index.multi[facet]
    wanted = [multi.names.index(v) for v in values if v in multi.names]
    mask = np.zeros(n, dtype=bool)
    mask[multi.rows[np.isin(multi.codes, wanted)]] = True
    return mask


def _count(index: _Index, facet: str, mask: BoolArray, rows: IntArray) -> IntArray:
    """Counts of each value of a facet over the rows of `mask` (also given as `rows`)."""
    if facet in index.single:
        codes, names = index.single[facet]
        selected = codes[rows]
        return np.bincount(selected[selected >= 0], minlength=len(names))
    multi = index.multi[facet]
    # A small selection gathers its own pairs; a large one filters all pairs (one pass, no gathering).
    codes = multi.codes_of(rows) if len(rows) * 8 < len(index.ids) else multi.codes[mask[multi.rows]]
    return np.bincount(codes, minlength=len(multi.names))


def _facets(
    index: _Index, base: BoolArray, masks: dict[str, BoolArray], query: BrowseQuery, size: int
) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    every = base.copy()
    for other_mask in masks.values():
        every &= other_mask
    every_rows = np.flatnonzero(every)
    for facet in FACETS:
        if facet in masks:  # disjunctive: this facet's own filter left out
            mask = base.copy()
            for other, other_mask in masks.items():
                if other != facet:
                    mask &= other_mask
            rows = np.flatnonzero(mask)
        else:
            mask, rows = every, every_rows
        counts = _count(index, facet, mask, rows)
        names = index.single[facet][1] if facet in index.single else index.multi[facet].names
        chosen = set(query.filters.get(facet, ()))
        # Years in date order, newest first (names are sorted); the others most first, then by name.
        order = np.arange(len(names))[::-1] if facet == "year" else np.argsort(-counts, kind="stable")
        values = [int(i) for i in order[counts[order] > 0][:size]]
        shown = {names[i] for i in values}
        values += [names.index(v) for v in sorted(chosen) if v in names and v not in shown]
        label = index.publishers if facet == "publisher" else LANGUAGES if facet == "language" else {}
        out[facet] = [
            FacetValue(names[i], label.get(names[i], names[i]), int(counts[i]), names[i] in chosen) for i in values
        ]
        # A chosen value the digest does not have at all still shows, with 0, so it can be removed.
        out[facet] += [FacetValue(v, v, 0, True) for v in sorted(chosen - set(names))]
    return out


def _ranked(
    conn: sqlite3.Connection, index: _Index, match: str, many: bool, selected: BoolArray
) -> tuple[IntArray, Ranking]:
    """Rows of the selection in relevance order: every match, or only the title matches when there are many."""
    ranking: Ranking = "all"
    if many:
        match = "{title} : (" + match + ")"
        ranking = "title"
    text = conn.execute(
        f"SELECT group_concat(rowid) FROM (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?"
        f" ORDER BY {RANK}, rowid)",
        [match],
    ).fetchone()[0]
    order = index.rows_of(_ids(text))
    return order[selected[order]], ranking


def browse(
    conn: sqlite3.Connection, query: BrowseQuery, *, facet_size: int = 12, rank_all: int = RANK_ALL
) -> BrowseResult:
    """Run one request of the search page: exact total and facets, one page of hits with snippets."""
    if query.page < 1:
        raise BrowseError(f"page must be 1 or more, not {query.page}")
    if not 1 <= query.size <= MAX_PAGE_SIZE:
        raise BrowseError(f"size must be between 1 and {MAX_PAGE_SIZE}, not {query.size}")
    since = parse_date(query.since, "From")
    until = parse_date(query.until, "To")
    added = parse_date(query.added, "New since")
    if since and until and since > until:
        raise BrowseError(f"From ({since}) is after To ({until}): swap them")
    match: str | None = None
    if query.q.strip():
        try:
            match = build_match(query.q)
        except QueryError as exc:
            raise BrowseError(
                f'{exc}. Search for words (all must match), "a phrase" in quotes, prefix* or two terms with OR.'
            ) from None
    in_txn = conn.in_transaction
    if not in_txn:
        conn.execute("BEGIN")  # one snapshot: the index version, the matches and the rows agree
    try:
        index = _index(conn)
        n = len(index.ids)
        base = np.ones(n, dtype=bool)
        matches: int | None = None
        if match is not None:
            rows = _match_rows(conn, index, match)
            matches = len(rows)
            base = np.zeros(n, dtype=bool)
            base[rows] = True
        if since:
            base &= (index.published >= since) & (index.published != "")
        if until:
            base &= (index.published != "") & (index.published <= until)
        if added:
            base &= index.first_seen >= added
        masks: dict[str, BoolArray] = {
            facet: mask
            for facet in FACETS
            if (mask := _facet_mask(index, facet, list(query.filters.get(facet, ())))) is not None
        }
        selected = base.copy()
        for mask in masks.values():
            selected &= mask
        total = int(selected.sum())
        facets = _facets(index, base, masks, query, facet_size)
        start = (query.page - 1) * query.size
        ranking: Ranking = "none"
        ranked = 0
        if match is not None and query.order == "relevance" and total:
            ranked_rows, ranking = _ranked(conn, index, match, (matches or 0) > rank_all, selected)
            ranked = len(ranked_rows)
            if start + query.size <= ranked:
                page_rows = ranked_rows[start : start + query.size]
            else:
                rest = selected.copy()
                rest[ranked_rows] = False
                rest_rows = index.newest_order[rest[index.newest_order]]
                page_rows = np.concatenate([ranked_rows[start:], rest_rows[max(0, start - ranked) :]])[: query.size]
        else:
            page_rows = index.newest_order[selected[index.newest_order]][start : start + query.size]
        hits = _hits(conn, [int(i) for i in index.ids[page_rows]], match, matches or 0)
    finally:
        if not in_txn:
            conn.execute("COMMIT")
    return BrowseResult(
        query=query,
        total=total,
        hits=hits,
        facets=facets,
        matches=matches,
        ranking=ranking,
        ranked=ranked,
        newest=index.newest,
        documents=n,
        pages=max(1, -(-total // query.size)),
    )


# --- rows and snippets ----------------------------------------------------------------------------------------

# The texts are cut: a snippet is looked for in the first 100,000 characters of a PDF's text (a whole report can
# be megabytes), and a row shown without a query needs only the opening of its body.
_HIT_COLUMNS = """
    d.id, d.title, d.url, d.canonical_url, d.source, coalesce(nullif(s.title, ''), d.source), d.doc_type,
    d.published, d.language, d.authors, d.topics, d.regions, d.status, d.summary, {body}, {pdf_text}
"""
_QUOTED = {"body": "d.body", "pdf_text": "substr(d.pdf_text, 1, 100000)"}
_LISTED = {"body": "substr(d.body, 1, 2000)", "pdf_text": "''"}


def _names(value: object) -> list[str]:
    try:
        items = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [str(i) for i in items] if isinstance(items, list) else []


def _hits(conn: sqlite3.Connection, ids: list[int], match: str | None, matches: int) -> list[Hit]:
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(
        f"SELECT {_HIT_COLUMNS.format_map(_QUOTED if match else _LISTED)}"
        " FROM documents AS d LEFT JOIN sources AS s ON s.name = d.source"
        f" WHERE d.id IN ({marks})",
        ids,
    ).fetchall()
    by_id = {r[0]: r for r in rows}
    ordered = [by_id[i] for i in ids if i in by_id]
    texts = [Texts(r[0], r[14] or "", r[13] or "", r[15] or "", r[1] or "", r[9] or "") for r in ordered]
    if match is None:
        found: dict[int, str] = {}
    elif matches <= FTS_SNIPPETS_UP_TO:
        found = fts_snippets(conn, [t.id for t in texts], match, HIT_START, HIT_END)
    else:
        found = snippets(texts, match, HIT_START, HIT_END)
    authors: dict[int, list[str]] = {i: [] for i in ids}
    for doc_id, name in conn.execute(
        "SELECT l.document_id, a.name FROM document_authors AS l JOIN authors AS a ON a.id = l.author_id"
        f" WHERE l.document_id IN ({marks}) ORDER BY l.document_id, l.position",
        ids,
    ):
        authors[doc_id].append(name)
    return [
        Hit(
            id=r[0],
            title=r[1] or "",
            url=r[2],
            canonical_url=r[3],
            source=r[4],
            publisher=r[5],
            doc_type=r[6],
            published=r[7],
            language=r[8],
            authors=authors.get(r[0], []),
            topics=_names(r[10]),
            regions=_names(r[11]),
            status=r[12],
            snippet=found.get(r[0]) or lead(r[13] or "", r[14] or ""),
            score=None,
        )
        for r in ordered
    ]


def facet_values(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every value each facet can take in this digest (for checking a command line's filters)."""
    conn_txn = conn.in_transaction
    if not conn_txn:
        conn.execute("BEGIN")
    try:
        index = _index(conn)
    finally:
        if not conn_txn:
            conn.execute("COMMIT")
    out = {facet: list(names) for facet, (_, names) in index.single.items()}
    out.update((facet, list(multi.names)) for facet, multi in index.multi.items())
    return out


# --- the publication page -------------------------------------------------------------------------------------

_STOP = frozenset(
    (
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "their",
        "have",
        "into",
        "about",
        "what",
        "which",
        "while",
        "where",
        "when",
        "will",
        "than",
        "more",
        "over",
        "under",
        "after",
        "before",
        "between",
        "across",
        "through",
        "within",
        "without",
        "among",
        "also",
        "been",
        "were",
        "they",
        "them",
        "there",
        "these",
        "those",
        "such",
        "other",
        "some",
        "most",
        "many",
        "much",
        "very",
        "only",
        "just",
        "does",
        "doing",
        "being",
    )
)


def _brief(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    keys = ("id", "title", "source", "publisher", "doc_type", "published")
    return [dict(zip(keys, row, strict=True)) for row in rows]


_BRIEF = "d.id, d.title, d.source, coalesce(nullif(s.title, ''), d.source), d.doc_type, d.published"


def related(conn: sqlite3.Connection, doc_id: int, limit: int = 8) -> list[dict[str, Any]]:
    """Publications like this one: its near-duplicate cluster first, then the closest by shared title terms."""
    row = conn.execute("SELECT title, summary, cluster_id FROM documents WHERE id = ?", [doc_id]).fetchone()
    if row is None:
        return []
    title, summary, cluster = row
    out: list[dict[str, Any]] = []
    if cluster is not None:
        out = [
            dict(d, why="near-duplicate")
            for d in _brief(
                conn.execute(
                    f"SELECT {_BRIEF} FROM documents AS d LEFT JOIN sources AS s ON s.name = d.source"
                    " WHERE d.cluster_id = ? AND d.id != ? ORDER BY d.published DESC, d.id LIMIT ?",
                    [cluster, doc_id, limit],
                )
            )
        ]
    words = [w for w in re.findall(r"[^\W\d_]{4,}", f"{title} {summary[:300]}".lower()) if w not in _STOP]
    terms = list(dict.fromkeys(words))[:12]
    if terms and len(out) < limit:
        # Title and summary only: the columns that say what a publication is about, and far fewer matches of a
        # common word than the bodies (bm25 is computed for each match).
        match = "{title summary} : (" + " OR ".join(f'"{t}"' for t in terms) + ")"
        seen = {doc_id, *(d["id"] for d in out)}
        ids = [
            r[0]
            for r in conn.execute(
                f"SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? ORDER BY {RANK} LIMIT ?",
                [match, limit + len(seen)],
            )
            if r[0] not in seen
        ][: limit - len(out)]
        if ids:
            marks = ", ".join("?" * len(ids))
            found = {
                d["id"]: d
                for d in _brief(
                    conn.execute(
                        f"SELECT {_BRIEF} FROM documents AS d LEFT JOIN sources AS s ON s.name = d.source"
                        f" WHERE d.id IN ({marks})",
                        ids,
                    )
                )
            }
            out += [dict(found[i], why="shared terms") for i in ids if i in found]
    return out


def by_authors(conn: sqlite3.Connection, doc_id: int, limit: int = 8) -> list[dict[str, Any]]:
    """Other publications by any of this one's authors, newest first."""
    rows = conn.execute(
        f"""
        SELECT DISTINCT {_BRIEF} FROM document_authors AS mine
        JOIN document_authors AS theirs ON theirs.author_id = mine.author_id AND theirs.document_id != mine.document_id
        JOIN documents AS d ON d.id = theirs.document_id
        LEFT JOIN sources AS s ON s.name = d.source
        WHERE mine.document_id = ?
        ORDER BY d.published DESC, d.id DESC LIMIT ?
        """,
        [doc_id, limit],
    ).fetchall()
    return _brief(rows)
