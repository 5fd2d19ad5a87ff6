"""Text of a PDF for search: PDFium (pypdfium2), never raising on bad input, with a status that says what happened.

Statuses (`PdfText.status`):
- "ok": text read from every page (`message` may still note pages without text).
- "partial": some pages could not be read (damaged objects); `text` holds the pages that could.
- "truncated": more pages than `max_pages` or more text than `max_chars`; `text` holds what fits, `pages` the
  real page count.
- "scanned": no extractable text (page images without an OCR layer, or blank pages); needs OCR.
- "encrypted": a user password is needed to open it.
- "broken": not a PDF, damaged beyond repair, cut short (interrupted download) or without pages.
- "too_big": more bytes than `max_bytes`; not parsed at all.
- "timeout", "memory", "crashed": the reader went over its time or memory limit, or died; set by
  `extract/pdf_limits.py`, which runs `read_pdf` in a child process under those limits.

Why PDFium and not pypdf or pdfminer.six: see docs/extraction.md ("PDFs").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal, get_args

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

PdfStatus = Literal[
    "ok", "partial", "truncated", "scanned", "encrypted", "broken", "too_big", "timeout", "memory", "crashed"
]
STATUSES: tuple[PdfStatus, ...] = get_args(PdfStatus)
# Statuses whose `text` is worth indexing.
TEXT_STATUSES: frozenset[PdfStatus] = frozenset({"ok", "partial", "truncated"})

MAX_BYTES = 200 * 1024 * 1024
# A 300-page report is about a million characters; more is a generated or hostile file (pages sharing one stream).
MAX_CHARS = 3_000_000
# Fewer letters than this per page on average: the text layer is missing (scans) or trivial (page numbers).
_MIN_LETTERS_PER_PAGE = 20
# PDFium marks a hyphen it found at a line end with U+FFFE (older builds: U+0002) and joins the lines; the hyphen
# and the line break are put back, so the paragraph rules below decide, as for any other line-end hyphen.
_PDFIUM_HYPHEN = str.maketrans({"\ufffe": "-\n", "\x02": "-\n"})


@dataclass(frozen=True, slots=True)
class PdfText:
    """What could be read from one PDF."""

    text: str  # paragraphs separated by a blank line
    pages: int  # pages in the document (0 when it could not be opened)
    status: PdfStatus
    message: str = ""  # why, for the operator; empty when there is nothing to say

    @property
    def has_text(self) -> bool:
        """True when `text` is worth indexing."""
        return self.status in TEXT_STATUSES and bool(self.text)


def read_pdf(data: bytes, *, max_pages: int = 300, max_bytes: int = MAX_BYTES, max_chars: int = MAX_CHARS) -> PdfText:
    """Extract the text of a PDF; bad input gives a status and a message, never an exception.

    In-process and without a time or memory limit: untrusted files go through `extract.pdf_limits.read_bounded`.
    """
    if len(data) > max_bytes:
        return PdfText("", 0, "too_big", f"{len(data):,} bytes, over the limit of {max_bytes:,}; not parsed")
    problem = _not_a_pdf(data)
    if problem:
        return PdfText("", 0, "broken", problem)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            return PdfText("", 0, "encrypted", "encrypted: a user password is needed to open it")
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_SUCCESS:  # PDFium's answer to an empty page tree
            return PdfText("", 0, "broken", "the PDF has no pages (PDFium found no page to open)")
        return PdfText("", 0, "broken", _broken_message(data, exc))
    try:
        return _read_document(doc, max_pages, max_chars)
    finally:
        doc.close()


def _read_document(doc: pdfium.PdfDocument, max_pages: int, max_chars: int) -> PdfText:
    notes = []
    if pdfium_c.FPDF_GetSecurityHandlerRevision(doc) != -1:
        notes.append("encrypted with an empty user password (owner restrictions only); read anyway")
    pages = len(doc)
    if pages == 0:
        return PdfText("", 0, "broken", "the PDF has no pages")
    page_lines: list[list[str]] = []
    failed: list[int] = []
    chars = 0
    for number in range(min(pages, max_pages)):
        try:
            raw = _page_text(doc, number)
        except Exception:  # one damaged page must not cost the others
            failed.append(number + 1)
            page_lines.append([])
            continue
        page_lines.append(_lines(raw[: max_chars - chars + 1]))
        chars += len(raw)
        if chars > max_chars:
            notes.insert(0, f"more than {max_chars:,} characters by page {number + 1} of {pages}; the rest is not read")
            break
    text = _assemble(page_lines)[:max_chars]

    letters = sum(ch.isalpha() for ch in text)
    read = len(page_lines) - len(failed)
    if failed and read == 0:
        return PdfText("", pages, "broken", f"no page could be read ({len(failed)} failed)")
    if letters < _MIN_LETTERS_PER_PAGE * read:
        images = _pages_with_images(doc, len(page_lines))
        why = f"{images} of {len(page_lines)} pages carry images: OCR needed" if images else "blank pages?"
        return PdfText(text, pages, "scanned", f"no extractable text ({letters} letters); {why}")

    empty = [i + 1 for i, lines in enumerate(page_lines) if not lines and i + 1 not in failed]
    if empty:
        notes.append(f"{len(empty)} page(s) without text (first: {empty[0]})")
    cut = chars > max_chars
    if pages > max_pages and not cut:
        notes.insert(0, f"{pages} pages; text of the first {max_pages} only")
    if failed:
        notes.append(f"{len(failed)} page(s) could not be read: {_page_list(failed)}")
        return PdfText(text, pages, "partial", "; ".join(notes))
    if pages > max_pages or cut:
        return PdfText(text, pages, "truncated", "; ".join(notes))
    return PdfText(text, pages, "ok", "; ".join(notes))


def _page_text(doc: pdfium.PdfDocument, number: int) -> str:
    """The raw text of one page."""
    page = doc[number]
    try:
        textpage = page.get_textpage()
        try:
            raw: str = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    return raw.translate(_PDFIUM_HYPHEN)


def _pages_with_images(doc: pdfium.PdfDocument, count: int) -> int:
    """How many of the first `count` pages show an image (only to word the message of a scan)."""
    found = 0
    for number in range(count):
        try:
            page = doc[number]
        except Exception:
            continue
        try:
            found += any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))
        except Exception:  # only used to word the message
            pass
        finally:
            page.close()
    return found


def _not_a_pdf(data: bytes) -> str | None:
    if not data or data.isspace():
        return "empty file"
    # The header may follow some junk (the spec allows 1024 bytes); anything else is not a PDF.
    if b"%PDF-" in data[:1024]:
        return None
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "not a PDF: an HTML page (an error page or a bot challenge served instead of the file?)"
    return f"not a PDF: it starts with {data[:16]!r}"


def _broken_message(data: bytes, exc: Exception) -> str:
    why = str(exc)
    if b"%%EOF" not in data[-2048:]:
        return f"cut short (no %%EOF at the end: an interrupted download?); {why}"
    return f"unreadable: {why}"


def _page_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (", …" if len(numbers) > 10 else "")


# Whitespace a PDF's text layer can hold inside a line: tabs, no-break and the typographic spaces.
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Ligature glyphs break search for "office", "flow", "efficient".
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})


def _lines(raw: str) -> list[str]:
    """Lines of one page, whitespace collapsed; an empty string marks a blank line (paragraph break)."""
    text = raw.translate(_LIGATURES).replace("\r\n", "\n").replace("\r", "\n")
    # A soft hyphen inside a line is invisible; at a line end it is hyphenation, handled when lines are joined.
    text = re.sub("\u00ad(?!\n)", "", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


# A line that is only a page number: "12", "- 12 -", "Page 3", "Page 3 of 10", "p. 4".
_PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:(?:page|p\.|pág\.?|página)\s*)?\d{1,3}(?:\s*(?:of|/|de|sur)\s*\d+)?"
                          r"(?:\s*[-–—])?$", re.IGNORECASE)  # fmt: skip


def _strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers, footers and page numbers: they would split paragraphs and pollute search."""
    edge = 2  # how many lines at the top and bottom of a page may be furniture
    counts: Counter[str] = Counter()
    for lines in pages:
        content = [line for line in lines if line]
        counts.update({_furniture_key(line) for line in content[:edge] + content[-edge:]})
    # A line is furniture when it repeats at the edge of at least half of the pages (and on two or more).
    repeated = {key for key, n in counts.items() if n >= 2 and n * 2 >= len(pages)} if len(pages) >= 3 else set()
    out = []
    for lines in pages:
        positions = [i for i, line in enumerate(lines) if line]
        # On a page of a few lines, every line is an edge: keep them (slides, one-line pages).
        edges = set(positions[:edge] + positions[-edge:]) if len(positions) > 2 * edge else set()
        out.append(
            [
                line
                for i, line in enumerate(lines)
                if i not in edges or (_furniture_key(line) not in repeated and not _PAGE_NUMBER.match(line))
            ]
        )
    return out


# Bullets and numbered items start a paragraph of their own.
_ITEM = re.compile(r"^(?:[•●▪◦‣∙·*–—-]\s|\(?\d{1,2}[.)]\s|\(?[a-z][.)]\s)")
_SENTENCE_END = frozenset('.!?:;…"”’)]')
# Words after a suspended hyphen ("low- and middle-income"): the hyphen is not hyphenation.
_SUSPENDED = frozenset({"and", "or", "nor", "to", "et", "ou", "y", "o", "e", "u", "und", "oder"})


def _ends_sentence(text: str) -> bool:
    return bool(text) and text[-1] in _SENTENCE_END


def _assemble(pages: list[list[str]]) -> str:
    """Join lines into paragraphs (blank line between), undoing line-end hyphenation."""
    pages = _strip_furniture(pages)
    vocabulary = {w for lines in pages for line in lines for w in re.findall(r"\w+(?:-\w+)+|\w+", line.lower())}
    paragraphs: list[str] = []
    # The paragraph being built, as pieces: joining them once keeps a page-long paragraph linear, not quadratic.
    current: list[str] = []

    def close() -> None:
        if current:
            paragraphs.append("".join(current))
            current.clear()

    for lines in pages:
        content = [line for line in lines if line]
        lengths = sorted(len(line) for line in content)
        # A "full" line on this page; a line much shorter than that ends its paragraph.
        full = lengths[int(len(lengths) * 0.8)] if len(lengths) >= 4 else 0
        for line in lines:
            if not line:
                close()
                continue
            ends_sentence = _ends_sentence(line)
            # A short line after a finished sentence is a heading: it starts a paragraph of its own.
            heading = not ends_sentence and len(line) < 0.6 * full and bool(current) and _ends_sentence(current[-1])
            if current and (_ITEM.match(line) or heading):
                close()
            if current:
                _join(current, line, vocabulary)
            else:
                current.append(line)
            if current[-1].endswith(("-", "\u00ad")):
                continue  # hyphenated: the paragraph goes on (on the next page too)
            # Lines inside a paragraph are full but for the word that did not fit; a sentence that stops well
            # short of the margin ends its paragraph, and so does any very short line.
            slack = max(0.15 * full, 12)
            if not full or (ends_sentence and full - len(line) > slack) or len(line) < 0.5 * full:
                close()
        # A page break ends a paragraph unless the sentence visibly goes on.
        if current and _ends_sentence(current[-1]):
            close()
    close()
    return "\n\n".join(p for p in (p.strip() for p in paragraphs) if p)


def _join(pieces: list[str], line: str, vocabulary: set[str]) -> None:
    """Append a line to a paragraph's pieces, with a space, nothing, or without the line-end hyphen."""
    last = pieces[-1]
    if last.endswith("\u00ad"):
        pieces[-1] = last[:-1]
        pieces.append(line)
        return
    # endswith first: the regex alone backtracks through every start of a long word.
    head = re.search(r"(\w+)-$", last[-60:]) if last.endswith("-") else None
    if not head or last.endswith((" -", "--")):
        pieces += [" ", line]
        return
    first = re.match(r"\w+", line)
    if not first or not line[0].islower() or first.group(0) in _SUSPENDED:
        # "COVID-" + "19", "Afro-" + "Caribbean": a real hyphen; "low-" + "and": a suspended one.
        pieces += [" " if first and first.group(0) in _SUSPENDED else "", line]
        return
    joined = (head.group(1) + first.group(0)).lower()
    hyphenated = f"{head.group(1)}-{first.group(0)}".lower()
    # Keep the hyphen of a compound the document writes hyphenated elsewhere ("middle-\nincome").
    if not (hyphenated in vocabulary and joined not in vocabulary):
        pieces[-1] = last[:-1]
    pieces.append(line)
