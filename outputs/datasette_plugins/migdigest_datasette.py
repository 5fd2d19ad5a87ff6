"""Datasette plugin for the digest: safe full-text queries, highlighted snippets and the publication page."""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import date, timedelta
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args, urlsafe_components
from markupsafe import Markup, escape

from outputs.publication_text import CITATIONS, atom_feed, atom_time, csv_text, export_row, outline
from storage.browse import FACETS, LABELS, LANGUAGES, BrowseError, BrowseQuery, browse, by_authors, related
from storage.digest import READ_PRAGMAS
from storage.search import QueryError, build_match, query_notes

# Snippets mark hits with these private-use characters (storage.browse's, and any canned query's snippet()): they
# never occur in extracted text, so highlight() can escape everything else and turn only them into <mark>.
HIT_START = "\ue000"
HIT_END = "\ue001"
# An empty FTS5 phrase matches nothing and is not a syntax error: the answer to a query without words.
NO_MATCH = '""'
# A search of the publications table matching more than this skips the exact count and the facets, and
# pages through its matches on documents.search_id: see search_governor(). Metadata can change it:
# `plugins: {migdigest: {big_search: N}}`.
BIG_SEARCH = 5_000
DATABASE = "digest"
TABLE = "documents"


def fts_query(text: object) -> str:
    """User text as a safe FTS5 MATCH expression (storage's query syntax); one matching nothing if no words."""
    if text is None:
        return NO_MATCH
    try:
        return build_match(str(text))
    except QueryError:
        return NO_MATCH


def highlight(text: str) -> Markup:
    """Escaped text with the snippet's hit markers turned into <mark> elements."""
    # Unbalanced markers (a snippet cut inside a hit) must not leave an open element behind.
    opened = False
    out: list[str] = []
    for part in _MARKERS.split(str(escape(text))):
        if part == HIT_START:
            if not opened:
                out.append("<mark>")
            opened = True
        elif part == HIT_END:
            if opened:
                out.append("</mark>")
            opened = False
        else:
            out.append(part)
    if opened:
        out.append("</mark>")
    return Markup("".join(out))


_MARKERS = re.compile(f"([{HIT_START}{HIT_END}])")


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    """SQL functions for canned queries; escape_fts() replaced so that `?_search=` speaks the same syntax."""
    # trylast: Datasette's own prepare_connection registers escape_fts() too; running after it, ours wins.
    # Datasette's version turns `"` or `""` into an empty MATCH (an FTS5 syntax error) and has no OR or prefix.
    conn.create_function("migdigest_fts", 1, fts_query, deterministic=True)
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("migdigest_atom_time", -1, atom_time, deterministic=True)
    for pragma in READ_PRAGMAS:  # memory-mapped reads and a bigger page cache for the full-text index
        conn.execute(pragma)


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """`value|migdigest_list`: a JSON array as a list of strings; `text|migdigest_highlight`: hits as <mark>."""
    env.filters["migdigest_list"] = _loads
    env.filters["migdigest_highlight"] = highlight


@hookimpl
def render_cell(value: object, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    """In the digest's canned queries: highlight snippets, link `id` to the publication page."""
    if table is not None or database != DATABASE:
        return None
    if column == "snippet" and isinstance(value, str):
        return highlight(value)
    if column == "id" and isinstance(value, int):
        url = datasette.urls.table(database, "documents") + f"/{value}"
        return Markup(f'<a href="{escape(url)}">{value}</a>')
    return None


def _loads(value: object) -> list[str]:
    try:
        items = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


def _paragraphs(text: object) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


# The publication's record, in an analyst's words (internal bookkeeping such as hashes and cluster ids left out).
_RECORD = (
    ("Address in the digest", "canonical_url"),
    ("Fetched from", "url"),
    ("PDF", "pdf_url"),
    ("Updated by the publisher", "modified"),
    ("First seen", "first_seen"),
    ("Last checked", "last_seen"),
    ("Text last changed", "last_changed"),
)


def record(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The record rows shown on a publication page: label and value, empty values left out."""
    rows = [(label, str(doc[key])) for label, key in _RECORD if doc.get(key)]
    rows.append(("Online", "no longer" if doc.get("status") == "gone" else "yes"))
    return rows


def web_link(url: object) -> str | None:
    """The URL if it is an http(s) one, else None: a crawled `javascript:` URL must never become a link."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]] | None:
    """A publication's page: its text, names, twins, related publications and citations."""
    if database != DATABASE or table != TABLE or request is None:
        return None
    if view_name != "row":
        return None

    async def publication() -> dict[str, Any]:
        db = datasette.get_database(database)
        pks = urlsafe_components(request.url_vars["pks"])
        rows = list(await db.execute("SELECT * FROM documents WHERE id = ?", pks[:1]))
        if not rows:
            return {}
        doc = dict(rows[0])
        # A confirmation without a download is recorded in document_seen (migration 14): last seen is the later.
        seen = list(await db.execute("SELECT last_seen FROM document_seen WHERE document_id = ?", pks[:1]))
        if seen and seen[0][0] > (doc.get("last_seen") or ""):
            doc["last_seen"] = seen[0][0]
        authors = await db.execute(
            "SELECT a.name FROM document_authors AS l JOIN authors AS a ON a.id = l.author_id"
            " WHERE l.document_id = ? ORDER BY l.position",
            [doc["id"]],
        )
        source = list(await db.execute("SELECT title, homepage, base_url FROM sources WHERE name = ?", [doc["source"]]))
        duplicates: list[dict[str, Any]] = []
        if doc.get("cluster_id") is not None:
            duplicates = [
                dict(r)
                for r in await db.execute(
                    "SELECT d.id, d.title, coalesce(nullif(s.title, ''), d.source) AS publisher, d.published"
                    " FROM documents AS d LEFT JOIN sources AS s ON s.name = d.source"
                    " WHERE d.cluster_id = ? AND d.id != ? ORDER BY d.published DESC, d.id LIMIT 50",
                    [doc["cluster_id"], doc["id"]],
                )
            ]
        doc_id = int(doc["id"])
        related_docs = await db.execute_fn(lambda conn: related(conn, doc_id))
        author_docs = await db.execute_fn(lambda conn: by_authors(conn, doc_id))
        names = [r[0] for r in authors]
        source_title = source[0]["title"] if source and source[0]["title"] else doc["source"]
        cite = dict(doc, authors=names, publisher=source_title)
        return {
            "publication": {
                "outline": outline(doc.get("body") or ""),
                "related": related_docs,
                "by_authors": author_docs,
                "author_links": [(n, _link(SEARCH_PATH, [("author", n)])) for n in names],
                "citations": [(key, label, fn(cite)) for key, (label, fn) in CITATIONS.items()],
                "search_path": SEARCH_PATH,
                "doc": doc,
                "link": web_link(doc.get("url")),
                "pdf_link": web_link(doc.get("pdf_url")),
                "authors": names,
                "topics": _loads(doc.get("topics")),
                "regions": _loads(doc.get("regions")),
                "source_title": source[0]["title"] if source else doc["source"],
                "source_link": web_link((source[0]["homepage"] or source[0]["base_url"]) if source else None),
                "paragraphs": _paragraphs(doc.get("body")),
                "summary_paragraphs": _paragraphs(doc.get("summary")),
                "pdf_paragraphs": _paragraphs(doc.get("pdf_text")),
                "duplicates": duplicates,
                "language": LANGUAGES.get(doc.get("language") or "", doc.get("language") or ""),
                "record": record(doc),
            }
        }

    return publication


# What search_governor() adds to a big search, marker included: links and forms of the page carry these on, so
# each request drops them and decides afresh (a user's own `_nocount` or `_fts_pk` comes without the marker).
_BIG_SEARCH_PARAMS = [("_fts_pk", "search_id"), ("_nocount", "1"), ("_nofacet", "1"), ("_migdigest", "big")]


def _governed_params(params: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """The parameters without any the governor added before, or None if it must leave the request alone."""
    if ("_migdigest", "big") in params:
        params = [p for p in params if p not in _BIG_SEARCH_PARAMS]
    keys = {key for key, _ in params}
    if "_search" not in keys or keys & {"_fts_pk", "_fts_table", "_searchmode"}:
        return None
    return params


async def search_governor(datasette: Any, scope: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Make a search of the publications table that matches very many rows cheap; other requests pass as is.

    Datasette's table page runs the search filter `id IN (<every match>)` up to eight times (rows, count, one
    query per facet), each looking up and, for the rows, sorting every match: most of a second for a common
    word in 100k publications. Above BIG_SEARCH matches (counted from the FTS index alone, a few ms) the page
    skips the exact count and the facets (`_nocount`, `_nofacet`) and filters on documents.search_id (`_fts_pk`),
    which lets SQLite walk the published index newest first and stop after a page. The template says so.
    """
    if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
        return scope
    path = scope.get("path", "")
    table_path = datasette.urls.table(DATABASE, TABLE)
    if path not in (table_path, table_path + ".json"):
        return scope
    # surrogateescape both ways: whatever bytes a client sent go back to Datasette as they came.
    raw = scope.get("query_string", b"").decode("utf-8", "surrogateescape")
    original = urllib.parse.parse_qsl(raw, keep_blank_values=True, errors="surrogateescape")
    params = _governed_params(original)
    search = dict(params or []).get("_search", "")
    if params is None or not search.strip():
        return scope
    try:
        db = datasette.get_database(DATABASE)
        result = await db.execute(
            "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH migdigest_fts(?)", [search]
        )
        matches = int(result.first()[0])
    except Exception:  # whatever went wrong, Datasette's own page will report it
        return scope
    limit = int((datasette.plugin_config("migdigest") or {}).get("big_search", BIG_SEARCH))
    limited = matches > limit
    info = {"matches": matches, "limited": limited, "limit": limit}
    if limited:
        params = params + _BIG_SEARCH_PARAMS
    if params == original:
        return dict(scope, migdigest_search=info)
    query_string = urllib.parse.urlencode(params, errors="surrogateescape").encode("ascii")
    return dict(scope, query_string=query_string, migdigest_search=info)


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    """Route every request through search_governor()."""

    def wrap(app: Any) -> Any:
        async def governed(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            await app(await search_governor(datasette, scope), receive, send)

        return governed

    return wrap


# --- topics and regions, through their link tables ---------------------------------------------------------

# Facet name -> (link table, its name column, names table, filter parameter).
LINKED = {
    "topics": ("document_topics", "topic_id", "topics", "_topic"),
    "regions": ("document_regions", "region_id", "regions", "_region"),
}


class LinkedFacet(Facet):
    """Counts of topics or regions read from the link tables (metadata: `- linked: topics`).

    Datasette's own array facet dedupes with `SELECT DISTINCT j.value, inner.*`, i.e. over whole document rows
    with their bodies: seconds at 100k publications. The link tables answer the same in milliseconds, and the
    `_topic=` / `_region=` filters below select through them instead of scanning every row's JSON.
    """

    type = "linked"

    async def suggest(self) -> list[dict[str, Any]]:
        """Never suggested: configured in metadata or asked for with `_facet_linked=`."""
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        """One facet per configured name list, counted over the rows the page's filters select."""
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        done: set[str] = set()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            name = config.get("column") or config["simple"]
            # A name configured in metadata and asked for with ?_facet_linked= comes twice: count it once.
            if self.database != DATABASE or self.table != TABLE or name not in LINKED or name in done:
                continue
            done.add(name)
            link, key, names, param = LINKED[name]
            # Without a filter (no WHERE) count the link table alone rather than list every document id first.
            where = "WHERE l.document_id IN (SELECT id FROM ({sql}))" if " where " in self.sql.lower() else ""
            sql = f"""
                SELECT n.name AS value, count(*) AS count
                FROM {link} AS l JOIN {names} AS n ON n.id = l.{key}
                {where.format(sql=self.sql)}
                GROUP BY n.name ORDER BY count DESC, n.name LIMIT {size + 1}
            """
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(name)
                continue
            values = []
            for row in rows.rows[:size]:
                selected = (param, row["value"]) in pairs
                if selected:
                    path = path_with_removed_args(self.request, {param: row["value"]})
                else:
                    path = path_with_added_args(self.request, {param: row["value"]})
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": name,
                    "type": self.type,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_linked": name})),
                    "results": values,
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type]:
    """The link-table facet for topics and regions."""
    return [LinkedFacet]


@hookimpl
def filters_from_request(request: Any, database: str, table: str) -> FilterArguments | None:
    """`?_topic=NAME` and `?_region=NAME` (repeatable: all must hold) on the publications table."""
    if database != DATABASE or table != TABLE:
        return None
    where: list[str] = []
    params: dict[str, str] = {}
    described: list[str] = []
    for name, (link, key, names, param) in LINKED.items():
        for value in request.args.getlist(param):
            p = f"migdigest_{name}_{len(params)}"
            where.append(
                f"id IN (SELECT l.document_id FROM {link} AS l JOIN {names} AS n ON n.id = l.{key} WHERE n.name = :{p})"
            )
            params[p] = value
            described.append(f'{param.lstrip("_")} is "{value}"')
    return FilterArguments(where, params, described) if where else None


# --- the analyst's search page --------------------------------------------------------------------------------

SEARCH_PATH = "/-/search"
_SORTS = ("relevance", "newest")
# Query parameters of the search page; anything else in a URL is dropped from the links it makes.
_DATE_PARAMS = ("since", "until", "added")
_PARAMS = ("q", *FACETS, *_DATE_PARAMS, "sort", "page", "size")
_DATE_LABELS = {"since": "From", "until": "To", "added": "New since"}


def _params(request: Any) -> list[tuple[str, str]]:
    """The page's own parameters from the URL, in order, empty values dropped."""
    return [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=False) if k in _PARAMS]


def _link(path: str, params: list[tuple[str, str]]) -> str:
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


def _without(params: list[tuple[str, str]], key: str, value: str | None = None) -> list[tuple[str, str]]:
    """Params without `key` (or one value of it), back on the first page."""
    return [(k, v) for k, v in params if k != "page" and not (k == key and (value is None or v == value))]


def _int(value: str | None, name: str, default: int) -> int:
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise BrowseError(f"{name} must be a whole number, not {value[:20]!r}") from None


def browse_query(request: Any) -> BrowseQuery:
    """The search page's request as a BrowseQuery (BrowseError for a page, size or order it cannot take)."""
    args = request.args
    sort = args.get("sort") or None
    if sort is not None and sort not in _SORTS:
        raise BrowseError(f"sort must be relevance or newest, not {sort[:20]!r}")
    return BrowseQuery(
        q=args.get("q", "") or "",
        filters={facet: [v for v in args.getlist(facet) if v] for facet in FACETS if args.getlist(facet)},
        since=args.get("since") or None,
        until=args.get("until") or None,
        added=args.get("added") or None,
        sort=sort,
        page=_int(args.get("page"), "page", 1),
        size=_int(args.get("size"), "size", 20),
    )


def _hit_dict(hit: Any, datasette: Any) -> dict[str, Any]:
    return {
        "id": hit.id,
        "title": hit.title,
        "url": web_link(hit.url),
        "canonical_url": hit.canonical_url,
        "source": hit.source,
        "publisher": hit.publisher,
        "doc_type": hit.doc_type,
        "published": hit.published,
        "language": hit.language,
        "authors": hit.authors,
        "topics": hit.topics,
        "regions": hit.regions,
        "status": hit.status,
        "snippet": hit.snippet,
        "page": datasette.urls.table(DATABASE, TABLE) + f"/{hit.id}",
    }


async def search_page(request: Any, datasette: Any) -> Any:
    """The search-and-browse page (`/` and /-/search), and its .json, .csv and .atom exports."""
    from datasette.utils.asgi import Response

    fmt = request.url_vars.get("format") or "html"
    path = request.path.rsplit(".", 1)[0] if fmt != "html" else request.path
    if path == "/":
        path = SEARCH_PATH if fmt != "html" else "/"
    params = _params(request)
    error: str | None = None
    result = None
    try:
        query = browse_query(request)
        db = datasette.get_database(DATABASE)
        result = await db.execute_fn(lambda conn: browse(conn, query))
    except BrowseError as exc:
        error = str(exc)
        query = BrowseQuery()
    notes = query_notes(query.q) if query.q else []
    hits = [_hit_dict(h, datasette) for h in (result.hits if result else [])]
    for hit in hits:
        hit["page"] = datasette.absolute_url(request, hit["page"]) if fmt != "html" else hit["page"]
    # Filters by the labels analysts read (a publisher's name, not its code).
    label_of = {(name, v.value): v.label for name, values in (result.facets.items() if result else []) for v in values}
    if fmt in ("json", "csv"):
        if error:
            return Response.json({"ok": False, "error": error}, status=400)
        assert result is not None
        rows = [export_row(h) for h in hits]
        if fmt == "csv":
            return Response(csv_text(rows), content_type="text/csv; charset=utf-8")
        data = {
            "ok": True,
            "total": result.total,
            "page": query.page,
            "pages": result.pages,
            "order": query.order,
            "ranking": result.ranking,
            "ranked": result.ranked,
            "newest": result.newest,
            "notes": notes,
            "rows": rows,
            "facets": {
                LABELS[name]: [
                    {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected} for v in values
                ]
                for name, values in result.facets.items()
            },
            "next_url": (
                _link(SEARCH_PATH + ".json", [*_without(params, "page"), ("page", str(query.page + 1))])
                if query.page < result.pages
                else None
            ),
        }
        return Response.json(data)
    if fmt == "atom":
        if error:
            return Response.text(error, status=400)
        assert result is not None
        described = [(LABELS[f], label_of.get((f, v), v)) for f in FACETS for v in query.filters.get(f, ())]
        described += [(_DATE_LABELS[k], v) for k, v in params if k in _DATE_PARAMS]
        if query.q:
            described.insert(0, ("Search", query.q))
        title = "migdigest: " + ("; ".join(f"{k} {v}" for k, v in described) or "latest publications")
        base = datasette.absolute_url(request, "/")
        xml = atom_feed(
            feed_id="urn:migdigest:search:" + urllib.parse.urlencode(sorted(_without(params, "page"))),
            title=title,
            self_url=base.rstrip("/") + _link(SEARCH_PATH + ".atom", params),
            page_url=base.rstrip("/") + _link(SEARCH_PATH, params),
            categories=described,
            entries=[dict(h, url=h["url"] or "") for h in hits],
        )
        return Response(xml, content_type="application/atom+xml; charset=utf-8")

    facets: list[dict[str, Any]] = []
    for name, values in result.facets.items() if result else []:
        facets.append(
            {
                "name": name,
                "label": LABELS[name],
                "values": [
                    {
                        "label": v.label,
                        "count": v.count,
                        "selected": v.selected,
                        "url": _link(path, _without(params, name, v.value) if v.selected
                                     else [*_without(params, "page"), (name, v.value)]),
                    }
                    for v in values
                ],
            }
        )  # fmt: skip
    active = [
        {
            "label": f"{LABELS[k]}: {label_of.get((k, v), v)}" if k in LABELS else f"{_DATE_LABELS[k]} {v}",
            "url": _link(path, _without(params, k, v)),
        }
        for k, v in params
        if k in LABELS or k in _DATE_LABELS
    ]
    if query.q:
        active.insert(0, {"label": f"Search: {query.q}", "url": _link(path, _without(params, "q"))})
    page_links: dict[str, str] = {}
    if result:
        rest = _without(params, "page")
        if query.page > 1:
            page_links["previous"] = _link(path, [*rest, ("page", str(query.page - 1))])
        if query.page < result.pages:
            page_links["next"] = _link(path, [*rest, ("page", str(query.page + 1))])
    sort_links = {s: _link(path, [*_without(params, "sort"), ("sort", s)]) for s in _SORTS}
    exports = {fmt: _link(SEARCH_PATH + "." + fmt, params) for fmt in ("atom", "json", "csv")}
    context = {
        "q": query.q,
        "query": query,
        "result": result,
        "hits": hits,
        "facets": facets,
        "active": active,
        "error": error,
        "notes": notes,
        "page_links": page_links,
        "sort_links": sort_links,
        "exports": exports,
        "hidden": [(k, v) for k, v in params if k not in ("q", "sort", "page", *_DATE_PARAMS)],
        "dates": {k: request.args.get(k, "") for k in _DATE_PARAMS},
        "search_path": path,
        "clear_url": path,
    }
    html = await datasette.render_template("migdigest_search.html", context, request=request, view_name="search")
    return Response.html(html)


# --- the older pages, sent to the search page ------------------------------------------------------------------

# Parameters of the publications table page and of the old canned queries -> the search page's.
_OLD_PARAMS = {
    "_search": "q",
    "q": "q",
    "source": "publisher",
    "source__exact": "publisher",
    "doc_type": "type",
    "doc_type__exact": "type",
    "language": "language",
    "language__exact": "language",
    "year": "year",
    "year__exact": "year",
    "_topic": "topic",
    "topic": "topic",
    "_region": "region",
    "region": "region",
}


def old_page_target(name: str, fmt: str | None, query_string: str, today: date) -> str:
    """Where an old page (the publications table, a canned query) now lives: the search page, same filters."""
    params = [
        (_OLD_PARAMS[k], v.strip())
        for k, v in urllib.parse.parse_qsl(query_string, keep_blank_values=False)
        if k in _OLD_PARAMS and v.strip()
    ]
    if name == "this_week":  # the rolling seven days that query showed, newest first
        params += [("since", (today - timedelta(days=7)).isoformat()), ("sort", "newest")]
    elif name == "latest":
        params.append(("sort", "newest"))
    suffix = f".{fmt}" if fmt else ""
    if not params and not suffix:
        return "/"
    return _link(SEARCH_PATH + suffix, params)


async def old_page(request: Any, datasette: Any) -> Any:
    """A redirect from the publications table page or an old canned query to the search page."""
    from datasette.utils.asgi import Response

    name = request.url_vars["name"]
    target = old_page_target(name, request.url_vars.get("format"), request.query_string, date.today())
    return Response.redirect(target, status=302)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    """The search page at / (the home page) and /-/search, with .json, .csv and .atom; old pages redirect to it.

    The publications table page (its HTML; the JSON and CSV table API stays for power users) and the canned
    queries it replaces showed internal columns and raw labels that Datasette's metadata cannot hide.
    """
    return [
        (r"^/$", search_page),
        (r"^/-/search(\.(?P<format>json|csv|atom))?$", search_page),
        (rf"^/{DATABASE}/(?P<name>{TABLE})$", old_page),
        (rf"^/{DATABASE}/(?P<name>search|latest|this_week|by_topic|by_region)(\.(?P<format>json|csv))?$", old_page),
        (rf"^/{DATABASE}/(?P<name>search_feed)\.(?P<format>atom)$", old_page),
    ]


@hookimpl
def startup(datasette: Any) -> Callable[[], Awaitable[None]]:
    """Load the facet index before the first analyst waits for it."""

    async def warm() -> None:
        try:
            db = datasette.get_database(DATABASE)
        except KeyError:
            return
        try:
            await db.execute_fn(lambda conn: browse(conn, BrowseQuery(size=1)))
        except sqlite3.Error:  # an old or foreign file: the page will say what is wrong when asked
            return

    return warm
