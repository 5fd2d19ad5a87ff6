"""Mirror of mixedmigration.org (Mixed Migration Centre, WordPress with Yoast SEO).

Content lives in `content.yaml` (people, resource types, Review sections, regions, categories, tags, Review
editions, static pages, news posts) and `publications.yaml` (resources and Review pieces); templates in
`templates/`; PDFs under `files/uploads/` (laid out by `pdfs.py`). Ground truth: `MmcSite`
(`SITES["mmc"].publications()`).
"""
