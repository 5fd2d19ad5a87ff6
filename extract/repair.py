"""Repairs of parsed markup that lxml leaves in a shape no browser would show."""

from __future__ import annotations

from lxml.html import HtmlElement


def adopt_stray_content(tree: HtmlElement) -> HtmlElement:
    """The tree with content written after `</body></html>` moved into the `<body>`, as a browser shows it.

    Some templates close the document before the article (a header include that ends in `</body></html>`);
    libxml2 then puts the rest in a second root element beside the document's, where nothing that reads the
    `<body>` (trafilatura, the title and date rules) sees it, and the page reads as its navigation alone.
    """
    body = tree.find("body")
    strays = [el for el in tree.itersiblings() if isinstance(el.tag, str)]
    if body is None or not strays:
        return tree
    for stray in strays:
        if stray.tag in ("html", "body"):
            if stray.text and stray.text.strip():
                # A text node cannot be appended: it goes at the end of the body's last child or text.
                _append_text(body, stray.text)
            body.extend(list(stray))
        else:
            body.append(stray)
    return tree


def _append_text(body: HtmlElement, text: str) -> None:
    if len(body):
        last = body[-1]
        last.tail = (last.tail or "") + text
    else:
        body.text = (body.text or "") + text
