"""The authors a page shows in its byline, and which of a page's author candidates wins."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from migdigest.compiled import css as compiled_css

# Most specific first: schema.org microdata, rel=author links, hCard names, then the class names CMS themes use.
_BYLINE_SELECTORS = (
    "[itemprop~=author] [itemprop~=name]",
    "[itemprop~=author]",
    "a[rel~=author]",
    ".vcard .fn",
    ".byline a",
    ".byline",
    ".author-name, .author_name, .authorName, .by-author, .post-author, .entry-author",
)
# A name in these is a commenter's, a related post's author, or a widget's, not the page's. extract/metadata.py has
# the same idea for <time> as a substring XPath; one shared predicate (this one) cost two dates on
# trafilatura-eval (0.870 to 0.867), so the two stay apart until dates are re-tuned. Whole words only:
# "commentary" is a kind of publication. A footer is the site's (with its hCard address) unless it is an article's.
_ELSEWHERE = re.compile(r"(?<![a-z])(?:comments?|commentlist|respond|sidebar|widgets?|related)(?![a-z])")
_FOOTER = re.compile(r"(?<![a-z])footer(?![a-z])")
_MAX_CHARS = 120  # a byline, not an author box's biography


def _elsewhere(el: HtmlElement) -> bool:
    in_article = next(el.iterancestors("article"), None) is not None
    for anc in (el, *el.iterancestors()):
        if anc.tag in ("aside", "nav", "head") or (anc.tag == "footer" and not in_article):
            return True
        marks = f"{anc.get('class', '')} {anc.get('id', '')}".lower()
        if _ELSEWHERE.search(marks) or (not in_article and _FOOTER.search(marks)):
            return True
    return False


# The attribute words a selector needs, per comma-separated alternative: `.byline` needs "byline" in a class,
# `[itemprop~=author]` needs "author" in an itemprop.
_NEEDS = re.compile(r"\.(?P<cls>[\w-]+)|\[(?P<attr>[\w-]+)~=(?P<word>[\w-]+)\]")


@cache
def _needs(css: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(
        tuple(("class", m["cls"]) if m["cls"] else (m["attr"], m["word"]) for m in _NEEDS.finditer(alternative))
        for alternative in css.split(",")
    )


def _may_match(css: str, values: dict[str, str]) -> bool:
    """Whether the page's attribute values hold every word one alternative of `css` needs (as substrings: a
    superset of the selector's whole-word tests, so a selector passed over could not have matched)."""
    return any(all(word in values[attr] for attr, word in alternative) for alternative in _needs(css))


def byline_texts(tree: HtmlElement) -> list[str]:
    """Texts of the page's byline elements, from the most specific kind of markup that has one."""
    # Each selector is an XPath over every element of the page; most pages have none of the attribute words they
    # test, and one pass over the attribute values (in C) tells so: byline_texts cost 3x less on WCXB articles.
    attrs = {attr for css in _BYLINE_SELECTORS for alternative in _needs(css) for attr, _ in alternative}
    # Plain strings: lxml's default "smart" strings each carry a link to their element (1.7x the time here).
    values = {attr: "\n".join(tree.xpath(f"//@{attr}", smart_strings=False)) for attr in attrs}
    for css in _BYLINE_SELECTORS:
        if not _may_match(css, values):
            continue
        texts = [
            text
            for el in compiled_css(css)(tree)
            if not _elsewhere(el) and 2 < len(text := " ".join(el.text_content().split())) <= _MAX_CHARS
        ]
        if texts:
            return texts
    return []


# A byline written out rather than marked up: "By Ana Pérez", "Written by: Ana Pérez and Jean Dupont", or a label
# ("Written by", "Author") in one element and the name in the next.
_LEAD_IN = r"(?:by|written\s+by|words\s+by|article\s+by|posted\s+by|authors?|von|par|por)"
_LABELLED = re.compile(rf"{_LEAD_IN}\s*:?\s+(?P<names>\S.*)", re.IGNORECASE)
_LABEL = re.compile(rf"{_LEAD_IN}\s*:?", re.IGNORECASE)
_CONNECTORS = {
    "and",
    "und",
    "&",
    "et",
    "y",
    "de",
    "van",
    "von",
    "der",
    "den",
    "da",
    "di",
    "du",
    "la",
    "le",
    "del",
    "bin",
    "al",
}
_MAX_NAME_WORDS = 12  # three co-authors with middle names


def _name_shaped(text: str) -> bool:
    """Capitalised words (and connectors) only, as names are written: not a sentence that starts with "By"."""
    tokens = [t.strip(",;") for t in text.split() if t.strip(",;")]
    if not tokens or len(tokens) > _MAX_NAME_WORDS or not tokens[0][:1].isupper():
        return False
    return all(t[:1].isupper() or t.lower() in _CONNECTORS for t in tokens)


def _pieces(el: HtmlElement) -> list[str]:
    """An element's text pieces: "Ana Pérez" and "Co-founder" in two spans are two parts, not one name."""
    return [" ".join(t.split()) for t in el.itertext() if t.strip()]


def _labelled(el: HtmlElement) -> str | None:
    """The names an element gives after a lead-in, or after a label that is all its text (then in the next one)."""
    pieces = _pieces(el)
    if not pieces or len(" ".join(pieces)) > _MAX_CHARS:
        return None
    if _LABEL.fullmatch(pieces[0]):
        following = el.getnext()
        return _joined(pieces[1:] or (_pieces(following) if following is not None else [])) or None
    found = _LABELLED.fullmatch(_joined(pieces))
    return found["names"] if found else None


def _joined(pieces: list[str]) -> str:
    """Pieces as one byline: a comma between two names, a space around "and" or a comma already written."""
    out = ""
    for piece in pieces:
        glue = " " if not out or piece.lower().strip(",") in _CONNECTORS or piece[0] in ",;" else ", "
        if out and (out.split()[-1].lower() in _CONNECTORS or out[-1] in ",;"):
            glue = " "
        out = f"{out}{glue}{piece}".strip()
    return out


_STARTS_WITH_LEAD_IN = re.compile(rf"\s*{_LEAD_IN}\b", re.IGNORECASE)
# The text pieces that may start with a lead-in, chosen in C before Python sees them: no longer than a byline,
# not blank, and opening (after ASCII spaces) with a lead-in's first letter or with a character that is not an
# ASCII letter, digit or sign (Python's \s also skips other spaces, such as a no-break space; quotes pass too).
# lxml makes a Python object of every piece it returns: this spares most of them (a superset of what the regex
# takes, so the same byline wins).
_LEAD_IN_FIRST = "bBwWaApPvV"
_OTHER_ASCII = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in _LEAD_IN_FIRST and chr(c) not in "'\"")
_FIRST = "substring(normalize-space(.), 1, 1)"
_CANDIDATE_PIECES = (
    f"//body//text()[string-length(.) <= {_MAX_CHARS}][normalize-space(.)]"
    f"[contains('{_LEAD_IN_FIRST}', {_FIRST}) or not(contains('{_OTHER_ASCII}', {_FIRST}))]"
)


def labelled_bylines(tree: HtmlElement) -> list[str]:
    """Names after a written-out lead-in ("By", "Written by:", "Author"), the first such byline of the page."""
    # From the text pieces that start with a lead-in (one pass over the text), up to their element's parent,
    # since "By" often sits in a span of its own beside the linked name.
    for piece in tree.xpath(_CANDIDATE_PIECES):
        if len(piece) > _MAX_CHARS or not _STARTS_WITH_LEAD_IN.match(piece):
            continue
        owner = piece.getparent()
        if owner is None or not isinstance(owner.tag, str):
            continue
        if piece.is_tail:
            owner = owner.getparent()
        for el in (owner, owner.getparent() if owner is not None else None):
            if el is None or el.tag in ("body", "html", "script", "style"):
                break
            names = _labelled(el)
            # Two words at least: a lone capitalised word after "By" is more often a brand or a label ("Role").
            if (
                names
                and len(names) <= _MAX_CHARS
                and len(names.split()) >= 2
                and _name_shaped(names)
                and not _elsewhere(el)
            ):
                return [names]
    return []


def _slug_tokens(url: str) -> set[str]:
    """The words of a page's host and path."""
    parts = urlsplit(url)
    return {t for t in re.split(r"[/._\-?=&]+", f"{parts.hostname or ''}/{parts.path}".casefold()) if t}


def is_handle(name: str, url: str = "") -> bool:
    """An account handle rather than a person's name: one token that is all lower case, holds a digit, or is a
    word of the page's address (a CMS account named after the site)."""
    if len(name.split()) != 1:
        return False
    return name == name.lower() or any(c.isdigit() for c in name) or name.casefold() in _slug_tokens(url)


def _folded(names: list[str]) -> set[str]:
    return {" ".join(n.split()).casefold() for n in names}


def pick_authors(structured: list[list[str]], byline: list[str], url: str = "") -> list[str]:
    """The page's authors from its structured candidates (cleaned, most trusted first) and its visible byline.

    The first candidate that names anyone wins, unless another one names the same people and more (a JSON-LD
    author that is only the first of several co-authors a byline or citation_author tags list), or it names
    only account handles while the byline shows a person ("kffnirmitap" over "Nirmita Panchal").
    """
    chosen = next((c for c in structured if c), [])
    if not chosen:
        return byline
    for other in [*structured, byline]:
        if len(other) > len(chosen) and _folded(chosen) <= _folded(other):
            chosen = other
    people = [n for n in byline if not is_handle(n, url)]
    if people and all(is_handle(n, url) for n in chosen):
        return people
    return chosen
