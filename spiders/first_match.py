"""The href of the first element a CSS selector matches in a page, parsed only as far as the match when it can be.

The crawl reads a configured PDF selector on every publication page. A whole-page parse cost ~0.38 ms and the
selector over the whole tree ~0.17 ms on the scaled MPI mirror, whose download link sits at ~45% of the page
(bench/README.md, issue 20, tenth session). Here the page is first parsed up to a little past where its bytes hold
every literal the selector needs, and only if that tree cannot answer is the whole page parsed, as before.

Why the prefix's answer is the whole page's. libxml2's HTML parser builds its tree in source order and never moves
a node once made (no adoption agency): an element, its attributes, its ancestors and its preceding siblings are
fixed when its start tag is read. So, for a selector that looks at nothing else (no :last-child, :has(), :empty,
:contains(); see `_prefix_safe`), an element whose start tag was read whole in the prefix matches there exactly
when it matches in the whole page, and every element before it in document order is in the prefix too: the
prefix's first match is the page's. A start tag cut by the prefix's end is never followed by another element (the
tokenizer is still inside it at the end), so a match with an element after it in the prefix was read whole.
`tests/test_first_match.py` checks both, element by element, on every page of the mirrors and saved pages.
"""

from __future__ import annotations

import codecs
from typing import Any

import cssselect
from lxml import html as lxml_html
from lxml.cssselect import LxmlTranslator
from parsel.selector import create_root_node

from migdigest.compiled import css as _css
from migdigest.compiled import xpath as _xpath
from spiders.pdf_link import needed_literals

# Bytes parsed past the point where the page holds every literal the selector needs: the matching start tag is
# usually there or just after (a literal of the match itself: its class, type or href).
_MARGIN = 512
# An element after the match in document order: proof that the match's start tag was read whole.
_LATER = "boolean(descendant::* or following::*)"
_SAFE_PSEUDO = frozenset({"first-child", "first-of-type", "root"})
_SAFE_FUNCTIONS = frozenset({"nth-child", "nth-of-type"})
_SAFE_COMBINATORS = frozenset({" ", ">", "+", "~"})
_SAFE: dict[str, bool] = {}
_UPWARD: dict[str, str | None] = {}
# Compound selectors whose parts cssselect turns into a condition on the element itself.
_SIMPLE = (cssselect.parser.Element, cssselect.parser.Class, cssselect.parser.Hash, cssselect.parser.Attrib,
           cssselect.parser.Pseudo, cssselect.parser.Function)  # fmt: skip


def first_href(body: bytes, encoding: str, css: str) -> str | None:
    """The href of the first element `css` matches that has a non-empty one, as a whole-page parse would find it."""
    cut = _prefix_end(body, encoding, css)
    if cut is not None:
        upward = _upward(css)
        select = _xpath(upward) if upward else _css(css)
        for element in select(_root(body[:cut], encoding)):
            if element.get("href"):
                if _xpath(_LATER)(element):
                    return str(element.get("href"))
                break  # cut inside its start tag, perhaps: ask the whole page
    return next((str(el.get("href")) for el in _css(css)(_root(body, encoding)) if el.get("href")), None)


def _root(body: bytes, encoding: str) -> Any:
    """The page's lxml tree as the spider's whole-page parse makes it (parsel's, from the bytes)."""
    return create_root_node("", lxml_html.HTMLParser, body=body, encoding=encoding)


def _prefix_end(body: bytes, encoding: str, css: str) -> int | None:
    """Where to end the prefix parse (just after a '>'), or None when only the whole page can answer."""
    if codecs.lookup(encoding).name != "utf-8" or not _prefix_safe(css):
        return None  # parsel decodes other encodings first; a '>' byte is a character boundary in UTF-8
    alternatives = needed_literals(css)
    if not all(alternatives):
        return None  # an alternative with nothing to look for may match anywhere
    # Where the literals are written in lowercase, else anywhere (the page lowered: ~20 us for 29 KB). Either way
    # only the prefix's length depends on it, never the answer (see the module's docstring).
    start = _reach(body, alternatives)
    if start is None:
        start = _reach(body.lower(), alternatives)
    if start is None:
        return None
    cut = body.find(b">", start + _MARGIN)
    return None if cut < 0 else cut + 1


def _reach(body: bytes, alternatives: list[list[bytes]]) -> int | None:
    """The first place in `body` past which some alternative has all of its literals, or None."""
    start: int | None = None
    for literals in alternatives:
        found = [body.find(literal) for literal in literals]
        if min(found) < 0:
            continue  # this alternative cannot match here
        reach = max(i + len(literal) for i, literal in zip(found, literals, strict=True))
        start = reach if start is None else min(start, reach)
    return start


def _upward(css: str) -> str | None:
    """The XPath of `css` read from the right: candidates for its last part, then a test of their ancestors.

    cssselect's XPath (`descendant-or-self::*[class test]/descendant::a[type test]`) tests every element of the
    page for the first part, then walks below each match; `descendant-or-self::a[type test][ancestor::*[class
    test]]` selects the same elements (descendant and child combinators only) in the same document order, testing
    only the few links: ~40 us against ~90 on the MPI mirror's prefixes. None for any other form of selector.
    """
    if css not in _UPWARD:
        translator = LxmlTranslator()  # what migdigest.compiled.css uses ("xml"): the same conditions
        alternatives: list[str] = []
        for selector in cssselect.parse(css):
            step = None if selector.pseudo_element else _upward_step(selector.parsed_tree, translator)
            if step is None:
                alternatives = []
                break
            alternatives.append(f"descendant-or-self::{step}")
        _UPWARD[css] = " | ".join(alternatives) or None
    return _UPWARD[css]


def _upward_step(tree: Any, translator: LxmlTranslator) -> str | None:
    """`element[conditions]` that holds for an element matching `tree`, its ancestors tested inside."""
    if isinstance(tree, cssselect.parser.CombinedSelector):
        axis = {" ": "ancestor", ">": "parent"}.get(tree.combinator)
        right = _upward_step(tree.subselector, translator)
        left = _upward_step(tree.selector, translator)
        if axis is None or right is None or left is None:
            return None
        return f"{right}[{axis}::{left}]"
    if not _compound(tree):
        return None
    expression = translator.xpath(tree)
    if expression.path:
        return None
    return f"{expression.element}[{expression.condition}]" if expression.condition else str(expression.element)


def _compound(tree: Any) -> bool:
    """True for a compound selector of element, class, id, attribute and pseudo-class tests, :not() of one."""
    if isinstance(tree, cssselect.parser.Negation):
        return _compound(tree.selector) and _compound(tree.subselector)
    if isinstance(tree, _SIMPLE):
        inner = getattr(tree, "selector", None)
        return inner is None or _compound(inner)
    return False


def _prefix_safe(css: str) -> bool:
    """True when whether an element matches depends only on its start tag, its ancestors and preceding siblings."""
    if css not in _SAFE:
        try:
            _SAFE[css] = all(_safe(selector.parsed_tree) for selector in cssselect.parse(css))
        except cssselect.SelectorError:
            _SAFE[css] = False
    return _SAFE[css]


def _safe(tree: Any) -> bool:
    parser = cssselect.parser
    if isinstance(tree, parser.Element):
        return True
    if isinstance(tree, parser.CombinedSelector):
        return tree.combinator in _SAFE_COMBINATORS and _safe(tree.selector) and _safe(tree.subselector)
    if isinstance(tree, parser.Class | parser.Hash | parser.Attrib):
        return _safe(tree.selector)
    if isinstance(tree, parser.Pseudo):
        return tree.ident in _SAFE_PSEUDO and _safe(tree.selector)
    if isinstance(tree, parser.Function):
        return tree.name in _SAFE_FUNCTIONS and _safe(tree.selector)
    if isinstance(tree, parser.Negation):
        return _safe(tree.selector) and _safe(tree.subselector)
    if isinstance(tree, parser.Matching | parser.SpecificityAdjustment):
        return _safe(tree.selector) and all(_safe(s) for s in tree.selector_list)
    return False  # :has(), :contains(), :last-child, :empty and anything unknown look past the start tag
