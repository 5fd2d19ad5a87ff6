"""`migdigest search`: filters, JSON, snippets, and hostile input answered with results or a clear message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.app import app
from migdigest.models import Publication
from storage import Digest
from storage.search import RANK, build_match
from tests.test_datasette import HOSTILE, XSS_URL, build_demo_digest, known_report

REPO = Path(__file__).resolve().parents[1]

# More than the Datasette list: what only a command line can receive.
CLI_HOSTILE = [
    *HOSTILE,
    "",
    "   ",
    "\udcff\udcfe",  # undecodable bytes in argv arrive as lone surrogates
    "NEAR",
    "asylum NEAR migrants",
    "documents_fts MATCH 'x'",
    "\x00asylum",
    "a" * 10_000,
]


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_digest(tmp_path_factory.mktemp("search-cli") / "digest.db")


def search(digest: Path, *args: str) -> Any:
    """Run `migdigest search --db DIGEST ARGS` in process; the Click result (stdout and stderr apart)."""
    return CliRunner().invoke(app, ["search", "--db", str(digest), *args])


def hits(result: Any) -> list[dict[str, Any]]:
    assert result.exit_code == 0, (result.output, result.stderr)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_json_lines_with_snippets_best_first(digest: Path) -> None:
    report = known_report()
    phrase = " ".join(report.body.split("\n")[-1].split()[:8])
    found = hits(search(digest, f'"{phrase}"', "--json"))
    assert found[0]["url"] == report.url
    assert found[0]["title"] == report.title
    assert set(found[0]) == {"canonical_url", "url", "title", "source", "doc_type", "published", "snippet", "rank"}
    assert "[" in found[0]["snippet"]
    assert "]" in found[0]["snippet"]
    ranked = hits(search(digest, "remittances", "--json"))
    assert [h["rank"] for h in ranked] == sorted(h["rank"] for h in ranked)


def test_text_output_shows_title_url_and_marked_snippet(digest: Path) -> None:
    result = search(digest, "remittances", "--limit", "2")
    assert result.exit_code == 0
    found = hits(search(digest, "remittances", "--json", "--limit", "2"))
    text = " ".join(result.stdout.split())  # rich wraps long lines
    for hit in found:
        assert hit["title"] in text
        assert hit["url"] in text
        assert " ".join(hit["snippet"].split()) in text
    assert "[Remittances]" in text or "[remittances]" in text
    assert "https://" in text
    assert "mpi · " in text
    nothing = search(digest, "zzzyyyxxx")
    assert nothing.exit_code == 0
    assert nothing.stdout.strip() == "no results"


def test_filters_source_type_since_and_limit(digest: Path) -> None:
    everything = hits(search(digest, "migration", "--json", "--limit", "500"))
    assert len({h["source"] for h in everything}) >= 2 or len(everything) > 20
    assert {h["source"] for h in hits(search(digest, "smuggling", "--json", "--source", "odi"))} == {"odi"}
    reports = hits(search(digest, "migration", "--json", "--type", "report", "--limit", "500"))
    assert reports
    assert {h["doc_type"] for h in reports} == {"report"}
    recent = hits(search(digest, "migration", "--json", "--since", "2024-01-01", "--limit", "500"))
    assert recent
    assert all(h["published"] >= "2024-01-01" for h in recent)
    assert len(recent) < len(everything)
    both = hits(search(digest, "migration", "--json", "--source", "mpi", "--type", "article", "--since", "2020"))
    assert both
    assert all(h["source"] == "mpi" and h["doc_type"] == "article" for h in both)
    assert len(hits(search(digest, "migration", "--json", "--limit", "3"))) == 3
    unknown = search(digest, "migration", "--json", "--source", "nobody")
    assert unknown.exit_code == 2
    assert "unknown --source 'nobody'; this digest has: mmc, mpi, odi" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x", "--since", "yesterday"], "error: --since 'yesterday' is not a date: write YYYY-MM-DD"),
        (["x", "--since", "2024-13-99x"], "error: --since '2024-13-99x' is not a date"),
        (["x", "--until", "2024-02-30"], "error: --until '2024-02-30' is not a date"),
        (["x", "--since", "2024-05-01", "--until", "2024-01-01"], "is after --until 2024-01-01: swap them"),
        (["x", "--source", "\udcff"], "error: unknown --source '\\udcff'; this digest has: mmc, mpi, odi"),
        (["x", "--type", "book"], "error: unknown --type 'book'; this digest has: article, commentary"),
        (["x", "--topic", "Nope"], "error: unknown --topic 'Nope'; this digest has: "),
        (["x", "--region", "Mars"], "error: unknown --region 'Mars'; this digest has: Europe"),
        (["!!! ??? ..."], "error: Nothing to search for"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(digest: Path, args: list[str], message: str) -> None:
    result = search(digest, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.exception is not None
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_limit_out_of_range_and_missing_digest(digest: Path, tmp_path: Path) -> None:
    result = search(digest, "x", "--limit", "0")
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr
    missing = CliRunner().invoke(app, ["search", "x", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1
    assert "error: no digest at" in missing.stderr


@pytest.mark.parametrize("text", CLI_HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_queries_give_results_or_a_clear_message(digest: Path, text: str) -> None:
    # A query that starts with "-" reads as an option unless `--` comes first (see the next test).
    result = search(digest, "--json", "--", text) if text.startswith("-") else search(digest, text, "--json")
    assert isinstance(result.exception, SystemExit | None), result.exception
    if result.exit_code == 0:
        for line in result.stdout.splitlines():
            json.loads(line)
    else:
        assert result.exit_code == 2, (result.exit_code, result.stderr)
        assert result.stderr.startswith("error:"), (result.exit_code, result.stderr)


def test_a_query_that_looks_like_an_option_is_a_usage_error(digest: Path) -> None:
    result = search(digest, "-asylum")
    assert result.exit_code == 2
    assert "No such option" in result.stderr
    assert "Traceback" not in result.output


def test_hostile_queries_in_a_real_process(digest: Path) -> None:
    everything = "\"NEAR(asylum title:asylum '; DROP TABLE documents; -- ^x* OR " + "a" * 10_000
    for text in (everything, '"" ( ) * :'):  # words to search for; none at all
        out = subprocess.run(
            [sys.executable, "-m", "cli.app", "search", text, "--db", str(digest)],
            capture_output=True, text=True, cwd=REPO, timeout=60,
        )  # fmt: skip
        assert out.returncode in (0, 2), (text[:40], out.returncode, out.stderr[-2000:])
        assert "Traceback" not in out.stderr
        assert "Traceback" not in out.stdout
        assert out.returncode == 0 or out.stderr.startswith("error:")
    with Digest(digest) as db:  # and the SQL in the query did nothing
        assert db.document(XSS_URL) is not None
        assert db.integrity_check() == []


def test_ranking_is_the_persistent_fts5_rank(digest: Path) -> None:
    """Digest.search() spells bm25 out for speed; it must order exactly as documents_fts's stored rank does."""
    with Digest(digest) as db:
        config = db._db.execute("SELECT v FROM documents_fts_config WHERE k = 'rank'").fetchone()[0]
        assert RANK.replace("documents_fts, ", "") == config
        for query in ("remittances", "migration policy", '"labor migration"', "refugee* OR asylum", "sahel"):
            expected = db._db.execute(
                "SELECT d.canonical_url FROM documents_fts JOIN documents AS d ON d.id = documents_fts.rowid"
                " WHERE documents_fts MATCH ? ORDER BY documents_fts.rank, d.id LIMIT 10",
                [build_match(query)],
            ).fetchall()
            assert [h.canonical_url for h in db.search(query, limit=10)] == [r[0] for r in expected], query


def test_topic_region_author_and_until_filters_with_a_count(digest: Path) -> None:
    with Digest(digest) as db:
        docs = {d["canonical_url"]: d for d in db.documents()}
    remittances = hits(search(digest, "remittances", "--json", "--topic", "Remittances", "--limit", "500"))
    assert remittances
    assert all("Remittances" in docs[h["canonical_url"]]["topics"] for h in remittances)
    sahel = hits(search(digest, "smuggling", "--json", "--region", "Sahel"))
    assert {h["source"] for h in sahel} == {"mmc", "odi"}
    report = known_report()
    by = hits(search(digest, "migra*", "--json", "--author", report.authors[0], "--limit", "500"))
    assert by
    assert all(report.authors[0] in docs[h["canonical_url"]]["authors"] for h in by)
    old = hits(search(digest, "migra*", "--json", "--until", "2016-12-31", "--limit", "500"))
    assert old
    assert all(h["published"][:10] <= "2016-12-31" for h in old)
    every = hits(search(digest, "migration", "--json", "--limit", "500"))
    text = search(digest, "migration", "--limit", "3")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0] == f"{len(every)} results, the best 3 shown (--limit)"
    few = search(digest, "smuggling", "--region", "Sahel")
    assert few.stdout.splitlines()[0] == "2 results"
    unknown = search(digest, "x", "--author", report.authors[0][:-1])
    assert unknown.exit_code == 2
    assert f"did you mean: {report.authors[0]}" in unknown.stderr or "this digest has" in unknown.stderr


def test_urls_stay_whole_and_markup_in_titles_is_text_on_an_80_column_terminal(tmp_path: Path) -> None:
    import fcntl
    import os
    import pty
    import struct
    import termios

    path = build_demo_digest(tmp_path / "digest.db")
    url = "https://www.example.org/research/" + "a-very-long-publication-slug-" * 4 + "final"
    title = "Power [/b] and [bold]markup[/bold] in a [link=https://evil.example]title[/link]"
    with Digest(path) as db:
        db.store([Publication("odi", url, url, title, "Zanzibarian shipping routes.", published="2024-01-01")],
                 "2026-11-20T02:00:00+00:00")  # fmt: skip
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.app", "search", "zanzibarian", "--db", str(path)],
        stdout=terminal, stderr=terminal, cwd=REPO, env=env,
    )  # fmt: skip
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=60) == 0
    os.close(controller)
    import re

    screen = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode("utf-8")).replace("\r", "")
    lines = screen.splitlines()
    assert len(url) > 80
    assert url in lines  # on a line of its own, neither wrapped nor cut
    assert title in " ".join(lines)  # markup printed as the text it is
    assert lines[0] == "1 result"
