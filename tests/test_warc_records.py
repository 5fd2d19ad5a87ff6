"""The crawl's WARC records: one gzip member each, the payload's digest kept, no second pass for a block digest;
written by the crawl itself, byte for byte as warcio wrote them."""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from spiders.items import RawPage
from spiders.rundir import WARC_NAME, RunWriter, read_body, read_pages, warc_response


def test_each_record_carries_its_payloads_digest_and_no_block_digest(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, "mpi")
    writer.open()
    bodies = [b"<html><body>one</body></html>", b"%PDF-1.4 two" * 500]
    for i, body in enumerate(bodies):
        writer.write(RawPage(url=f"https://example.org/{i}", status=200, headers={"Content-Type": "text/html"},
                             body=body))  # fmt: skip
    writer.close()
    with (tmp_path / WARC_NAME).open("rb") as handle:
        records = [
            (r.rec_headers.get_header("WARC-Payload-Digest"), r.rec_headers.get_header("WARC-Block-Digest"))
            for r in ArchiveIterator(handle, check_digests=True)
        ]
    assert records == [(f"sha1:{base64.b32encode(hashlib.sha1(b).digest()).decode()}", None) for b in bodies]
    # Every record is a gzip member of its own: the file is valid gzip, and each page is read from its offset.
    assert gzip.decompress((tmp_path / WARC_NAME).read_bytes()).count(b"WARC/1.") == len(bodies)
    assert [read_body(tmp_path, page) for page in read_pages(tmp_path)] == bodies


class _PayloadDigestWriter(WARCWriter):  # type: ignore[misc]
    """warcio's writer as the crawl used it before writing records itself: payload digest, no block digest."""

    def ensure_digest(self, record: Any, block: bool = True, payload: bool = True) -> None:
        super().ensure_digest(record, block=False, payload=payload)


def _by_warcio(url: str, status: int, headers: dict[str, str], body: bytes, record_id: str, date: str) -> bytes:
    out = BytesIO()
    writer = _PayloadDigestWriter(out, gzip=False)
    reason = {200: "OK", 203: "Non-Authoritative Information"}.get(status, "OK")
    http_headers = StatusAndHeaders(f"{status} {reason}", list(headers.items()), protocol="HTTP/1.1")
    warc_headers = StatusAndHeaders("", [], protocol="WARC/1.0")
    for name, value in (("WARC-Type", "response"), ("WARC-Record-ID", f"<urn:uuid:{record_id}>"),
                        ("WARC-Target-URI", url), ("WARC-Date", date)):  # fmt: skip
        warc_headers.add_header(name, value)
    record = writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body),
                                       http_headers=http_headers, warc_headers=warc_headers)  # fmt: skip
    writer.write_record(record)
    return out.getvalue()


@pytest.mark.parametrize(
    ("url", "status", "headers", "body"),
    [
        ("https://example.org/r/a", 200, {"Content-Type": "text/html; charset=utf-8", "ETag": '"x"'}, b"<p>hi</p>"),
        ("https://example.org/r/b.pdf", 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 " * 3000),
        ("https://example.org/gone", 404, {}, b""),
        ("https://example.org/x", 203, {"A": "b", "Set-Cookie": "a=1, b=2"}, b"x"),
        ("https://example.org/é?q=ü", 200, {"Content-Disposition": "attachment; filename*=UTF-8''r%C3%A9.pdf"}, b"y"),
        ("https://example.org/v", 200, {"X-Title": "Rapport annuel é"}, b"z"),  # percent-encoded, as warcio does
    ],
)
def test_a_record_is_byte_for_byte_warcios(url: str, status: int, headers: dict[str, str], body: bytes) -> None:
    record_id, date = str(uuid.uuid4()), "2026-12-07T05:21:06Z"
    assert warc_response(url, status, headers, body, record_id, date) == _by_warcio(
        url, status, headers, body, record_id, date
    )


def test_a_page_whose_headers_warcio_cannot_encode_is_kept(tmp_path: Path) -> None:
    # A non-ASCII header name, and a value with ";" around non-ASCII text: warcio raised, and the page was lost.
    headers = {"Content-Type": "text/html", "X-Ünicode": "a", "Content-Disposition": "inline; name=é; x"}
    writer = RunWriter(tmp_path, "mpi")
    writer.open()
    writer.write(RawPage(url="https://example.org/odd", status=200, headers=headers, body=b"<p>odd</p>"))
    writer.close()
    (page,) = read_pages(tmp_path)
    assert read_body(tmp_path, page) == b"<p>odd</p>"
    with (tmp_path / WARC_NAME).open("rb") as handle:
        (record,) = ArchiveIterator(handle, check_digests=True)
        assert record.http_headers.get_header("Content-Type") == "text/html"
    # The header lines are the bytes the site sent (decoded as Latin-1 by the spider, encoded back).
    assert "X-Ünicode: a\r\n".encode("latin-1") in gzip.decompress((tmp_path / WARC_NAME).read_bytes())
