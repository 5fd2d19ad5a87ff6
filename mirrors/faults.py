"""Faults a test orders on a running mirror: HTTP errors, stalls, broken connections, hostile bodies, crawler traps.

    with MirrorServer("mpi") as server:
        server.faults.add("/research", "status", status=503, retry_after=120, times=2)  # then normal
        server.faults.add("/robots.txt", "robots_disallow", disallow=["/news/"])

A fault matches a request path exactly (the query is ignored; `prefix=True` also matches the paths under it)
and answers instead of the site, always or only the first `times` times. Kinds and their parameters:

| kind | parameters | what the client sees |
| --- | --- | --- |
| `status` | `status=503`, `retry_after=None` | an Apache or Drupal error page (500/502/503/504/429...), `Retry-After` |
| `slow` | `delay=5.0` | nothing for `delay` seconds, then the normal answer (a client timeout fires first) |
| `reset` | `after_headers=False` | a TCP RST before any byte, or right after the response headers |
| `truncated` | `fraction=0.5` | the normal headers, Content-Length of the whole body, part of it, then EOF |
| `wrong_charset` | `declared="utf-8"` | the page in windows-1252 bytes, declared utf-8 (`None`: no charset anywhere) |
| `no_charset` | | `wrong_charset` with `declared=None` |
| `huge` | `size=20 MiB`, `chunked=False` | a valid HTML page of `size` bytes, streamed |
| `binary` | `size=65536` | random bytes as `text/html; charset=utf-8` |
| `gzip_bomb` | `size=1 GiB` | `Content-Encoding: gzip`, ~1 MB that inflate to `size` zero bytes |
| `redirect_loop` | `to=path + "/"`, `status=302` | `path` redirects to `to` and `to` back to `path` |
| `calendar` | `start="2024-04"`, `days=4`, `linked_from=None` | endless `?date=YYYY-MM` and `?date=YYYY-MM-DD` pages |
| `robots_disallow` | `disallow=[...]` | the site's robots.txt plus these `Disallow:` lines (order on `/robots.txt`) |
| `challenge` | `status=403`, `zone=<Host>` | Cloudflare's "Just a moment..." managed challenge, `Server: cloudflare` |

A calendar's month pages link the previous and next month and a few days, each day page its neighbours, forever;
`linked_from` names a real page that gets a link into the calendar, so that a crawler can fall in.
"""

from __future__ import annotations

import calendar as calendar_lib
import functools
import html
import random
import re
import selectors
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from mirrors.kit.site import HTML, Page

if TYPE_CHECKING:
    from mirrors.server import _Handler

MIB = 1 << 20
# Parameters each kind takes, with their defaults (None: derived from the request or the fault's path).
KINDS: dict[str, dict[str, Any]] = {
    "status": {"status": 503, "retry_after": None},
    "slow": {"delay": 5.0},
    "reset": {"after_headers": False},
    "truncated": {"fraction": 0.5},
    "wrong_charset": {"declared": "utf-8"},
    "no_charset": {},
    "huge": {"size": 20 * MIB, "chunked": False},
    "binary": {"size": 65536},
    "gzip_bomb": {"size": 1 << 30},
    "redirect_loop": {"to": None, "status": 302},
    "calendar": {"start": "2024-04", "days": 4, "linked_from": None},
    "robots_disallow": {"disallow": ()},
    "challenge": {"status": 403, "zone": None},
}
_DISCONNECTED = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


@dataclass(slots=True)
class Fault:
    """One ordered fault: which path, what happens, how many times (None: always)."""

    path: str
    kind: str
    params: dict[str, Any]
    times: int | None = None
    prefix: bool = False
    hits: int = 0

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path the fault answers: its own, plus a redirect loop's other end or a calendar's link."""
        if self.kind == "redirect_loop":
            return (self.path, self.params["to"])
        if self.kind == "calendar" and self.params["linked_from"]:
            return (self.path, self.params["linked_from"])
        return (self.path,)

    def matches(self, path: str) -> bool:
        """Whether a request for `path` (no query) meets this fault."""
        if path in self.paths:
            return True
        return self.prefix and path.startswith(self.path.rstrip("/") + "/")

    @property
    def spent(self) -> bool:
        """True once a `times`-limited fault has fired that many times."""
        return self.times is not None and self.hits >= self.times


class FaultPlan:
    """The faults ordered on one server; the request handler asks it first (`handle`)."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._faults: list[Fault] = list(faults)
        self._lock = threading.Lock()

    def add(self, path: str, kind: str, *, times: int | None = None, prefix: bool = False, **params: Any) -> Fault:
        """Order `kind` on `path` (always, or for the first `times` requests); later faults win over earlier ones."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        unknown = set(params) - set(KINDS[kind])
        if unknown:
            raise TypeError(f"fault {kind!r} takes no parameter {', '.join(sorted(unknown))}")
        if not path.startswith("/"):
            raise ValueError(f"fault path must start with '/': {path!r}")
        if times is not None and times < 0:
            raise ValueError("times must be >= 0")
        merged = {**KINDS[kind], **params}
        if kind == "redirect_loop" and not merged["to"]:
            # The classic loop: a path and its trailing-slash twin redirect to each other.
            merged["to"] = path.rstrip("/") if path.endswith("/") and path != "/" else path + "/"
        if kind == "robots_disallow":
            merged["disallow"] = tuple(merged["disallow"])
        fault = Fault(path, kind, merged, times, prefix)
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_spec(self, spec: str) -> Fault:
        """Add a fault from the command line form `PATH=KIND[,name=value...][,times=N][,prefix=1]`."""
        path, sep, rest = spec.partition("=")
        if not sep or not rest:
            raise ValueError(f"fault spec must be PATH=KIND[,name=value...]: {spec!r}")
        kind, *pairs = rest.split(",")
        params: dict[str, Any] = {}
        for pair in pairs:
            name, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"fault parameter must be name=value: {pair!r}")
            params[name] = value.split("|") if name == "disallow" else _scalar(value)
        times = params.pop("times", None)
        prefix = bool(params.pop("prefix", False))
        return self.add(path, kind, times=times, prefix=prefix, **params)

    def clear(self) -> None:
        """Remove every fault: the server answers normally again."""
        with self._lock:
            self._faults.clear()

    def remove(self, path: str) -> None:
        """Remove the faults ordered on `path`."""
        with self._lock:
            self._faults = [f for f in self._faults if f.path != path]

    def hits(self, path: str) -> int:
        """How many requests the faults on `path` have answered."""
        with self._lock:
            return sum(f.hits for f in self._faults if f.path == path)

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def _take(self, path: str) -> Fault | None:
        with self._lock:
            for fault in reversed(self._faults):
                if not fault.spent and fault.matches(path):
                    fault.hits += 1
                    return fault
        return None

    def handle(self, handler: _Handler) -> bool:
        """Answer the request if a fault is ordered on its path; False: the server answers normally."""
        path = unquote(urlsplit(handler.path).path) or "/"
        fault = self._take(path)
        if fault is None:
            return False
        try:
            return _RESPONDERS[fault.kind](handler, fault, path)
        except _DISCONNECTED:
            # The client gave up (its timeout, a reset it provoked): nothing left to answer.
            handler.close_connection = True
            return True


def _scalar(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null", ""):
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


# -- plumbing --------------------------------------------------------------------------------------------------


def _start(handler: _Handler, status: int, headers: Iterable[tuple[str, str]], *, server: str | None = None) -> None:
    # send_response_only: send_response would add the site's Server header, which a CDN page must replace.
    handler.send_response_only(status)
    handler.send_header("Server", server or handler.version_string())
    handler.send_header("Date", handler.date_time_string())
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()


def _send(handler: _Handler, status: int, content_type: str, body: bytes, *extra: tuple[str, str]) -> None:
    _start(handler, status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra])
    if handler.command != "HEAD":
        handler.wfile.write(body)


def _normal(handler: _Handler) -> Page:
    return handler.server.site.get(handler._base_url(), handler.path)


def _send_page(handler: _Handler, page: Page) -> None:
    """A page as the server would send it (validators, the site's headers), minus conditional requests."""
    headers = [("Cache-Control", "max-age=3600, public"), *handler.server.site.extra_headers, *page.headers]
    if page.status == 200:
        headers = [("ETag", page.etag), ("Last-Modified", page.http_last_modified), *headers]
    _send(handler, page.status, page.content_type, page.body, *headers)


def _client_waits(handler: _Handler, seconds: float) -> bool:
    """Sleep up to `seconds`, but return False as soon as the client hangs up (its timeout fired)."""
    deadline = time.monotonic() + seconds
    sock = handler.connection
    with selectors.DefaultSelector() as watch:  # not select.select: it fails on descriptors past 1023
        watch.register(sock, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not watch.select(min(left, 0.05)):
                continue
            try:
                if not sock.recv(1, socket.MSG_PEEK):
                    return False
            except OSError:
                return False
            time.sleep(min(left, 0.05))  # a pipelined request is waiting: it is not a hang-up
    return True


def _abort(handler: _Handler) -> None:
    """Close the connection with a TCP RST, as a crashed server or a middlebox does."""
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.rfile.close()  # the socket closes for real only once its file objects are gone
    sock.close()
    handler.close_connection = True


# -- HTTP errors and stalls ------------------------------------------------------------------------------------

# Apache's own error documents (the origin's web server speaks when Drupal cannot).
_APACHE_TEXT = {
    429: "The user has sent too many requests\nin a given amount of time.",
    502: (
        "The proxy server received an invalid\nresponse from an upstream server.<br />\n"
        "The proxy server could not handle the request<p>Reason: <strong>Error reading from remote server"
        "</strong></p></p>"
    ),
    503: (
        "The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\n"
        "problems. Please try again later."
    ),
    504: "The gateway did not receive a timely response\nfrom the upstream server or application.",
}
_APACHE_TITLE = {502: "Proxy Error"}


def _error_page(status: int) -> tuple[str, bytes]:
    if status == 500:
        # Drupal's final exception handler: plain text in an HTML response.
        return "text/html; charset=UTF-8", b"The website encountered an unexpected error. Try again later."
    phrase = _APACHE_TITLE.get(status) or HTTPStatus(status).phrase
    text = _APACHE_TEXT.get(status, f"The server could not answer the request ({status} {phrase}).")
    page = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{status} {phrase}</title>\n</head><body>\n<h1>{phrase}</h1>\n<p>{text}</p>\n</body></html>\n"
    )
    return "text/html; charset=iso-8859-1", page.encode("latin-1")


def _status(handler: _Handler, fault: Fault, path: str) -> bool:
    status = int(fault.params["status"])
    content_type, body = _error_page(status)
    retry = fault.params["retry_after"]
    if isinstance(retry, datetime):
        retry = format_datetime(retry.astimezone(UTC), usegmt=True)
    extra = [("Retry-After", str(retry))] if retry is not None else []
    _send(handler, status, content_type, body, *extra)
    return True


def _slow(handler: _Handler, fault: Fault, path: str) -> bool:
    if _client_waits(handler, float(fault.params["delay"])):
        return False  # still there: the server answers normally, late
    handler.close_connection = True
    return True


def _reset(handler: _Handler, fault: Fault, path: str) -> bool:
    if fault.params["after_headers"]:
        page = _normal(handler)
        _start(handler, page.status, [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))])
        # Let the headers reach the client before the RST, which would otherwise discard them unread.
        time.sleep(0.05)
    _abort(handler)
    return True


def _truncated(handler: _Handler, fault: Fault, path: str) -> bool:
    page = _normal(handler)
    cut = int(len(page.body) * min(max(float(fault.params["fraction"]), 0.0), 1.0))
    cut = min(cut, len(page.body) - 1) if page.body else 0
    headers = [("Content-Type", page.content_type), ("Content-Length", str(len(page.body)))]
    if page.status == 200:
        headers += [("ETag", page.etag), ("Last-Modified", page.http_last_modified)]
    _start(handler, page.status, headers)
    if handler.command != "HEAD":
        handler.wfile.write(page.body[:cut])
    handler.close_connection = True  # EOF before Content-Length is reached
    return True


# -- hostile bodies --------------------------------------------------------------------------------------------

# Every charset a page can carry besides the header (form accept-charset too: sloppy sniffers match it).
_CHARSETS = re.compile(
    rb"""<meta\s+charset=["']?[\w-]+["']?\s*/?>\s*|<meta\s+http-equiv=["']?content-type["']?[^>]*>\s*"""
    rb"""|\s+accept-charset=["'][^"']*["']""",
    re.I,
)


def _recoded(page: Page, declared: str | None) -> Page:
    """The page's text as windows-1252 bytes, declared `declared` in the header, or with no charset at all."""
    body = page.body
    if declared is None:
        body = _CHARSETS.sub(b"", body)
    data = body.decode("utf-8").encode("cp1252", errors="xmlcharrefreplace")
    content_type = page.content_type.split(";")[0].strip()
    if declared is not None:
        content_type += f"; charset={declared}"
    return Page(data, content_type, page.last_modified, page.status, headers=page.headers)


def _wrong_charset(handler: _Handler, fault: Fault, path: str) -> bool:
    declared = None if fault.kind == "no_charset" else fault.params["declared"]
    _send_page(handler, _recoded(_normal(handler), declared))
    return True


_HUGE_HEAD = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
    b"<title>International Migrant Stock by Country of Origin and Destination, 1990-2024 | Data Hub</title>\n"
    b"</head>\n<body>\n<main>\n<h1>International Migrant Stock by Country of Origin and Destination</h1>\n"
    b"<table>\n<thead><tr><th>Origin</th><th>Destination</th><th>Year</th><th>Migrants</th><th>Women</th></tr>"
    b"</thead>\n<tbody>\n"
)
_HUGE_TAIL = b"</tbody>\n</table>\n</main>\n</body>\n</html>\n"


@functools.cache
def _huge_block() -> bytes:
    """64 KiB of whole table rows: the body repeats it (inter-row newlines pad to the exact size)."""
    rng = random.Random(20)
    rows: list[bytes] = []
    size = 0
    while True:
        row = (
            f"<tr><td>C{rng.randrange(1, 233):03d}</td><td>C{rng.randrange(1, 233):03d}</td>"
            f"<td>{rng.randrange(1990, 2025)}</td><td>{rng.randrange(10, 9_000_000)}</td>"
            f"<td>{rng.randrange(5, 4_500_000)}</td></tr>\n"
        ).encode()
        if size + len(row) > 64 * 1024:
            return b"".join(rows)
        rows.append(row)
        size += len(row)


def _huge_parts(size: int) -> Iterator[bytes]:
    block = _huge_block()
    fill = max(0, size - len(_HUGE_HEAD) - len(_HUGE_TAIL))
    yield _HUGE_HEAD
    for _ in range(fill // len(block)):
        yield block
    yield b"\n" * (fill % len(block))
    yield _HUGE_TAIL


def _huge(handler: _Handler, fault: Fault, path: str) -> bool:
    size = max(int(fault.params["size"]), len(_HUGE_HEAD) + len(_HUGE_TAIL))
    chunked = bool(fault.params["chunked"])
    length = ("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(size))
    _start(handler, 200, [("Content-Type", HTML), length])
    if handler.command == "HEAD":
        return True
    for part in _huge_parts(size):
        if not part:
            continue
        handler.wfile.write(b"%x\r\n%b\r\n" % (len(part), part) if chunked else part)
    if chunked:
        handler.wfile.write(b"0\r\n\r\n")
    return True


def _binary(handler: _Handler, fault: Fault, path: str) -> bool:
    body = random.Random(path).randbytes(int(fault.params["size"]))  # the same garbage on every request
    _send(handler, 200, HTML, body)
    return True


def crc32_zeros(length: int, crc: int = 0) -> int:
    """`zlib.crc32(bytes(length), crc)` in microseconds: appending zeros is linear, so square and multiply."""

    # zlib's crc32_combine method: 32x32 bit matrices over GF(2), one int per column.
    def times(matrix: list[int], vector: int) -> int:
        total, row = 0, 0
        while vector:
            if vector & 1:
                total ^= matrix[row]
            vector >>= 1
            row += 1
        return total

    def square(matrix: list[int]) -> list[int]:
        return [times(matrix, column) for column in matrix]

    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = square(odd)  # two zero bits
    odd = square(even)  # four zero bits
    register = crc ^ 0xFFFFFFFF
    while length:
        even = square(odd)  # first round: one zero byte
        if length & 1:
            register = times(even, register)
        length >>= 1
        if not length:
            break
        odd = square(even)
        if length & 1:
            register = times(odd, register)
        length >>= 1
    return register ^ 0xFFFFFFFF


@functools.cache
def gzip_bomb(size: int = 1 << 30) -> bytes:
    """One gzip member that inflates to `size` zero bytes (~1 MB per GiB), built in milliseconds, kept once."""

    def segment(n: int) -> bytes:
        # A full flush ends on a byte boundary with no back-reference: segments can be laid end to end.
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        return compressor.compress(bytes(n)) + compressor.flush(zlib.Z_FULL_FLUSH)

    full, rest = divmod(size, MIB)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"  # gzip, deflate, no name, no mtime, best, Unix
    last = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty final block
    trailer = struct.pack("<II", crc32_zeros(size), size & 0xFFFFFFFF)
    return b"".join([header, segment(MIB) * full, segment(rest) if rest else b"", last, trailer])


def _gzip_bomb(handler: _Handler, fault: Fault, path: str) -> bool:
    body = gzip_bomb(int(fault.params["size"]))
    _send(handler, 200, HTML, body, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"))
    return True


# -- crawler traps and blocks ----------------------------------------------------------------------------------


def _redirect_loop(handler: _Handler, fault: Fault, path: str) -> bool:
    other = fault.params["to"] if path == fault.path else fault.path
    location = handler._base_url() + other
    status = int(fault.params["status"])
    phrase = HTTPStatus(status).phrase
    body = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{status} {phrase}</title>\n</head><body>\n<h1>{phrase}</h1>\n"
        f'<p>The document has moved <a href="{html.escape(location)}">here</a>.</p>\n</body></html>\n'
    )
    _send(handler, status, "text/html; charset=iso-8859-1", body.encode("latin-1"), ("Location", location))
    return True


_MONTH = re.compile(r"(\d{4,})-(\d{2})(?:-(\d{2}))?")


def _calendar_date(raw: str, start: str) -> tuple[int, int, int | None]:
    """(year, month, day or None) of a `date=` value; what Drupal's calendar shows for nonsense: the start."""
    for value in (raw, start):
        found = _MONTH.fullmatch(value)
        if found and 1 <= int(found.group(2)) <= 12:
            year, month = int(found.group(1)), int(found.group(2))
            day = int(found.group(3)) if found.group(3) else None
            if day is None or 1 <= day <= calendar_lib.monthrange(year, month)[1]:
                return year, month, day
    return 2024, 4, None


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    n = year * 12 + month - 1 + by
    return n // 12, n % 12 + 1


def _calendar_page(path: str, query: str, start: str, days: int) -> bytes:
    raw = (parse_qs(query).get("date") or [""])[0]
    year, month, day = _calendar_date(raw, start)
    name = f"{calendar_lib.month_name[month]} {year}"

    def href(value: str) -> str:
        return html.escape(f"{path}?date={value}")

    if day is None:
        title = f"Events Calendar: {name}"
        prev, nxt = _shift(year, month, -1), _shift(year, month, 1)
        pager = [
            (f"{prev[0]}-{prev[1]:02d}", "prev", "‹ Previous month"),
            (f"{nxt[0]}-{nxt[1]:02d}", "next", "Next month ›"),
        ]
        last = calendar_lib.monthrange(year, month)[1]
        # A few evenly spread days, each a page of its own: more doors into the same endless maze.
        picks = sorted({1 + (i * last) // max(days, 1) for i in range(days)})
        items = [(f"{year}-{month:02d}-{d:02d}", f"{calendar_lib.month_abbr[month]} {d}: no events") for d in picks]
    else:
        today = date(year, month, day)
        title = f"Events Calendar: {calendar_lib.month_name[month]} {day}, {year}"
        before, after = date.fromordinal(today.toordinal() - 1), date.fromordinal(today.toordinal() + 1)
        pager = [(before.isoformat(), "prev", "‹ Previous day"), (after.isoformat(), "next", "Next day ›")]
        items = [(f"{year}-{month:02d}", f"Back to {name}")]
    links = "\n".join(f'<a href="{href(v)}" rel="{rel}">{label}</a>' for v, rel, label in pager)
    rows = "\n".join(f'<li><a href="{href(v)}">{label}</a></li>' for v, label in items)
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        f"<title>{title} | Events</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
        f'<nav class="calendar-pager">\n{links}\n</nav>\n<ul class="calendar-days">\n{rows}\n</ul>\n'
        "</main>\n</body>\n</html>\n"
    )
    return page.encode("utf-8")


def _calendar(handler: _Handler, fault: Fault, path: str) -> bool:
    when = datetime(2024, 4, 25, 12, tzinfo=UTC)
    if path != fault.path and not (fault.prefix and path.startswith(fault.path.rstrip("/") + "/")):
        # The page that leads crawlers in: the normal page with one more link.
        page = _normal(handler)
        link = f'<p class="events-calendar"><a href="{html.escape(fault.path)}">Events calendar</a></p>\n'.encode()
        at = page.body.rfind(b"</main>")
        at = page.body.rfind(b"</body>") if at < 0 else at
        body = page.body[:at] + link + page.body[at:] if at >= 0 else page.body + link
        _send_page(handler, Page(body, page.content_type, page.last_modified, page.status, headers=page.headers))
        return True
    body = _calendar_page(path, urlsplit(handler.path).query, str(fault.params["start"]), int(fault.params["days"]))
    _send_page(handler, Page(body, HTML, when))
    return True


def _robots_disallow(handler: _Handler, fault: Fault, path: str) -> bool:
    page = _normal(handler)
    text = page.body.decode("utf-8") if page.status == 200 else ""
    extra = "".join(f"Disallow: {p}\n" for p in fault.params["disallow"])
    found = re.search(r"^User-agent:\s*\*[ \t]*\r?\n", text, re.M | re.I)
    # Into the catch-all group, where every crawler looks; a new group if the file has none.
    text = text[: found.end()] + extra + text[found.end() :] if found else f"User-agent: *\n{extra}\n{text}"
    _send_page(handler, Page(text.encode("utf-8"), "text/plain; charset=utf-8", page.last_modified))
    return True


def _challenge(handler: _Handler, fault: Fault, path: str) -> bool:
    from mirrors.odi.challenge import challenge_page  # the one Cloudflare challenge the mirrors share

    base = handler._base_url()
    zone = fault.params["zone"] or urlsplit(base).hostname or "localhost"
    page = challenge_page(zone, base, handler.path, int(fault.params["status"]))
    _start(
        handler,
        page.status,
        [("Content-Type", page.content_type), ("Content-Length", str(len(page.body))), *page.headers],
        server="cloudflare",
    )
    if handler.command != "HEAD":
        handler.wfile.write(page.body)
    return True


_RESPONDERS = {
    "status": _status,
    "slow": _slow,
    "reset": _reset,
    "truncated": _truncated,
    "wrong_charset": _wrong_charset,
    "no_charset": _wrong_charset,
    "huge": _huge,
    "binary": _binary,
    "gzip_bomb": _gzip_bomb,
    "redirect_loop": _redirect_loop,
    "calendar": _calendar,
    "robots_disallow": _robots_disallow,
    "challenge": _challenge,
}
