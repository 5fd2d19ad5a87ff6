"""Every fault a real web throws, ordered on the mirror: the run finishes, the fault is recorded against the URL
and the source, the good publications of the same run are stored, and the next run picks up what failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from migdigest.paths import CONFIG_DIR
from mirrors.server import MirrorServer
from storage import Digest

REAL = "https://www.migrationpolicy.org"
# fault kind (and parameters) -> the failure kind the run records for that URL
LOST: dict[str, tuple[dict[str, Any], str]] = {
    "http_500": ({"kind": "status", "status": 500}, "http_500"),
    "http_502": ({"kind": "status", "status": 502}, "http_502"),
    "http_503": ({"kind": "status", "status": 503}, "http_503"),
    "slow": ({"kind": "slow", "delay": 6.0}, "timeout"),
    "reset": ({"kind": "reset"}, "connection_lost"),
    "truncated": ({"kind": "truncated"}, "truncated"),
    "huge": ({"kind": "huge"}, "too_big"),
    "gzip_bomb": ({"kind": "gzip_bomb"}, "too_big"),
    "redirect_loop": ({"kind": "redirect_loop"}, "redirect_loop"),
}


@pytest.fixture(scope="module")
def faulty_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MPI source with a short timeout, and a listing that leads into an endless calendar."""
    config = yaml.safe_load((CONFIG_DIR / "sources.d" / "mpi.yaml").read_text())
    entry = config["sources"]["mpi"]
    entry["politeness"] = {"delay": 0, "concurrency": 4, "timeout": 2}
    entry["discovery"]["listings"].append(
        {"url": "/events/calendar", "item": ".calendar-days li", "link": "a", "next": "a[rel=next]", "max_pages": 5}
    )
    folder = tmp_path_factory.mktemp("faulty-config")
    (folder / "sources.yaml").write_text(yaml.safe_dump(config))
    return folder


@pytest.fixture(scope="module")
def nights(
    prefect_harness: None, faulty_config: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], dict[str, Any], dict[str, Any], int]:
    """Night 1 with a fault on one publication per kind; night 2 with the faults gone."""
    from flows.nightly import nightly
    from mirrors import SITES

    # PDFs would add their own requests; not needed here
    pubs = [p for p in SITES["mpi"].publications() if not p.pdf_path]
    victims = {name: pubs[i].path for i, name in enumerate([*LOST, "binary", "charset", "once_429", "robots"])}
    db_path = tmp_path_factory.mktemp("faults") / "digest.db"
    with MirrorServer("mpi") as server:
        for name, (params, _) in LOST.items():
            server.faults.add(victims[name], **params)
        server.faults.add(victims["binary"], "binary")
        server.faults.add(victims["charset"], "wrong_charset")
        server.faults.add(victims["once_429"], "status", status=429, retry_after=1, times=1)
        server.faults.add("/robots.txt", "robots_disallow", disallow=[victims["robots"]])
        server.faults.add("/events/calendar", "calendar", prefix=True)

        def night() -> dict[str, Any]:
            return nightly(
                sources=["mpi"], db_path=db_path, base_urls={"mpi": server.base_url}, config_dir=faulty_config
            )[0]

        night1 = night()
        calendar_hits = server.faults.hits("/events/calendar")
        server.faults.clear()
        night2 = night()
    return db_path, victims, night1, night2, calendar_hits


def test_night_one_finishes_and_records_each_fault(nights: Any) -> None:
    db_path, victims, night1, _, _ = nights
    assert night1["status"] == "ok"
    with Digest(db_path) as db:
        run_id = db.last_runs()[-1]["id"]
        failures = {f["url"].split("/", 3)[3]: f for f in db.failures(run_id)}
    for name, (_, kind) in LOST.items():
        failure = failures.get(victims[name].lstrip("/"))
        assert failure is not None, f"{name}: no failure recorded"
        assert failure["kind"] == kind, (name, failure)
        assert failure["source"] == "mpi", (name, failure)
    assert failures[victims["robots"].lstrip("/")]["kind"] == "robots_disallowed"
    # A binary body is fetched fine but gives no publication: kept against its URL, with what came back.
    binary = failures[victims["binary"].lstrip("/")]
    assert binary["kind"] in ("extraction_failed", "empty_extraction"), binary
    assert binary["status"] == 200
    assert night1["errors"].get("empty_extraction", 0) + night1["errors"].get("extraction_failed", 0) >= 1


def test_good_publications_of_the_same_run_are_stored(nights: Any) -> None:
    from mirrors import SITES

    db_path, victims, night1, _, _ = nights
    lost = {victims[name] for name in [*LOST, "binary", "robots"]}
    with Digest(db_path) as db:
        stored_after_night1 = night1["new"]
        assert stored_after_night1 == len(SITES["mpi"].publications()) - len(lost)
        # A 429 answered once is waited out (Retry-After) and retried within the run.
        assert db.document(REAL.replace("://www.", "://") + victims["once_429"]) is not None


def test_a_wrong_charset_is_read_correctly(nights: Any) -> None:
    from mirrors import SITES

    db_path, victims, _, _, _ = nights
    title = next(p.title for p in SITES["mpi"].publications() if p.path == victims["charset"])
    with Digest(db_path) as db:
        doc = db.document(REAL.replace("://www.", "://") + victims["charset"])
    assert doc is not None
    assert doc["title"] == title
    assert "\ufffd" not in doc["body"]


def test_the_calendar_trap_is_not_followed_forever(nights: Any) -> None:
    assert 0 < nights[4] <= 5


def test_night_two_picks_up_what_failed_and_stores_everything_once(nights: Any) -> None:
    from mirrors import SITES

    db_path, _, night1, night2, _ = nights
    # The only error left is the calendar listing itself, which is gone now that the trap is cleared.
    assert night2["status"] == "ok"
    assert night2["errors"] == {"http_404": 1}
    with Digest(db_path) as db:
        docs = db.documents("mpi")
        assert db.integrity_check() == []
    assert len(docs) == len({d["canonical_url"] for d in docs}) == len(SITES["mpi"].publications())
    assert night1["new"] + night2["new"] == len(SITES["mpi"].publications())
