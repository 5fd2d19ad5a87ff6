"""Mirror of odi.org (ODI, Human Mobility Initiative; Wagtail behind Cloudflare).

Content lives in `content.yaml` (types, people, topics, pages, the Human Mobility Initiative page, events) and
`publications.yaml`; templates in `templates/`; PDFs in `files/` (laid out by `pdfs.py`). Two sites: "odi"
(the site as a browser sees it) and "odi-challenge" (Cloudflare's challenge on every path but robots.txt); both
give odi.org's ground truth (`SITES["odi"].publications()`).
"""
