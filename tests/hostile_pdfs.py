"""Hostile PDFs built byte by byte, each a few KB on disk: what a reader must survive within its limits.

Used by tests/test_pdftext.py and bench/pdf_limits.py. Every file is a syntactically plausible PDF (header,
objects, cross-reference table, trailer) whose structure attacks the reader: work multiplied by sharing, depth,
decompression ratio, cycles or page count.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF whose object n (from 1) is objects[n-1]; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, filters: int = 1, extra: bytes = b"") -> bytes:
    """A stream object compressed `filters` times with Flate (each layer multiplies the ratio)."""
    for _ in range(filters):
        data = zlib.compress(data, 9)
    names = b" ".join([b"/FlateDecode"] * filters)
    head = b"<< /Length %d /Filter [%s] %s>>" % (len(data), names, extra)
    return head + b"\nstream\n" + data + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _text_ops(lines: int) -> bytes:
    """A content stream drawing `lines` lines of text."""
    line = b"(Migration policy and labour mobility in the region) Tj T*\n"
    return b"BT /F1 9 Tf 11 TL 40 800 Td\n" + line * lines + b"ET\n"


def shared_stream(pages: int = 450, lines: int = 5_000) -> bytes:
    """Many pages whose /Contents is one compressed stream: read once per page, text multiplied by the pages."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
    page += b"/Resources << /Font << /F1 4 0 R >> >> >>"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            _stream(_text_ops(lines)),
            _FONT,
            *([page] * pages),
        ]
    )


def deep_nesting(depth: int = 50_000) -> bytes:
    """A page whose resources hold an array nested `depth` levels deep: recursive parsers overflow."""
    nested = b"[" * depth + b"]" * depth
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /Deep " + nested + b" >> >>",
            _stream(_text_ops(3)),
            _FONT,
        ]
    )


def deep_page_tree(depth: int = 3_000) -> bytes:
    """A page tree `depth` nodes deep with one page at the bottom."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        parent = b"/Parent %d 0 R " % (1 + level) if level else b""
        objects.append(b"<< /Type /Pages %s/Kids [%d 0 R] /Count 1 >>" % (parent, 3 + level))
    page_number = 2 + depth
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page_number - 1, page_number + 1, page_number + 2)
    )
    objects += [_stream(_text_ops(3)), _FONT]
    return _pdf(objects)


def _zeros_flate(megabytes: int) -> bytes:
    """A zlib stream of `megabytes` MB of spaces, built from one compressed MB repeated (fast, never held whole)."""
    block = b" " * (1024 * 1024)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    # After a full flush the compressor starts afresh, so every further MB compresses to the same bytes.
    piece = raw.compress(block) + raw.flush(zlib.Z_FULL_FLUSH)
    check = 1
    for _ in range(megabytes):
        check = zlib.adler32(block, check)
    return b"\x78\xda" + piece * megabytes + raw.flush() + check.to_bytes(4, "big")


def decompression_bomb(megabytes: int = 1_000) -> bytes:
    """A content stream of `megabytes` MB of spaces, Flate-compressed twice: a few KB on disk."""
    data = zlib.compress(_zeros_flate(megabytes), 9)
    stream = b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(data) + data + b"\nendstream"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream,
            _FONT,
        ]
    )


def reference_loops() -> bytes:
    """A page tree whose node lists itself as a kid, and a form XObject that draws itself."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >> >>",
            _stream(_text_ops(3) + b"/X Do\n"),
            _FONT,
            _stream(
                _text_ops(3) + b"/X Do\n",
                extra=b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                b"/Resources << /Font << /F1 5 0 R >> /XObject << /X 6 0 R >> >> ",
            ),
        ]
    )


def many_pages(count: int = 100_000, fanout: int = 10) -> bytes:
    """`count` pages (a power of `fanout`) from a balanced page tree whose nodes share their kids: a few KB."""
    levels = 0
    while fanout**levels < count:
        levels += 1
    assert fanout**levels == count, "count must be a power of fanout"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        kid = b"%d 0 R" % (3 + level)
        parent = b"/Parent %d 0 R " % (1 + level) if level else b""
        objects.append(
            b"<< /Type /Pages %s/Kids [%s] /Count %d >>"
            % (parent, b" ".join([kid] * fanout), fanout ** (levels - level))
        )
    leaf = 2 + levels
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (leaf - 1, leaf + 1, leaf + 2)
    )
    objects += [_stream(_text_ops(40)), _FONT]
    return _pdf(objects)


def damaged_page() -> bytes:
    """Three pages of text, the second of which is a number where its dictionary should be."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
    page += b"/Resources << /Font << /F1 3 0 R >> >> >>"
    text = b"BT /F1 11 Tf 40 800 Td (This is the text of page number %d about labour migration.) Tj ET"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R 5 0 R 6 0 R] /Count 3 >>",
            _FONT,
            page % 7,
            b"42",
            page % 9,
            _stream(text % 1),
            _stream(text % 2),
            _stream(text % 3),
        ]
    )


# The corpus: name -> builder with its default size.
CORPUS: dict[str, Callable[[], bytes]] = {
    "shared_stream": shared_stream,
    "deep_nesting": deep_nesting,
    "deep_page_tree": deep_page_tree,
    "decompression_bomb": decompression_bomb,
    "reference_loops": reference_loops,
    "many_pages": many_pages,
}
