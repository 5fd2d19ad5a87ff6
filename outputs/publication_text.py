"""What the search page and the publication page show of a publication: outline, citations, feed, export rows."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

HIT_START = "\ue000"
HIT_END = "\ue001"
ATOM_NS = "http://www.w3.org/2005/Atom"
# Document types as CSL and RIS name them (https://docs.citationstyles.org/en/stable/specification.html#appendix-iii-types).
_CSL_TYPES = {"report": "report", "policy brief": "report", "working paper": "report", "article": "article",
              "commentary": "post-weblog", "event": "speech", "podcast": "broadcast", "video": "motion_picture",
              "dataset": "dataset"}  # fmt: skip
_RIS_TYPES = {"report": "RPRT", "policy brief": "RPRT", "working paper": "RPRT", "article": "ELEC",
              "commentary": "BLOG", "event": "GEN", "podcast": "SOUND", "video": "VIDEO",
              "dataset": "DATA"}  # fmt: skip
_SENTENCE_END = (".", "!", "?", ":", ";", ",", "…", '"', "”", ")")


@dataclass(frozen=True, slots=True)
class Block:
    """A line of a publication's text: a heading or a paragraph."""

    kind: Literal["heading", "paragraph"]
    text: str


def outline(text: str) -> list[Block]:
    """The text's lines as paragraphs, with short title-like lines before a paragraph taken as headings."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    blocks: list[Block] = []
    for i, line in enumerate(lines):
        after = lines[i + 1] if i + 1 < len(lines) else ""
        heading = (
            len(line) <= 90
            and len(line.split()) <= 12
            and not line.endswith(_SENTENCE_END)
            and line[:1].isupper()
            and len(after) > max(2 * len(line), 80)
        )
        blocks.append(Block("heading" if heading else "paragraph", line))
    return blocks


def plain(snippet: str) -> str:
    """A snippet without its hit markers (for JSON, CSV, feeds and terminals)."""
    return snippet.replace(HIT_START, "").replace(HIT_END, "")


# --- citations ------------------------------------------------------------------------------------------------


def _year(published: str | None) -> str:
    return published[:4] if published and published[:4].isdigit() else ""


def _date_parts(published: str | None) -> list[int]:
    parts = re.findall(r"\d+", (published or "")[:10])
    return [int(p) for p in parts[:3]] if _year(published) else []


def _split_name(name: str) -> tuple[str, str]:
    """(family, given) of a personal name written given-first; an organisation stays whole."""
    words = name.split()
    if len(words) < 2:
        return name, ""
    return words[-1], " ".join(words[:-1])


def _cite_key(pub: Mapping[str, Any]) -> str:
    first = (pub.get("authors") or [pub.get("source") or "migdigest"])[0]
    ascii_name = unicodedata.normalize("NFKD", _split_name(str(first))[0]).encode("ascii", "ignore").decode()
    family = re.sub(r"[^A-Za-z0-9]", "", ascii_name) or "anon"
    title_word = next((w for w in re.findall(r"[A-Za-z0-9]+", str(pub.get("title") or "")) if len(w) > 3), "")
    return f"{family.lower()}{_year(pub.get('published'))}{title_word.lower()}" or f"migdigest{pub.get('id')}"


def _bib_escape(text: str) -> str:
    return re.sub(r"([{}%&$#_\\])", r"\\\1", " ".join(str(text).split()))


def bibtex(pub: Mapping[str, Any]) -> str:
    """A BibTeX entry (@techreport for reports and papers, @misc otherwise)."""
    kind = "techreport" if pub.get("doc_type") in ("report", "policy brief", "working paper") else "misc"
    fields: list[tuple[str, str]] = [("title", "{" + _bib_escape(pub.get("title") or "") + "}")]
    authors = [str(a) for a in pub.get("authors") or []]
    if authors:
        fields.append(("author", " and ".join("{" + _bib_escape(a) + "}" if len(a.split()) < 2 else _bib_escape(
            ", ".join(_split_name(a))) for a in authors)))  # fmt: skip
    publisher = _bib_escape(pub.get("publisher") or pub.get("source") or "")
    fields.append(("institution" if kind == "techreport" else "publisher", publisher))
    if _year(pub.get("published")):
        fields.append(("year", _year(pub.get("published"))))
    if pub.get("published") and len(str(pub["published"])) >= 10:
        fields.append(("date", str(pub["published"])[:10]))
    if pub.get("doc_type"):
        fields.append(("type", _bib_escape(str(pub["doc_type"]).capitalize())))
    if pub.get("url"):
        fields.append(("url", str(pub["url"]).replace("}", "%7D").replace("{", "%7B")))
    if pub.get("language"):
        fields.append(("language", _bib_escape(str(pub["language"]))))
    body = ",\n".join(f"  {name} = {{{value}}}" if not value.startswith("{") else f"  {name} = {value}"
                      for name, value in fields)  # fmt: skip
    return f"@{kind}{{{_cite_key(pub)},\n{body}\n}}\n"


def ris(pub: Mapping[str, Any]) -> str:
    """An RIS record."""
    lines = [f"TY  - {_RIS_TYPES.get(str(pub.get('doc_type')), 'GEN')}"]
    lines.append(f"TI  - {' '.join(str(pub.get('title') or '').split())}")
    lines += [f"AU  - {', '.join(n for n in _split_name(str(a)) if n)}" for a in pub.get("authors") or []]
    lines.append(f"PB  - {pub.get('publisher') or pub.get('source') or ''}")
    if _year(pub.get("published")):
        lines.append(f"PY  - {_year(pub.get('published'))}")
        lines.append(
            f"DA  - {'/'.join(f'{p:02d}' if i else str(p) for i, p in enumerate(_date_parts(pub.get('published'))))}"
        )
    if pub.get("url"):
        lines.append(f"UR  - {pub['url']}")
    if pub.get("language"):
        lines.append(f"LA  - {pub['language']}")
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


def csl_json(pub: Mapping[str, Any]) -> str:
    """A CSL-JSON item (a list of one, as citation managers import it)."""
    item: dict[str, Any] = {
        "id": _cite_key(pub),
        "type": _CSL_TYPES.get(str(pub.get("doc_type")), "document"),
        "title": " ".join(str(pub.get("title") or "").split()),
        "publisher": pub.get("publisher") or pub.get("source") or "",
    }
    authors = []
    for name in pub.get("authors") or []:
        family, given = _split_name(str(name))
        authors.append({"family": family, "given": given} if given else {"literal": family})
    if authors:
        item["author"] = authors
    if _date_parts(pub.get("published")):
        item["issued"] = {"date-parts": [_date_parts(pub.get("published"))]}
    if pub.get("url"):
        item["URL"] = pub["url"]
    if pub.get("language"):
        item["language"] = pub["language"]
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


CITATIONS = {"bibtex": ("BibTeX", bibtex), "ris": ("RIS", ris), "csl-json": ("CSL-JSON", csl_json)}


# --- exports ---------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("title", "publisher", "type", "published", "authors", "topics", "regions", "language", "url",
                  "page", "snippet")  # fmt: skip


def export_row(hit: Mapping[str, Any]) -> dict[str, Any]:
    """A result as JSON and CSV give it: analyst's names, no internal columns, no hit markers."""
    return {
        "title": hit["title"],
        "publisher": hit["publisher"],
        "type": hit["doc_type"],
        "published": hit["published"],
        "authors": list(hit["authors"]),
        "topics": list(hit["topics"]),
        "regions": list(hit["regions"]),
        "language": hit["language"],
        "url": hit["url"],
        "page": hit["page"],
        "snippet": plain(hit["snippet"]),
    }


def csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """CSV of export rows; lists joined with '; '."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


def atom_time(*values: object) -> str:
    """The first value that reads as an ISO date or date-time, as an RFC 3339 time (UTC if no zone given)."""
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.isoformat(timespec="seconds")
    return "1970-01-01T00:00:00+00:00"


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def atom_feed(
    *, feed_id: str, title: str, self_url: str, page_url: str, categories: Sequence[tuple[str, str]],
    entries: Sequence[Mapping[str, Any]], now: datetime | None = None,
) -> str:  # fmt: skip
    """An Atom (RFC 4287) feed: feed-level author and categories, one entry per result."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _el(feed, "id", feed_id)
    _el(feed, "title", title)
    stamps = [atom_time(e.get("published"), e.get("first_seen")) for e in entries]
    _el(feed, "updated", max(stamps) if stamps else (now or datetime.now(UTC)).isoformat(timespec="seconds"))
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = _el(feed, "author")
    _el(author, "name", "migdigest")
    _el(feed, "generator", "migdigest")
    for scheme, term in categories:
        _el(feed, "category", term=term, scheme=scheme, label=f"{scheme}: {term}")
    for entry, stamp in zip(entries, stamps, strict=True):
        node = _el(feed, "entry")
        _el(node, "id", str(entry["canonical_url"]))
        _el(node, "title", str(entry["title"] or "(untitled)"))
        _el(node, "updated", stamp)
        if entry.get("url"):
            _el(node, "link", rel="alternate", type="text/html", href=str(entry["url"]))
        for name in entry.get("authors") or []:
            _el(_el(node, "author"), "name", str(name))
        for scheme, values in (("Type", [entry.get("doc_type")]), ("Topic", entry.get("topics") or []),
                               ("Region", entry.get("regions") or [])):  # fmt: skip
            for value in values:
                if value:
                    _el(node, "category", term=str(value), scheme=scheme, label=f"{scheme}: {value}")
        _el(node, "summary", plain(str(entry.get("snippet") or "")), type="text")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"
