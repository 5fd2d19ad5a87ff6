"""The weekly roundup: select a team's publications of one ISO week, group and summarise them, render, archive.

Pure steps over the digest's read API; the CLI (`cli.roundup`) and the `weekly_roundup` flow wire them.
Each item carries the reasons it matched the team's interests (`Reason`, strongest first: saved search, topic,
region, source) and sits once, in the section of its strongest one; `outputs/alerts.py` reuses the same steps.
Rendering is Jinja2 (`outputs/templates/roundup.*.j2`): HTML with autoescape on, plain text and Markdown with
their own escaping filters. Archive layout: `<out_dir>/roundups/<team>/<week>.{html,md,txt}` plus `feed.atom`.
"""

from __future__ import annotations

import os
import re
import tempfile
import textwrap
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

import jinja2

from migdigest.config import load_config
from migdigest.taxonomy import taxonomy_names
from migdigest.teams import Team, Teams, TeamSettings, load_teams
from migdigest.yamlconf import ConfigError
from outputs.datasette import DATABASE_NAME
from storage import Digest
from storage.search import build_match

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FORMATS = ("html", "md", "txt")
OTHER_TOPIC = "Other publications"
TOP_TOPICS = 5
ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_NAME = "feed.atom"

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_PLURALS = {"policy brief": "policy briefs", "commentary": "commentaries", "other": "other"}
# Sentence ends: . ! ? … (and closing quotes or brackets after them), then space, then something that starts one.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9À-Þ])")
_ABBREVIATIONS = ("e.g.", "i.e.", "U.S.", "U.K.", "U.N.", "Dr.", "Mr.", "Ms.", "Mrs.", "No.", "St.", "vs.", "cf.")
# Markdown characters that act anywhere in a line (`&` starts an entity such as &lt;, `<` raw HTML).
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
_SUMMARY_CHARS = 600  # a summary never runs longer: cut at a word, with an ellipsis
_SHORT_SUMMARY = 280  # two sentences are enough once they are this long


class WeekError(ValueError):
    """A week is not an ISO week such as 2026-W47."""


def clock() -> datetime:
    """The current time (UTC); tests freeze it by replacing this function."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, order=True)
class IsoWeek:
    """An ISO 8601 week: Monday to Sunday, numbered within its ISO year."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Read `2026-W47`; WeekError says what is wrong."""
        match = _WEEK.match(text.strip())
        if not match:
            raise WeekError(f"{text!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W47")
        year, week = int(match[1]), int(match[2])
        weeks_in_year = date(year, 12, 28).isocalendar().week  # 28 December is always in the year's last week
        if not 1 <= week <= weeks_in_year:
            raise WeekError(f"{text!r}: {year} has weeks 01 to {weeks_in_year:02d}")
        return cls(year, week)

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        """The week a day falls in."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_complete(cls, now: datetime | None = None) -> IsoWeek:
        """The last week that has fully ended (UTC): on a Monday, the week that ended last night."""
        today = (now or clock()).astimezone(UTC).date()
        return cls.containing(today - timedelta(days=7))

    @property
    def start(self) -> date:
        """Its Monday."""
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> date:
        """The Monday after it (exclusive end)."""
        return self.start + timedelta(days=7)

    @property
    def label(self) -> str:
        """`2026-W47`."""
        return f"{self.year}-W{self.week:02d}"

    @property
    def dates(self) -> str:
        """`16–22 November 2026` (month and year shown where they change)."""
        first, last = self.start, self.end - timedelta(days=1)
        if first.year != last.year:
            return f"{first.day} {first:%B} {first.year} – {last.day} {last:%B} {last.year}"
        if first.month != last.month:
            return f"{first.day} {first:%B} – {last.day} {last:%B} {last.year}"
        return f"{first.day}–{last.day} {last:%B} {last.year}"

    def __str__(self) -> str:
        return self.label


# --- summaries and small text helpers ---------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    parts = _SENTENCE_END.split(" ".join(text.split()))
    merged: list[str] = []
    for part in parts:
        if merged and merged[-1].endswith(_ABBREVIATIONS):
            merged[-1] += " " + part
        else:
            merged.append(part)
    return [p.strip() for p in merged if p.strip()]


def _clip(text: str, size: int) -> str:
    if len(text) <= size:
        return text
    return text[:size].rsplit(" ", 1)[0].rstrip(" ,;:–-") + "…"


def _body_lead(body: str) -> str:
    """The body from its first real paragraph on: leading headings and labels (short, unpunctuated) skipped."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if len(line) >= 80 or line.endswith((".", "!", "?", "…", ":", '"', "”")):
            return " ".join(lines[i:])
    return " ".join(lines)


def summarise(summary: str, body: str) -> str:
    """Two or three sentences: from the summary, else from the start of the body."""
    text = summary.strip() or _body_lead(body)
    chosen: list[str] = []
    for sentence in _sentences(text):
        chosen.append(sentence)
        if len(chosen) == 3 or (len(chosen) == 2 and len(" ".join(chosen)) >= _SHORT_SUMMARY):
            break
    return _clip(" ".join(chosen), _SUMMARY_CHARS)


def safe_url(url: str | None) -> str:
    """An http(s) URL fit for an href (unsafe characters percent-encoded), or "" for anything else."""
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        return ""
    return urllib.parse.quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def type_label(doc_type: str, count: int = 1) -> str:
    """`report` / `3 reports`, `policy brief` / `2 policy briefs`."""
    if count == 1:
        return doc_type
    return _PLURALS.get(doc_type, doc_type + "s")


def _day_label(day: str) -> str:
    """`18 Nov 2026`, `Nov 2026` or `2026`, as precise as the date."""
    try:
        if len(day) == 7:
            parsed = date.fromisoformat(day + "-01")
            return f"{parsed:%b} {parsed.year}"
        parsed = date.fromisoformat(day[:10])
    except ValueError:
        return day
    return f"{parsed.day} {parsed:%b} {parsed.year}"


def _markdown(text: object) -> str:
    """One line of text made inert in Markdown: emphasis, links, code, raw HTML and entities, line-start marks."""
    line = _MD_INLINE.sub(r"\\\1", " ".join(str(text).split()))
    line = re.sub(r"^([#>+\-=])", r"\\\1", line)  # a heading, quote or list marker at the start
    return re.sub(r"^(\d+)([.)])", r"\1\\\2", line)  # "1. " would start an ordered list


def _wrap(text: object, width: int = 76, indent: str = "") -> str:
    # A URL or any long word stays whole (a mail client must be able to follow it), even past the width.
    wrapper = textwrap.TextWrapper(
        width=width, initial_indent=indent, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )
    return wrapper.fill(str(text)) or indent


def _md_url(url: object) -> str:
    """A URL for `[text](url)`: parentheses and spaces encoded, so that no renderer ends the link early."""
    return str(url).replace(" ", "%20").replace("(", "%28").replace(")", "%29")


# --- the roundup model ------------------------------------------------------------------------------------

InterestKind = Literal["search", "topic", "region", "source"]
# How strongly an interest says why an item is there, strongest first: a saved search is the team's own words
# (most specific), a topic says what the publication is about, a region only where, and a followed source
# takes everything it publishes. Within a kind, the order of teams.yaml decides.
STRENGTH: tuple[InterestKind, ...] = ("search", "topic", "region", "source")
_KIND_LABEL: dict[InterestKind, str] = {"search": "Search", "topic": "Topic", "region": "Region", "source": "Source"}


@dataclass(frozen=True, slots=True, order=True)
class Reason:
    """One of the team's interests that an item matched; order is strength (see STRENGTH)."""

    rank: int  # the interest's place in the team's list: searches, topics, regions, sources, each in teams.yaml order
    kind: InterestKind = field(compare=False)
    name: str = field(compare=False)

    @property
    def label(self) -> str:
        """`Search: remittances`, `Topic: Labour migration`."""
        return f"{_KIND_LABEL[self.kind]}: {self.name}"


@dataclass(slots=True)
class Item:
    """One publication as the roundup shows it."""

    id: int
    title: str
    url: str
    pdf_url: str
    source: str
    source_title: str
    doc_type: str
    date: str
    authors: list[str]
    summary: str
    topics: list[str]
    regions: list[str]
    also_published_by: list[str] = field(default_factory=list)
    date_note: str = ""  # "first seen" when the source gave no date
    reasons: list[Reason] = field(default_factory=list)  # strongest first; empty for a team that takes everything
    digest_page: str = ""  # its row page in the public Datasette, when settings.digest_url is set

    @property
    def date_label(self) -> str:
        """`18 Nov 2026`, `Nov 2026`, or `19 Nov 2026 (first seen)`."""
        label = _day_label(self.date)
        return f"{label} ({self.date_note})" if self.date_note else label

    @property
    def why(self) -> str:
        """The strongest reason (`Search: pushbacks`), or "" for a team that takes everything."""
        return self.reasons[0].label if self.reasons else ""

    @property
    def also(self) -> list[str]:
        """The other reasons, strongest first."""
        return [reason.label for reason in self.reasons[1:]]

    @property
    def why_line(self) -> str:
        """`Why: Search: pushbacks; also Topic: Asylum and protection, Region: Europe`."""
        if not self.reasons:
            return ""
        also = f"; also {', '.join(self.also)}" if self.also else ""
        return f"Why: {self.why}{also}"


@dataclass(slots=True)
class Section:
    """The items that sit under one of the team's interests (or, for a team that takes everything, a topic)."""

    title: str
    items: list[Item]
    anchor: str = ""

    @property
    def count(self) -> int:
        """How many items the section holds."""
        return len(self.items)


@dataclass(slots=True)
class HealthNote:
    """A source whose crawl runs of the week were blocked or failed."""

    source: str
    source_title: str
    status: str
    bad_runs: int
    runs: int
    last: str
    message: str

    @property
    def sentence(self) -> str:
        """One sentence for the footnote."""
        what = "blocked by a bot challenge" if self.status == "blocked" else "failed"
        runs = f"{self.bad_runs} of {self.runs} crawl run{'s' if self.runs != 1 else ''}"
        return f"{self.source_title}: {what} in {runs} (last on {_day_label(self.last)})."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@dataclass(slots=True, kw_only=True)
class Mailing:
    """What a roundup and an alert share: the team, its items by section, and the lines every mail carries."""

    kind: ClassVar[str] = "mailing"
    team: Team
    generated: datetime
    sections: list[Section]
    settings: TeamSettings = field(default_factory=TeamSettings)
    copies_folded: int = 0  # syndicated copies shown once under their canonical member

    @property
    def items(self) -> list[Item]:
        """Every item, in section order."""
        return [item for section in self.sections for item in section.items]

    @property
    def empty(self) -> bool:
        """True when there is nothing for this team."""
        return not self.sections

    @property
    def source_count(self) -> int:
        """How many sources the items come from."""
        return len({item.source for item in self.items})

    @property
    def type_counts(self) -> list[tuple[str, int]]:
        """(type label, count), most frequent first."""
        counts = Counter(item.doc_type for item in self.items)
        return [(type_label(t, n), n) for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    @property
    def headline(self) -> str:
        """`5 publications from 3 sources: 2 reports, 2 commentaries and 1 policy brief.`"""
        n = len(self.items)
        if not n:
            return "Nothing new this week."
        kinds = [f"{count} {label}" for label, count in self.type_counts]
        listed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
        return f"{_plural(n, 'publication')} from {_plural(self.source_count, 'source')}: {listed}."

    @property
    def subject(self) -> str:
        """The email subject: each kind of mailing says its own."""
        raise NotImplementedError

    @property
    def preheader(self) -> str:
        """The inbox preview line: the headline, then the first titles."""
        titles = "; ".join(item.title for item in self.items[:3])
        return _clip(f"{self.headline} {titles}".strip(), 150)

    @property
    def show_contents(self) -> bool:
        """True when the mail is long enough to open with a list of contents."""
        return len(self.items) >= self.settings.contents_from

    @property
    def follows(self) -> str:
        """What the team follows, in the words of its reasons."""
        team = self.team
        if team.selects_everything:
            return "every publication of every followed source"
        parts = [
            *(f"Search: {s.name}" for s in team.searches),
            *(f"Topic: {t}" for t in team.topics),
            *(f"Region: {r}" for r in team.regions),
            *(f"Source: {s}" for s in team.sources),
        ]
        return ", ".join(parts)

    def _mailto(self, subject: str) -> str:
        address = self.settings.manage_address
        return f"mailto:{address}?subject={urllib.parse.quote(subject)}" if address else ""

    @property
    def unsubscribe_link(self) -> str:
        """The one-click page if configured, else a mailto: to the managing address ("" when neither is set)."""
        if self.settings.unsubscribe_url:
            return self.settings.page_for(self.settings.unsubscribe_url, self.team.name)
        return self._mailto(f"Unsubscribe {self.team.name}")

    @property
    def preferences_link(self) -> str:
        """Where the team changes what it follows ("" when nothing is configured)."""
        if self.settings.preferences_url:
            return self.settings.page_for(self.settings.preferences_url, self.team.name)
        return self._mailto(f"Preferences {self.team.name}")

    def list_unsubscribe(self, sender: str) -> tuple[str, bool]:
        """The List-Unsubscribe header (the page first, then a mailto:) and whether one-click POST applies."""
        links = []
        if self.settings.unsubscribe_url:
            links.append(self.settings.page_for(self.settings.unsubscribe_url, self.team.name))
        address = self.settings.manage_address or sender
        links.append(f"mailto:{address}?subject={urllib.parse.quote(f'Unsubscribe {self.team.name}')}")
        return ", ".join(f"<{link}>" for link in links), bool(self.settings.unsubscribe_url)


@dataclass(slots=True, kw_only=True)
class Roundup(Mailing):
    """A team's roundup of one week, ready to render."""

    kind: ClassVar[str] = "roundup"
    week: IsoWeek
    health: list[HealthNote] = field(default_factory=list)
    runs: int = 0  # crawl runs of the week behind the health footnote

    @property
    def top_topics(self) -> list[tuple[str, int]]:
        """The most covered topics of the week (each item counts for every topic it has)."""
        counts = Counter(topic for item in self.items for topic in item.topics)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TOPICS]

    @property
    def empty_message(self) -> str:
        """What an empty roundup says."""
        what = "" if self.team.selects_everything else " on this team's topics, regions, sources or saved searches"
        return f"None of the followed sources published anything{what} between {self.week.dates}."

    @property
    def kicker(self) -> str:
        """The line above the team's name."""
        return f"Weekly roundup · {self.week.label}"

    @property
    def dates(self) -> str:
        """The period the mail covers."""
        return self.week.dates

    @property
    def title(self) -> str:
        """`Protection team: weekly roundup`."""
        return f"{self.team.display_name}: weekly roundup"

    @property
    def subject(self) -> str:
        """The email subject."""
        n = len(self.items)
        count = "nothing new" if not n else _plural(n, "publication")
        return f"{self.title}, {self.week.dates} ({self.week.label}): {count}"


# --- selection --------------------------------------------------------------------------------------------


def match_reasons(
    db: Digest, team: Team, docs: list[dict[str, Any]], titles: Mapping[str, str]
) -> dict[int, list[Reason]]:
    """For each document, the team's interests it matches, strongest first (none for a team taking everything)."""
    ids = [d["id"] for d in docs]
    found: dict[int, list[Reason]] = {i: [] for i in ids}
    rank = 0
    for search in team.searches:
        for doc_id in db.matching_ids(search.query, ids) if ids else ():
            found[doc_id].append(Reason(rank, "search", search.name))
        rank += 1
    kinds: tuple[tuple[InterestKind, list[str], str], ...] = (
        ("topic", team.topics, "topics"),
        ("region", team.regions, "regions"),
    )
    for kind, wanted_names, key in kinds:
        for wanted in wanted_names:
            for doc in docs:
                names = {name.casefold(): name for name in doc[key]}
                if wanted.casefold() in names:  # shown as the taxonomy spells it
                    found[doc["id"]].append(Reason(rank, kind, names[wanted.casefold()]))
            rank += 1
    for source in team.sources:
        for doc in docs:
            if doc["source"] == source:
                found[doc["id"]].append(Reason(rank, "source", titles.get(source, source)))
        rank += 1
    return found


def select(db: Digest, team: Team, week: IsoWeek) -> list[dict[str, Any]]:
    """The week's documents matching any of the team's interests, each with its `reasons` (strongest first)."""
    docs = db.documents_in_period(week.start.isoformat(), week.end.isoformat())
    if team.selects_everything:
        return [{**d, "reasons": []} for d in docs]
    reasons = match_reasons(db, team, docs, db.source_titles())
    return [{**d, "reasons": reasons[d["id"]]} for d in docs if reasons[d["id"]]]


def _doc_date(doc: Mapping[str, Any]) -> tuple[str, str]:
    """The date to show (a day, or a month or year as precise as the source gave it) and a note on it."""
    published = doc.get("published") or ""
    if published:
        return published[:10], ""
    return (doc.get("first_seen") or "")[:10], "first seen"


def _fold_copies(db: Digest, docs: list[dict[str, Any]]) -> tuple[list[tuple[dict[str, Any], list[str]]], int]:
    """One entry per cluster (its oldest member among `docs`, with every member's reasons) and the other sources."""
    members = db.cluster_members(d["cluster_id"] for d in docs if d["cluster_id"] is not None)
    selected = {d["id"]: d for d in docs}
    shown: list[tuple[dict[str, Any], list[str]]] = []
    done: set[int] = set()
    folded = 0
    for doc in docs:
        cluster = doc["cluster_id"]
        if cluster is None:
            shown.append((doc, []))
            continue
        if cluster in done:
            folded += 1
            continue
        done.add(cluster)
        mine = [selected[m["id"]] for m in members[cluster] if m["id"] in selected]
        canonical = {**mine[0], "reasons": sorted({r for d in mine for r in d.get("reasons", [])})}
        others = [
            m["source_title"]
            for m in members[cluster]
            if m["id"] != canonical["id"] and m["source"] != canonical["source"] and m["status"] == "live"
        ]
        shown.append((canonical, sorted(set(others))))
    return shown, folded


def _health(db: Digest, team: Team, week: IsoWeek, titles: Mapping[str, str]) -> tuple[list[HealthNote], int]:
    runs = db.runs_in_period(week.start.isoformat(), week.end.isoformat())
    if team.sources:
        runs = [r for r in runs if r["source"] in team.sources]
    notes = []
    for source in sorted({r["source"] for r in runs}):
        mine = [r for r in runs if r["source"] == source]
        bad = [r for r in mine if r["status"] in ("blocked", "failed")]
        if bad:
            last = bad[-1]
            notes.append(
                HealthNote(
                    source=source,
                    source_title=titles.get(source, source),
                    status=last["status"],
                    bad_runs=len(bad),
                    runs=len(mine),
                    last=last["started"],
                    message=last["message"] or "",
                )
            )
    return notes, len(runs)


def digest_page(settings: TeamSettings, doc_id: int) -> str:
    """The publication's row page in the public Datasette (`<digest_url>/digest/documents/<id>`), or ""."""
    return f"{settings.digest_url}/{DATABASE_NAME}/documents/{doc_id}" if settings.digest_url else ""


def make_items(
    db: Digest, docs: list[dict[str, Any]], settings: TeamSettings, titles: Mapping[str, str]
) -> tuple[list[Item], int]:
    """Items for selected documents (each with `reasons`), syndicated copies folded; also how many were folded."""
    entries, folded = _fold_copies(db, docs)
    items = [
        Item(
            id=doc["id"],
            title=" ".join((doc["title"] or doc["url"]).split()),
            url=safe_url(doc["url"]) or safe_url(doc["canonical_url"]),
            pdf_url=safe_url(doc["pdf_url"]),
            source=doc["source"],
            source_title=titles.get(doc["source"], doc["source"]),
            doc_type=doc["doc_type"] or "other",
            date=_doc_date(doc)[0],
            date_note=_doc_date(doc)[1],
            reasons=list(doc.get("reasons", [])),
            digest_page=digest_page(settings, doc["id"]),
            authors=list(doc["authors"]),
            summary=summarise(doc["summary"] or "", doc["body"] or ""),
            topics=list(doc["topics"]),
            regions=list(doc["regions"]),
            also_published_by=others,
        )
        for doc, others in entries
    ]
    return items, folded


def _newest_first(items: list[Item]) -> list[Item]:
    return sorted(sorted(items, key=lambda i: i.title), key=lambda i: i.date, reverse=True)


def group(items: list[Item]) -> list[Section]:
    """Items under their strongest reason, sections in the order of the team's interests (strongest kind first).

    A team that takes everything has no reasons: its items sit under their topic most covered this week, the
    biggest sections first, publications without a topic last.
    """
    by_reason: dict[Reason, list[Item]] = {}
    weekly = Counter(topic for item in items for topic in item.topics)
    by_topic: dict[str, list[Item]] = {}
    for item in items:
        if item.reasons:
            by_reason.setdefault(item.reasons[0], []).append(item)
        else:
            topic = min(item.topics, key=lambda t: (-weekly[t], t)) if item.topics else OTHER_TOPIC
            by_topic.setdefault(topic, []).append(item)
    sections = [Section(reason.label, _newest_first(group)) for reason, group in sorted(by_reason.items())]
    topical = [Section(topic, _newest_first(group)) for topic, group in by_topic.items()]
    topical.sort(key=lambda s: (s.title == OTHER_TOPIC, -s.count, s.title))
    sections += topical
    for n, section in enumerate(sections, 1):
        section.anchor = f"section-{n}"
    return sections


def build_roundup(
    db: Digest, team: Team, week: IsoWeek, *, now: datetime | None = None, settings: TeamSettings | None = None
) -> Roundup:
    """Select, fold syndicated copies, summarise and group a team's publications of one week."""
    settings = settings or TeamSettings()
    titles = db.source_titles()
    items, folded = make_items(db, select(db, team, week), settings, titles)
    health, runs = _health(db, team, week, titles)
    return Roundup(
        team=team,
        week=week,
        generated=(now or clock()).astimezone(UTC).replace(microsecond=0),
        sections=group(items),
        settings=settings,
        health=health,
        runs=runs,
        copies_folded=folded,
    )


# --- rendering --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    """A roundup in every format: a full HTML page, Markdown, plain text, and an HTML fragment for the feed."""

    html: str
    md: str
    txt: str
    fragment: str

    def get(self, fmt: str) -> str:
        """The text of one of FORMATS."""
        return str(getattr(self, fmt))


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _markdown
    env.filters["wrapped"] = _wrap
    env.filters["mdurl"] = _md_url
    return env


_HTML = _environment(autoescape=True)  # every value is escaped in HTML, titles with markup included
_TEXT = _environment(autoescape=False)  # plain text and Markdown: Markdown escapes through the `md` filter


def render(mailing: Mailing) -> Rendered:
    """Render a roundup or an alert as HTML (email-safe: fluid tables, inline styles, no scripts), Markdown, text."""
    context = {"r": mailing}
    return Rendered(
        html=_HTML.get_template("roundup.html.j2").render(context, standalone=True),
        md=re.sub(r"\n{3,}", "\n\n", _TEXT.get_template("roundup.md.j2").render(context)),
        txt=_TEXT.get_template("roundup.txt.j2").render(context),
        fragment=_HTML.get_template("roundup.html.j2").render(context, standalone=False),
    )


# --- archive and feed -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Archived:
    """Where one roundup was written."""

    roundup: Roundup
    rendered: Rendered
    files: dict[str, Path]
    feed: Path


def team_dir(out_dir: Path, team: str) -> Path:
    """`<out_dir>/roundups/<team>`."""
    return Path(out_dir) / "roundups" / team


def write_atomic(path: Path, text: str) -> None:
    """Write a file whole: to a temporary file beside it, then renamed over it."""
    # A reader (a web server, the feed poller) never sees half a file, and a crash never leaves one.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atom(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _link(settings: TeamSettings, team: str, name: str) -> str:
    return f"{settings.public_url}/{team}/{name}" if settings.public_url else name


def _entry(roundup: Roundup, rendered: Rendered, settings: TeamSettings) -> ET.Element:
    team = roundup.team.name
    entry = ET.Element(_atom("entry"))
    ET.SubElement(entry, _atom("id")).text = f"urn:migdigest:roundup:{team}:{roundup.week.label}"
    ET.SubElement(entry, _atom("title")).text = f"{roundup.title}, {roundup.week.dates} ({roundup.week.label})"
    ET.SubElement(entry, _atom("updated")).text = _stamp(roundup.generated)
    link = _link(settings, team, f"{roundup.week.label}.html")
    ET.SubElement(entry, _atom("link"), {"rel": "alternate", "type": "text/html", "href": link})
    ET.SubElement(entry, _atom("summary")).text = roundup.headline
    content = ET.SubElement(entry, _atom("content"), {"type": "html"})
    content.text = rendered.fragment
    return entry


def update_feed(path: Path, roundup: Roundup, rendered: Rendered, settings: TeamSettings) -> None:
    """Add (or replace) this week's entry in the team's Atom feed, newest week first, `feed_weeks` kept."""
    ET.register_namespace("", ATOM_NS)
    entries: dict[str, ET.Element] = {}
    if path.exists():
        try:
            for old in ET.parse(path).getroot().findall(_atom("entry")):
                key = old.findtext(_atom("id"))
                if key:
                    entries[key] = old
        except ET.ParseError:
            entries = {}  # a damaged feed is rebuilt from this week on; the archived pages are all still there
    new = _entry(roundup, rendered, settings)
    entries[new.findtext(_atom("id")) or ""] = new
    kept = sorted(entries.values(), key=lambda e: e.findtext(_atom("id")) or "", reverse=True)
    kept = kept[: settings.feed_weeks]
    team = roundup.team.name
    feed = ET.Element(_atom("feed"))
    ET.SubElement(feed, _atom("id")).text = f"urn:migdigest:roundup:{team}"
    ET.SubElement(feed, _atom("title")).text = f"{roundup.team.display_name}: weekly roundups"
    ET.SubElement(feed, _atom("subtitle")).text = "What migration think tanks published, week by week (migdigest)."
    ET.SubElement(feed, _atom("updated")).text = max(e.findtext(_atom("updated")) or "" for e in kept)
    ET.SubElement(
        feed, _atom("link"), {"rel": "self", "type": "application/atom+xml", "href": _link(settings, team, FEED_NAME)}
    )
    author = ET.SubElement(feed, _atom("author"))
    ET.SubElement(author, _atom("name")).text = "migdigest"
    ET.SubElement(feed, _atom("generator")).text = "migdigest"
    feed.extend(kept)
    ET.indent(feed)
    write_atomic(path, ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n")


def archive(roundup: Roundup, rendered: Rendered, out_dir: Path, settings: TeamSettings) -> Archived:
    """Write the roundup's three files and update the team's feed; returns where they are."""
    folder = team_dir(out_dir, roundup.team.name)
    files = {fmt: folder / f"{roundup.week.label}.{fmt}" for fmt in FORMATS}
    for fmt, path in files.items():
        write_atomic(path, rendered.get(fmt))
    feed = folder / FEED_NAME
    update_feed(feed, roundup, rendered, settings)
    return Archived(roundup, rendered, files, feed)


def produce(
    db: Digest, team: Team, week: IsoWeek, out_dir: Path, settings: TeamSettings, *, now: datetime | None = None
) -> Archived:
    """Build, render and archive one team's roundup of one week."""
    roundup = build_roundup(db, team, week, now=now, settings=settings)
    return archive(roundup, render(roundup), out_dir, settings)


def load_team_config(config_dir: Path | None = None) -> Teams:
    """teams.yaml, checked against the configured sources, the taxonomy's names and the search syntax."""
    config = load_config(config_dir)
    taxonomy = taxonomy_names(config_dir)
    topics, regions = taxonomy if taxonomy else (None, None)
    return load_teams(
        config_dir, known_sources=config.sources, known_topics=topics, known_regions=regions, check_query=build_match
    )


def pick_teams(teams: Teams, names: Iterable[str] | None) -> list[Team]:
    """The named teams (ConfigError on an unknown one), or all of them."""
    if not names:
        return list(teams.teams.values())
    return [teams.team(name) for name in names]


__all__ = [
    "Archived",
    "ConfigError",
    "IsoWeek",
    "Item",
    "Mailing",
    "Reason",
    "Rendered",
    "Roundup",
    "WeekError",
    "archive",
    "build_roundup",
    "group",
    "load_team_config",
    "make_items",
    "match_reasons",
    "pick_teams",
    "produce",
    "render",
    "select",
    "summarise",
]
