"""Imported once by the extraction forkserver, never by the flow: workers fork from it with warm modules and caches."""

from __future__ import annotations

from contextlib import suppress

import warcio.archiveiterator  # noqa: F401  (spiders.rundir.read_body imports it late, so the crawl need not)
from htmldate.extractors import get_external_parser, month_words

import extract.stage  # noqa: F401  (the import is the point: extractor, trafilatura, lxml, PDFium)
from extract.taxonomy import load_taxonomy
from migdigest.yamlconf import ConfigError

# Compiling the taxonomy takes ~0.25 s; done here it is paid once per night instead of once per worker per source.
# Only the bundled file is warmed (the server starts before a flow says which config folder it uses): each worker
# of a pool given another folder's taxonomy compiles it once, on its first batch. The flow reports a broken file.
with suppress(ConfigError):
    load_taxonomy()

# The first date string no locale reads makes dateparser load all ~200 of them (htmldate's fallback for a page with
# no date in its metadata): ~1.9 s of CPU and ~30 MB in each worker that meets one. Loaded here, once per night,
# the workers fork with them; dateparser's results do not depend on what it parsed before (try_previous_locales
# is off in htmldate's parser). htmldate's month names in every locale likewise (~0.1 s).
get_external_parser().get_date_data("no date in this text")
month_words()
