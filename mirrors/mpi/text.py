"""The small markup of the content file: blocks, inline links and emphasis, sentences, dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from markupsafe import Markup, escape

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_EM = re.compile(r"\*([^*\n]+)\*")
# A sentence ends at . ! or ? (maybe closed by a quote or bracket) followed by space and a capital or digit.
_BOUNDARY = re.compile(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_ABBREVIATIONS = ("U.S.", "U.K.", "U.N.", "E.U.", "Mr.", "Ms.", "Dr.", "St.", "No.", "e.g.", "i.e.", "vs.", "etc.")


@dataclass(frozen=True, slots=True)
class Block:
    """One block of body text: a paragraph, a heading, a quote or a bulleted list."""

    kind: str  # "p", "h2", "h3", "blockquote" or "ul"
    text: str  # inline markup; for "ul" the items are separated by newlines

    @property
    def items(self) -> list[str]:
        """The list items of a "ul" block."""
        return self.text.split("\n")


def parse_blocks(source: str) -> tuple[Block, ...]:
    """Split body markup into blocks: blank-line separated; `## `, `### `, `> ` and `- ` prefixes."""
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
        elif first.startswith("- "):
            blocks.append(Block("ul", "\n".join(line.removeprefix("- ") for line in lines)))
        else:
            blocks.append(Block("p", " ".join(lines)))
    return tuple(blocks)


def inline_html(text: str) -> Markup:
    """Inline markup to HTML: `[text](href)` links and `*emphasis*`, everything else escaped."""
    html = str(escape(text))
    html = _LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', html)
    html = _EM.sub(r"<em>\1</em>", html)
    return Markup(html)


def plain(text: str) -> str:
    """Inline markup to the text a reader sees."""
    return _EM.sub(r"\1", _LINK.sub(r"\1", text))


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


def month_year(day: date) -> str:
    """'April 2024', as MPI shows research dates and listing dates."""
    return f"{day:%B} {day.year}"


def long_date(day: date) -> str:
    """'April 3, 2024', as MPI shows article and commentary dates."""
    return f"{day:%B} {day.day}, {day.year}"


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def eastern(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Washington, DC on `day` (US daylight-saving rules since 2007)."""
    dst = _nth_sunday(day.year, 3, 2) <= day < _nth_sunday(day.year, 11, 1)
    zone = timezone(timedelta(hours=-4 if dst else -5))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
