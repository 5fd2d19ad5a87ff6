"""The small markup of the content files: blocks, inline links and emphasis, and the sentences a reader sees."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")
_EM = re.compile(r"\*([^*\n]+)\*")
# A sentence ends at . ! or ? (maybe closed by a quote or bracket) followed by space and a capital or digit.
_BOUNDARY = re.compile(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_ABBREVIATIONS = ("U.S.", "U.K.", "U.N.", "E.U.", "Mr.", "Ms.", "Dr.", "St.", "No.", "e.g.", "i.e.", "vs.", "etc.")


@dataclass(frozen=True, slots=True)
class Block:
    """One block of body text: a paragraph, a heading, a quote, a bulleted list or an embedded video."""

    kind: str  # "p", "h2", "h3", "blockquote", "ul" or "video"
    text: str  # inline markup; for "ul" the items are separated by newlines; for "video" "<id> <title>"

    @property
    def items(self) -> list[str]:
        """The list items of a "ul" block."""
        return self.text.split("\n")


def parse_blocks(source: str) -> tuple[Block, ...]:
    """Split body markup into blocks: blank-line separated; `## `, `### `, `> `, `- ` and `@video ` prefixes."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", source.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        first = lines[0]
        if first.startswith("### "):
            blocks.append(Block("h3", first[4:]))
        elif first.startswith("## "):
            blocks.append(Block("h2", first[3:]))
        elif first.startswith("> "):
            blocks.append(Block("blockquote", " ".join(line.removeprefix("> ") for line in lines)))
        elif first.startswith("@video "):
            blocks.append(Block("video", first.removeprefix("@video ")))
        elif first.startswith("- "):
            blocks.append(Block("ul", "\n".join(line.removeprefix("- ") for line in lines)))
        else:
            blocks.append(Block("p", " ".join(lines)))
    return tuple(blocks)


def check_body(name: str, body: tuple[Block, ...]) -> tuple[Block, ...]:
    """`body` itself, or a ValueError: ground truth takes the first and last sentences from paragraphs."""
    if body[0].kind != "p" or body[-1].kind != "p":
        raise ValueError(f"{name}: the body must start and end with a paragraph")
    return body


def inline_html(text: str, base: str = "") -> Markup:
    """Inline markup to HTML: `[text](href)` links, `**strong**` and `*emphasis*`; root-relative links get `base`."""
    html = str(escape(text))

    def link(match: re.Match[str]) -> str:
        href = match.group(2)
        return f'<a href="{base + href if href.startswith("/") else href}">{match.group(1)}</a>'

    html = _LINK.sub(link, html)
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    html = _EM.sub(r"<em>\1</em>", html)
    return Markup(html)


def plain(text: str) -> str:
    """Inline markup to the text a reader sees."""
    return _EM.sub(r"\1", _STRONG.sub(r"\1", _LINK.sub(r"\1", text)))


def squash(text: str) -> str:
    """Runs of whitespace (YAML's folded lines) as single spaces."""
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """Split plain text into sentences, not breaking after common abbreviations such as U.S."""
    out: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        head = text[start : match.start() + 1]
        if head.endswith(_ABBREVIATIONS):
            continue
        out.append(text[start : match.end()].strip())
        start = match.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


def paragraphs(body: tuple[Block, ...]) -> list[str]:
    """The plain text of a body's paragraphs."""
    return [plain(b.text) for b in body if b.kind == "p"]
