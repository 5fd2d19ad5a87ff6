"""Pure extraction: a fetched page or PDF in, a publication's fields out; plus the run-level extract stage."""
