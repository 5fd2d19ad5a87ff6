"""Mirror of ecre.org (European Council on Refugees and Exiles, WordPress): posts found through RSS feeds only.

Content in `content.yaml`, templates in `templates/`, PDFs in `files/` (laid out by `pdfs.py`). URL scheme:
posts at `/<slug>/` (French ones at `/fr/<slug>/`), typed by their primary category (Policy Papers, Comments,
Weekly Bulletin, Editorials; Notes d’orientation, Bulletin hebdomadaire); archives `/category/.../page/N/` and
`/author/<login>/`; feeds `/feed/?paged=N`, `/fr/feed/`, `/category/.../feed/`, 10 items a page; PDFs under
`/wp-content/uploads/YYYY/MM/`; Yoast's `/sitemap_index.xml` exists but is not for discovery. Ground truth:
`EcreSite` (`SITES["ecre"].publications()`).
"""
