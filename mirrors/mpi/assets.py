"""Theme files the pages reference (stylesheet, script, logo, images), small stand-ins for the real ones."""

from __future__ import annotations

import base64
import struct
import zlib

CSS_PATH = "/themes/custom/mpi/css/mpi.css"
JS_PATH = "/sites/default/files/js/js_Kq8e2pWbXv3.js"
LOGO_PATH = "/themes/custom/mpi/logo.png"
FAVICON_PATH = "/themes/custom/mpi/favicon.png"
OG_IMAGE_PATH = "/themes/custom/mpi/images/mpi-og-default.png"

CSS = b"""/* mpi theme (mirror stand-in) */
.visually-hidden{position:absolute!important;clip:rect(1px,1px,1px,1px);overflow:hidden;height:1px;width:1px}
.skip-link:focus{clip:auto;height:auto;width:auto}
body{font-family:Georgia,serif;color:#222;margin:0}
.layout-container{max-width:1200px;margin:0 auto}
.layout-content{float:left;width:70%}
.layout-sidebar-second{float:right;width:28%}
.site-footer{clear:both;background:#0b3d5c;color:#fff}
.pager__items{list-style:none;display:flex;gap:.5em}
.pager__item.is-active a{font-weight:bold}
.eu-cookie-compliance-banner{position:fixed;bottom:0;width:100%;background:#0779bf;color:#fff}
.image-credit{font-size:.75em;color:#666}
"""

JS = b"/* aggregated footer scripts (mirror stand-in) */\n(function(){'use strict';})();\n"


def _png(rgb: tuple[int, int, int]) -> bytes:
    """A valid 1x1 PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes((0, *rgb)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = _png((11, 61, 92))

# A 1x1 JPEG (photos in Drupal image styles are JPEGs).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19i"
    "Z2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2P/wAARCAABAAEDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF"
    "BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW"
    "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi"
    "4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC"
    "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm"
    "Z2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq"
    "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDmKKKK6ziP/9k="
)
