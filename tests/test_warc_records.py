"""The crawl's WARC records: one gzip member each, the payload's digest kept, no second pass for a block digest."""

from __future__ import annotations

import base64
import gzip
import hashlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from spiders.items import RawPage
from spiders.rundir import WARC_NAME, RunWriter, read_body, read_pages


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
