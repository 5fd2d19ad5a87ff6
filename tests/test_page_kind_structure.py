"""Page-kind signals added for issue 16 item 1 (tenth session), each read from a small page built for it."""

from __future__ import annotations

from trafilatura.utils import load_html

from extract.metadata import read_meta
from extract.page_kind import Signals, signals

TEASERS = "".join(
    f'<div class="teaser"><h3><a href="/news/story-{i}">Story {i} on the new visa rules</a></h3>'
    f"<p>A short teaser about story {i}.</p></div>"
    for i in range(6)
)
ESSAY = "".join(f"<p>Paragraph {i} says that migration policy changed in several ways across the region.</p>"
                for i in range(12))  # fmt: skip


def read(body: str, body_attrs: str = "", url: str = "https://news.example.net/news/") -> Signals:
    page = f"<html><head><title>News</title></head><body {body_attrs}><main>{body}</main></body></html>"
    tree = load_html(page.encode())
    assert tree is not None
    return signals(tree, read_meta(tree), "", url)


def test_the_body_classes_name_the_cms_template() -> None:
    # WordPress's category archive, Magento's category, Shopify's collection: an index template ...
    assert read(TEASERS, 'class="archive category category-news logged-out"').template == 1
    assert read(TEASERS, 'class="catalog-category-view page-layout-2columns-left"').template == 1
    assert read(TEASERS, 'class="template-collection"').template == 1
    # ... WordPress's single post, Drupal's article node, Shopify's article: one item's.
    assert read(ESSAY, 'class="post-template-default single single-post postid-42"').template == -1
    assert read(ESSAY, 'class="path-node page-node-type-article"').template == -1
    assert read(ESSAY, 'class="template-article"').template == -1
    # Words that only contain a template's name, or no classes at all, say nothing.
    assert read(ESSAY, 'class="has-category-nav singleton"').template == 0
    assert read(ESSAY).template == 0


def test_a_skip_link_target_is_content_not_furniture() -> None:
    # The grid a "skip to products" link jumps to is the page's content, whatever its id says.
    sig = read(f'<a class="skip-link" href="#skip-to-products">Skip to products</a><div id="skip-to-products">'
               f"{TEASERS}</div>")  # fmt: skip
    assert sig.items == 6
    assert sig.words >= 6 * 12


def test_headline_links_read_before_the_longest_text() -> None:
    # A shop's or a section's grid above its long descriptive text ...
    grid_first = read("<h1>News</h1>" + TEASERS + ESSAY)
    assert grid_first.heads_before_gap == 6
    # ... an article's own text first, its related teasers after.
    text_first = read("<h1>One essay</h1>" + ESSAY + TEASERS, url="https://news.example.net/news/one-essay")
    assert text_first.heads_before_gap == 0
    assert min(grid_first.longest_gap, text_first.longest_gap) > 100  # the same text, read either way
