"""Mirror of migrationpolicy.org (Migration Policy Institute, Drupal).

Content lives in `content.yaml` (site structure, people, topics, programs, static pages) and
`publications.yaml`; templates in `templates/`; report PDFs in `files/publications/` (laid out by `pdfs.py`,
written by `python -m mirrors.kit.pdf mpi`). `MpiSite(edition=2)` is night 2, served as mirror "mpi-night2";
its ground truth, like every site's, comes from the `Site` (`SITES["mpi-night2"].edition_changes()`).
"""
