"""Mirror of cgdev.org (Center for Global Development, Drupal 9): migration publications, found by sitemap only.

Content in `content.yaml`, templates in `templates/`, PDFs in `files/` (laid out by `pdfs.py`). URL scheme:
`/publication/<slug>` (Policy Paper, Working Paper, Brief), `/blog/<slug>` (Blog Post), `/expert/<slug>`,
`/topics/<slug>`, `/event/<slug>`, `/section/publications?page=N`, `/page/<slug>`; `/sitemap.xml` is a
simple_sitemap index of `/sitemap.xml?page=1` and `?page=2`. Ground truth: `CgdSite`
(`SITES["cgd"].publications()`).
"""
