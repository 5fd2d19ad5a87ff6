"""Anomalies in the run history are flagged: blocked, failing, quiet, yield drops, low coverage."""

from __future__ import annotations

from typing import Any

from outputs.health import assess


def run(source: str = "mpi", *, status: str = "ok", new: int = 0, unchanged: int = 40, **extra: Any) -> dict[str, Any]:
    return {"source": source, "status": status, "new": new, "changed": 0, "unchanged": unchanged,
            "errors": {}, "discovered": 40 + new, "live_documents": 40 + new, "message": "", **extra}  # fmt: skip


def levels(runs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f.level, f.message.split(":")[0]) for f in assess(runs)]


def test_a_healthy_history_has_no_findings() -> None:
    assert assess([run(new=1), run(new=0), run(new=2), run(new=3)]) == []


def test_blocked_and_failed_sources_are_alerts() -> None:
    found = assess([run("odi", status="blocked"), run("mpi", status="failed", message="crawl died")])
    assert [(f.source, f.level) for f in found] == [("odi", "alert"), ("mpi", "alert")]
    assert "bot challenge" in found[0].message
    assert "crawl died" in found[1].message


def test_errors_are_listed_by_kind() -> None:
    (finding,) = assess([run(errors={"http_500": 2, "timeout": 1})])
    assert finding.level == "warn"
    assert "http_500 ×2" in finding.message
    assert "timeout ×1" in finding.message


def test_quiet_after_busy_runs_is_flagged() -> None:
    history = [run(new=0), run(new=0), run(new=0), run(new=4), run(new=6)]
    assert ("warn", "nothing new in 3 runs (before") in levels(history)
    assert levels(history[1:]) == []


def test_a_yield_drop_is_an_alert() -> None:
    history = [run(unchanged=10), run(unchanged=40), run(unchanged=41), run(unchanged=40)]
    assert ("alert", "yield dropped") in levels(history)


def test_low_coverage_is_flagged() -> None:
    assert ("warn", "coverage 50%") in levels([run(discovered=80, live_documents=40)])


def test_a_running_run_says_who_runs_it_and_an_interrupted_one_is_an_alert() -> None:
    running = run("mpi", status="running", started="2026-12-01T03:00:00+00:00", pid=4242, host="night-host")
    (finding,) = assess([running])
    assert (finding.level, finding.message) == (
        "warn",
        "running since 2026-12-01T03:00:00+00:00 by pid 4242 on night-host",
    )
    (finding,) = assess([run("mpi", status="interrupted", message="pid 4242 on night-host started it")])
    assert (finding.level, finding.message) == ("alert", "last run interrupted: pid 4242 on night-host started it")
