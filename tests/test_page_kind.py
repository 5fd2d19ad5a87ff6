"""Page-kind rules of extract.page_kind on sites with no configuration: each rule on a page written for it."""

from __future__ import annotations

from extract.page import extract_page

LONG = "".join(f"<p>Paragraph {i} says that migration policy changed in several ways across the region.</p>"
               for i in range(12))  # fmt: skip


def cards(n: int) -> str:
    return "".join(
        f'<div class="card"><h3><a href="/research/item-{i}">Item {i} on asylum policy in Europe</a></h3>'
        f"<p>A short teaser for item {i}, about borders, visas and the rules that shape them.</p></div>"
        for i in range(n)
    )


PAGER = '<nav class="pagination"><a href="?page=1">1</a><a href="?page=2">2</a><a href="?page=3">3</a></nav>'
PREV_NEXT = '<nav class="pagination"><a href="/a">Previous post</a><a href="/b">Next post</a></nav>'


def html(head: str = "", body: str = "", title: str = "A page") -> bytes:
    return f'<html lang="en"><head><title>{title}</title>{head}</head><body><main>{body}</main></body></html>'.encode()


# A publication's own title is its headline; an index's is a name ("Research", "Travel bags | Shop").
HEADLINE = "One essay on the new rules for asylum seekers at the border | Blog"


def kind(page: bytes, url: str = "https://blog.example.net/research/") -> str:
    return extract_page(page, url).page_type


def test_cards_with_a_numbered_pager_are_a_listing() -> None:
    assert kind(html(body="<h1>Research</h1>" + cards(5) + PAGER)) == "listing"


def test_previous_and_next_links_are_not_a_pager() -> None:
    short_post = "<h1>One essay</h1><p>A short note on one new rule for asylum seekers at the border.</p>"
    post = html(body=short_post + cards(4) + PREV_NEXT, title=HEADLINE)
    assert kind(post, "https://blog.example.net/notes/one-essay") == "article"
    assert kind(html(body=short_post + cards(4) + PAGER), "https://blog.example.net/notes/") == "listing"


def test_an_article_with_a_related_sidebar_stays_an_article() -> None:
    # Many linked headings, but most of the text is the article's own, outside the cards.
    body = "<h1>One essay</h1>" + LONG * 2 + f"<aside>{cards(9)}</aside>" + PAGER
    assert kind(html(body=body, title=HEADLINE)) == "article"


def test_many_cards_without_a_pager_are_a_listing() -> None:
    assert kind(html(body="<h1>All research</h1>" + cards(10))) == "listing"


def test_a_date_weighs_against_the_layout_but_a_page_of_teasers_outweighs_it() -> None:
    # A publication date or a post's address keeps a post with its related teasers and a pager an article ...
    post = "<h1>One essay</h1>" + LONG + cards(10) + PAGER
    published = '<meta property="article:published_time" content="2020-01-02T00:00:00Z">'
    ld = '<script type="application/ld+json">{"@type": "BlogPosting", "datePublished": "2020-01-02"}</script>'
    assert kind(html(published, post, title=HEADLINE)) == "article"
    assert kind(html(body=post, title=HEADLINE), "https://blog.example.net/2020/01/02/a-post/") == "article"
    assert kind(html(body=post, title=HEADLINE), "https://blog.example.net/?p=123") == "article"
    assert kind(html(ld, post, title=HEADLINE)) == "article"
    # ... but a page of nothing but teasers and a pager is an index whatever date its template stamps on it
    # (a blog's front page dated by its latest post; a shop's category with article:published_time).
    listing_like = "<h1>Research</h1>" + cards(10) + PAGER
    assert kind(html(published, listing_like)) == "listing"
    assert kind(html(ld, listing_like)) == "listing"


def test_an_item_list_beside_an_article_is_not_a_listing() -> None:
    ld = ('<script type="application/ld+json">[{"@type": "Article", "headline": "Ten facts"},'
          ' {"@type": "ItemList", "itemListElement": []}]</script>')  # fmt: skip
    assert kind(html(ld, "<h1>Ten facts</h1>" + LONG)) == "article"
    only_list = '<script type="application/ld+json">{"@type": "ItemList", "itemListElement": []}</script>'
    assert kind(html(only_list, "<h1>Ten facts</h1>" + LONG)) == "listing"


def test_paths_name_tag_author_search_and_paged_archives() -> None:
    page = html(body="<h1>Libya</h1>" + cards(2))
    assert kind(page, "https://blog.example.net/tag/libya/") == "tag"
    assert kind(page, "https://blog.example.net/author/jane-doe/") == "author"
    assert kind(page, "https://blog.example.net/search?q=libya") == "search"
    assert kind(page, "https://blog.example.net/news/page/3/") == "listing"
    # A dated page number is a paged archive, not a post.
    assert kind(page, "https://blog.example.net/2020/01/page/2/") == "archive"


def test_listing_pages_carry_no_authors_or_dates() -> None:
    head = '<meta name="author" content="Jane Doe"><meta property="og:type" content="website">'
    got = extract_page(html(head, "<h1>Research</h1>" + cards(5) + PAGER), "https://blog.example.net/research/")
    assert (got.page_type, got.authors, got.published) == ("listing", [], None)


def test_an_article_element_around_the_post_is_not_a_card() -> None:
    # The post's own <article> holds links, and its subheadings link a glossary; eight teasers sit underneath.
    sections = "".join(f'<h2><a href="/glossary/radon">Radon</a> in section {i}</h2>{LONG}' for i in range(2))
    post = f'<article class="post"><h1>One essay</h1>{LONG}<p>See <a href="/other">this</a>.</p>{sections}</article>'
    assert kind(html(body=post + cards(8)), "https://news.example.net/news/one-essay-70501") == "article"


def test_a_blog_index_of_full_posts_is_a_listing() -> None:
    posts = "".join(f'<article><h2><a href="/post-{i}">Post {i}</a></h2>{LONG * 2}</article>' for i in range(4))
    assert kind(html(body=posts + PAGER), "https://blog.example.net/") == "listing"


def test_every_schema_org_article_subtype_is_an_article() -> None:
    ld = '<script type="application/ld+json">[{"@type": "ReportageNewsArticle"}, {"@type": "ItemList"}]</script>'
    assert kind(html(ld, "<h1>A report from the border</h1>" + LONG)) == "article"


def product_cards(n: int) -> str:
    return "".join(
        f'<li class="product"><a href="/p/item-{i}"><img src="/i{i}.jpg" alt=""><h3>Travel bag {i}</h3></a>'
        f"<span class=price>${40 + i}.99</span></li>"
        for i in range(n)
    )


def test_a_grid_of_priced_items_is_a_collection() -> None:
    got = kind(
        html(body=f"<h1>Travel bags</h1><ul class=grid>{product_cards(12)}</ul>"), "https://shop.example.net/bags/"
    )
    assert got == "collection"


def test_a_site_home_page_of_teasers_is_a_listing() -> None:
    assert kind(html(body="<h1>Welcome</h1>" + cards(6)), "https://blog.example.net/") == "listing"


def test_schema_org_and_addresses_name_other_kinds() -> None:
    product = '<script type="application/ld+json">{"@type": "Product", "name": "Travel bag"}</script>'
    assert kind(html(product, "<h1>Travel bag</h1>" + LONG), "https://shop.example.net/travel-bag") == "product"
    qa = '<script type="application/ld+json">{"@type": "QAPage"}</script>'
    assert kind(html(qa, "<h1>How do visas work?</h1>" + LONG), "https://qa.example.net/q/1") == "forum"
    assert kind(html(body="<h1>Re: visas</h1>" + LONG), "https://forum.example.net/threads/visas.123/") == "forum"
    assert kind(html(body="<h1>Install</h1>" + LONG), "https://docs.example.net/start/install") == "documentation"


def test_a_dated_article_is_never_another_kind() -> None:
    # A report that names itself with a date stays a publication, whatever its address or layout.
    published = '<meta property="article:published_time" content="2020-01-02T00:00:00Z">'
    page = html(published, "<h1>Visa rules</h1>" + LONG)
    assert kind(page, "https://docs.example.net/reports/visa-rules") == "article"
    product = '<script type="application/ld+json">{"@type": "Product", "name": "Visa rules"}</script>'
    assert kind(html(published + product, "<h1>Visa rules</h1>" + LONG)) == "article"


def test_long_prose_with_a_related_grid_stays_an_article() -> None:
    # The layout of an index beside a long text of its own: the text is the page.
    body = "<h1>Asylum in 2024</h1>" + LONG * 3 + f"<section class=more>{cards(12)}</section>"
    assert kind(html(body=body), "https://think.example.net/research/asylum-in-2024-what-changed") == "article"


def test_the_configured_listing_is_a_listing() -> None:
    from migdigest.config import Source

    source = Source.model_validate({
        "name": "x", "title": "X", "base_url": "https://think.example.net",
        "discovery": {"listings": [{"url": "/research/", "item": "article"}]},
    })  # fmt: skip
    page = html(body="<h1>Research</h1>" + LONG)
    assert extract_page(page, "https://think.example.net/research/", source=source).page_type == "listing"
    assert extract_page(page, "https://think.example.net/research/a-report", source=source).page_type == "article"


def test_a_product_group_is_a_collection() -> None:
    # Shopify and others name their category pages so, long SEO text or not.
    head = '<meta property="og:type" content="product.group">'
    assert kind(html(head, "<h1>Sheets</h1>" + LONG), "https://shop.example.net/collections/sheets") == "collection"


def test_alike_teasers_count_as_one_group_across_parents() -> None:
    from trafilatura.utils import load_html

    from extract.metadata import read_meta
    from extract.page_kind import signals

    teaser = '<div class="teaser"><h3><a href="/news/story-{0}">Story {0} on visas</a></h3><p>Short text {0}.</p></div>'
    # Two teasers per section: never three alike siblings (only the three sections are), but six alike blocks
    # under alike parents (and their six headings, a second group).
    sections = "".join(f"<section>{teaser.format(2 * i)}{teaser.format(2 * i + 1)}</section>" for i in range(3))
    tree = load_html(html(body="<h1>News</h1>" + sections))
    assert tree is not None
    sig = signals(tree, read_meta(tree), "", "https://news.example.net/news/")
    assert (sig.items, sig.card_groups, sig.same_shape_links, sig.headed_links) == (3, 2, 6, 6)
    assert sig.card_share > 0.8


def test_the_fitted_model_reads_every_feature() -> None:
    from trafilatura.utils import load_html

    from extract.metadata import read_meta
    from extract.page_kind import features, load_model, signals

    tree = load_html(html(body="<h1>News</h1>" + cards(3)))
    assert tree is not None
    names = features(signals(tree, read_meta(tree), "", "https://news.example.net/"), "https://news.example.net/")
    model = load_model()
    assert set(model.weights) == set(names)
    assert all(-20 < w < 20 for w in model.weights.values())  # fitted, not diverged


def test_forum_software_addresses_and_markup_are_forums() -> None:
    thread = html(body="<h1>Re: visas</h1>" + LONG)
    for url in (
        "https://forums.example.net/viewtopic.php?t=361697",
        "https://talk.example.net/showthread.php?t=186269",
        "https://community.example.net/index.php?topic=589061.0",
        "https://community.example.net/thread-222085.html",
        "https://community.example.net/topic/18427/rc1-is-out",
    ):
        assert kind(thread, url) == "forum", url
    posting = '<div itemscope itemtype="https://schema.org/DiscussionForumPosting">' + LONG + "</div>"
    assert kind(html(body="<h1>Re: visas</h1>" + posting), "https://talk.example.net/a/123") == "forum"
    # A post's address and a topic page of a magazine are not a forum's.
    assert kind(html(body="<h1>One essay</h1>" + LONG), "https://news.example.net/topic/history-of-visas") == "article"


def test_comments_make_a_forum_only_on_an_undated_page() -> None:
    comments = "".join(f'<div itemscope itemtype="http://schema.org/Comment"><p>Reply {i}</p></div>' for i in range(3))
    body = "<h1>Visas</h1>" + LONG + comments
    assert kind(html(body=body), "https://talk.example.net/a/123") == "forum"
    published = '<meta property="article:published_time" content="2020-01-02T00:00:00Z">'
    assert kind(html(published, body), "https://blog.example.net/a/123") == "article"


def test_documentation_addresses_outweigh_a_template_og_type() -> None:
    og = '<meta property="og:type" content="article">'
    tech = '<script type="application/ld+json">{"@type": "TechArticle", "headline": "Install"}</script>'
    page = "<h1>Install</h1>" + LONG
    assert kind(html(og, page), "https://example.net/docs/18/sql-select.html") == "documentation"
    assert kind(html(og, page), "https://project.readthedocs.io/en/latest/user/advanced/") == "documentation"
    assert kind(html(og, page), "https://developer.example.net/terraform/language/resources") == "documentation"
    assert kind(html(og + tech, page), "https://example.net/reference/react/use-state") == "documentation"


def test_a_shop_page_of_one_product_is_a_product_whatever_its_og_type() -> None:
    # WooCommerce and Yoast say og:type article on every page; the Product markup says what the page is.
    og = '<meta property="og:type" content="article">'
    ld = '<script type="application/ld+json">{"@type": "Product", "name": "Travel bag"}</script>'
    page = "<h1>Travel bag</h1>" + LONG
    assert kind(html(og + ld, page), "https://shop.example.net/product/travel-bag/") == "product"
    one = '<div itemscope itemtype="https://schema.org/Product"><h1>Travel bag</h1>' + LONG + "</div>"
    assert kind(html(body=one), "https://shop.example.net/travel-bag") == "product"
    # Many items typed Product are a shop's listing, not one product's page.
    many = "".join(
        f'<li itemscope itemtype="https://schema.org/Product" class="product"><a href="/p/bag-{i}">'
        f'<img src="/i{i}.jpg" alt=""><h3>Travel bag {i}</h3></a><span class=price>${40 + i}.99</span></li>'
        for i in range(12)
    )
    assert kind(html(body=f"<h1>Travel bags</h1><ul class=grid>{many}</ul>"), "https://shop.example.net/bags/") in (
        "collection",
        "listing",
    )


def test_a_collection_page_outweighs_a_template_date() -> None:
    head = (
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2020-01-02T00:00:00Z">'
        '<script type="application/ld+json">{"@graph": [{"@type": "CollectionPage"}, {"@type": "WebSite"}]}</script>'
    )
    assert kind(html(head, "<h1>Shop</h1>" + cards(6)), "https://shop.example.net/shop/") == "listing"


def test_a_page_wrapper_named_like_furniture_is_read_when_scripts_hold_most_text() -> None:
    from trafilatura.utils import load_html

    from extract.metadata import read_meta
    from extract.page_kind import signals

    data = "<script>" + " ".join(f"word{i}" for i in range(3000)) + "</script>"
    page = (
        f'<html><head><title>Shop</title></head><body>{data}<div class="sticky-footer">{cards(6)}</div></body></html>'
    )
    tree = load_html(page.encode())
    assert tree is not None
    # The framework's script data is not text a reader sees, so the wrapper is most of the page, not a footer.
    assert signals(tree, read_meta(tree), "", "https://shop.example.net/").words > 100


def test_a_shop_category_whose_json_ld_names_a_product_is_a_collection_when_paged() -> None:
    ld = '<script type="application/ld+json">{"@type": "Product", "name": "Gas barbecue"}</script>'
    tiles = "".join(
        f'<li class="tile"><a href="/p/grill-{i}"><img src="/g{i}.jpg" alt=""><h3>Grill {i}</h3></a>'
        f"<span class=price>€{200 + i},00</span><button>Add to cart</button></li>"
        for i in range(24)
    )
    page = html(ld, f"<h1>Gas barbecues</h1><ul class=grid>{tiles}</ul>{PAGER}", title="Gas barbecues")
    assert kind(page, "https://shop.example.net/10-gas-barbecues") == "collection"
    # One product's page with the same markup and a few related tiles, no pager, stays a product.
    one = html(ld, "<h1>Gas barbecue 3000</h1>" + LONG + f"<ul class=grid>{tiles[:600]}</ul>", title="Gas barbecue")
    assert kind(one, "https://shop.example.net/gas-barbecue-3000") == "product"


def test_the_listing_is_read_in_document_order_with_its_paging_and_dates() -> None:
    from trafilatura.utils import load_html

    from extract.metadata import read_meta
    from extract.page_kind import signals

    dated = "".join(
        f'<div class="post"><h2><a href="/news/story-{i}">Story {i} on the new visa rules</a></h2>'
        f"<time>2024-0{i + 1}-02</time><p>Ten words of teaser text about the story number {i} here.</p></div>"
        for i in range(5)
    )
    paging = '<div><a href="/news/page/2/">2</a><a href="/news/?page=3">3</a><a href="/about">About</a></div>'
    tree = load_html(html(body="<h1>News</h1>" + dated + paging))
    assert tree is not None
    sig = signals(tree, read_meta(tree), "", "https://news.example.net/news/")
    assert (sig.page_links, sig.dated_items) == (2, 5)
    assert sig.longest_gap <= 20  # headline, teaser, headline, ...
    assert sig.headline_span > 0.6
    # An article's own text is one long gap before its related links, which span little of the page.
    article = "<h1>One essay</h1>" + LONG + dated
    tree = load_html(html(body=article))
    assert tree is not None
    sig = signals(tree, read_meta(tree), "", "https://news.example.net/news/one-essay")
    assert sig.longest_gap > 100
    assert sig.headline_span < 0.5


# Fifth pass (issue 16): a shop's category whose products a script draws; MediaWiki's categories; a shop's front page.
SCRIPTED_SHOP = html(
    '<meta property="og:type" content="website">',
    "<h1>Desk converters</h1><p>Find the standing desk converter that fits your desk and your budget today.</p>"
    '<div id="product-grid" data-src="/api/products?category=12"></div>'
    '<script>window.__PRODUCTS__ = [{"name": "Converter one", "price": 199}]</script>',
    title="Standing desk converters for every desk and budget | Shop",
)


def test_a_page_with_almost_no_body_is_not_a_publication() -> None:
    # Too few words of its own to be a publication: an index whose items a script draws.
    assert kind(SCRIPTED_SHOP, "https://shop.example.net/category/desk-converters") != "article"
    assert kind(SCRIPTED_SHOP, "https://shop.example.net/desk-converters-for-standing-work") != "article"


def test_a_short_dated_note_and_a_configured_body_stay_articles() -> None:
    from migdigest.config import Source

    # A date says it is a publication, however short ...
    published = '<meta property="article:published_time" content="2020-01-02T00:00:00Z">'
    note = html(published, "<h1>Office closed</h1><p>Our office is closed on Friday for the holiday.</p>", HEADLINE)
    assert kind(note, "https://think.example.net/news/office-closed-on-friday") == "article"
    # ... and a body a source's selector reads (its summary only, say) says nothing of the layout.
    source = Source.model_validate({
        "name": "x", "title": "X", "base_url": "https://shop.example.net", "selectors": {"body": "h1 + p"},
        "discovery": {"listings": [{"url": "/shop/", "item": "article"}]},
    })  # fmt: skip
    url = "https://shop.example.net/desk-converters-for-standing-work"
    assert extract_page(SCRIPTED_SHOP, url, source=source).page_type == "article"


def test_a_mediawiki_category_is_a_listing() -> None:
    members = "".join(f'<li><a href="/wiki/Language_{i}">Language {i}</a></li>' for i in range(40))
    page = html(body=f"<h1>Category:Programming languages</h1><p>Pages in this category.</p><ul>{members}</ul>" + LONG)
    assert kind(page, "https://en.wikipedia.org/wiki/Category:Programming_languages") == "listing"
    assert kind(page, "https://wiki.example.org/index.php?title=Category:Migration") == "listing"
    assert kind(page, "https://en.wikipedia.org/wiki/Programming_language") == "documentation"


def test_a_site_home_page_is_not_one_product() -> None:
    # A shop's front page marks its best seller as a Product; a home page is never one product's page.
    ld = '<script type="application/ld+json">{"@type": "Product", "name": "Yoga mat"}</script>'
    page = html(ld, "<h1>Yoga mats</h1>" + product_cards(12) + LONG)
    assert kind(page, "https://shop.example.net/") != "product"
    assert kind(page, "https://shop.example.net/yoga-mat") == "product"
