"""Mirror of migrationpolicy.org (Migration Policy Institute, Drupal).

Content lives in `content.yaml` (site structure, people, topics, programs, static pages) and
`publications.yaml`; templates in `templates/`; report PDFs in `files/publications/` (made by
`mirrors/tools/make_pdfs.py`). Ground truth for tests: `publications()` and `non_publication_paths()`.
"""

from __future__ import annotations

from mirrors.mpi.truth import golden_pages, modified_dates, non_publication_paths, publications

__all__ = ["golden_pages", "modified_dates", "non_publication_paths", "publications"]
