"""On-demand measurements, run from the repository root as `python -m bench.NAME` (never by `make test`)."""
