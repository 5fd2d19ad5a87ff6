"""The title rules of extract/title.py and clean_title's site-name cuts, each on a small page built for it."""

from __future__ import annotations

import pytest

from extract.normalise import clean_title
from extract.page import extract_page

BODY = "".join(f"<p>Paragraph {i} says that migration policy changed in several ways across the region.</p>"
               for i in range(12))  # fmt: skip


SITE = '<meta property="og:site_name" content="{}">'


def title_of(head: str, h1s: str, url: str = "https://example.org/a/post") -> str:
    html = f"<html><head>{head}</head><body><main>{h1s}<article>{BODY}</article></main></body></html>"
    return extract_page(html.encode(), url).title


def test_a_title_cut_mid_word_is_not_inside_the_h1() -> None:
    # "… and k" is the start of "… and keyboard": the <title> was truncated, the <h1> is whole.
    got = title_of(
        "<title>Desk setup: how to set up your monitor, laptop, and k | Shop</title>" + SITE.format("Shop"),
        "<h1>Desk setup: how to set up your monitor, laptop, and keyboard (checklist)</h1>",
    )
    assert got == "Desk setup: how to set up your monitor, laptop, and keyboard (checklist)"


def test_a_one_word_h1_from_the_middle_of_the_title_is_a_section_heading() -> None:
    og = '<meta property="og:title" content="How we broke into Discord and hundreds of companies">'
    got = title_of(f"<title>Gist</title>{og}", "<h1>Discord</h1>")
    assert got == "How we broke into Discord and hundreds of companies"


def test_a_one_word_h1_that_starts_the_title_is_the_headline() -> None:
    got = title_of("<title>Resources Archive - Example Centre</title>", "<h1>Resources</h1>")
    assert got == "Resources"


def test_a_paragraph_in_an_h1_is_not_the_headline() -> None:
    teaser = ("Learn which home renovations have the best return on investment and get expert tips on how to "
              "understand and calculate the return of a home renovation project before you start it")  # fmt: skip
    og = '<meta property="og:title" content="The 10 Best Home Renovation Projects | RenoCo">' + SITE.format("RenoCo")
    got = title_of(f"<title>The 10 Best Home Renovation Projects | RenoCo</title>{og}", f"<h1>{teaser}</h1>")
    assert got == "The 10 Best Home Renovation Projects"


def test_an_h1_with_its_own_subtitle_keeps_it() -> None:
    got = title_of(
        '<title>Pros and Cons of Tiny House Living | LoadUp</title><meta property="og:site_name" content="LoadUp">',
        "<h1>Pros and Cons of Tiny House Living: Why Live in a Tiny House?</h1>",
    )
    assert got == "Pros and Cons of Tiny House Living: Why Live in a Tiny House?"


def test_a_kicker_before_the_title_in_the_h1_still_goes() -> None:
    site = '<meta property="og:site_name" content="Example Institute">'
    got = title_of(f"<title>Borders in 2021 | Example Institute</title>{site}", "<h1>Analysis Borders in 2021</h1>")
    assert got == "Borders in 2021"


def test_an_h1_garbled_by_its_cms_gives_way_to_the_title_it_spells() -> None:
    got = title_of(
        "<title>What Are The Basics Of Event Planning: Beginner's Guide</title>",
        "<h1>What Are The Basics Of Event Planning? Beginner? Guide</h1>",
    )
    assert got == "What Are The Basics Of Event Planning: Beginner's Guide"


def test_what_follows_a_pipe_after_a_title_is_decoration_even_in_the_h1() -> None:
    # An SEO plugin's title pasted into the <h1>: the section and the tagline go, as the site's name would.
    got = title_of("<title>x</title>", "<h1>How meditation rewires brains and improves physical health | Opinion</h1>")
    assert got == "How meditation rewires brains and improves physical health"
    # A title of one or two words before a pipe is not cut ("Notes | Part two" says little either way).
    assert title_of("<title>x</title>", "<h1>Field notes | Part two</h1>") == "Field notes | Part two"


def test_a_host_name_before_the_title_without_a_separator_goes() -> None:
    got = title_of("<title>davidbau.com Vibe Coding</title>", "", url="https://davidbau.com/archives/2025/vibe.html")
    assert got == "Vibe Coding"
    # A brand's name may start a headline; only a host's name is cut so.
    docker = title_of(SITE.format("Docker") + "<title>Docker Hardened Images: Validated</title>", "")
    assert docker == "Docker Hardened Images: Validated"


def test_a_title_in_utf8_read_as_latin1_is_read_back() -> None:
    garbled = "How To Get Toddlers To Sleep – JOHNSON\u00e2\u0080\u0099S\u00c2\u00ae"
    got = title_of(f'<meta property="og:title" content="{garbled}">', "", url="https://www.johnsonsbaby.com/sleep")
    assert got == "How To Get Toddlers To Sleep"


@pytest.mark.parametrize(
    ("title", "host", "expected"),
    [
        ("What do people love about Rust? | Rust Blog", "blog.rust-lang.org", "What do people love about Rust?"),
        ("The Ultimate Car Checklist | Bridgestone Tires", "tires.bridgestone.com", "The Ultimate Car Checklist"),
        ("Finding the Right Policy – Nationwide", "www.nationwide.com", "Finding the Right Policy"),
        ("Supermove | Best Movers in NYC", "www.supermove.com", "Best Movers in NYC"),
        ("Ergonomics at home | Example Shop", "oakywood.shop", "Ergonomics at home | Example Shop"),
        # A subtitle whose words are not all in the address stays.
        ("Tiny Houses: Why Live in One?", "goloadup.com", "Tiny Houses: Why Live in One?"),
        ("Rust 1.80 | Release notes", "blog.rust-lang.org", "Rust 1.80 | Release notes"),
    ],
)
def test_a_segment_that_spells_the_address_is_the_site_name(title: str, host: str, expected: str) -> None:
    assert clean_title(title, [host]) == expected


def test_an_h1_the_metadata_names_is_the_headline_whatever_its_class() -> None:
    # A blog theme's "blogtitle" class on the post's own <h1>; the JSON-LD headline says it is the article's.
    ld = '<script type="application/ld+json">{"@type": "BlogPosting", "headline": "Top 10 Appliance Makers"}</script>'
    got = title_of(
        f"<title>Ten appliance makers - Shop</title>{ld}", "<h1 class='blogtitle'>Top 10 Appliance Makers</h1>"
    )
    assert got == "Top 10 Appliance Makers"


def test_an_article_hero_named_masthead_something_is_not_the_site_header() -> None:
    og = '<meta property="og:title" content="AI Search Trends: The Future of SEO">'
    h1 = "<div class='MastheadArticleSection_content__0TTSi'><h1>AI Search Trends: The Future of SEO</h1></div>"
    assert title_of(f"<title>The future of AI in SEO</title>{og}", h1) == "AI Search Trends: The Future of SEO"
    # A site's masthead still names the site: the post's title is then the <title>'s.
    site = "<div class='masthead'><h1>Example Journal</h1></div>"
    assert title_of("<title>The future of AI in SEO | Example Journal</title>", site) == "The future of AI in SEO"


def test_a_headline_long_h1_classed_as_the_blog_title_is_the_post_title() -> None:
    # "blog-title" names the site on one theme and the post on another; a headline worded like the og:title is
    # the post's, even when the og:title words it shorter.
    og = '<meta property="og:title" content="How to Set Up an Ergonomic Workstation | Expert Guide">'
    h1 = "<h1 class='blog-title'>How to Set Up an Ergonomically-Designed Workstation at Home: A Complete Guide</h1>"
    got = title_of(f"<title>How to Set Up an Ergonomic Workstation | Expert Guide</title>{og}", h1)
    assert got == "How to Set Up an Ergonomically-Designed Workstation at Home: A Complete Guide"
    # The site's name after a separator in the og:title is still the site's, however long.
    og = '<meta property="og:title" content="About - State of AI newsletter">'
    got = title_of(
        f"<title>About - State of AI newsletter</title>{og}", "<h1 class='blog-title'>State of AI newsletter</h1>"
    )
    assert got == "About"


def test_of_two_titles_that_differ_by_a_year_the_one_with_the_year_wins() -> None:
    og = '<meta property="og:title" content="Best Travel Insurance for Seniors in 2025">'
    assert title_of(og, "<h1>Best Travel Insurance for Seniors</h1>") == "Best Travel Insurance for Seniors in 2025"
    # The <h1> holds the headline the JSON-LD gives, plus the year: the <h1> whole.
    ld = '<script type="application/ld+json">{"@type": "Article", "headline": "Software Price Guide"}</script>'
    assert title_of(f"<title>Prices | FullStack Blog</title>{ld}", "<h1>2025 Software Price Guide</h1>") == (
        "2025 Software Price Guide"
    )
    # Any other word more is the page's SEO wording, not an edition: the <h1> as shown.
    og = '<meta property="og:title" content="Best Travel Insurance for Seniors Today">'
    assert title_of(og, "<h1>Best Travel Insurance for Seniors</h1>") == "Best Travel Insurance for Seniors"


def test_an_h1_set_on_lines_gives_the_line_a_title_names_or_yields_to_the_title() -> None:
    # A kicker in its own block: the line the og:title names is the headline.
    og = '<meta property="og:title" content="Klatch Coffee | Shopify App Store">'
    h1 = "<h1><div class='kicker'>Get that tech stack</div><span>Klatch Coffee</span></h1>"
    assert title_of(f"<title>Klatch Coffee | Shopify App Store</title>{og}", h1) == "Klatch Coffee"
    # A kicker the <title> names too (the site's or the section's name) is the shorter line.
    h1 = (
        "<h1><span class='block'>Open Progress</span><span class='block'>Why thinking together beats smarts</span></h1>"
    )
    assert title_of("<title>Why thinking together beats smarts | Open Progress</title>", h1) == (
        "Why thinking together beats smarts"
    )
    # A headline and a subtitle on lines of their own that no title names: the page's own title words it.
    og = '<meta property="og:title" content="Best Notion Alternatives: Top Note-taking Tools in 2026">'
    h1 = "<h1>The Best Notion Alternatives<span class='block small'>Top Note-taking Tools like Notion</span></h1>"
    assert title_of(og, h1) == "Best Notion Alternatives: Top Note-taking Tools in 2026"
    # Named whole, the lines are one title, read with a space at the break.
    og = '<meta property="og:title" content="Top MBA Programs of 2025 Your Guide">'
    assert title_of(og, "<h1>Top MBA Programs of 2025<br>Your Guide</h1>") == "Top MBA Programs of 2025 Your Guide"
