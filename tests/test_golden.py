"""One parametrised golden test over every saved page of every source (tests/fixtures/<source>/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden import cases, golden_view, load_case


@pytest.mark.parametrize("page", cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden(page: Path, update_golden: bool) -> None:
    meta, expected_path = load_case(page)
    got = golden_view(page.read_bytes(), meta["url"], meta["source"])
    if update_golden:
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip(f"rewrote {expected_path.name} (--update-golden): review the diff")
    assert expected_path.exists(), "no expected file; create it with --update-golden and review it"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert got == expected


def test_every_source_has_golden_pages() -> None:
    from migdigest.config import load_config

    sources_with_pages = {p.parent.name for p in cases()}
    assert set(load_config().sources) <= sources_with_pages
