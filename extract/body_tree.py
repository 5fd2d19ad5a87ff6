"""Markup fixes made before trafilatura reads a page without a configured body selector.

trafilatura takes the first container that looks like an article body, and everything inside it, minus what
looks like site furniture. Three common shapes defeat that: a body a CMS cut into several containers (between
ads), related posts marked up as <article>s inside the article, and a quoted tweet inside a "social" or
"widget" wrapper. All are fixed on a copy; the caller's tree is left as it was.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections import Counter
from copy import copy, deepcopy

from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.baseline import _BLOCK_ELEMS, baseline, html2txt
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
    _prepare_tree,
    _recall_retry,
)
from trafilatura.external import SANITIZED_XPATH, compare_extraction, justext_rescue
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Extractor
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import (
    _ARTICLE_CONTENT_CLASS_TOKENS,
    _ARTICLE_CONTENT_ID_TOKENS,
    BODY_XPATH,
    RAW_TREE_PRUNE_XPATH,
    REMOVE_COMMENTS_AND_LISTS_XPATH,
    _alt,
)

# trafilatura's first, most specific body expression (article-body, entry-content, itemprop=articleBody, ...).
_BODY_CONTAINER = BODY_XPATH[0]
_CONTENT_CLASS = re.compile(_alt(_ARTICLE_CONTENT_CLASS_TOKENS))
_CONTENT_ID = re.compile(_alt(_ARTICLE_CONTENT_ID_TOKENS))


def _body_containers(tree: HtmlElement) -> list[HtmlElement]:
    """What `_BODY_CONTAINER(tree)` selects, read in Python: its re:test() predicates called back into Python for
    every <div>, <article>, <main> and <section> (~0.5 ms a page, 3x this). tests/test_body_tree.py holds them equal.

    `.//*[self::article or self::div or self::main or self::section][...][1]`: below `tree`, each parent's first
    such child whose class is "post" or "entry" or matches the class tokens, whose id is "articleContent" or
    matches the id tokens, or whose itemprop is "articleBody"; in document order.
    """
    found: list[HtmlElement] = []
    parents: set[HtmlElement] = set()
    for el in tree.iter("article", "div", "main", "section"):
        cls, ident = el.get("class"), el.get("id")
        if not (
            cls in ("post", "entry")
            or el.get("itemprop") == "articleBody"
            or ident == "articleContent"
            or (ident is not None and _CONTENT_ID.search(ident))
            or (cls is not None and _CONTENT_CLASS.search(cls))
        ):
            continue
        parent = el.getparent()
        if el is not tree and parent is not None and parent not in parents:
            parents.add(parent)
            found.append(el)
    return found


def _article_of(el: HtmlElement) -> HtmlElement | None:
    return next(el.iterancestors("article"), None)


def _split_body(tree: HtmlElement) -> list[HtmlElement]:
    """The containers of one body cut into pieces: same tag and class, none inside another, same <article>."""
    found = _body_containers(tree)
    if len(found) < 2 or not found[0].get("class"):
        return []
    first = found[0]
    pieces = [first]
    for el in found[1:]:
        # The posts of a blog index each have their own entry-content: those are separate publications.
        alike = (el.tag, el.get("class"), _article_of(el)) == (first.tag, first.get("class"), _article_of(first))
        if alike and not any(p in el.iterancestors() or el in p.iterancestors() for p in pieces):
            pieces.append(el)
    if len(pieces) < 2:
        return []
    # Pieces of one body hold most of the text around them (the rest is ads and captions). A few "content"
    # blocks among a listicle's product cards are not the body cut up: joined, they would become trafilatura's
    # whole article and the cards would be lost.
    common = next(a for a in first.iterancestors() if all(a in p.iterancestors() for p in pieces[1:]))
    return pieces if sum(map(_word_count, pieces)) >= _SPLIT_SHARE * _word_count(common) else []


_SPLIT_SHARE = 0.5


def _word_count(el: HtmlElement) -> int:
    return len(el.text_content().split())


def _nested(article: HtmlElement) -> list[HtmlElement]:
    return [a for a in article.iterdescendants("article") if _article_of(a) is article]


def _with_related(tree: HtmlElement) -> list[HtmlElement]:
    """<article>s holding two or more <article>s (one may be the page's real article inside a wrapper)."""
    return [a for a in tree.iter("article") if len(_nested(a)) >= 2]


# A related item, comment or teaser says so in its class or id, or is titled by a link to another page, or is
# mostly link text. An <article> that is none of these is part of the text: a paper's abstract and main text are
# often <article>s inside the page's outer <article>, and dropping them lost whole papers.
_RELATED_MARK = re.compile(
    r"(?<![a-z])(?:related|comments?|teaser|card|promo|recommended|trending|popular|sidebar|subscribe|newsletter|"
    r"outbrain|taboola|ads?|advert\w*)(?![a-z])"
)
_LINKED_HEADING = (
    "(.//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6])[1]"
    "[.//a[@href and not(starts-with(@href, '#'))]]"
)
_LINK_SHARE = 0.5


_REPEATED = 3  # three or more nested <article>s of one class are a list of other posts, not parts of one text
_TEASER_WORDS = 150  # an <article> this long is text, whatever links it holds


def _is_related(inner: HtmlElement) -> bool:
    """An <article> inside an article that is a related item, a comment or a teaser, not the article's text."""
    if _RELATED_MARK.search(f"{inner.get('class', '')} {inner.get('id', '')}".lower()):
        return True
    if _word_count(inner) >= _TEASER_WORDS:
        return False  # teasers are short; a listicle's items of a few hundred words are the article's own text
    outer = _article_of(inner)
    if outer is not None and sum(a.get("class") == inner.get("class") for a in _nested(outer)) >= _REPEATED:
        return True
    if inner.xpath(_LINKED_HEADING):
        return True
    text = len("".join(inner.text_content().split()))
    linked = sum(len("".join(a.text_content().split())) for a in inner.iter("a"))
    return bool(text) and linked / text >= _LINK_SHARE


_TWEETS = "//blockquote[contains(concat(' ', normalize-space(@class), ' '), ' twitter-tweet ')]"


def _wrapper(quote: HtmlElement) -> HtmlElement:
    """The outermost element around an embedded tweet that holds nothing else (trafilatura drops it as furniture)."""
    text = " ".join(quote.text_content().split())
    top = quote
    for el in quote.iterancestors():
        if el.tag in ("body", "article", "main") or " ".join(el.text_content().split()) != text:
            break
        top = el
    return top


def prepare_body_tree(tree: HtmlElement, *, one_article: bool) -> HtmlElement:
    """The tree itself, or a copy with a split body joined and (on a page that says it is one article) related
    <article>s removed."""
    # HTML5: articles nested in an article are often related to it (comments, related posts), but a paper's
    # abstract and main text may be nested <article>s too: only those that look related go (_is_related). On a
    # page that does not say it is an article, nested articles may be a listing's cards, which decide its kind.
    split = bool(_split_body(tree))
    related = one_article and any(_is_related(i) for o in _with_related(tree) for i in _nested(o))
    # A tweet the article quotes is its text: a minister's statement, an agency's figures.
    tweets = [q for q in tree.xpath(_TWEETS) if _wrapper(q) is not q]
    cards = bool(tree.xpath(_HOVER_CARDS))
    schema_data = bool(tree.xpath(_SCHEMA_DATA))
    if not (split or related or tweets or cards or schema_data):
        return tree
    tree = deepcopy(tree)
    if split:
        first, *rest = _split_body(tree)
        for piece in rest:
            first.extend(list(piece))
            piece.drop_tree()  # keeps the tail text
    if related:
        for outer in _with_related(tree):
            for inner in _nested(outer):
                if _is_related(inner):
                    inner.drop_tree()
    for quote in tree.xpath(_TWEETS):
        top = _wrapper(quote)
        if top is not quote:
            parent = top.getparent()
            quote.tail = top.tail
            parent.replace(top, quote)
    for card in tree.xpath(_HOVER_CARDS):
        card.drop_tree()  # keeps the tail: the sentence goes on after the name
    for data in tree.xpath(_SCHEMA_DATA):
        if data.getparent() is not None:
            data.drop_tree()
    return tree


# A hover card: a picture and a list of links (a person's latest stories) written inside a paragraph, after the
# name it pops up over; in the text it reads as "Rep. Ilhan OmarIlhan OmarHillicon Valley: ...". The innermost
# such element goes, so the name itself, outside it, stays.
_CARD = "span[.//img and count(.//a[@href]) >= 3]"
_HOVER_CARDS = f"//p//{_CARD}[not(.//{_CARD})]"

# schema.org microdata written out as text for search engines: an ImageObject's address, the publisher's name and
# logo address, with no picture to show. On a page whose article container holds them they read as body lines.
_SCHEMA_DATA = (
    "//*[@itemscope][@itemprop='publisher' or @itemprop='image' or @itemprop='logo'][not(.//img)][normalize-space()]"
)


# When trafilatura's default pass keeps less than this share of the page's words, a second pass that favours
# recall is tried, and taken when it finds at least _RECALL_GAIN times as many words: a body of several sections
# that the default pass cut after the first. Pages the default pass already covers skip the second pass.
_RECALL_TRY = 0.8
_RECALL_GAIN = 1.1
_PAGE_TEXT = "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"


# The page's own main-content containers, where it names them. The rest of a page (navigation, footer, related
# lists) makes nearly every default body less than 80% of the page's words, so the page alone sent most articles
# through the second pass for nothing; a body that starts in a container and fills most of it was not cut short.
_MAIN = "//main | //article | //*[@role='main']"
_OPENING_WORDS = 12


_HIDDEN = ("script", "style", "noscript")


def _visible_words(element: HtmlElement) -> int:
    """Words of the text nodes under `element` that are not inside a <script>, <style> or <noscript>, each node
    split on its own: what `.//text()[not(ancestor::script) and ...]` selects, counted in one walk of the tree
    that does not enter hidden elements (the XPath tests every text node's ancestors: 1.7x the time)."""
    if element.tag in _HIDDEN or any(a.tag in _HIDDEN for a in element.iterancestors()):
        return 0
    # Joined with spaces, the nodes' words are counted as if each were split on its own.
    parts = [element.text] if element.text else []
    stack = [element]
    while stack:
        for child in stack.pop():
            if child.tail:
                parts.append(child.tail)  # a hidden element's tail is outside it
            if child.tag in _HIDDEN:
                continue
            if child.text and isinstance(child.tag, str):  # a comment's text is not a text node
                parts.append(child.text)
            stack.append(child)
    return len(" ".join(parts).split())


def _page_words(tree: HtmlElement) -> int:
    """Words of the page's body text a reader sees (what `_PAGE_TEXT` selects)."""
    bodies = tree.xpath("//body")
    if len(bodies) != 1:  # never seen: lxml's parser makes one <body>; the XPath's own count, then
        return sum(len(str(t).split()) for t in tree.xpath(_PAGE_TEXT))
    return _visible_words(bodies[0])


def _fills_a_container(tree: HtmlElement, body: str) -> bool:
    """Whether `body` starts in one of the page's main containers and fills most of it, without outgrowing it."""
    # A body larger than a container came partly from outside it; one that starts elsewhere is another text (a
    # teaser <article> of the same length says nothing about the body).
    words = len(body.split())
    # Words of one line (text_content() joins paragraphs without a space), a line long enough to tell texts apart:
    # a body's first line is often only the headline.
    lines = body.split("\n")
    line = next((text for text in lines if len(text.split()) >= _OPENING_WORDS // 2), lines[0])
    opening = " ".join(line.split()[:_OPENING_WORDS])
    for box in tree.xpath(_MAIN):
        size = _visible_words(box)
        if _RECALL_TRY * size <= words <= size and opening in " ".join(box.text_content().split()):
            return True
    return False


def trafilatura_body(tree: HtmlElement, url: str, *, favor_recall: bool = False) -> str:
    """trafilatura's text of the main content (comments left out, tables kept): `bare_extraction`'s, step by step.

    `trafilatura.bare_extraction(tree, url=url, include_comments=False, include_tables=True,
    favor_recall=favor_recall).text`, but the check before its recall escalation reads the page's whole text only
    when a bound on that text's length cannot settle it (see `_sequence`). tests/test_body_sequence.py holds the
    two equal on real pages.
    """
    options = Extractor(output_format="python", recall=favor_recall, comments=False, tables=True, url=url)
    try:
        postbody, text = _sequence(copy(tree), options)
    except (TypeError, ValueError):  # as bare_extraction: the page is discarded
        return ""
    # bare_extraction's size check (comments are off, so their length is 0).
    if len(text) < options.min_output_size and options.min_output_comm_size > 0:
        return ""
    return xmltotxt(postbody, options.formatting).strip()


def _sequence(tree: HtmlElement, options: Extractor) -> tuple[_Element, str]:
    """`trafilatura.core.trafilatura_sequence` with comments off and a cheaper escalation check.

    Its last step retries a short extraction in recall mode when the text is under a fifth of the page's
    (`html2txt`: a copy of the page, a regex XPath over every element, every block respaced): 12% of an
    unconfigured page's time on the MPI pages, nearly always to find the extraction is not short. The page's
    text is read only when an upper bound on its length (`_PageText`) leaves the answer open.
    """
    url = options.url
    is_forum = _forum_thread_page(tree)
    tree = prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
    if options.focus == "precision" or not is_forum:
        tree = prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
    cleaned_tree, cleaned_tree_backup = _prepare_tree(tree, options, url)
    page = _PageText(tree)  # nothing below changes `tree`: readability, baseline and html2txt work on copies
    # _extract_and_compare, without readability where its text cannot win (_own_text_stands).
    postbody, temp_text = extract_content(cleaned_tree, options)
    if not options.fast and not _own_text_stands(postbody, temp_text, page, options):
        postbody, temp_text = compare_extraction(cleaned_tree_backup, copy(tree), postbody, temp_text, options)
    if len(temp_text) < options.min_extracted_size and options.focus != "precision":
        b_body, b_text, b_len = baseline(tree)
        if b_len > len(temp_text):
            postbody, temp_text = b_body, b_text
    if (
        options.focus == "balanced"
        and 0 < len(temp_text) < ESCALATION_MAX_LENGTH
        and _short_of_the_page(page, len(temp_text))
    ):
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = j_text = ""
        # As trafilatura: a failed candidate is no candidate.
        with contextlib.suppress(Exception):
            r_body, r_text = _recall_retry(tree, r_options, url)
        if not options.fast:
            with contextlib.suppress(Exception):
                j_body, j_text = justext_rescue(copy(tree), options)
        len_text, r_len, j_len = len(temp_text), len(r_text), len(j_text)
        if j_len > r_len and j_len > ESCALATION_JUSTEXT_RATIO * len_text:
            postbody, temp_text = j_body, j_text
        elif r_len >= options.min_extracted_size and r_len > ESCALATION_ACCEPT_RATIO * len_text:
            postbody, temp_text = r_body, r_text
    return postbody, temp_text


class _PageText:
    """What both checks of `_sequence` bound their texts by, each read once and only if asked for: the length of
    the page's text outside scripts and styles, whitespace collapsed, and the page's elements that matter."""

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree

    @functools.cached_property
    def length(self) -> int:
        """Characters of the page's text (the whole document's) outside scripts and styles, whitespace collapsed."""
        return len(" ".join("".join(self.tree.xpath(_OUTSIDE_SCRIPTS, smart_strings=False)).split()))

    @functools.cached_property
    def readability_bound(self) -> int | None:
        """An upper bound on the length of readability's text of the page (whitespace collapsed, as
        compare_extraction measures it), or None: readability drops scripts and styles, keeps a part of the rest,
        and may write "VIDEO" into an <iframe>. A page with a raw text that would come back escaped gets none."""
        raw = list(self.tree.iter(*_RAW_TEXT))
        if any(el.text and _ESCAPED.search(el.text) for el in raw):
            return None
        iframes: int = sum(el.tag == "iframe" for el in raw)
        return self.length + _VIDEO * iframes

    def html2txt_bound(self) -> int:
        """An upper bound on `len(html2txt(tree))`: the page's text plus two characters per block element.

        html2txt reads the <body> alone and removes elements (scripts and styles among them, tails kept), which
        makes no text longer and joins no words apart; it gives each block element a space before its text and one
        before its tail, each of which can add at most one word (one separating space) to the collapsed text.
        """
        return self.length + 1 + 2 * sum(1 for _ in self.tree.iter(*_BLOCK_ELEMS))


_OUTSIDE_SCRIPTS = ".//text()[not(parent::script) and not(parent::style)]"
# Elements whose text is raw text in HTML: readability's output is serialised as XML and parsed again as HTML,
# where such a text comes back with its "&", "<" and ">" escaped ("&lt;" for "<").
_RAW_TEXT = ("iframe", "xmp", "plaintext", "noembed", "noframes")
_ESCAPED = re.compile("[&<>]")
_VIDEO = len(" VIDEO")  # what readability writes into an <iframe> of a video


def _own_text_stands(body: _Element, text: str, page: _PageText, options: Extractor) -> bool:
    """Whether `compare_extraction` would keep trafilatura's own extraction, told without running readability (a
    quarter of trafilatura's time).

    In the default (balanced) mode it keeps a text of at least `min_extracted_size` characters with no element
    that calls for jusText (`SANITIZED_XPATH`) unless readability's text is over twice as long, or longer than
    `2 * min_extracted_size` while the own text has no paragraph or more tables than paragraphs. When the bound
    on readability's text is short enough, readability cannot win.
    """
    if options.focus != "balanced" or len(text) < options.min_extracted_size or body.xpath(SANITIZED_XPATH):
        return False
    bound = page.readability_bound
    if bound is None or bound > 2 * len(text):
        return False
    deficient = not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))
    return not deficient or bound <= 2 * options.min_extracted_size


def _short_of_the_page(page: _PageText, length: int) -> bool:
    """Whether `length` is under trafilatura's share of the page's text (`len(html2txt(tree))`), that text read
    only when the bound on its length leaves the answer open."""
    if length >= ESCALATION_PAGE_SHARE * page.html2txt_bound():
        return False
    return length < ESCALATION_PAGE_SHARE * len(html2txt(page.tree))


def fuller_body(tree: HtmlElement, prepared: HtmlElement, url: str, body: str) -> str | None:
    """A recall pass's text when the default pass's `body` kept little of the page and the recall pass finds
    clearly more (`prepared` is the tree the default pass read); None otherwise."""
    words = len(body.split())
    # The container test first: on a site with a <main> or <article> it settles most pages without the page walk.
    if _fills_a_container(tree, body) or words >= _RECALL_TRY * _page_words(tree):
        return None
    more = trafilatura_body(prepared, url, favor_recall=True)
    if len(more.split()) < _RECALL_GAIN * max(words, 1):
        return None
    return more if _new_words(body, more) >= _RECALL_NEW_WORDS else None


# What the recall pass must add to be taken: text of its own, not furniture. What it adds on pages where it does
# worse is a gallery's captions repeated per slide with "Image 1 of 8" counters, a byline, a category list or the
# footer's address line: a few dozen words once repeats are left out. A body the default pass cut short comes
# back as whole sections (hundreds of words of paragraphs, lists, code).
_RECALL_NEW_WORDS = 100


def _new_words(body: str, more: str) -> int:
    """Words of the lines in `more` that are not in `body` and not repeated in `more` (a carousel's)."""
    seen = {" ".join(line.split()) for line in body.split("\n")}
    lines = [" ".join(line.split()) for line in more.split("\n")]
    counts = Counter(lines)
    return sum(len(line.split()) for line in lines if line not in seen and counts[line] == 1)
