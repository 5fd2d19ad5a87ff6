"""Page-kind signals added for issue 16 item 1 (tenth session), each read from a small page built for it."""

from __future__ import annotations

from trafilatura.utils import load_html

from extract.metadata import read_meta
from extract.page_kind import Signals, load_model, signals

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


# Eleventh session: a listing's controls, read over the whole page (a shop's filters sit in a sidebar or a form).
SHOP_GRID = (
    '<ul class="product-grid">'
    + "".join(
        f'<li class="product-tile"><a href="/p/chair-{i}">Mesh chair {i}</a><span class="price">$ {100 + i}</span>'
        f'<button type="button">Add to cart</button><button type="button">Quick view</button></li>'
        for i in range(8)
    )
    + "</ul>"
)
SHOP_CONTROLS = (
    '<aside><h3>Filter by</h3><ul><li><a href="?brand=acme">Acme</a></li><li><a href="?brand=zed">Zed</a></li></ul>'
    '</aside><form><label for="s">Sort by</label><select id="s" name="orderby"><option>Price</option></select></form>'
)


def test_a_shops_listing_controls_are_read() -> None:
    sig = read(SHOP_CONTROLS + SHOP_GRID + ESSAY, url="https://shop.example.net/chairs/")
    assert sig.control_labels == 2  # "Filter by" in a sidebar, "Sort by" in a form
    assert sig.buy_buttons == 16  # eight tiles, two buttons each
    assert sig.grid_marks == 1
    assert sig.card_marks == 9  # the eight tiles and the grid ("product-grid")


def test_an_article_has_no_listing_controls() -> None:
    # The same words inside an article's sentences are not controls: a label is the whole of a short text.
    prose = ("<p>We sort by price and filter by brand, as a shop would; then add to cart what you like, or compare "
             "the two and buy now.</p>")  # fmt: skip
    sig = read("<h1>How shops list chairs</h1>" + prose + ESSAY, url="https://news.example.net/news/shops-list")
    assert (sig.control_labels, sig.buy_buttons, sig.grid_marks, sig.card_marks) == (0, 0, 0, 0)


def titled(title: str, body: str, h1: str = "") -> Signals:
    page = f"<html><head><title>{title}</title></head><body>{h1 and f'<h1>{h1}</h1>'}{body}</body></html>"
    tree = load_html(page.encode())
    assert tree is not None
    return signals(tree, read_meta(tree), "", "https://news.example.net/news/one")


def test_the_page_naming_itself_a_list() -> None:
    # "Latest news", "Recettes", "All products": the page names itself a list, in its title or its h1 ...
    assert titled("Latest migration news | Example Times", TEASERS).index_words
    assert titled("Cuisine", TEASERS, h1="Recettes").index_words
    assert titled("All products – Example Shop", TEASERS).index_words
    # ... a headline does not, nor a word that only contains one ("newsletter", "Shopify", "overall"), nor the
    # site's name after the headline ("| The Migration Blog").
    assert not titled("Why the newsletter moved to Shopify overall", ESSAY).index_words
    assert not titled("Why the newsletter moved to a new host this year | The Migration Blog", ESSAY).index_words


def test_listing_controls_raise_the_fitted_index_score() -> None:
    # A shop's category whose SEO text outweighs its grid: the controls are evidence the fitted model reads for it.
    url = "https://shop.example.net/chairs/"
    plain = read(SHOP_GRID.replace("product-", "x-").replace("Add to cart", "").replace("Quick view", "") + ESSAY,
                 url=url)  # fmt: skip
    shop = read(SHOP_CONTROLS + SHOP_GRID + ESSAY, url=url)
    model = load_model()
    assert model.score(shop, url) > model.score(plain, url) + 1.0
