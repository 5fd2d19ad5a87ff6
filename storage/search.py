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

import math
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from typing import Any

SNIPPET_START = "["
SNIPPET_END = "]"
MAX_TERMS = 64
# The persistent rank of documents_fts (migration 2), spelled out: title, summary, body, pdf_text, authors.
RANK_WEIGHTS = (10.0, 4.0, 1.0, 1.0, 5.0)
RANK = f"bm25(documents_fts, {', '.join(map(str, RANK_WEIGHTS))})"

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


@dataclass(frozen=True, slots=True)
class Filters:
    """What a search is narrowed to: each given filter must hold (dates are YYYY-MM-DD, inclusive)."""

    source: str | None = None
    doc_type: str | None = None
    since: str | None = None
    until: str | None = None
    topic: str | None = None
    region: str | None = None
    author: str | None = None


# Filter -> SQL condition on `d` (documents); the names go through the link tables and their indexes.
_CONDITIONS = {
    "source": "d.source = ?",
    "doc_type": "d.doc_type = ?",
    "since": "d.published >= ?",
    "until": "substr(d.published, 1, 10) <= ?",
    "topic": "d.id IN (SELECT l.document_id FROM document_topics AS l JOIN topics AS n ON n.id = l.topic_id"
    " WHERE n.name = ?)",
    "region": "d.id IN (SELECT l.document_id FROM document_regions AS l JOIN regions AS n ON n.id = l.region_id"
    " WHERE n.name = ?)",
    "author": "d.id IN (SELECT l.document_id FROM document_authors AS l JOIN authors AS n ON n.id = l.author_id"
    " WHERE n.name = ?)",
}


def _where(filters: Filters) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    for name in ("since", "until"):
        value = getattr(filters, name)
        if value is not None and not _DATE.match(value):
            raise QueryError(f"{name} must be an ISO 8601 date such as 2024-05-31, not {_short(value)!r}")
    for name, condition in _CONDITIONS.items():
        value = getattr(filters, name)
        if value is not None:
            where.append(condition)
            params.append(value)
    return where, params


_COUNT = "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?"


def _run(conn: sqlite3.Connection, sql: str, params: list[object], query: str) -> list[tuple[Any, ...]]:
    try:
        return list(conn.execute(sql, params).fetchall())
    except UnicodeEncodeError as exc:  # lone surrogates in a filter value cannot be sent to SQLite
        raise QueryError(f"Cannot search with these filters: {exc}") from exc
    except sqlite3.OperationalError as exc:
        # build_match() should make this unreachable. Only errors about the query are the user's; a locked
        # or damaged database must still surface as what it is.
        if "fts5" not in str(exc) and "MATCH" not in str(exc):
            raise
        raise QueryError(f"Cannot search for {_short(query)!r}: {exc}") from exc


def run_search(
    conn: sqlite3.Connection,
    query: str,
    *,
    limit: int,
    source: str | None = None,
    doc_type: str | None = None,
    since: str | None = None,
    filters: Filters | None = None,
) -> list[SearchHit]:
    """Run a user query against documents_fts with filters; best hits first."""
    from storage.snippets import FTS_SNIPPETS_UP_TO, Texts, fts_snippets, lead, snippets

    if not isinstance(limit, int) or limit < 1:
        raise QueryError(f"limit must be a positive whole number, not {limit!r}")
    filters = filters or Filters(source=source, doc_type=doc_type, since=since)
    where, params = _where(filters)
    match = build_match(query)
    few_phrase = _ranked_phrase(conn, match, limit) if not where else None
    if few_phrase is not None:
        ranked = [(rowid, score) for rowid, score, _ in few_phrase]
    elif not where:
        # No filter: rank with bm25() in a query of its own. FTS5 scores every match whatever the LIMIT (there is
        # no early stop); calling bm25() directly is faster than `ORDER BY rank`, which FTS5 answers with a
        # nested statement and a re-seek per row (~1.5x at 100k matches).
        sql = (
            f"SELECT rowid, {RANK} AS score FROM documents_fts WHERE documents_fts MATCH ?"
            " ORDER BY score, rowid LIMIT ?"
        )
        ranked = _run(conn, sql, [match, limit], query)
    else:
        # With filters FTS5's own rank order is better: it reads documents only until `limit` rows passed,
        # where scoring first would read the document row of every match (published sits after the body).
        sql = f"""
            SELECT d.id, documents_fts.rank FROM documents_fts JOIN documents AS d ON d.id = documents_fts.rowid
            WHERE documents_fts MATCH ? AND {" AND ".join(where)} ORDER BY documents_fts.rank LIMIT ?
        """
        ranked = _run(conn, sql, [match, *params, limit], query)
    if not ranked:
        return []
    ids = [int(r[0]) for r in ranked]
    rows = {
        r[0]: r
        for r in conn.execute(
            "SELECT id, canonical_url, url, title, source, doc_type, published, body, summary, pdf_text, authors"
            f" FROM documents WHERE id IN ({', '.join('?' * len(ids))})",
            ids,
        )
    }
    # Many matches: snippets from the rows' own texts (storage.snippets), without a lookup per row in the index.
    found = (
        {rowid: text for rowid, _, text in few_phrase if text}
        if few_phrase is not None
        else fts_snippets(conn, ids, match, SNIPPET_START, SNIPPET_END)
        if len(ids) < limit or _run(conn, _COUNT, [match], query)[0][0] <= FTS_SNIPPETS_UP_TO
        else snippets(
            [Texts(i, rows[i][7], rows[i][8], rows[i][9], rows[i][3], rows[i][10]) for i in ids if i in rows],
            match,
            SNIPPET_START,
            SNIPPET_END,
        )
    )
    return [
        SearchHit(
            canonical_url=rows[i][1],
            url=rows[i][2],
            title=rows[i][3],
            source=rows[i][4],
            doc_type=rows[i][5],
            published=rows[i][6],
            snippet=found.get(i) or lead(rows[i][8] or "", rows[i][7] or ""),
            rank=float(score),
        )
        for i, score in zip(ids, (r[1] for r in ranked), strict=True)
        if i in rows
    ]


# A phrase of plain ASCII letters and digits: its FTS5 tokens are its words, stemmed (porter keeps the first letter).
_PLAIN_PHRASE = re.compile(r'"[a-z0-9]+(?: [a-z0-9]+)+"')
# Opens each hit in highlight(): characters no stored text holds together, so counting them counts the hits.
_HIT_MARK = "\ue000\x01\ue001"


def _varints(blob: bytes) -> list[int]:
    """The SQLite varints FTS5 writes in its averages record and docsize rows."""
    values: list[int] = []
    at = 0
    while at < len(blob):
        value = 0
        for k in range(9):
            byte = blob[at]
            at += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


def _ranked_phrase(conn: sqlite3.Connection, match: str, limit: int) -> list[tuple[int, float, str]] | None:
    """A one-phrase query with at most `limit` matches, ranked as RANK ranks it, each with its snippet; else None.

    FTS5's bm25() reads a phrase's matches twice (a second pass counts the rows that hold it, for its IDF), and
    snippets by row id a third time. A phrase matching few rows is read once here: its matches come with their
    snippet and their hits per column (highlight() markers), and bm25 is computed from them as FTS5 computes it
    (fts5_aux.c: k1 1.2, b 0.75, IDF from the match count, which for one phrase is its row count). More than
    `limit` matches: None, after reading only the first `limit` + 1 (the caller ranks as usual).
    """
    from storage.snippets import ELLIPSIS, SNIPPET_TOKENS, clean, focus

    lowered = match.lower()
    if not _PLAIN_PHRASE.fullmatch(lowered):
        return None
    words = lowered.strip('"').split()
    # Hits of a phrase could overlap (and highlight() would merge them) only if its first word came again in it;
    # a stem begins with its word's first letter, so a later word with another first letter cannot be it.
    if any(word[0] == words[0][0] for word in words[1:]):
        return None
    highlights = ", ".join(f"highlight(documents_fts, {column}, ?, '')" for column in range(len(RANK_WEIGHTS)))
    cursor = conn.execute(
        f"SELECT rowid, snippet(documents_fts, -1, ?, ?, ?, {SNIPPET_TOKENS}), {highlights}"
        " FROM documents_fts WHERE documents_fts MATCH ?",
        [SNIPPET_START, SNIPPET_END, ELLIPSIS, *[_HIT_MARK] * len(RANK_WEIGHTS), match],
    )
    try:
        rows = cursor.fetchmany(limit + 1)
    finally:
        cursor.close()
    if len(rows) > limit:
        return None
    if not rows:
        return []
    averages = conn.execute("SELECT block FROM documents_fts_data WHERE id = 1").fetchone()
    sizes = dict(
        conn.execute(
            f"SELECT id, sz FROM documents_fts_docsize WHERE id IN ({', '.join('?' * len(rows))})",
            [row[0] for row in rows],
        ).fetchall()
    )
    if averages is None or len(sizes) < len(rows):  # sizes missing (a damaged index): bm25() decides
        return None
    n_row, *column_totals = _varints(averages[0])
    avgdl = sum(column_totals) / n_row
    k1, b = 1.2, 0.75
    idf = math.log((n_row - len(rows) + 0.5) / (len(rows) + 0.5))
    idf = idf if idf > 0.0 else 1e-6
    ranked = []
    for rowid, snippet, *marked in rows:
        freq = 0.0
        for weight, text in zip(RANK_WEIGHTS, marked, strict=True):
            freq += weight * (text or "").count(_HIT_MARK)
        size = float(sum(_varints(sizes[rowid])))
        score = idf * ((freq * (k1 + 1.0)) / (freq + k1 * (1 - b + b * size / avgdl)))
        found = focus(clean(snippet), SNIPPET_START) if SNIPPET_START in (snippet or "") else ""
        ranked.append((rowid, -1.0 * score, found))
    ranked.sort(key=lambda row: (row[1], row[0]))
    return ranked


def count_matches(conn: sqlite3.Connection, query: str, filters: Filters) -> int:
    """How many publications a query matches with these filters."""
    where, params = _where(filters)
    match = build_match(query)
    if not where:
        sql = "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?"
    else:
        sql = f"""
            SELECT count(*) FROM documents_fts JOIN documents AS d ON d.id = documents_fts.rowid
            WHERE documents_fts MATCH ? AND {" AND ".join(where)}
        """
    return int(_run(conn, sql, [match, *params], query)[0][0])


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
