"""`migdigest sources`: list and validate; --check-live (the layout-change alarm); a new site by config alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from extract.stage import extract_run
from extract.taxonomy import load_taxonomy
from migdigest.config import load_config
from migdigest.paths import CONFIG_DIR
from spiders.crawl import run_crawl
from storage import Digest

REPO = Path(__file__).resolve().parents[1]


def migdigest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.app", *args], capture_output=True, text=True, cwd=REPO, check=False
    )


def test_sources_lists_every_configured_source() -> None:
    out = migdigest("sources")
    assert out.returncode == 0, out.stderr
    for name in load_config().sources:
        assert name in out.stdout
    assert "configuration valid" in out.stdout


def test_a_bad_config_is_refused_before_any_crawl(tmp_path: Path) -> None:
    bad = "sources:\n  x:\n    title: X\n    base_url: https://x.org\n    discovry: {}\n"
    (tmp_path / "sources.yaml").write_text(bad)
    for command in (["sources"], ["run"], ["demo"]):
        out = migdigest(*command, "--config-dir", str(tmp_path))
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        assert "sources.yaml" in out.stderr
        assert "'x'" in out.stderr
        assert "discovry" in out.stderr
        assert "Traceback" not in out.stderr


def test_an_error_quoting_a_pattern_prints_it_as_written(tmp_path: Path) -> None:
    # Rich reads "[a-z]" as markup; an unescaped error message loses it and shows a pattern that is not in the file.
    bad = "sources:\n  x:\n    title: X\n    base_url: https://x.org\n    include: ['^/[a-z]+/(']\n"
    (tmp_path / "sources.yaml").write_text(bad)
    out = migdigest("sources", "--config-dir", str(tmp_path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "^/[a-z]+/(" in " ".join(out.stderr.split())


def test_check_live_on_a_mirror_reports_publications(mpi_mirror: str) -> None:
    out = migdigest("sources", "--check-live", "-s", "mpi", "--base-url", f"mpi={mpi_mirror}", "--max-pages", "8")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "mpi" in out.stdout
    assert " ok " in out.stdout


def test_check_live_flags_a_blocked_source() -> None:
    from mirrors.server import MirrorServer

    with MirrorServer("odi-challenge") as server:
        out = migdigest("sources", "--check-live", "-s", "odi", "--base-url", f"odi={server.base_url}")
    assert out.returncode == 1
    assert "blocked" in out.stdout


def test_a_new_site_by_configuration_alone(mpi_mirror: str, tmp_path: Path) -> None:
    """A source written by the test (the MPI layout under another name) is crawled and stored, no code change."""
    entry = yaml.safe_load((CONFIG_DIR / "sources.d" / "mpi.yaml").read_text())["sources"]["mpi"]
    entry.update(title="A think tank added by configuration", mirror=None)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "sources.yaml").write_text(yaml.safe_dump({"sources": {"newtank": entry}}))
    source = load_config(config_dir).source("newtank")
    outcome = run_crawl(source, tmp_path / "run", base_url=mpi_mirror)
    assert outcome.ok, outcome.stderr_tail
    result = extract_run(tmp_path / "run", source, taxonomy=load_taxonomy())
    with Digest(tmp_path / "digest.db") as db:
        db.upsert_source(source.name, source.title, source.base_url)
        counts = db.store(result.publications, seen_at="2026-11-25T00:00:00+00:00")
        stored = db.documents("newtank")
    from mirrors import SITES

    assert counts["new"] == len(SITES["mpi"].publications()) == len(stored)
    assert {d["title"] for d in stored} == {p.title for p in SITES["mpi"].publications()}


@pytest.mark.live
@pytest.mark.parametrize("name", sorted(load_config().sources))
def test_live_site_still_yields_publications(name: str) -> None:
    """Needs internet; never run by `make test` (pytest -m live)."""
    from flows.livecheck import check_source

    result = check_source(load_config().source(name), load_taxonomy())
    assert result.status == "ok", result
