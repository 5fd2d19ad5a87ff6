"""Static files the ODI pages reference (hashed by Django's manifest storage), small stand-ins for the real ones."""

from __future__ import annotations

import base64
import struct
import zlib

CSS_PATH = "/static/css/main.6a1f0c9e4b2d.css"
JS_PATH = "/static/js/main.3c9d1e7a5f60.js"
LOGO_PATH = "/static/images/odi-logo.0f4e2a1b.svg"
FAVICON_PATH = "/static/images/favicons/favicon-32x32.8d2c1f3a.png"
SOCIAL_IMAGE_PATH = "/static/images/odi-social-default.5b7e9d2c.jpg"
HERO_PATH = "/media/images/Human_Mobility_Initiative_hero.2e16d0ba.fill-1440x600.jpg"
PORTRAIT_STYLE = "/media/images/{slug}.2e16d0ba.fill-240x240.jpg"

CSS = b"""/* odi.org main stylesheet (mirror stand-in) */
.visually-hidden{position:absolute!important;clip:rect(0 0 0 0);height:1px;width:1px;overflow:hidden}
body{font-family:"Source Sans Pro",Arial,sans-serif;color:#1d1d1b;margin:0}
.contained-width{max-width:1280px;margin:0 auto;padding:0 24px}
.header__label{text-transform:uppercase;font-weight:700;color:#d6001c}
.card__type{font-size:.8rem;text-transform:uppercase}
.pagination__list{display:flex;gap:.5rem;list-style:none}
.pagination__item--current a{font-weight:700}
.site-footer{background:#1d1d1b;color:#fff}
"""

JS = b"/* odi.org main bundle (mirror stand-in) */\n(function(){'use strict';})();\n"

LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 72 40" role="img" aria-labelledby="odi-logo-title">'
    b'<title id="odi-logo-title">ODI</title><rect width="72" height="40" fill="#d6001c"/>'
    b'<text x="36" y="27" font-family="Arial" font-size="18" font-weight="700" fill="#fff" text-anchor="middle">ODI'
    b"</text></svg>\n"
)


def _png(rgb: tuple[int, int, int]) -> bytes:
    """A valid 1x1 PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes((0, *rgb)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = _png((214, 0, 28))

# A 1x1 JPEG (Wagtail renditions of photos are JPEGs).
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
