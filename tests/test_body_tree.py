"""Markup fixes before trafilatura (extract/body_tree.py), each on a page written for it and through extract_page."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from lxml.html import HtmlElement
from trafilatura.utils import load_html

import extract.body_tree as body_tree
from extract.body_tree import fuller_body, prepare_body_tree, trafilatura_body
from extract.page import extract_page

OG_ARTICLE = '<meta property="og:type" content="article">'


def paragraphs(topic: str, n: int = 4) -> str:
    return "".join(
        f"<p>{topic} paragraph {i} explains how the new rules on asylum and return were applied across the region, "
        f"and what the people affected by them told the researchers about it.</p>"
        for i in range(n)
    )


def page(body: str, head: str = OG_ARTICLE) -> str:
    return f'<html lang="en"><head><title>A report</title>{head}</head><body><main>{body}</main></body></html>'


def tree(html: str) -> HtmlElement:
    parsed = load_html(html)
    assert parsed is not None
    return parsed


# A Condé Nast-style body: one container per chunk, each in its own grid row, ads between them.
SPLIT = page(
    "<h1>Border rules</h1><div class='article__chunks'>"
    f"<div class='grid'><div class='body article__body'>{paragraphs('Opening')}</div></div>"
    "<div class='ad'>Advertisement</div>"
    f"<div class='grid'><div class='body article__body'>{paragraphs('Middle')}</div></div>"
    "<div class='ad'>Advertisement</div>"
    f"<div class='grid'><div class='body article__body'>{paragraphs('Closing')}</div></div></div>"
)


def test_a_body_split_between_ads_is_read_whole() -> None:
    body = extract_page(SPLIT, "https://news.example.org/story/border-rules").body
    assert "Opening paragraph 0" in body
    assert "Middle paragraph 2" in body
    assert "Closing paragraph 3" in body
    assert "Advertisement" not in body


def test_the_callers_tree_is_left_as_it_was() -> None:
    original = tree(SPLIT)
    prepared = prepare_body_tree(original, one_article=True)
    assert prepared is not original
    assert len(original.xpath("//div[@class='body article__body']")) == 3
    assert len(prepared.xpath("//div[@class='body article__body']")) == 1


def test_the_posts_of_a_blog_index_are_not_joined() -> None:
    index = page(
        "".join(
            f"<article><h2><a href='/p{i}'>Post {i}</a></h2><div class='entry-content'>{paragraphs(f'Post {i}')}"
            "</div></article>"
            for i in range(3)
        ),
        head="",
    )
    original = tree(index)
    assert prepare_body_tree(original, one_article=False) is original


RELATED = (
    "<article class='post'><h1>Return policy in 2024</h1>"
    f"{paragraphs('Main')}"
    "<h3>You may also like</h3>"
    + "".join(
        f"<article class='post related'><h4><a href='/other-{i}'>Other post {i}</a></h4>"
        f"<p>Teaser {i} tells a different story about labour migration and remittances in another country.</p>"
        "</article>"
        for i in range(3)
    )
    + "</article>"
)


def test_articles_nested_in_an_article_are_related_posts_not_its_text() -> None:
    body = extract_page(page(RELATED), "https://blog.example.org/return-policy-2024").body
    assert "Main paragraph 3" in body
    assert "Teaser" not in body


def test_nested_articles_stay_on_a_page_that_does_not_say_it_is_an_article() -> None:
    # They may be a listing's cards, and the page kind is decided from the body.
    original = tree(page(RELATED, head=""))
    assert prepare_body_tree(original, one_article=False) is original
    assert prepare_body_tree(original, one_article=True) is not original


def test_one_article_inside_a_wrapper_article_is_the_text() -> None:
    wrapped = page(
        f"<article class='page'><article class='post'><h1>Return policy</h1>{paragraphs('Main')}</article></article>"
    )
    original = tree(wrapped)
    assert prepare_body_tree(original, one_article=True) is original
    assert "Main paragraph 3" in extract_page(wrapped, "https://blog.example.org/return-policy").body


def test_a_quoted_tweet_in_a_social_wrapper_is_kept() -> None:
    tweet = (
        "<div class='social-media-embed'><blockquote class='twitter-tweet'><p>Today we resettled 120 refugees "
        "from Libya to Italy through the humanitarian corridor.</p>&mdash; Ministry (@ministry) "
        "<a href='https://twitter.com/ministry/status/1'>November 20, 2019</a></blockquote></div>"
    )
    html = page(f"<article><h1>Corridors</h1><div class='entry-content'>{paragraphs('Main', 2)}{tweet}"
                f"{paragraphs('After', 2)}</div></article>")  # fmt: skip
    original = tree(html)
    assert prepare_body_tree(original, one_article=True) is not original
    body = extract_page(html, "https://news.example.org/2019/11/corridors").body
    assert "Today we resettled 120 refugees" in body
    assert "Main paragraph 1" in body
    assert "After paragraph 1" in body


# A journal's page: the outer <article> holds the abstract and the main text as <article>s of their own, then a
# block of related papers, each an <article> titled by a link to another paper.
PAPER = (
    "<article class='paper'><h1>Labour mobility and remittances in West Africa</h1>"
    f"<article class='abstract'><h2>Abstract</h2>{paragraphs('Abstract', 1)}</article>"
    f"<article class='main-text'><h2>Introduction</h2>{paragraphs('Main', 5)}</article>"
    "<section><h2>Related papers</h2>"
    + "".join(
        f"<article><h3><a href='/papers/{i}'>Another paper {i}</a></h3>"
        f"<p>Teaser {i} summarises a different paper on visas and seasonal work in another region.</p></article>"
        for i in range(3)
    )
    + "</section></article>"
)


def test_a_papers_abstract_and_main_text_nested_in_its_article_are_its_text() -> None:
    body = extract_page(page(PAPER), "https://journal.example.org/papers/labour-mobility").body
    assert "Abstract paragraph 0" in body
    assert "Main paragraph 0" in body
    assert "Main paragraph 4" in body
    assert "Teaser" not in body


def test_only_the_related_articles_of_a_paper_are_removed() -> None:
    prepared = prepare_body_tree(tree(page(PAPER)), one_article=True)
    kept = [a.get("class") for a in prepared.iter("article")]
    assert kept == ["paper", "abstract", "main-text"]


def test_a_listicles_long_items_nested_in_its_article_are_its_text() -> None:
    # Three or more <article>s of one class inside the article are teasers, unless each is a text of its own:
    # a listicle's items of a few hundred words, titled by a link to the product they review.
    items = "".join(
        f"<article class='listicle-item'><h2><a href='https://shop.example.com/p{i}'>Scooter {i}</a></h2>"
        f"{paragraphs(f'Scooter {i} review', 6)}</article>"
        for i in range(4)
    )
    html = page(f"<article class='guide'><h1>The best scooters</h1>{paragraphs('Intro', 2)}{items}</article>")
    body = extract_page(html, "https://reviews.example.org/best-scooters").body
    assert "Scooter 0 review paragraph 5" in body
    assert "Scooter 3 review paragraph 0" in body


def test_a_few_content_blocks_among_a_listicles_cards_are_not_one_split_body() -> None:
    # Three short "content" blocks with the brands' cards between them: joining them would make the blocks
    # trafilatura's whole article and lose every card.
    block = "<div class='article__block'>{}</div>"
    cards = "".join(
        block.format(f"<div class='brand-card'><h2>Brand {i}</h2>{paragraphs(f'Brand {i}', 5)}</div>") for i in range(6)
    )
    blocks = [
        block.format(f"<div class='article__content rich-text'>{paragraphs(name, 1)}</div>")
        for name in ("Intro", "Mid", "End")
    ]
    html = page(f"<article class='article'><h1>60 brands</h1>{blocks[0]}{cards}{blocks[1]}{blocks[2]}</article>")
    prepared = prepare_body_tree(tree(html), one_article=True)
    assert len(prepared.xpath("//div[@class='article__content rich-text']")) == 3
    body = extract_page(html, "https://shop.example.org/blog/60-brands").body
    assert "Brand 5 paragraph 4" in body


def test_the_recall_pass_is_taken_only_when_the_default_pass_kept_little_and_it_finds_clearly_more() -> None:
    # A guide of many short sections, of which trafilatura's default pass kept only the first.
    sections = "".join(
        f"<div class='section'><h2>Step {i}</h2><p>Step {i} tells the reader to check the lease, the deposit, the "
        f"notice period and the utilities before signing anything with the landlord or the agency.</p></div>"
        for i in range(8)
    )
    page_tree = tree(page(f"<article><h1>Renting a flat</h1>{sections}</article>"))
    url = "https://guide.example.org/renting-a-flat"
    cut_short = "Step 0 tells the reader to check the lease."
    fuller = fuller_body(page_tree, page_tree, url, cut_short)
    assert fuller is not None
    assert "Step 7 tells the reader" in fuller
    # The default pass kept most of the page's words: no second pass, whatever it would find.
    whole = trafilatura_body(page_tree, url)
    assert "Step 7" in whole
    assert fuller_body(page_tree, page_tree, url, whole) is None


def test_the_recall_pass_is_not_tried_when_the_body_fills_the_pages_main_container(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Navigation, related stories and a footer make the body less than 80% of any article page's words; an
    # <article> the body starts in and fills says the default pass was not cut short, so the second pass (a whole
    # trafilatura run) is not spent on it. A body cut short inside its container, one larger than it (text from
    # outside it) or one that starts elsewhere (the size of a container is not enough) is still tried.
    tried: list[bool] = []
    real_pass = body_tree.trafilatura_body

    def counting_pass(element: HtmlElement, url: str, *, favor_recall: bool = False) -> str:
        tried.append(favor_recall)
        return real_pass(element, url, favor_recall=favor_recall)

    related = "".join(f"<li><a href='/s{i}'>{paragraphs(f'Related story {i}', 1)}</a></li>" for i in range(12))
    html = (
        f'<html lang="en"><head><title>Talks</title>{OG_ARTICLE}</head><body>'
        f"<nav>{' '.join(f'<a href=/t{i}>Topic {i}</a>' for i in range(30))}</nav>"
        f"<main><article><h1>Talks</h1>{paragraphs('Story', 4)}</article>"
        f"<ul>{related}</ul></main>"
        "<footer><p>Example Daily - 12 Harbour Road - Portsmouth - Tel 023 9200 0000 - All rights reserved</p></footer>"
        "</body></html>"
    )
    page_tree = tree(html)
    url = "https://news.example.org/talks"
    whole = real_pass(page_tree, url)
    assert "Story paragraph 3" in whole
    assert "Related story" not in whole
    monkeypatch.setattr(body_tree, "trafilatura_body", counting_pass)
    assert fuller_body(page_tree, page_tree, url, whole) is None
    assert tried == []  # starts in the story's <article> and fills it: not tried
    fuller_body(page_tree, page_tree, url, "Story paragraph 0 explains how the new rules on asylum were applied.")
    assert tried == [True]  # cut short inside its container
    fuller_body(
        page_tree, page_tree, url, whole + "\n" + paragraphs("More", 1).removeprefix("<p>").removesuffix("</p>")
    )
    assert tried == [True, True]  # larger than its container
    fuller_body(page_tree, page_tree, url, whole.replace("Story", "Elsewhere"))
    assert tried == [True, True, True]  # as large as a container it does not start in


def test_the_recall_pass_is_not_taken_for_furniture_a_gallery_and_a_footer() -> None:
    # What a recall pass adds on a news page whose default pass was right: a photo gallery (each caption shown
    # twice, once per view, with "Image 1 of 3" counters), a byline and the site's address line.
    caption = (
        "The minister, left, and her counterpart shake hands before the talks on the new readmission agreement "
        "in the capital on Wednesday."
    )
    gallery = "".join(
        f"<div class='gallery-slide'><p>{caption} Photo {i}.</p><p>Image {i} of 3</p><p>{caption} Photo {i}.</p>"
        f"<p>Photo: Agency</p></div>"
        for i in range(1, 4)
    )
    text = paragraphs("Story", 3)
    html = page(
        f"<article><div class='byline'>By A. Writer, Security Correspondent</div>{gallery}<h1>Talks</h1>{text}"
        "</article><div class='site-info'><p>Example Daily - 12 Harbour Road - Portsmouth - Tel 023 9200 0000</p>"
        "</div>"
    )
    page_tree = tree(html)
    more = trafilatura_body(page_tree, "https://news.example.org/talks", favor_recall=True)
    default = "\n".join(line for line in more.split("\n") if line.startswith("Story paragraph"))
    assert len(default.split("\n")) == 3  # what the default pass keeps: the story
    assert caption in more
    assert len(more.split()) > 2 * len(default.split())
    assert fuller_body(page_tree, page_tree, "https://news.example.org/talks", default) is None


def test_a_hover_card_inside_a_paragraph_is_not_text() -> None:
    # A person's name in the text opens a card with a picture and their latest stories; it is in the markup.
    card = (
        "<span class='person-card'><span><img src='/p.jpg' alt=''><a href='/people/a-minister'>Ana Minister</a>"
        + "".join(f"<a href='/news/story-{i}'>Latest story {i} about the minister's week</a> " for i in range(3))
        + "</span></span>"
    )
    text = (
        f"<p>The agreement was signed by <span><a href='/people/a-minister'>Ana Minister</a>{card}</span> on "
        "Tuesday, after months of talks with the neighbouring countries about the return of rejected applicants.</p>"
    )
    html = page(f"<article><h1>Deal signed</h1>{text}{paragraphs('Story')}</article>")
    body = extract_page(html, "https://news.example.org/2024/05/02/deal").body
    assert "The agreement was signed by Ana Minister on Tuesday" in body
    assert "Latest story" not in body


def test_schema_org_data_written_as_text_is_not_body_text() -> None:
    data = (
        "<div itemprop='image' itemscope itemtype='http://schema.org/ImageObject'>"
        "<div itemprop='url'>https://cdn.example.org/image/5dd3a0-500-250/deal-signed.jpg</div></div>"
        "<div itemprop='publisher' itemscope itemtype='http://schema.org/Organization'>"
        "<div itemprop='name'>ExampleNewsDe</div><span itemprop='logo' itemscope>"
        "<span itemprop='url'>https://www.example.org/assets/logo.png</span></span></div>"
    )
    html = page(f"<div class='post-body'><h1>Deal signed</h1>{paragraphs('Story')}{data}</div>")
    body = extract_page(html, "https://news.example.org/2024/05/02/deal").body
    assert "Story paragraph 3" in body
    assert "ExampleNewsDe" not in body
    assert "deal-signed.jpg" not in body


# The expression _body_containers reads in Python; when trafilatura changes it, the reading must be checked again.
BODY_CONTAINER_XPATH = (
    ".//*[self::article or self::div or self::main or self::section][ @class='post' or @class='entry' or "
    "@itemprop='articleBody' or @id='articleContent' or re:test(@id, '{ids}') or re:test(@class, '{classes}') ][1]"
)
GATE = Path(__file__).parent / "quality"


def test_the_body_container_expression_is_the_one_read_in_python() -> None:
    from trafilatura.xpaths import _ARTICLE_CONTENT_CLASS_TOKENS, _ARTICLE_CONTENT_ID_TOKENS

    expected = BODY_CONTAINER_XPATH.format(
        ids="|".join(_ARTICLE_CONTENT_ID_TOKENS), classes="|".join(_ARTICLE_CONTENT_CLASS_TOKENS)
    )
    assert " ".join(body_tree._BODY_CONTAINER.path.split()) == expected


@pytest.mark.parametrize("name", sorted(json.loads((GATE / "truth.json").read_text(encoding="utf-8"))))
def test_body_containers_are_the_xpaths_on_real_pages(name: str) -> None:
    dataset, key = name.split("/")
    page_tree = tree(gzip.decompress((GATE / dataset / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace"))
    assert body_tree._body_containers(page_tree) == body_tree._BODY_CONTAINER(page_tree)


def test_body_containers_first_of_each_parent_in_document_order() -> None:
    page_tree = tree(
        "<html><body><div id='a' class='post'><section id='b' class='entry'>x</section>"
        "<section id='c' class='post-text'>y</section></div><main id='d'><article id='e' itemprop='articleBody'>z"
        "</article><div id='f' class='entry-content'></div></main><span class='post'>no</span>"
        "<div id='g'><p class='post'>no</p><div id='article-body'>w</div><div id='articleContent'>v</div></div>"
        "<section id='h' class='Post'>no<div id='i' class='x articleText y'>u</div></section></body></html>"
    )
    ids = ["a", "b", "e", "article-body", "i"]
    assert [el.get("id") for el in body_tree._body_containers(page_tree)] == ids
    assert [el.get("id") for el in body_tree._BODY_CONTAINER(page_tree)] == ids
