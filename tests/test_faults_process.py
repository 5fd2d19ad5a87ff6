"""The crawl process under a time limit, and failures that say what happened: an unreachable site fails its source
with the reason instead of passing with 0 pages; a crawl stopped at its limit is recorded with the limit."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import yaml

from migdigest.paths import CONFIG_DIR
from storage import Digest


def _config(folder: Path, source: str, settings: dict[str, float | bool] | None = None, timeout: float = 30) -> Path:
    """A config folder with only `source`, answering slowly allowed up to `timeout` seconds a request."""
    config = yaml.safe_load((CONFIG_DIR / "sources.d" / f"{source}.yaml").read_text())
    config["sources"][source]["politeness"] = {"delay": 0, "concurrency": 4, "timeout": timeout}
    if settings:
        config["settings"] = settings
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.yaml").write_text(yaml.safe_dump(config))
    return folder


def _live_processes_mentioning(text: str) -> list[int]:
    """Processes (not zombies) whose command line or stderr holds `text`: the crawls of this test's own run directory.

    A crawl started ahead (spiders.crawl.prestart_crawls) has its run directory only in its stderr, the run's log.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                stderr = os.readlink(entry / "fd" / "2") if (entry / "fd" / "2").exists() else ""
                if state != "Z" and (text.encode() in (entry / "cmdline").read_bytes() or text in stderr):
                    found.append(int(entry.name))
            except (OSError, IndexError):
                continue
    return found


def test_a_crawl_past_its_time_limit_is_stopped_and_the_source_failed(prefect_harness: None, tmp_path: Path) -> None:
    from flows.nightly import nightly
    from mirrors.server import MirrorServer

    limits = {"crawl_time_limit": 3.0, "stop_grace": 1.0}
    config = _config(tmp_path / "config", "ecre", limits, timeout=120)
    db = tmp_path / "digest.db"
    with MirrorServer("ecre") as server:
        server.faults.add("/", "slow", prefix=True, delay=120)  # every answer takes two minutes
        (row,) = nightly(sources=["ecre"], db_path=db, base_urls={"ecre": server.base_url}, config_dir=config)
    assert row["status"] == "failed"
    assert row["message"].startswith("stopped at its time limit of 3 s (killed by SIG"), row["message"]
    assert row["errors"]["crawl_process"] == 1
    assert _live_processes_mentioning(str(tmp_path / "runs")) == []
    with Digest(db) as digest:
        (run,) = digest.last_runs()
    assert run["status"] == "failed"
    assert "time limit of 3 s" in run["message"]


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_origin_fails_the_source(prefect_harness: None, tmp_path: Path, closed_port: int) -> None:
    from flows.nightly import nightly

    config = _config(tmp_path / "config", "ecre")
    db = tmp_path / "digest.db"
    (row,) = nightly(
        sources=["ecre"], db_path=db, base_urls={"ecre": f"http://127.0.0.1:{closed_port}"}, config_dir=config
    )
    assert row["status"] == "failed"
    assert row["pages_fetched"] == 0
    assert row["message"].startswith("no response from the site at all"), row["message"]
    assert row["errors"]["unreachable"] == 1
    with Digest(db) as digest:
        (run,) = digest.last_runs()
    assert run["status"] == "failed"
    assert run["message"] == row["message"]


def test_an_extraction_past_its_time_limit_fails_its_source_with_the_reason(
    prefect_harness: None, tmp_path: Path
) -> None:
    from flows.nightly import nightly
    from mirrors.server import MirrorServer

    # Extracted after the crawl, so the whole extraction runs under the limit: following the crawl, most pages are
    # done before the limit starts (at the crawl's end) and what is left may take under 10 ms.
    config = _config(tmp_path / "config", "ecre", {"extract_time_limit": 0.01, "extract_while_crawling": False})
    db = tmp_path / "digest.db"
    with MirrorServer("ecre") as server:
        (row,) = nightly(sources=["ecre"], db_path=db, base_urls={"ecre": server.base_url}, config_dir=config)
    assert row["status"] == "failed"
    assert row["message"].startswith("extract failed: TaskRunTimeoutError: "), row["message"]
    assert row["errors"] == {"extract_error": 1}
    with Digest(db) as digest:
        (run,) = digest.last_runs()
        assert digest.documents() == []
    assert (run["status"], run["message"]) == ("failed", row["message"])
