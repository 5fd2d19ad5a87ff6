"""Document type without configuration (extract/doc_type.py): each signal on a page written for it, then the
saved real pages of the bundled sites read with no source config, against the types their config gives."""

from __future__ import annotations

import json

import pytest

from extract.page import extract_page
from migdigest.config import Source
from tests.golden import cases, load_case

TEXT = "".join(f"<p>Paragraph {i} says that migration policy changed in several ways across the region.</p>"
               for i in range(10))  # fmt: skip
URL = "https://think.example.net/publications/asylum-at-the-border"


def page(head: str = "", body: str = "", title: str = "Asylum at the border") -> bytes:
    return (
        f'<html lang="en"><head><title>{title}</title>{head}</head>'
        f"<body><main><article>{body}<h1>{title}</h1>{TEXT}</article></main></body></html>"
    ).encode()


def typed(html: bytes, url: str = URL, source: Source | None = None) -> str:
    return extract_page(html, url, source=source).doc_type


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (ld('{"@type": "Report", "name": "x"}'), "report"),
        (ld('{"@type": "ScholarlyArticle"}'), "working paper"),
        (ld('{"@type": "PodcastEpisode"}'), "podcast"),
        (ld('{"@type": "Dataset"}'), "dataset"),
        (ld('{"@type": "OpinionNewsArticle"}'), "commentary"),
        (ld('{"@type": "Event", "name": "A panel"}'), "event"),
        (ld('{"@type": "Article", "genre": "Policy Brief"}'), "policy brief"),
        ('<meta name="citation_technical_report_institution" content="Think Tank">', "report"),
        ('<meta name="citation_journal_title" content="Migration Studies">', "article"),
        ('<meta name="DC.type" content="Working Paper">', "working paper"),
        ('<meta property="og:type" content="video.other">', "video"),
    ],
)
def test_metadata_names_the_type(head: str, expected: str) -> None:
    assert typed(page(head)) == expected


def test_an_event_or_video_embedded_in_an_article_does_not_name_it() -> None:
    head = ld('[{"@type": "NewsArticle"}, {"@type": "Event", "name": "Our next panel"}, {"@type": "VideoObject"}]')
    assert typed(page(head)) == "article"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ('<span class="kicker">Policy Brief</span>', "policy brief"),
        ('<div class="eyebrow">Working Paper</div>', "working paper"),
        ('<p class="content-type">Commentary</p>', "commentary"),
        # Not a label: a sentence in a labelled box says nothing of the page's type.
        ('<p class="category">Our podcast and reports on asylum, every week</p>', None),
    ],
)
def test_a_label_above_the_headline_names_the_type(label: str, expected: str | None) -> None:
    assert typed(page(body=label), "https://think.example.net/x/asylum") == (expected or "other")


def test_the_breadcrumbs_name_the_type() -> None:
    crumbs = '<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/r">Reports</a></li><li>Asylum</li></ol>'
    assert typed(page(body=crumbs), "https://think.example.net/x/asylum") == "report"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/reports/asylum", "report"),
        ("/policy-brief/asylum", "policy brief"),
        ("/working-papers/asylum", "working paper"),
        ("/en/commentary/asylum", "commentary"),
        ("/events/asylum-panel", "event"),
        ("/podcast/episode-12", "podcast"),
        ("/video/asylum", "video"),
        ("/data/asylum-applications", "dataset"),
        ("/x/working-paper-12-asylum", "working paper"),
        ("/x/asylum", "other"),
    ],
)
def test_address_segments_name_the_type(path: str, expected: str) -> None:
    assert typed(page(), "https://think.example.net" + path) == expected


def test_title_words_name_the_type() -> None:
    url = "https://think.example.net/x/asylum"
    assert typed(page(title="Working Paper 12: Asylum at the border"), url) == "working paper"
    assert typed(page(title="Podcast: Asylum at the border"), url) == "podcast"
    # A type word in passing is not a label: "report" here is a verb.
    assert typed(page(title="Lawyers report on asylum at the border"), url) == "other"


def test_configured_rules_win() -> None:
    source = Source.model_validate({
        "name": "x", "title": "X", "base_url": "https://think.example.net", "discovery": {"sitemaps": ["/sitemap.xml"]},
        "url_types": [{"pattern": "^/publications/", "type": "policy brief"}],
    })  # fmt: skip
    assert typed(page(ld('{"@type": "Report"}')), URL, source) == "policy brief"


def test_real_pages_without_configuration_mostly_get_their_configured_type() -> None:
    # The bundled sites' saved pages, read with no source config, against what their config says.
    articles = []
    for saved in cases():
        meta, expected_path = load_case(saved)
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        if expected["page_type"] == "article":
            articles.append((expected["doc_type"], typed(saved.read_bytes(), meta["url"])))
    same = sum(want == got for want, got in articles)
    assert len(articles) >= 20
    assert same >= 0.75 * len(articles), articles
    assert sum(got == "other" for _, got in articles) <= sum(want == "other" for want, _ in articles)
