"""Mirror of odi.org (ODI, Human Mobility Initiative; Wagtail behind Cloudflare).

Content lives in `content.yaml` (types, people, topics, pages, the Human Mobility Initiative page, events) and
`publications.yaml`; templates in `templates/`; PDFs in `files/` (made by `python -m mirrors.odi.make_pdfs`).
Two sites: "odi" (the site as a browser sees it) and "odi-challenge" (Cloudflare's challenge on every path but
robots.txt). Ground truth for both: `publications()`, `non_publication_paths()`, `golden_pages()`.
"""

from __future__ import annotations

from mirrors.odi.truth import golden_pages, modified_dates, non_publication_paths, publications

__all__ = ["golden_pages", "modified_dates", "non_publication_paths", "publications"]
