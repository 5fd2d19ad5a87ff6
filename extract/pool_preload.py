"""Imported once by the extraction forkserver, never by the flow: workers fork from it with warm modules and caches."""

from __future__ import annotations

from contextlib import suppress

import extract.stage  # noqa: F401  (the import is the point: extractor, trafilatura, lxml, pypdf)
from extract.taxonomy import load_taxonomy
from migdigest.config import ConfigError

# Compiling the taxonomy takes ~0.25 s; done here it is paid once per night instead of once per worker per source.
# A broken taxonomy is reported by the worker that needs it, with the run's other errors, not by the server.
with suppress(ConfigError):
    load_taxonomy()
