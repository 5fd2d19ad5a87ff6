"""Datasette plugin for the digest: safe full-text queries, highlighted snippets and the publication page."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args, urlsafe_components
from markupsafe import Markup, escape

from storage.search import QueryError, build_match

# Canned queries ask snippet() to mark hits with these private-use characters: they never occur in extracted
# text, so render_cell() can escape everything else and turn only them into <mark>.
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
_EPOCH = "1970-01-01T00:00:00+00:00"


def fts_query(text: object) -> str:
    """User text as a safe FTS5 MATCH expression (storage's query syntax); one matching nothing if no words."""
    if text is None:
        return NO_MATCH
    try:
        return build_match(str(text))
    except QueryError:
        return NO_MATCH


def atom_time(*values: object) -> str:
    """The first value that reads as an ISO date or date-time, as an RFC 3339 time (UTC if no zone given)."""
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.isoformat(timespec="seconds")
    return _EPOCH


def highlight(text: str) -> Markup:
    """Escaped text with the snippet's hit markers turned into <mark> elements."""
    html = str(escape(text))
    # Unbalanced markers (a snippet cut inside a hit) must not leave an open element behind.
    opened = 0
    out: list[str] = []
    for char in html:
        if char == HIT_START and not opened:
            out.append("<mark>")
            opened = 1
        elif char == HIT_END and opened:
            out.append("</mark>")
            opened = 0
        elif char not in (HIT_START, HIT_END):
            out.append(char)
    if opened:
        out.append("</mark>")
    return Markup("".join(out))


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    """SQL functions for canned queries; escape_fts() replaced so that `?_search=` speaks the same syntax."""
    # trylast: Datasette's own prepare_connection registers escape_fts() too; running after it, ours wins.
    # Datasette's version turns `"` or `""` into an empty MATCH (an FTS5 syntax error) and has no OR or prefix.
    conn.create_function("migdigest_fts", 1, fts_query, deterministic=True)
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("migdigest_atom_time", -1, atom_time, deterministic=True)


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """`value|migdigest_list`: a JSON array column (topics, regions) as a list of strings."""
    env.filters["migdigest_list"] = _loads


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


async def _table_vars(request: Any) -> dict[str, Any]:
    return {"migdigest_search": request.scope.get("migdigest_search")}


def _loads(value: object) -> list[str]:
    try:
        items = json.loads(value) if isinstance(value, str) else []
    except ValueError:
        return []
    return [str(item) for item in items] if isinstance(items, list) else []


def _paragraphs(text: object) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def web_link(url: object) -> str | None:
    """The URL if it is an http(s) one, else None: a crawled `javascript:` URL must never become a link."""
    if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]] | None:
    """The publications table: what search_governor() did; a publication's page: its text, names and twins."""
    if database != DATABASE or table != TABLE or request is None:
        return None
    if view_name == "table":
        return lambda: _table_vars(request)
    if view_name != "row":
        return None

    async def publication() -> dict[str, Any]:
        db = datasette.get_database(database)
        pks = urlsafe_components(request.url_vars["pks"])
        rows = list(await db.execute("SELECT * FROM documents WHERE id = ?", pks[:1]))
        if not rows:
            return {}
        doc = dict(rows[0])
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
                    "SELECT id, title, source, published FROM documents WHERE cluster_id = ? AND id != ?"
                    " ORDER BY published DESC, id LIMIT 50",
                    [doc["cluster_id"], doc["id"]],
                )
            ]
        return {
            "publication": {
                "doc": doc,
                "link": web_link(doc.get("url")),
                "pdf_link": web_link(doc.get("pdf_url")),
                "authors": [r[0] for r in authors],
                "topics": _loads(doc.get("topics")),
                "regions": _loads(doc.get("regions")),
                "source_title": source[0]["title"] if source else doc["source"],
                "source_link": web_link((source[0]["homepage"] or source[0]["base_url"]) if source else None),
                "paragraphs": _paragraphs(doc.get("body")),
                "summary_paragraphs": _paragraphs(doc.get("summary")),
                "pdf_paragraphs": _paragraphs(doc.get("pdf_text")),
                "duplicates": duplicates,
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
