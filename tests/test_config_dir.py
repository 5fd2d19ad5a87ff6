"""A run given a configuration folder takes everything from it: sources and the taxonomy its publications are
tagged with (the extract stage once read the bundled taxonomy whatever the folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

from migdigest.paths import CONFIG_DIR
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
    assert report[0]["status"] == "ok" and report[0]["stored"] > 0, report
    stored, topics, regions = _tags(db_path)
    assert stored == report[0]["stored"]
    assert (topics, regions) == ({"Config folder topic"}, set())

    # The night's archived run, replayed with the same folder, is tagged the same way.
    again = tmp_path / "again.db"
    counts = reextract(again, tmp_path / "runs", sources=["mpi"], config_dir=config_dir)
    assert counts["mpi"]["runs"] == 1
    assert _tags(again) == (stored, {"Config folder topic"}, set())
