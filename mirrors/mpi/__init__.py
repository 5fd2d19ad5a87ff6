"""Mirror of migrationpolicy.org (Migration Policy Institute, Drupal).

Content lives in `content.yaml` (site structure, people, topics, programs, static pages) and
`publications.yaml`; templates in `templates/`; report PDFs in `files/publications/` (made by
`mirrors/tools/make_pdfs.py`). Ground truth for tests: `publications()` and `non_publication_paths()`;
`edition=2` and `edition_changes()` for night 2, the later state served as mirror "mpi-night2".
"""

from __future__ import annotations

from mirrors.mpi.truth import edition_changes, golden_pages, modified_dates, non_publication_paths, publications

__all__ = ["edition_changes", "golden_pages", "modified_dates", "non_publication_paths", "publications"]
