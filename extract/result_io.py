"""An extraction result as bytes, so it can travel through the object store: gzip'd JSON lines, exact round trip.

Line 1 is the header (format version, the source, the counters and URL lists); every further line is one
publication. Pure: bytes in, bytes out.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from dataclasses import asdict, fields
from typing import Any

from extract.stage import ExtractResult
from migdigest.models import Publication

FORMAT = 1


class ResultFormatError(ValueError):
    """Bytes that are not a dumped extraction result (cut short, another format, a newer version)."""


def dump_result(result: ExtractResult) -> bytes:
    """The result as gzip'd JSON lines: a header, then one line per publication."""
    header: dict[str, Any] = {"format": FORMAT}
    for f in fields(ExtractResult):
        if f.name == "publications":
            continue
        value = getattr(result, f.name)
        header[f.name] = dict(value) if isinstance(value, Counter) else value
    header["publications"] = len(result.publications)
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(_row(pub), ensure_ascii=False) for pub in result.publications]
    # mtime=0: the same result gives the same bytes, whenever and wherever it is dumped.
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=6, mtime=0)


def _row(pub: Publication) -> dict[str, Any]:
    row = asdict(pub)
    # Bytes as base64 text; left out when empty, so a result without fingerprints reads as before.
    row["dedupe_print"] = base64.b64encode(pub.dedupe_print).decode("ascii")
    if not row["dedupe_print"]:
        del row["dedupe_print"]
    return row


def _publication(row: dict[str, Any]) -> Publication:
    if "dedupe_print" in row:
        row["dedupe_print"] = base64.b64decode(row["dedupe_print"], validate=True)
    return Publication(**row)


def load_result(data: bytes) -> ExtractResult:
    """The result `dump_result` wrote; ResultFormatError when the bytes are not one, whole."""
    try:
        text = gzip.decompress(data).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ResultFormatError(f"not a gzip'd extraction result ({exc})") from None
    lines = text.split("\n")
    if lines[-1] != "":
        raise ResultFormatError("the extraction result is cut short (no newline after its last line)")
    try:
        header = json.loads(lines[0])
        rows = [json.loads(line) for line in lines[1:-1]]
    except json.JSONDecodeError as exc:
        raise ResultFormatError(f"a line of the extraction result is not JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ResultFormatError(f"extraction result format {header.get('format')!r}; this migdigest reads {FORMAT}")
    if header.get("publications") != len(rows):
        raise ResultFormatError(
            f"the header counts {header.get('publications')} publications, the file has {len(rows)}"
        )
    try:
        publications = [_publication(row) for row in rows]
    except (TypeError, ValueError) as exc:  # a key Publication does not have: a newer writer's
        raise ResultFormatError(f"a publication of the extraction result does not fit this migdigest ({exc})") from None
    return ExtractResult(
        publications=publications,
        skipped=Counter(header["skipped"]),
        errors=Counter(header["errors"]),
        unchanged=header["unchanged"],
        gone=header["gone"],
        failures=header["failures"],
        source=header["source"],
        unchanged_urls=header["unchanged_urls"],
        gone_urls=header["gone_urls"],
        pdfs_gone=header["pdfs_gone"],
        skips=[(url, reason) for url, reason in header["skips"]],
    )
