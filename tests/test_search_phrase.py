"""A phrase with few matches is read once (storage.search._ranked_phrase): same order, ranks and snippets as bm25."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator

import pytest

from migdigest.models import Publication
from storage import Digest, build_match
from storage.search import RANK, SNIPPET_END, SNIPPET_START, _ranked_phrase, run_search
from storage.snippets import fts_snippets, lead

WORDS = ("border", "asylum", "labour", "mobility", "return", "camp", "policy", "route", "sahel", "quota", "visa")


def publications() -> list[Publication]:
    """Publications whose fields hold a few phrases, once or several times, in every indexed column."""
    rng = random.Random(3)
    pubs = []
    for n in range(80):
        words = [rng.choice(WORDS) for _ in range(rng.randint(20, 400))]
        if n % 3 == 0:
            words[rng.randrange(len(words)) :] = ["labour", "mobility", *words[-3:]]  # phrase in the body
        pubs.append(
            Publication(
                source="mmc",
                url=f"https://example.org/p/{n}",
                canonical_url=f"https://example.org/p/{n}",
                title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
                + (" green corridors" if n % 11 == 0 else ""),
                summary=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 30)))
                + (" green corridors. Green corridors!" if n % 17 == 0 else ""),
                body=" ".join(words).replace("camp policy", "camp policy.\n"),
                pdf_text="Annex on green corridors and seasonal quota schemes" if n % 13 == 0 else "",
                authors=["Ana Green Corridors"] if n == 40 else ["Jo Visa"],
            )
        )
    return pubs


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path = tmp_path_factory.mktemp("phrase") / "digest.db"
    with Digest(path) as db:
        db.store(publications(), "2026-12-06T00:00:00+00:00")
    connection = sqlite3.connect(path)
    yield connection
    connection.close()


def bm25_then_snippets(conn: sqlite3.Connection, query: str, limit: int) -> list[tuple[str, float, str]]:
    """The general path: bm25() ranking in SQL, then snippet() by row id (what run_search does for other queries)."""
    match = build_match(query)
    ranked = conn.execute(
        f"SELECT rowid, {RANK} AS s FROM documents_fts WHERE documents_fts MATCH ? ORDER BY s, rowid LIMIT ?",
        [match, limit],
    ).fetchall()
    found = fts_snippets(conn, [r[0] for r in ranked], match, SNIPPET_START, SNIPPET_END)
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            f"SELECT id, canonical_url, summary, body FROM documents WHERE id IN ({', '.join('?' * len(ranked))})",
            [r[0] for r in ranked],
        )
    }
    return [(rows[i][0], score, found.get(i) or lead(rows[i][1], rows[i][2])) for i, score in ranked]


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ('"green corridors"', 20),  # title, summary (twice), PDF text and an author's name
        ('"green corridors"', 13),
        ('"labour mobility"', 30),  # in the bodies of a third of the publications
        ('"camp policy"', 500),  # across a line break
        ('"Green CORRIDORS"', 20),
        ("'green corridors'", 20),  # not quoted: two words, the general path
    ],
)
def test_few_matches_rank_and_quote_as_bm25_does(conn: sqlite3.Connection, query: str, limit: int) -> None:
    expected = bm25_then_snippets(conn, query, limit)
    assert expected
    got = [(h.canonical_url, h.rank, h.snippet) for h in run_search(conn, query, limit=limit)]
    assert got == expected  # ranks equal as floats, not approximately
    total = conn.execute(
        "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [build_match(query)]
    ).fetchone()[0]
    one_pass = _ranked_phrase(conn, build_match(query), limit)
    assert (one_pass is not None) == (query.startswith('"') and total <= limit)


def test_many_matches_fall_back_to_bm25(conn: sqlite3.Connection) -> None:
    match = build_match('"labour mobility"')
    total = conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [match]).fetchone()[0]
    assert total > 5
    assert _ranked_phrase(conn, match, 5) is None
    assert _ranked_phrase(conn, match, total) is not None
    got = [(h.canonical_url, h.rank, h.snippet) for h in run_search(conn, '"labour mobility"', limit=5)]
    assert got == bm25_then_snippets(conn, '"labour mobility"', 5)


@pytest.mark.parametrize(
    "query",
    [
        '"route return"',  # the first word's letter comes again: hits could overlap, so bm25 counts them
        '"café policy"',  # not plain ASCII: the tokenizer's folding decides what a word is
        '"policy"',  # one word
        '"labour mobility" border',  # more than one phrase
        '"labour mobil"*',  # a prefix
    ],
)
def test_other_queries_take_the_general_path(conn: sqlite3.Connection, query: str) -> None:
    assert _ranked_phrase(conn, build_match(query), 500) is None


def test_no_match_is_an_empty_result(conn: sqlite3.Connection) -> None:
    assert _ranked_phrase(conn, build_match('"green visa corridors"'), 20) == []
    assert run_search(conn, '"green visa corridors"', limit=20) == []
