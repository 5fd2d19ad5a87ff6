"""A source behind a bot challenge: the run is recorded as blocked, an alert is raised, nothing is stored."""

from __future__ import annotations

from pathlib import Path

from mirrors.server import MirrorServer
from storage import Digest


def test_a_challenged_source_is_blocked_and_stores_nothing(prefect_harness: None, tmp_path: Path) -> None:
    from flows.nightly import nightly
    from outputs.health import assess

    db_path = tmp_path / "digest.db"
    with MirrorServer("odi-challenge") as server:
        (report,) = nightly(sources=["odi"], db_path=db_path, base_urls={"odi": server.base_url})
    assert report["status"] == "blocked"
    assert "bot challenge" in report["message"]
    assert report["stored"] == 0
    assert report["errors"].get("challenge", 0) >= 1  # each challenged URL recorded; the verdict is the run's
    with Digest(db_path) as db:
        assert db.documents("odi") == []
        (run,) = db.last_runs()
        assert run["status"] == "blocked"
        assert any(f["kind"] == "challenge" for f in db.failures(run["id"]))
        findings = assess(db.last_runs())
    assert [(f.source, f.level) for f in findings][:1] == [("odi", "alert")]
