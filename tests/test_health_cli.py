"""`migdigest health` fits a terminal of 80 columns, and shows an interrupted run as such."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from typer.testing import CliRunner

from migdigest.models import RunStats, RunStatus
from storage import Digest


def _digest(db: Path) -> None:
    with Digest(db) as digest:
        runs: list[tuple[str, RunStatus]] = [
            ("reliefweb", "ok"),
            ("mpi", "failed"),
            ("odi", "blocked"),
            ("cgd", "interrupted"),
        ]
        for name, status in runs:
            run_id = digest.start_run(name, "2026-12-01T03:00:00+00:00", pid=4242, host="night-host")
            if status == "interrupted":
                digest.interrupt_run(run_id, "pid 4242 on night-host started it and ended before finishing it")
                continue
            stats = RunStats(source=name, started="2026-12-01T03:00:00+00:00", finished="2026-12-01T03:41:07+00:00",
                             status=status, pages_fetched=12_345, not_modified=11_000, new=1_234, changed=456,
                             unchanged=10_000, gone=78, errors={"http_503": 1_000, "timeout": 23}, duration_s=12_345.6,
                             message="crawl process killed by SIGKILL; stderr: [scrapy.core] ERROR [/b]")  # fmt: skip
            digest.finish_run(run_id, stats)


def test_health_fits_80_columns_and_shows_an_interrupted_run(tmp_path: Path) -> None:
    from cli.app import app

    db = tmp_path / "digest.db"
    _digest(db)
    result = CliRunner().invoke(app, ["health", "--db", str(db)])
    assert result.exit_code == 1, result.output  # alerts
    table = result.output[: result.output.index("ALERT")]
    widest = max((line.rstrip() for line in table.splitlines()), key=cell_len)
    assert cell_len(widest) <= 80, f"{cell_len(widest)} columns:\n{table}"
    rows = {line.split()[0]: line.split() for line in table.splitlines() if line.strip()}
    for name in ("reliefweb", "mpi", "odi", "cgd"):
        assert name in rows, f"{name} has no row of its own:\n{table}"
    assert rows["reliefweb"][1:] == ["12-01", "03:41", "ok", "12345", "1234", "456", "78", "1023", "0", "12346"]
    assert rows["cgd"][3] == "interrupted"
    alerts = " ".join(result.output[result.output.index("ALERT") :].split())
    assert "cgd: last run interrupted: pid 4242 on night-host started it" in alerts
    assert "[scrapy.core] ERROR [/b]" in alerts  # what a process said is shown as text, not read as markup
