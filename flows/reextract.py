"""Rebuild the digest from archived runs, without the network: every run of every source, oldest first.

The runs are the local run directories, or, with an object store, the store's finished runs (each fetched into a
temporary folder, replayed, then removed), so a digest can be rebuilt on any machine that reaches the store.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from extract.stage import extract_run
from extract.taxonomy import load_taxonomy
from flows import progress
from flows.storing import apply_result
from migdigest.config import load_config
from migdigest.objectstore import ObjectStore
from migdigest.taxonomy import taxonomy_path
from spiders.rundir import PAGES, started_at
from spiders.runstore import fetch_run, finished_runs
from storage import Digest


def archived_runs(
    runs_dir: Path, source: str, *, store: ObjectStore | None = None, work_dir: Path | None = None
) -> Iterator[Path]:
    """Run directories of `source` that hold an archive, oldest first (their names sort by time).

    With `store`, the store's finished runs of `source` instead: each is downloaded into `work_dir` (a temporary
    folder by default) when its turn comes and removed once the caller has moved on to the next.
    """
    if store is None:
        for run_dir in sorted((runs_dir / source).glob("*")):
            if (run_dir / PAGES).exists():
                yield run_dir
        return
    with tempfile.TemporaryDirectory(prefix="migdigest-reextract-", dir=work_dir) as tmp:
        for ref in finished_runs(store, source):
            if not any(key.endswith("/" + PAGES) for key in store.keys(ref.prefix)):
                continue  # a run that archived nothing (its crawl failed first)
            run_dir = fetch_run(store, ref.source, ref.run_key, Path(tmp) / ref.run_key)
            try:
                yield run_dir
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)


def reextract(
    db_path: Path,
    runs_dir: Path,
    *,
    sources: list[str] | None = None,
    config_dir: Path | None = None,
    store: ObjectStore | None = None,
) -> dict[str, dict[str, int]]:
    """Replay every archived run (local, or the store's when `store` is given) through extraction and storage."""
    config = load_config(config_dir)
    taxonomy = load_taxonomy(taxonomy_path(config_dir))
    names = sources or list(config.sources)
    report: dict[str, dict[str, int]] = {}
    with Digest(db_path) as db:
        for name in names:
            source = config.source(name)
            db.upsert_source(source.name, source.title, source.base_url, source.homepage)
            totals = {"runs": 0, "new": 0, "changed": 0, "unchanged": 0, "gone": 0}
            for run_dir in archived_runs(runs_dir, name, store=store):
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
