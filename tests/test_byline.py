"""Authors from a page's visible byline (extract/byline.py) when its metadata names none."""

from __future__ import annotations

from trafilatura.utils import load_html

from extract.byline import byline_texts, is_handle
from extract.page import extract_page

TEXT = "".join(
    f"<p>Paragraph {i} explains how the new rules on asylum were applied across the region last year.</p>"
    for i in range(5)
)


def authors(byline: str, head: str = "", after: str = "") -> list[str]:
    html = (
        f"<html><head><title>Rules</title>{head}</head><body><article><h1>Rules</h1>"
        f"<div class='entry-meta'>{byline}</div>{TEXT}</article>{after}</body></html>"
    )
    return extract_page(html, "https://blog.example.org/2024/05/rules").authors


def test_a_wordpress_byline_names_the_author() -> None:
    byline = (
        "<span class='by-author'>von <span class='author vcard'><a class='url fn n' rel='author' "
        "href='/author/mvd/' title='Zeige alle Beiträge von Michael Veeser-Dombrowski'>Michael Veeser-Dombrowski"
        "</a></span></span>"
    )
    assert authors(byline) == ["Michael Veeser-Dombrowski"]


def test_microdata_names_come_first() -> None:
    byline = (
        "<span itemprop='author' itemscope itemtype='https://schema.org/Person'><span itemprop='name'>Ana Pérez"
        "</span> <span class='bio'>writes on routes through the Sahel</span></span>"
        "<span itemprop='author' itemscope><span itemprop='name'>Jean Dupont</span></span>"
        "<a rel='author' href='/desk'>Desk</a>"
    )
    assert authors(byline) == ["Ana Pérez", "Jean Dupont"]


def test_metadata_beats_the_byline() -> None:
    head = '<meta name="author" content="Kathleen Newland">'
    assert authors("<span class='byline'>By Someone Else</span>", head=head) == ["Kathleen Newland"]


def test_a_commenters_or_a_sidebars_name_is_not_the_authors() -> None:
    comments = "<div id='comments'><span class='byline'><a rel='author' href='/u/1'>Jo Commenter</a></span></div>"
    sidebar = "<aside><span class='author-name'>Widget Writer</span></aside>"
    related = "<div class='related-posts'><a rel='author' href='/u/2'>Other Author</a></div>"
    page = load_html(f"<html><body><article>{TEXT}</article>{comments}{sidebar}{related}</body></html>")
    assert page is not None
    assert byline_texts(page) == []
    page = load_html(
        f"<html><body><article><span class='byline'>Ana Pérez</span>{TEXT}</article>{comments}</body></html>"
    )
    assert page is not None
    assert byline_texts(page) == ["Ana Pérez"]


def test_a_bylines_date_and_a_cms_account_are_not_names() -> None:
    assert authors("<span class='byline'>Anja Schmoll-Trautmann, 14. Mai 2014</span>") == ["Anja Schmoll-Trautmann"]
    assert authors("<span class='byline'>By admin</span>") == []


def test_a_commentary_or_an_articles_own_footer_holds_the_byline() -> None:
    commentary = "<div class='commentary-body'><span class='byline'>By Meghan Benton</span></div>"
    assert authors(commentary) == ["Meghan Benton"]
    page = load_html(
        f"<html><body><article>{TEXT}<footer class='entry-footer'><span class='vcard'>"
        "<span class='fn'>Ana Pérez</span></span></footer></article>"
        "<footer class='site-footer'><div class='vcard'><span class='fn'>Example Institute</span></div></footer>"
        "</body></html>"
    )
    assert page is not None
    assert byline_texts(page) == ["Ana Pérez"]


def test_every_co_author_in_json_ld_is_kept_in_order() -> None:
    ld = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Report", "author": ['
        '{"@type": "Person", "name": "Jeanne Batalova"}, {"@type": "Person", "name": "Ariel G. Ruiz Soto"}, '
        '{"@type": "Organization", "name": "Migration Policy Institute"}, '
        '{"@type": "Person", "name": "Jeanne Batalova"}]}</script>'
    )
    assert authors("", head=ld) == ["Jeanne Batalova", "Ariel G. Ruiz Soto"]


def test_json_ld_authors_given_by_reference_are_looked_up() -> None:
    ld = (
        '<script type="application/ld+json">{"@graph": [{"@type": "Article", "author": [{"@id": "#p1"}, '
        '{"@id": "#p2"}]}, {"@type": "Person", "@id": "#p1", "name": "Ana Pérez"}, '
        '{"@type": "Person", "@id": "#p2", "name": "Jean Dupont"}]}</script>'
    )
    assert authors("", head=ld) == ["Ana Pérez", "Jean Dupont"]


def test_each_citation_author_tag_is_a_co_author() -> None:
    head = "".join(
        f'<meta name="citation_author" content="{n}">' for n in ("Hein de Haas", "Katharina Natter", "Simona Vezzoli")
    )
    assert authors("", head=head) == ["Hein de Haas", "Katharina Natter", "Simona Vezzoli"]


def test_a_byline_that_names_more_co_authors_than_the_metadata_wins() -> None:
    head = '<meta name="author" content="Anna Smith">'
    byline = "<span class='byline'>By Anna Smith, Bob Jones and Carla Wu</span>"
    assert authors(byline, head=head) == ["Anna Smith", "Bob Jones", "Carla Wu"]
    # A byline naming someone else does not replace the metadata's author.
    assert authors("<span class='byline'>By Bob Jones</span>", head=head) == ["Anna Smith"]


def test_a_visible_byline_beats_an_account_handle_in_the_metadata() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "Article", '
        '"author": {"@type": "Person", "name": "kffnirmitap"}}</script>'
    )
    byline = "<span class='byline'>By <a rel='author' href='/people/nirmita-panchal'>Nirmita Panchal</a></span>"
    assert authors(byline, head=ld) == ["Nirmita Panchal"]
    # With no human name shown, the handle is all the page says.
    assert authors("", head=ld) == ["kffnirmitap"]


def test_what_counts_as_an_account_handle() -> None:
    assert is_handle("kffnirmitap")
    assert is_handle("Migrationblog", "https://migrationblog.example.org/2024/05/rules")
    assert not is_handle("Nirmita Panchal")
    assert not is_handle("Madonna", "https://blog.example.org/2024/05/rules")


def test_a_written_out_byline_names_the_authors() -> None:
    assert authors("<p>By <a href='/people/ana'>Ana Pérez</a> and <a href='/people/jd'>Jean Dupont</a></p>") == [
        "Ana Pérez",
        "Jean Dupont",
    ]
    label = "<div><p class='label'>Written by</p><p class='name'>Edzel Tabing</p></div>"
    assert authors(label) == ["Edzel Tabing"]
    # A sentence that starts with "By" is not a byline.
    assert authors("<p>By the end of the year most of them had moved on.</p>") == []
