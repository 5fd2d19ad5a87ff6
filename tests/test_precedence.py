"""Each precedence rule of extract/page.py, one by one, on small pages written for the rule."""

from __future__ import annotations

import unicodedata

import pytest

from extract.page import extract_page
from migdigest.config import Source

URL = "https://www.example.org/research/a-report"
BODY = "".join(f"<p>Paragraph {i} says that migration policy changed in several ways across the region.</p>"
               for i in range(12))  # fmt: skip


def page(head: str = "", header: str = "", body: str = BODY) -> bytes:
    return (f'<html lang="en"><head><title>Site title | Example Institute</title>{head}</head><body>'
            f'<article><h1>Headline of the report</h1>{header}{body}</article></body></html>').encode()  # fmt: skip


def source(**selectors: str) -> Source:
    return Source.model_validate({
        "name": "ex", "title": "Example Institute", "base_url": "https://www.example.org",
        "discovery": {"sitemaps": ["/sitemap.xml"]}, "selectors": selectors,
        "type_labels": {"Reports": "report", "Briefs": "policy brief"},
        "url_types": [{"pattern": "^/research/", "type": "working paper"}],
    })  # fmt: skip


LD = '<script type="application/ld+json">{"@type": "Article", "headline": "LD headline", "datePublished": "2021-05-06", "dateModified": "2022-01-01", "author": [{"@type": "Person", "name": "Ana Ruiz"}, {"@type": "Organization", "name": "Example Institute"}]}</script>'  # noqa: E501
OG = '<meta property="og:title" content="OG title"><meta property="article:published_time" content="2020-02-03T10:00:00Z"><meta name="author" content="Meta Author"><meta name="description" content="Meta description.">'  # noqa: E501


def test_title_selector_beats_everything() -> None:
    got = extract_page(page(LD + OG, '<p class="t">Selected title</p>'), URL, source=source(title=".t"))
    assert got.title == "Selected title"


def test_title_h1_named_by_the_title_tag_beats_json_ld() -> None:
    html = page(LD + OG).replace(b"Site title |", b"Headline of the report |")
    assert extract_page(html, URL).title == "Headline of the report"


def test_title_json_ld_then_og_then_trafilatura() -> None:
    assert extract_page(page(LD + OG), URL).title == "LD headline"
    assert extract_page(page(OG), URL).title == "OG title"
    assert extract_page(page(), URL).title == "Headline of the report"  # trafilatura's own pick: the h1


def test_authors_selector_is_authoritative_even_when_empty() -> None:
    assert extract_page(
        page(LD + OG, '<span class="by">Sam Lee</span>'), URL, source=source(authors=".by")
    ).authors == ["Sam Lee"]
    assert extract_page(page(LD + OG), URL, source=source(authors=".by")).authors == []


def test_authors_json_ld_people_then_meta() -> None:
    assert extract_page(page(LD + OG), URL).authors == ["Ana Ruiz"]  # the organisation is not a person
    assert extract_page(page(OG), URL).authors == ["Meta Author"]


def test_published_selector_then_time_then_meta_then_json_ld() -> None:
    sel = source(date=".d")
    time = '<time datetime="2018-09-10">10 Sept</time>'
    selected = page(LD + OG, '<p class="d">July 8, 2019</p>' + time)
    assert extract_page(selected, URL, source=sel).published == "2019-07-08"
    # The date the page shows beats its machine dates; a meta tag beats JSON-LD (often rewritten in UTC).
    assert extract_page(page(LD + OG, time), URL).published == "2018-09-10"
    assert extract_page(page(LD + OG), URL).published == "2020-02-03"
    assert extract_page(page(LD), URL).published == "2021-05-06"


def test_published_listing_hint_before_feed_hint() -> None:
    hints = {"listing_date": "April 2017", "feed_date": "Tue, 02 May 2017 10:00:00 +0000"}
    assert extract_page(page(), URL, hints=hints).published == "2017-04-01"
    assert extract_page(page(), URL, hints={"feed_date": hints["feed_date"]}).published == "2017-05-02"


def test_modified_is_kept_apart_from_published() -> None:
    got = extract_page(page(LD), URL)
    assert (got.published, got.modified) == ("2021-05-06", "2022-01-01")


def test_summary_meta_description_then_first_paragraph() -> None:
    assert extract_page(page(OG), URL).summary == "Meta description."
    assert extract_page(page(), URL).summary.startswith("Paragraph 0 says")


def test_doc_type_selector_then_listing_label_then_url_pattern() -> None:
    header = '<div class="type">Briefs</div>'
    assert extract_page(page(header=header), URL, source=source(type=".type")).doc_type == "policy brief"
    assert extract_page(page(), URL, source=source(), hints={"type_label": "Reports"}).doc_type == "report"
    assert extract_page(page(), URL, source=source()).doc_type == "working paper"
    assert extract_page(page(), URL).doc_type == "other"


@pytest.mark.parametrize(("lang", "expected"), [("en", "en"), ("fr-FR", "fr"), ("es_ES", "es")])
def test_language_from_html_lang(lang: str, expected: str) -> None:
    assert extract_page(page().replace(b'lang="en"', f'lang="{lang}"'.encode()), URL).language == expected


SITE = '<meta property="og:site_name" content="Example Institute">'


def test_title_h1_sharing_most_words_with_the_titles_beats_json_ld() -> None:
    html = page(LD).replace(b"Site title |", b"Report headline, 2021 |")  # reworded for search engines
    assert extract_page(html, URL).title == "Headline of the report"


def test_title_h1_with_a_kicker_gives_the_title_it_holds() -> None:
    html = page(SITE).replace(b"Site title |", b"Borders in 2021 |")
    html = html.replace(b"<h1>Headline of the report</h1>", b"<h1>Analysis Borders in 2021</h1>")
    assert extract_page(html, URL).title == "Borders in 2021"


def test_title_h1_unrelated_to_the_titles_is_not_the_headline() -> None:
    html = page(OG).replace(b"<h1>Headline of the report</h1>", b"<h1>Subscribe to our newsletter today</h1>")
    assert extract_page(html, URL).title == "OG title"


def test_title_site_name_h1_and_site_name_og_title_are_skipped() -> None:
    head = SITE + '<meta property="og:title" content="Example Institute">'
    html = page(head).replace(b"Site title |", b"Headline of the report |")
    header = b'<header class="site-header"><h1><a href="/">Example Institute</a></h1></header>'
    html = html.replace(b"<article>", header + b"<article>")
    assert extract_page(html, URL).title == "Headline of the report"
    # An og:title that is only the site's name gives way to the <title>.
    no_h1 = page(head).replace(b"Site title |", b"The real title |").replace(b"<h1>Headline of the report</h1>", b"")
    assert extract_page(no_h1, URL).title == "The real title"
    # With no other title, the site's name is still better than nothing.
    bare = b"<html><head><title>Example Institute</title></head><body><p>Short.</p></body></html>"
    assert extract_page(bare, URL).title == "Example Institute"


def test_title_a_site_title_h1_names_the_site_in_the_title_tag() -> None:
    # A classic blog theme: the <h1> links home with the blog's name, the post's title is only in <title>.
    no_h1 = page().replace(b"<h1>Headline of the report</h1>", b"")
    header = b'<div id="header"><h1><a href="https://www.example.org">seelenradio</a></h1></div>'
    for title, expected in [
        (b"seelenradio &raquo; Nummer zwei: Leo", "Nummer zwei: Leo"),
        (b"seelenradio &raquo; Blog Archiv &raquo; Nummer zwei: Leo", "Nummer zwei: Leo"),  # WordPress's default
        (b"Nummer zwei: Leo : seelenradio", "Nummer zwei: Leo"),
    ]:
        html = no_h1.replace(b"Site title | Example Institute", title).replace(b"<article>", header + b"<article>")
        assert extract_page(html, URL).title == expected


def test_title_h1_the_theme_marks_as_the_post_title_is_no_site_title() -> None:
    ld = '<script type="application/ld+json">{"@type": "Article", "headline": "Seat Mo 125: Was kann er?"}</script>'
    html = page(ld + '<meta property="og:title" content="Seat Mo 125 im Test">')
    for wrapper, h1 in (
        (b"header", b'<h1 class="article-header-title"><span>Seat Mo 125: Was kann er?</span></h1>'),
        (b"header", b'<h1 class="aungblogtitle">Seat Mo 125: Was kann er?</h1>'),
        # A hero header named like a site's, holding the post's own marked title.
        (b"masthead", b'<h1 class="entry-title">Seat Mo 125: Was kann er?</h1>'),
        (b"masthead", b'<h1 itemprop="headline">Seat Mo 125: Was kann er?</h1>'),
    ):
        marked = html.replace(b"<h1>Headline of the report</h1>", b"").replace(
            b"<article>", b'<div class="' + wrapper + b'">' + h1 + b"</div><article>"
        )
        assert extract_page(marked, URL).title == "Seat Mo 125: Was kann er?"


def test_title_is_unicode_nfc() -> None:
    composed = "\u098f\u09ae\u09aa\u09bf\u09b0 \u09ac\u09be\u09dc\u09bf"  # DDDHA: NFC writes it as DDA + nukta
    html = page(f'<meta property="og:title" content="{composed}">').replace(b"<h1>Headline of the report</h1>", b"")
    got = extract_page(html, URL).title
    assert got == unicodedata.normalize("NFC", composed)
    assert "\u09a1\u09bc" in got
    assert "\u09dc" not in got


def test_title_keeps_its_own_dashes_and_unescapes_entities() -> None:
    head = SITE + '<meta property="og:title" content="Work - and Migration &amp;amp; Its Limits - Example Institute">'
    html = page(head).replace(b"<h1>Headline of the report</h1>", b"")
    assert extract_page(html, URL).title == "Work - and Migration & Its Limits"


def test_published_full_url_date_beats_json_ld_but_not_the_selector() -> None:
    dated = "https://www.example.org/2019/01/31/a-report"
    assert extract_page(page(LD + OG), dated).published == "2019-01-31"
    got = extract_page(page(LD, '<p class="d">July 8, 2019</p>'), dated, source=source(date=".d"))
    assert got.published == "2019-07-08"
    assert extract_page(page(LD), "https://www.example.org/2019/01/a-report").published == "2021-05-06"  # no day


def test_published_first_time_ignores_sidebars_comments_and_footers() -> None:
    aside = '<aside class="related"><time datetime="2024-01-01">Related</time></aside>'
    comment = '<div class="comments"><time datetime="2023-03-03">a comment</time></div>'
    own = '<time datetime="2018-09-10">10 Sept</time>'
    assert extract_page(page(header=aside + comment + own), URL).published == "2018-09-10"


def test_body_selector_beats_trafilatura_and_falls_back_when_it_matches_nothing() -> None:
    html = page(header='<div class="lead"><p>Only the selected lead paragraph.</p></div>')
    assert extract_page(html, URL, source=source(body=".lead")).body == "Only the selected lead paragraph."
    fallback = extract_page(page(), URL, source=source(body=".lead")).body
    assert fallback.startswith("Paragraph 0 says")
    assert "Paragraph 11 says" in fallback


def test_a_title_escaped_twice_by_its_cms_is_read_once_decoded() -> None:
    ld = '<script type="application/ld+json">{"@type": "Article", "headline": "Full &amp;#038; Part Time"}</script>'
    text = "Some words here. " * 30
    html = f"<html><head><title>x</title>{ld}</head><body><article><p>{text}</p></article></body></html>"
    assert extract_page(html, "https://example.org/a").title == "Full & Part Time"
