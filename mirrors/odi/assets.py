"""Static files the ODI pages reference (hashed by Django's manifest storage), small stand-ins for the real ones."""

from __future__ import annotations

from mirrors.kit.assets import JPEG, png

__all__ = ["JPEG", "PNG"]

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


PNG = png((214, 0, 28))
