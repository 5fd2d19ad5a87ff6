"""Snippets of a page of results: made in a private in-memory FTS5 table that holds only that page's texts.

The digest's own snippet() needs its FTS cursor on each row; a `rowid =` lookup of a common word re-reads that
word's whole doclist (~5 ms a row at 100,000 publications) and snippet() tokenizes whole bodies and PDF texts.
Here each row's text is cut to the few paragraphs that may hold a hit, indexed with the digest's tokenizer in
memory, and FTS5 marks the hits exactly as the digest's index would have matched them.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "…"
SNIPPET_TOKENS = 28
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+")
_local = threading.local()


@dataclass(frozen=True, slots=True)
class Texts:
    """What a row can be quoted from, best first: body, summary, PDF text, title, authors."""

    id: int
    body: str
    summary: str
    pdf_text: str
    title: str
    authors: str = ""


def _db() -> sqlite3.Connection:
    """This thread's in-memory database with an empty FTS5 table, tokenized as documents_fts is (migration 2)."""
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(":memory:", isolation_level=None)
    # A new table costs less than deleting the last page's rows (FTS5 tokenizes a deleted row again).
    conn.execute("DROP TABLE IF EXISTS page")
    conn.execute(
        "CREATE VIRTUAL TABLE page USING fts5(body, summary, pdf_text, title, authors,"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    return conn


def clean(text: str) -> str:
    """One line: every run of whitespace (line breaks included) as one space."""
    return _SPACE.sub(" ", text).strip()


def focus(text: str, start: str, before: int = 60) -> str:
    """The snippet cut to begin shortly before its first hit, so that a one-line display shows the hit."""
    at = text.find(start)
    if at <= before:
        return text
    cut = text.find(" ", at - before)
    return ELLIPSIS + text[cut + 1 if 0 <= cut < at else at :]


def lead(summary: str, body: str, size: int = 220) -> str:
    """The opening of the summary (or else the body) on one line: the snippet of a row without hits."""
    text = clean(summary[: size * 4]) or clean(body[: size * 4])
    if len(text) <= size:
        return text
    return text[:size].rsplit(" ", 1)[0] + ELLIPSIS


def _near(match: str) -> re.Pattern[str]:
    """Words that may be hits of the query: each term's first five letters, any case (porter stems are shorter)."""
    stems = {word[:5] for word in _WORD.findall(match)}
    return re.compile("|".join(re.escape(stem) for stem in sorted(stems)) or "(?!)", re.IGNORECASE)


def _passages(text: str, near: re.Pattern[str], most: int = 3) -> str:
    """The paragraphs of a text most likely to hold the hits: most distinct query terms first, then in order."""
    scored = []
    for at, paragraph in enumerate(text.split("\n")):
        terms = {m.casefold() for m in near.findall(paragraph)}
        if terms:
            scored.append((-len(terms), at, paragraph))
    return "\n".join(p for _, _, p in sorted(scored)[:most])


def snippets(rows: Sequence[Texts], match: str, start: str, end: str) -> dict[int, str]:
    """Each row's best passage for an FTS5 MATCH expression, hits between `start` and `end`, on one line."""
    if not rows:
        return {}
    conn = _db()
    near = _near(match)
    conn.execute("BEGIN")  # one transaction: FTS5 writes one segment, not one per row
    try:
        conn.executemany(
            "INSERT INTO page (rowid, body, summary, pdf_text, title, authors) VALUES (?, ?, ?, ?, ?, ?)",
            [(r.id, _passages(r.body, near), r.summary, _passages(r.pdf_text, near), r.title, r.authors) for r in rows],
        )
    finally:
        conn.execute("COMMIT")
    found: dict[int, str] = {}
    for column in range(5):
        if len(found) == len(rows):
            break
        sql = f"SELECT rowid, snippet(page, {column}, ?, ?, ?, {SNIPPET_TOKENS}) FROM page WHERE page MATCH ?"
        for rowid, text in conn.execute(sql, [start, end, ELLIPSIS, match]):
            if rowid not in found and start in (text or ""):
                found[rowid] = focus(clean(text), start)
    return found


# Up to this many matches the digest's own index makes the snippets: a `rowid =` lookup is cheap for a short
# doclist, and FTS5 tokenizes only the columns that hold a hit.
FTS_SNIPPETS_UP_TO = 2_000


def fts_snippets(conn: sqlite3.Connection, ids: Sequence[int], match: str, start: str, end: str) -> dict[int, str]:
    """Each id's best passage from documents_fts's snippet() (use for queries with few matches)."""
    if not ids:
        return {}
    sql = (
        f"SELECT rowid, snippet(documents_fts, -1, ?, ?, ?, {SNIPPET_TOKENS}) FROM documents_fts"
        f" WHERE documents_fts MATCH ? AND rowid IN ({', '.join('?' * len(ids))})"
    )
    return {
        rowid: focus(clean(text), start)
        for rowid, text in conn.execute(sql, [start, end, ELLIPSIS, match, *ids])
        if start in (text or "")
    }
