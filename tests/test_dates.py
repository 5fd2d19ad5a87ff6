"""The date written next to the headline (extract/dates.py) and where it stands among the date sources."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from extract.dates import first_date, headline_date
from extract.page import extract_page

BODY = "".join(f"<p>Paragraph {i} says that migration policy changed in several ways across the region.</p>"
               for i in range(12))  # fmt: skip
LD = '<script type="application/ld+json">{"@type": "Article", "datePublished": "2025-06-24"}</script>'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("By Shauna Mitchell August 25, 2024 In this article", "2024-08-25"),
        ("Updated on June 18, 2025Updated by", "2025-06-18"),
        ("Published: 12 Dec 2025", "2025-12-12"),
        ("Friday, Dec. 19th, 2025", "2025-12-19"),
        ("Sept 3 2024", "2024-09-03"),
        ("veröffentlicht am 4. März 2025", "2025-03-04"),
        ("publié le 1er février 2023", "2023-02-01"),
        ("4 de marzo de 2025", "2025-03-04"),
        ("2024-01-31T10:00", "2024-01-31"),
        ("13/10/2023 by the editors", "2023-10-13"),  # 13 cannot be a month
        ("Marketing 3, 2024", None),  # not a month
        ("Rated 4.5/5 in 2020", None),
    ],
)
def test_first_date_reads_written_dates(text: str, expected: str | None) -> None:
    assert first_date(text) == expected


def test_numeric_dates_that_read_both_ways_need_the_pages_locale() -> None:
    assert first_date("03/10/2023") is None
    assert first_date("03/10/2023", month_first=True) == "2023-03-10"
    assert first_date("03/10/2023", month_first=False) == "2023-10-03"


def page(dateline: str, *, above: str = "", head: str = "", lang: str = "en", body: str = BODY) -> bytes:
    return (f'<html lang="{lang}"><head><title>A report</title>{head}</head><body><nav>Home News</nav>'
            f"<article>{above}<h1>A report</h1><div class=byline>{dateline}</div>{body}</article>"
            "</body></html>").encode()  # fmt: skip


def test_the_dateline_under_the_headline_beats_json_ld() -> None:
    # An SEO plugin's JSON-LD often carries the last edit as datePublished; the page shows the original date.
    got = extract_page(page("By Shauna Mitchell · August 25, 2024", head=LD), "https://example.org/a-report")
    assert got.published == "2024-08-25"


def test_a_date_above_the_headline_counts_when_none_follows_it() -> None:
    above = "<p>Blog · 20 December 2025</p>"
    got = extract_page(page("By Shauna Mitchell", above=above, head=LD), "https://example.org/r")
    assert got.published == "2025-12-20"


def test_a_date_deep_in_the_text_is_not_the_dateline() -> None:
    body = BODY * 2 + "<p>The law of March 3, 2021 changed it.</p>"
    tree = lxml_html.fromstring(page("By Shauna Mitchell", body=body))
    assert headline_date(tree, "A report") is None


def test_the_pages_locale_reads_numeric_datelines() -> None:
    gb = lxml_html.fromstring(page("03/10/2023 by the editors", lang="en-GB"))
    us = lxml_html.fromstring(page("03/10/2023 by the editors", lang="en-US"))
    unknown = lxml_html.fromstring(page("03/10/2023 by the editors", lang="en"))
    assert (headline_date(gb, "A report"), headline_date(us, "A report")) == ("2023-10-03", "2023-03-10")
    assert headline_date(unknown, "A report") is None


def test_a_published_meta_tag_still_beats_the_dateline() -> None:
    meta = '<meta property="article:published_time" content="2024-10-15T08:00:00Z">'
    got = extract_page(page("By Mirel Zaman · Updated on June 18, 2025", head=meta), "https://example.org/r")
    assert got.published == "2024-10-15"
