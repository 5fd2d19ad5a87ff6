"""Extraction quality on a fixed sample of real pages must not fall below the pinned floors (tests/quality/)."""

from __future__ import annotations

import pytest

from tests.quality.gate import floors, measure


@pytest.mark.slow  # the extractor on 210 pages: a minute of one core
def test_extraction_quality_stays_above_its_floors() -> None:
    scores, pinned = measure(), floors()
    assert set(pinned) <= set(scores), "a floor names a score the gate no longer measures"
    below = {key: f"{scores[key]:.3f} < {floor:.3f}" for key, floor in pinned.items() if scores[key] < floor}
    assert not below, (
        f"quality fell below its floors (re-pin with python -m tests.quality.gate --update-floors): {below}"
    )
