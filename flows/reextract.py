"""Rebuild the digest from archived runs, without the network: every run of every source, oldest first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from extract.stage import extract_run
from extract.taxonomy import load_taxonomy
from flows import progress
from flows.storing import apply_result
from migdigest.config import load_config
from migdigest.taxonomy import taxonomy_path
from spiders.rundir import started_at
from storage import Digest


def archived_runs(runs_dir: Path, source: str) -> Iterator[Path]:
    """Run directories of `source` that hold an archive, oldest first (their names sort by time)."""
    for run_dir in sorted((runs_dir / source).glob("*")):
        if (run_dir / "pages.jsonl").exists():
            yield run_dir


def reextract(
    db_path: Path, runs_dir: Path, *, sources: list[str] | None = None, config_dir: Path | None = None
) -> dict[str, dict[str, int]]:
    """Replay every archived run through extraction and storage; returns per-source counts."""
    config = load_config(config_dir)
    taxonomy = load_taxonomy(taxonomy_path(config_dir))
    names = sources or list(config.sources)
    report: dict[str, dict[str, int]] = {}
    with Digest(db_path) as db:
        for name in names:
            source = config.source(name)
            db.upsert_source(source.name, source.title, source.base_url, source.homepage)
            totals = {"runs": 0, "new": 0, "changed": 0, "unchanged": 0, "gone": 0}
            for run_dir in archived_runs(runs_dir, name):
                progress.report(name, "replaying", totals["runs"] + 1, note=run_dir.name)
                result = extract_run(run_dir, source, taxonomy=taxonomy)
                progress.report(name, "extracted", len(result.publications))
                seen_at = datetime.fromtimestamp(started_at(run_dir), UTC).isoformat(timespec="seconds")
                counts = apply_result(db, result, seen_at)
                totals["runs"] += 1
                progress.report(name, "stored", len(result.publications))
                for key in ("new", "changed", "unchanged", "gone"):
                    totals[key] += counts[key]
            report[name] = totals
        if any(t["new"] or t["changed"] for t in report.values()):
            db.optimize_search()  # a replay rewrites the index in many small segments: merge them, as a night does
    return report
