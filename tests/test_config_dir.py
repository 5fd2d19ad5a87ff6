"""A run given a configuration folder takes everything from it: sources and the taxonomy its publications are
tagged with (the extract stage once read the bundled taxonomy whatever the folder)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from migdigest.paths import CONFIG_DIR, REPO_ROOT
from storage import Digest

# One topic with a word every MPI publication uses, and a region and a country no MPI page names: the bundled
# taxonomy (21 topics, 250 places) would give other topics and many places.
TAXONOMY = """
topics:
  Config folder topic: {en: ['migra*']}
regions:
  Nowhere: {}
countries:
  Atlantis: {iso: XA, region: Nowhere}
"""


def config_folder(tmp_path: Path) -> Path:
    """The bundled sources with a taxonomy of its own."""
    folder = tmp_path / "config"
    folder.mkdir()
    shutil.copy(CONFIG_DIR / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(CONFIG_DIR / "sources.d", folder / "sources.d")
    (folder / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    return folder


def _tags(db_path: Path) -> tuple[int, set[str], set[str]]:
    with Digest(db_path) as db:
        docs = db.documents("mpi")
    return len(docs), {t for d in docs for t in d["topics"]}, {r for d in docs for r in d["regions"]}


def test_nightly_and_reextract_tag_with_the_config_folders_taxonomy(
    prefect_harness: None, mpi_mirror: str, tmp_path: Path
) -> None:
    from flows.nightly import nightly
    from flows.reextract import reextract

    config_dir = config_folder(tmp_path)
    db_path = tmp_path / "digest.db"
    report = nightly(sources=["mpi"], db_path=db_path, base_urls={"mpi": mpi_mirror}, config_dir=config_dir)
    assert report[0]["status"] == "ok", report
    assert report[0]["stored"] > 0, report
    stored, topics, regions = _tags(db_path)
    assert stored == report[0]["stored"]
    assert (topics, regions) == ({"Config folder topic"}, set())

    # The night's archived run, replayed with the same folder, is tagged the same way.
    again = tmp_path / "again.db"
    counts = reextract(again, tmp_path / "runs", sources=["mpi"], config_dir=config_dir)
    assert counts["mpi"]["runs"] == 1
    assert _tags(again) == (stored, {"Config folder topic"}, set())


def test_a_folder_without_a_taxonomy_tags_with_the_bundled_one(tmp_path: Path) -> None:
    from migdigest.taxonomy import DEFAULT_PATH, taxonomy_path

    (tmp_path / "sources.yaml").write_text("sources: {}\n", encoding="utf-8")
    assert taxonomy_path(tmp_path) == taxonomy_path() == DEFAULT_PATH
    assert taxonomy_path(config_folder(tmp_path)) == tmp_path / "config" / "taxonomy.yaml"


def test_a_broken_taxonomy_is_refused_before_any_crawl(tmp_path: Path) -> None:
    config_dir = config_folder(tmp_path)
    (config_dir / "taxonomy.yaml").write_text(TAXONOMY.replace("region: Nowhere", "region: Nowhere Land"))
    db = ["--db", str(tmp_path / "d.db")]
    for command in (["run", *db], ["demo", *db], ["reextract", *db], ["sources", "--check-live"]):
        out = subprocess.run(
            [sys.executable, "-m", "cli.app", *command, "--config-dir", str(config_dir)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            check=False,
        )
        assert out.returncode == 2, (command, out.stdout, out.stderr)
        assert "taxonomy.yaml: key 'countries.Atlantis.region': unknown region 'Nowhere Land'" in out.stderr
        assert "Traceback" not in out.stderr
    assert not (tmp_path / "runs").exists()
    assert not (tmp_path / "d.db").exists()
