"""A site without validators or dates is not downloaded in full every night: unchanged pages are checked after 1,
2, 4... days up to a maximum, while new, gone and changed pages are still seen (issue 18, finding 12).

Simulated nights on a real crawl: the MPI mirror with no ETag or Last-Modified, discovered only through its
listing without dates; the clock is handed in (`now`), nothing sleeps."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from extract.stage import extract_run
from extract.taxonomy import Taxonomy, load_taxonomy
from flows.storing import apply_result
from migdigest.config import Listing, Source, load_config
from migdigest.taxonomy import taxonomy_path
from mirrors.server import MirrorServer
from spiders.crawl import run_crawl
from spiders.incremental import page_key
from spiders.rundir import read_pages
from storage import Digest

MAX_DAYS = 4


@dataclass
class Night:
    day: int
    fetched: int  # publication pages downloaded in full
    counts: dict[str, int]


def listing_only() -> Source:
    """MPI found only through its listing, which gives no dates, read in full every night."""
    source = load_config().source("mpi")
    (listing,) = source.discovery.listings
    plain = Listing.model_validate({**listing.model_dump(), "date": None, "stop_when_known": False})
    discovery = source.discovery.model_copy(update={"sitemaps": [], "feeds": [], "listings": [plain]})
    return source.model_copy(update={"discovery": discovery, "revisit_max_days": MAX_DAYS})


# Nine whole crawls of the MPI mirror, shared by every test here.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> list[Night]:
    taxonomy: Taxonomy = load_taxonomy(taxonomy_path(None))
    source = listing_only()
    folder = tmp_path_factory.mktemp("revisit")
    db_path = folder / "digest.db"
    done: list[Night] = []

    def night(server: MirrorServer, day: int) -> None:
        now = f"2026-12-{day + 1:02d}T03:00:00+00:00"
        with Digest(db_path) as db:
            known = {page_key(url): state for url, state in db.known_pages("mpi", now=now).items()}
        outcome = run_crawl(source, folder / f"day{day}", base_url=server.base_url, known=known)
        assert outcome.ok, outcome.stderr_tail
        pages = [p for p in read_pages(outcome.run_dir) if not p.hints.get("pdf_of")]
        result = extract_run(outcome.run_dir, source, taxonomy=taxonomy, workers=1)
        with Digest(db_path) as db:
            counts = apply_result(db, result, now, revisit_max_days=MAX_DAYS)
        done.append(Night(day, len(pages), counts))

    with MirrorServer("mpi", validators=False) as first:
        for day in range(5):
            night(first, day)
    with MirrorServer("mpi-night2", validators=False) as second:  # new, changed, removed and moved publications
        for day in range(5, 9):
            night(second, day)
    return done


def test_no_validators_and_no_dates(nights: list[Night]) -> None:
    from mirrors import SITES

    with MirrorServer("mpi", validators=False) as server:
        import urllib.request

        with urllib.request.urlopen(server.base_url + SITES["mpi"].publications()[0].path) as response:
            assert response.headers["ETag"] is None
            assert response.headers["Last-Modified"] is None


def test_unchanged_pages_are_checked_less_and_less_often(nights: list[Night]) -> None:
    print("\n".join(f"day {n.day}: fetched {n.fetched}, {n.counts}" for n in nights))
    by_day = {n.day: n for n in nights}
    assert by_day[0].counts["new"] == 47
    # Due after 1 day, then 2, then 4 (the maximum): nights 1 and 3 check everything, nights 2 and 4 nothing.
    assert [by_day[d].fetched for d in range(5)] == [47, 47, 0, 47, 0]
    assert by_day[1].counts["unchanged"] == by_day[3].counts["unchanged"] == 47
    # Skipped pages are still listed, so still confirmed as seen.
    assert by_day[2].counts["unchanged"] == by_day[4].counts["unchanged"] == 47
    assert sum(n.fetched for n in nights) < len(nights) * 47 / 2


def test_new_and_gone_are_seen_the_night_they_happen(nights: list[Night]) -> None:
    from mirrors import SITES

    changes = SITES["mpi-night2"].edition_changes()
    night5 = next(n for n in nights if n.day == 5)
    assert night5.counts["new"] >= len(changes.new)
    assert night5.counts["gone"] == 1  # the removed page left the listing: asked for at once, 410
    assert night5.counts["changed"] == 0  # the edited page is not due yet


def test_a_change_is_seen_within_the_maximum_age(nights: list[Night]) -> None:
    changed_on = [n.day for n in nights if n.counts["changed"]]
    assert changed_on, "the edited publication was never fetched again"
    assert 5 < changed_on[0] <= 3 + MAX_DAYS
