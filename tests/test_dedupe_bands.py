"""The LSH bands the dedupe uses without asking datasketch are the ones datasketch chooses."""

from __future__ import annotations

import subprocess
import sys

import pytest
from datasketch import MinHashLSH

from extract.dedupe import NUM_PERM, THRESHOLD, TUNED_BANDS, _bands, _tuning


@pytest.mark.parametrize(("tuning", "num_perm"), sorted(TUNED_BANDS))
def test_the_bands_kept_are_datasketchs_choice(tuning: float, num_perm: int) -> None:
    lsh = MinHashLSH(threshold=tuning, num_perm=num_perm, weights=(0.3, 0.7))
    assert TUNED_BANDS[(tuning, num_perm)] == (lsh.b, lsh.r)


@pytest.mark.parametrize(("threshold", "num_perm"), [(THRESHOLD, NUM_PERM), (0.95, NUM_PERM), (0.5, 64), (0.6, 256)])
def test_bands_are_datasketchs_for_kept_and_other_parameters(threshold: float, num_perm: int) -> None:
    lsh = MinHashLSH(threshold=_tuning(threshold), num_perm=num_perm, weights=(0.3, 0.7))
    assert _bands(threshold, num_perm) == (lsh.b, lsh.r)


# In a fresh process: the clustering of a night, with the default parameters, imports neither datasketch nor scipy.
_CLUSTER_ALONE = """
import sys
from extract.dedupe import cluster
from tests.test_dedupe import corpus
found = cluster(corpus())
assert found, "the corpus has duplicates"
print(sorted(m for m in ("datasketch", "scipy") if m in sys.modules))
"""


def test_the_default_parameters_need_no_datasketch() -> None:
    assert (_tuning(THRESHOLD), NUM_PERM) in TUNED_BANDS
    done = subprocess.run([sys.executable, "-c", _CLUSTER_ALONE], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
