"""Mirror of meridianmigration.org (Meridian Centre for Migration Research, a fictional centre on a custom CMS).

No source in `config/` uses it: it is the site `migdigest add-source` is shown on (tests/test_add_source.py).
Content in `content.yaml`, templates in `templates/`, PDFs in `files/` (laid out by `pdfs.py`). URL scheme:
research at `/research/<slug>/` next to the type listings `/research/reports/`, `/research/policy-briefs/`,
`/research/working-papers/` (same URL shape, but listings); commentary at `/commentary/<slug>/`; listings paged as
`<listing>/page/N/` with `rel="next"`; `/topics/<slug>/`, `/people/<slug>/`, service pages (`/about/`, `/contact/`,
...); RSS at `/feed.xml` (linked from every page); `/sitemap.xml` is an index of `/sitemaps/pages.xml`,
`/sitemaps/research.xml.gz` (gzipped) and `/sitemaps/commentary.xml`; robots.txt disallows `/search/`. Ground
truth: `MeridianSite` (`SITES["meridian"].publications()`).
"""
