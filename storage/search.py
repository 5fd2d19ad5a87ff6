"""Full-text search over the digest: turning what a user typed into a safe FTS5 query, and running it.

User text is never handed to FTS5 as a query expression. It is cut into words, and each word or phrase is
quoted as an FTS5 string, so FTS5 operators, column filters, `^`, `NEAR(...)`, stray quotes or SQL cannot
reach the query parser. What users can still say:

- words: all must match (`refugee camps`); stemmed, so `migrants` finds `migrant`;
- `"a quoted phrase"` (an unclosed quote runs to the end of the text);
- a trailing `*` for a prefix: `traffick*`;
- `OR` (upper case) between two terms: `asylum refugees OR migrants` = asylum AND (refugees OR migrants);
- `AND` is accepted and ignored (it is the default); everything else, including `NOT` and `NEAR`, is a word.

Snippets mark matches with `[` and `]` (SNIPPET_START / SNIPPET_END): plain text, safe to print in a terminal
and to HTML-escape before display.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

SNIPPET_START = "["
SNIPPET_END = "]"
SNIPPET_ELLIPSIS = "…"
SNIPPET_TOKENS = 32  # FTS5 allows at most 64
MAX_TERMS = 64
# The persistent rank of documents_fts (migration 2), spelled out: title, summary, body, pdf_text, authors.
RANK = "bm25(documents_fts, 10.0, 4.0, 1.0, 1.0, 5.0)"

# Letters and digits only: FTS5's unicode61 tokenizer splits on everything else anyway, and a quoted string
# made only of such characters can never contain FTS5 syntax.
_WORD = re.compile(r"[^\W_]+")
# A quoted phrase (possibly unclosed) with an optional prefix star, or a run of non-space characters.
_CHUNK = re.compile(r'"([^"]*)"?(\*?)|(\S+)')
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][0-9:.+\-Z]*)?)?)?$")


class QueryError(ValueError):
    """A search that cannot be run: nothing to search for, or invalid filters."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result; `rank` is FTS5's weighted bm25, lower (more negative) is better."""

    canonical_url: str
    url: str
    title: str
    source: str
    doc_type: str
    published: str | None
    snippet: str
    rank: float


def _short(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[:size] + "…"


def build_match(query: str) -> str:
    """Translate user text into a safe FTS5 MATCH expression, or raise QueryError if it has no words."""
    text = unicodedata.normalize("NFC", query)
    groups: list[list[str]] = []  # AND of groups; the terms within a group are ORed
    pending_or = False
    terms = 0
    for match in _CHUNK.finditer(text):
        phrase, phrase_star, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                pending_or = bool(groups)
                continue
            if bare == "AND":
                continue
            words = _WORD.findall(bare)
            prefix = bare.endswith("*")
        else:
            words = _WORD.findall(phrase)
            prefix = bool(phrase_star)
        if not words:
            continue
        term = '"' + " ".join(words) + '"' + (" *" if prefix else "")
        if pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
        terms += 1
        if terms >= MAX_TERMS:
            break
    if not groups:
        raise QueryError(f"Nothing to search for: {_short(query)!r} contains no words")
    # FTS5 wants an explicit AND next to a parenthesised group ("(a OR b) c" is a syntax error).
    return " AND ".join(group[0] if len(group) == 1 else "(" + " OR ".join(group) + ")" for group in groups)


def run_search(
    conn: sqlite3.Connection,
    query: str,
    *,
    limit: int,
    source: str | None,
    doc_type: str | None,
    since: str | None,
) -> list[SearchHit]:
    """Run a user query against documents_fts with filters; best hits first."""
    if not isinstance(limit, int) or limit < 1:
        raise QueryError(f"limit must be a positive whole number, not {limit!r}")
    if since is not None and not _DATE.match(since):
        raise QueryError(f"since must be an ISO 8601 date such as 2024-05-31, not {_short(since)!r}")
    match = build_match(query)
    where = ["documents_fts MATCH ?"]
    params: list[object] = [match]
    for column, value in (("source", source), ("doc_type", doc_type)):
        if value is not None:
            where.append(f"d.{column} = ?")
            params.append(value)
    if since is not None:
        where.append("d.published >= ?")
        params.append(since)
    # snippet() column -1 lets FTS5 pick the column with the best fragment: body usually, the title or the
    # author list when that is all that matched.
    snippet = f"snippet(documents_fts, -1, ?, ?, ?, {SNIPPET_TOKENS}) AS snippet"
    columns = "d.canonical_url, d.url, d.title, d.source, d.doc_type, d.published"
    if len(where) == 1:
        # No filter: rank first, then make snippets for the best `limit` alone. FTS5 scores every match
        # whatever the LIMIT (there is no early stop); calling bm25() in a query of its own is faster than
        # `ORDER BY rank`, which FTS5 answers with a nested statement and a re-seek per row (~1.5x at 100k
        # matches). CROSS JOIN keeps this order of work.
        sql = f"""
            WITH top AS MATERIALIZED (
                SELECT rowid AS id, {RANK} AS score FROM documents_fts
                WHERE documents_fts MATCH ? ORDER BY score, rowid LIMIT ?
            )
            SELECT {columns}, {snippet}, top.score AS rank
            FROM top CROSS JOIN documents_fts CROSS JOIN documents AS d
            WHERE documents_fts MATCH ? AND documents_fts.rowid = top.id AND d.id = top.id
            ORDER BY top.score, top.id
        """
        params = [match, limit, SNIPPET_START, SNIPPET_END, SNIPPET_ELLIPSIS, match]
    else:
        # With filters FTS5's own rank order is better: it reads documents only until `limit` rows passed,
        # where scoring first would read the document row of every match (published sits after the body).
        sql = f"""
            SELECT {columns}, {snippet}, documents_fts.rank AS rank
            FROM documents_fts JOIN documents AS d ON d.id = documents_fts.rowid
            WHERE {" AND ".join(where)}
            ORDER BY documents_fts.rank
            LIMIT ?
        """
        params = [SNIPPET_START, SNIPPET_END, SNIPPET_ELLIPSIS, *params, limit]
    try:
        rows = conn.execute(sql, params).fetchall()
    except UnicodeEncodeError as exc:  # lone surrogates in a filter value cannot be sent to SQLite
        raise QueryError(f"Cannot search with these filters: {exc}") from exc
    except sqlite3.OperationalError as exc:
        # build_match() should make this unreachable. Only errors about the query are the user's; a locked
        # or damaged database must still surface as what it is.
        if "fts5" not in str(exc) and "MATCH" not in str(exc):
            raise
        raise QueryError(f"Cannot search for {_short(query)!r}: {exc}") from exc
    return [SearchHit(*row) for row in rows]


def query_notes(query: str) -> list[str]:
    """What a query said that the search syntax does not (and what was searched instead), with how to write it."""
    notes: list[str] = []
    text = unicodedata.normalize("NFC", query)
    if text.count('"') % 2:
        notes.append('A quotation mark is not closed, so the phrase runs to the end of the text. Close it: "a phrase".')
    bare = [m.group(3) for m in _CHUNK.finditer(text) if m.group(3) is not None]
    if any(word in ("NOT", "NEAR") or word.startswith("NEAR(") for word in bare):
        notes.append("NOT and NEAR are searched as words here. Leave them out, or put OR between two terms.")
    if any(":" in word or word.startswith(("(", "{", "^", "-")) or word.endswith(")") for word in bare):
        notes.append("Column filters, brackets and ^ are not search syntax here: only the words were searched.")
    if bare and (bare[0] == "OR" or bare[-1] in ("OR", "AND")):
        notes.append("OR and AND need a term on each side: refugees OR migrants.")
    if len(_CHUNK.findall(text)) > MAX_TERMS:
        notes.append(f"Only the first {MAX_TERMS} terms were searched.")
    return notes
