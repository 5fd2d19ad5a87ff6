"""Mirror of mixedmigration.org (Mixed Migration Centre, WordPress with Yoast SEO).

Content lives in `content.yaml` (people, resource types, Review sections, regions, categories, tags, Review
editions, static pages, news posts) and `publications.yaml` (resources and Review pieces); templates in
`templates/`; PDFs under `files/uploads/` (made by `python -m mirrors.mmc.make_pdfs`). Ground truth for tests:
`publications()`, `non_publication_paths()`, `modified_dates()` and `golden_pages()`.
"""

from __future__ import annotations

from mirrors.mmc.truth import golden_pages, modified_dates, non_publication_paths, publications

__all__ = ["golden_pages", "modified_dates", "non_publication_paths", "publications"]
