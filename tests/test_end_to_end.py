"""Mirror → Prefect `nightly` flow → digest → `migdigest search` and a real Datasette, end to end."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from storage import Digest

REPO = Path(__file__).resolve().parents[1]
REAL = "https://www.migrationpolicy.org"


@pytest.fixture(scope="module")
def digest(prefect_harness: None, mpi_mirror: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MPI mirror crawled twice by the real flow into one digest."""
    from flows.nightly import nightly

    db_path = tmp_path_factory.mktemp("e2e") / "digest.db"
    first = nightly(sources=["mpi"], db_path=db_path, base_urls={"mpi": mpi_mirror})
    second = nightly(sources=["mpi"], db_path=db_path, base_urls={"mpi": mpi_mirror})
    (db_path.parent / "reports.json").write_text(json.dumps([first, second]))
    return db_path


def _reports(db_path: Path) -> list[list[dict[str, Any]]]:
    return list(json.loads((db_path.parent / "reports.json").read_text()))


def test_every_publication_is_stored_once_with_its_fields(digest: Path) -> None:
    from mirrors import SITES

    truth = {REAL + p.path: p for p in SITES["mpi"].publications()}
    with Digest(digest) as db:
        rows = db.documents("mpi")
        assert len(rows) == len(truth)
        assert len({r["canonical_url"] for r in rows}) == len(rows)
        for row in rows:
            expected = truth[row["url"]]
            assert row["canonical_url"] == row["url"].replace("://www.", "://")
            assert row["title"] == expected.title
            assert row["authors"] == list(expected.authors)
            assert row["published"] == expected.published.isoformat()
            assert row["doc_type"] == expected.doc_type
            assert row["summary"] == expected.summary
            assert row["language"] == "en"
            assert expected.first_sentence in row["body"]
            assert expected.last_sentence in row["body"]
            assert row["pdf_url"] == (REAL + expected.pdf_path if expected.pdf_path else None)
            if expected.pdf_text_snippet:
                assert expected.pdf_text_snippet in " ".join(row["pdf_text"].split())
                assert row["pdf_pages"] >= 2
        assert db.integrity_check() == []


def test_second_run_stores_nothing_new(digest: Path) -> None:
    first, second = _reports(digest)
    assert first[0]["new"] == first[0]["stored"] > 0
    assert first[0]["errors"] == {}
    assert second[0]["new"] == 0
    assert second[0]["changed"] == 0
    assert second[0]["unchanged"] == first[0]["stored"]
    with Digest(digest) as db:
        runs = db.last_runs()
        assert [r["status"] for r in runs] == ["ok", "ok"]
        assert runs[0]["pages_fetched"] > 0


def _known_phrase() -> tuple[str, str]:
    from mirrors import SITES

    pub = next(p for p in SITES["mpi"].publications() if p.doc_type == "report")
    return pub.last_sentence, REAL + pub.path


def test_cli_search_finds_a_known_phrase(digest: Path) -> None:
    sentence, url = _known_phrase()
    words = " ".join(sentence.split()[:8])
    out = subprocess.run(
        [sys.executable, "-m", "cli.app", "search", f'"{words}"', "--json", "--db", str(digest)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    hits = [json.loads(line) for line in out.stdout.splitlines()]
    assert hits
    assert hits[0]["url"] == url
    assert "[" in hits[0]["snippet"]


def test_pdf_text_is_searchable(digest: Path) -> None:
    from mirrors import SITES

    pub = next(p for p in SITES["mpi"].publications() if p.pdf_text_snippet)
    assert pub.pdf_text_snippet is not None
    words = " ".join(pub.pdf_text_snippet.split()[:7])
    with Digest(digest) as db:
        hits = db.search(f'"{words}"')
    assert [h.url for h in hits][:1] == [REAL + pub.path]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_datasette_answers_a_search_over_its_json_api(digest: Path) -> None:
    sentence, url = _known_phrase()
    port = _free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "cli.app", "serve", "--db", str(digest), "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    ) as proc:  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise AssertionError("Datasette did not start") from None
                    time.sleep(0.3)
            query = urllib.parse.urlencode({"_search": " ".join(sentence.split()[:6]), "_shape": "array"})
            rows = json.loads(urllib.request.urlopen(f"{base}/digest/documents.json?{query}", timeout=10).read())
            assert url in [r["url"] for r in rows]
            html = urllib.request.urlopen(f"{base}/digest/documents", timeout=10).read().decode()
            assert "Search publications" in html  # the table page leads to the search page
            assert 'name="q"' in html
        finally:
            proc.terminate()
            proc.wait(timeout=10)
