"""One challenge page does not sink a site; a source whose answers are mostly challenges is blocked, stores
nothing and alerts (issue 18, finding 15). Real crawls of the MPI mirror with challenges ordered on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from extract.stage import ExtractResult, extract_run
from extract.taxonomy import Taxonomy, load_taxonomy
from flows.nightly import run_stats
from migdigest.config import load_config
from migdigest.models import RunStats
from migdigest.taxonomy import taxonomy_path
from mirrors.server import MirrorServer
from spiders.challenge import WINDOW, dominated, source_blocked
from spiders.crawl import CrawlOutcome, run_crawl

REAL = "https://www.migrationpolicy.org"


@pytest.fixture(scope="module")
def server() -> Iterator[MirrorServer]:
    with MirrorServer("mpi") as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(server: MirrorServer) -> Iterator[None]:
    yield
    server.faults.clear()


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(taxonomy_path(None))


def crawl(server: MirrorServer, tmp: Path, taxonomy: Taxonomy) -> tuple[CrawlOutcome, ExtractResult, RunStats]:
    source = load_config().source("mpi")
    outcome = run_crawl(source, tmp / "run", base_url=server.base_url)
    assert outcome.ok, outcome.stderr_tail
    result = extract_run(outcome.run_dir, source, taxonomy=taxonomy, workers=1)
    return outcome, result, run_stats("mpi", "2026-12-06T03:00:00+00:00", outcome, result)


def test_the_rule_half_of_the_first_twenty_or_of_all() -> None:
    assert not dominated(1, 1)  # too early to judge during a crawl ...
    assert dominated(1, 1, finished=True)  # ... but a crawl that saw only a challenge is blocked
    assert not dominated(WINDOW // 2 - 1, WINDOW)
    assert dominated(WINDOW // 2, WINDOW)
    assert not dominated(1, 390, finished=True)
    assert dominated(200, 390, finished=True)
    assert source_blocked({}, {"blocked": 1})
    assert not source_blocked({"migdigest/responses": 50, "migdigest/challenges": 1}, {"challenge": 1})
    assert source_blocked({}, {"challenge": 3})  # a killed crawl left no stats: its failures judge


def test_one_challenge_page_is_one_failed_url(server: MirrorServer, tmp_path: Path, taxonomy: Taxonomy) -> None:
    from mirrors import SITES

    victim = SITES["mpi"].publications()[3].path
    server.faults.add(victim, "challenge", status=403)
    outcome, result, stats = crawl(server, tmp_path, taxonomy)
    assert stats.status == "ok", stats.message
    assert stats.errors.get("challenge") == 1
    assert "blocked" not in stats.errors
    assert [(f["url"], f["kind"]) for f in result.failures if f["kind"] == "challenge"] == [
        (REAL + victim, "challenge")
    ]
    stored = {p.url for p in result.publications}
    assert len(stored) == 46
    assert REAL + victim not in stored
    assert outcome.stats["migdigest/challenges"] == 1


def test_a_challenge_served_as_200_is_not_stored(server: MirrorServer, tmp_path: Path, taxonomy: Taxonomy) -> None:
    from mirrors import SITES

    victim = SITES["mpi"].publications()[5].path
    server.faults.add(victim, "challenge", status=200)
    _, result, stats = crawl(server, tmp_path, taxonomy)
    assert stats.status == "ok"
    assert REAL + victim not in {p.url for p in result.publications}
    assert len(result.publications) == 46


def test_when_challenges_dominate_the_crawl_stops_and_stores_nothing(
    server: MirrorServer, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    from outputs.health import assess

    server.faults.add("/research", "challenge", prefix=True)  # 27 of the 47 publications
    server.faults.add("/news", "challenge", prefix=True)  # and 10 more
    outcome, result, stats = crawl(server, tmp_path, taxonomy)
    assert stats.status == "blocked"
    assert "bot challenge" in stats.message
    assert result.publications == []
    assert stats.errors.get("blocked") == 1
    responses = outcome.stats["migdigest/responses"]
    assert WINDOW <= responses < 47, "the crawl went on after challenges dominated"
    assert outcome.stats["migdigest/challenges"] >= responses / 2
    run = {**{k: getattr(stats, k) for k in ("source", "status", "new", "changed", "unchanged", "errors")},
           "discovered": stats.discovered, "live_documents": 0, "message": stats.message}  # fmt: skip
    assert [(f.source, f.level) for f in assess([run])][:1] == [("mpi", "alert")]
