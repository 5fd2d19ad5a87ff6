"""Imported once by the extraction forkserver, never by the flow: workers fork from it with warm modules and caches."""

from __future__ import annotations

from contextlib import suppress

import warcio.archiveiterator  # noqa: F401  (spiders.rundir.read_body imports it late, so the crawl need not)

import extract.stage  # noqa: F401  (the import is the point: extractor, trafilatura, lxml, PDFium)
from extract.taxonomy import load_taxonomy
from migdigest.yamlconf import ConfigError

# Compiling the taxonomy takes ~0.25 s; done here it is paid once per night instead of once per worker per source.
# Only the bundled file is warmed (the server starts before a flow says which config folder it uses): each worker
# of a pool given another folder's taxonomy compiles it once, on its first batch. The flow reports a broken file.
with suppress(ConfigError):
    load_taxonomy()
