"""The small markup of the MMC content files: blocks, inline links and emphasis, sentences, WordPress dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from markupsafe import Markup, escape

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")
_EM = re.compile(r"\*([^*\n]+)\*")
# A sentence ends at . ! or ? (maybe closed by a quote or bracket) followed by space and a capital or digit.
_BOUNDARY = re.compile(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_ABBREVIATIONS = ("U.S.", "U.K.", "U.N.", "E.U.", "Mr.", "Ms.", "Dr.", "St.", "No.", "e.g.", "i.e.", "vs.")


@dataclass(frozen=True, slots=True)
class Block:
    """One block of body text: a paragraph, a heading, a quote or a bulleted list."""

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


def sentences(text: str) -> list[str]:
    """Split plain text into sentences, not breaking after common abbreviations."""
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


def site_date(day: date) -> str:
    """'24 November 2020', as the MMC theme shows dates."""
    return f"{day.day} {day:%B} {day.year}"


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def geneva(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Geneva on `day` (EU summer time: last Sunday of March to last Sunday of October)."""
    summer = _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone(timedelta(hours=2 if summer else 1)))


def gmt_iso(moment: datetime) -> str:
    """ISO 8601 in GMT with a +00:00 offset, as Yoast writes dates."""
    return moment.astimezone(UTC).isoformat()


def rfc822(moment: datetime) -> str:
    """The RSS date WordPress writes: 'Tue, 24 Nov 2020 08:00:00 +0000'."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
