"""The crawl of each mirror yields exactly its publications: none missing, none extra, none twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from migdigest.config import load_config
from mirrors.server import MirrorServer
from spiders.crawl import run_crawl

MIRRORED = sorted(name for name, src in load_config().sources.items() if src.mirror)


def _records(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "pages.jsonl").read_text(encoding="utf-8").splitlines()]


def _paths(run_dir: Path) -> list[str]:
    """Paths of the fetched pages, not counting the PDFs fetched with their publications."""
    return [urlsplit(rec["url"]).path for rec in _records(run_dir) if "pdf_of" not in rec["hints"]]


@pytest.mark.parametrize("name", MIRRORED)
def test_crawl_fetches_every_publication_once_and_nothing_else(name: str, tmp_path: Path) -> None:
    from mirrors import SITES

    mirror = load_config().source(name).mirror
    assert mirror
    with MirrorServer(mirror) as server:
        base_url = server.base_url
        outcome = run_crawl(load_config().source(name), tmp_path / "run", base_url=base_url)
    assert outcome.ok, outcome.stderr_tail
    fetched = _paths(tmp_path / "run")
    site = SITES[mirror]
    expected = {p.path for p in site.publications()}
    assert len(fetched) == len(set(fetched)), "a publication was fetched twice"
    assert set(fetched) - expected == set(), "fetched pages that are not publications"
    assert expected - set(fetched) == set(), "publications missed"
    # Nor any other page the site has: listings, authors, topics, archives (its HTML pages that are not publications).
    pages = site.rendering(base_url).pages
    others = {urlsplit(k).path for k, page in pages.items() if page.content_type.startswith("text/html")} - expected
    assert not set(fetched) & others
    # Raw responses are kept on disk, one file per page, and the manifest points at them.
    for line in (tmp_path / "run" / "pages.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        assert (tmp_path / "run" / rec["body_path"]).stat().st_size > 0
        assert rec["status"] == 200
    assert outcome.stats["robotstxt/request_count"] == 1
    # Every publication with a PDF had it fetched too, once.
    pdfs = {urlsplit(rec["hints"]["pdf_of"]).path: urlsplit(rec["url"]).path for rec in _records(tmp_path / "run")
            if "pdf_of" in rec["hints"]}  # fmt: skip
    assert pdfs == {p.path: p.pdf_path for p in site.publications() if p.pdf_path}


def test_mpi_discovery_hints_reach_the_manifest(mpi_mirror: str, tmp_path: Path) -> None:
    """Listing labels and dates and sitemap lastmod are recorded for the extract stage."""
    outcome = run_crawl(load_config().source("mpi"), tmp_path / "run", base_url=mpi_mirror)
    assert outcome.ok, outcome.stderr_tail
    hints = [json.loads(line)["hints"] for line in (tmp_path / "run" / "discovered.jsonl").read_text().splitlines()]
    assert any(h.get("type_label") == "Reports" for h in hints)
    assert any("listing_date" in h for h in hints)
    assert any("lastmod" in h for h in hints)


def test_robots_txt_is_obeyed(mpi_mirror: str, tmp_path: Path) -> None:
    """A source configured (by mistake) to take /search/ pages is stopped by the site's robots.txt."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "sources.yaml").write_text(
        """
sources:
  greedy:
    title: Greedy
    base_url: https://www.migrationpolicy.org
    discovery:
      sitemaps: [/sitemap.xml]
      listings:
        - {url: /topics/remittances, item: ".views-row", link: "a", next: "li.pager__item--next a"}
        - {url: /search/site/remittances, item: ".views-row", link: "a"}
    include: ['^/search/', '^/topics/']
""",
        encoding="utf-8",
    )
    outcome = run_crawl(load_config(config_dir).source("greedy"), tmp_path / "run", base_url=mpi_mirror)
    assert outcome.ok, outcome.stderr_tail
    fetched = _paths(tmp_path / "run")
    assert fetched, "the allowed /topics/ pages should still be fetched"
    assert not [p for p in fetched if p.startswith("/search/")]
    assert outcome.stats.get("robotstxt/forbidden", 0) > 0
    failures = [json.loads(line) for line in (tmp_path / "run" / "failures.jsonl").read_text().splitlines()]
    expected = {"url": "https://www.migrationpolicy.org/search/site/remittances", "kind": "robots_disallowed"}
    assert expected.items() <= failures[0].items()
