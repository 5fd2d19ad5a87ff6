"""Theme files the pages reference (stylesheet, script, logo, images), small stand-ins for the real ones."""

from __future__ import annotations

from mirrors.kit.assets import JPEG, png

__all__ = ["JPEG", "PNG"]

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


PNG = png((11, 61, 92))
