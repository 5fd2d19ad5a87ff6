"""Cloudflare's managed challenge ("Just a moment..."), as odi.org answers crawlers: markup and headers."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from datetime import UTC, datetime

from mirrors.kit.site import Page

CHALLENGE_HTML = "text/html; charset=UTF-8"
COLO = "LHR"
_counter = itertools.count(1)
_lock = threading.Lock()

# Sent with every challenge, as Cloudflare does (besides Server: cloudflare, cf-ray and Content-Type).
CHALLENGE_HEADERS: tuple[tuple[str, str], ...] = (
    ("cf-mitigated", "challenge"),
    ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0"),
    ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "SAMEORIGIN"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Origin-Agent-Cluster", "?1"),
    (
        "Permissions-Policy",
        "accelerometer=(),autoplay=(),browsing-topics=(),camera=(),clipboard-read=(),clipboard-write=(),"
        "geolocation=(),gyroscope=(),hid=(),interest-cohort=(),magnetometer=(),microphone=(),payment=(),"
        "publickey-credentials-get=(),screen-wake-lock=(),serial=(),sync-xhr=(),usb=()",
    ),
    ("Vary", "Accept-Encoding"),
)

_STYLE = (
    "*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;-webkit-text-size-adjust:100%;color:#313131;"
    'font-family:system-ui,-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",'
    "sans-serif}body{display:flex;flex-direction:column;height:100vh;min-height:100vh}.main-content{margin:8rem auto;"
    "max-width:60rem;padding-left:1.5rem}@media (width <= 720px){.main-content{margin-top:4rem}}.h2{font-size:1.5rem;"
    "font-weight:500;line-height:2.25rem}@media (width <= 720px){.h2{font-size:1.25rem;line-height:1.5rem}}"
    "#challenge-error-text{background-image:url(data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv"
    "MjAwMC9zdmciIHdpZHRoPSIzMiIgaGVpZ2h0PSIzMiIgZmlsbD0ibm9uZSI+PHBhdGggZmlsbD0iI0IyMEYwMyIgZD0iTTE2IDNhMTMgMTMgMCA"
    "xIDAgMTMgMTNBMTMuMDE1IDEzLjAxNSAwIDAgMCAxNiAzbTAgMjRhMTEgMTEgMCAxIDEgMTEtMTEgMTEuMDEgMTEuMDEgMCAwIDEtMTEgMTEiLz48"
    "L3N2Zz4=);background-repeat:no-repeat;background-size:contain;padding-left:34px}body.theme-dark{background-color:"
    "#222;color:#d9d9d9}body.theme-dark a{color:#fff}.footer{font-size:.75rem;line-height:1.125rem;margin:0 auto;"
    "max-width:60rem;padding-left:1.5rem;width:100%}.footer-inner{border-top:1px solid #d9d9d9;padding-bottom:1rem;"
    'padding-top:1rem}.clearfix:after{clear:both;content:"";display:table}.ray-id{text-align:center}.ray-id code{'
    "font-family:monaco,courier,monospace}.text-center{text-align:center}.core-msg{font-size:1rem;line-height:1.5rem;"
    "margin:2rem 0}.zone-name-title{font-size:2.5rem;line-height:3.75rem;margin-bottom:1rem}"
)


def ray_id() -> str:
    """A fresh Cloudflare Ray ID (16 hex digits) for one response."""
    with _lock:
        n = next(_counter)
    return hashlib.sha256(f"odi-ray-{n}".encode()).hexdigest()[:16]


def _token(ray: str, kind: str) -> str:
    raw = hashlib.sha256(f"{kind}:{ray}".encode()).digest() * 2
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _js(value: str) -> str:
    """A JavaScript string literal, with slashes escaped as Cloudflare writes them."""
    return json.dumps(value).replace("/", "\\/")


def challenge_html(zone: str, url: str, target: str, ray: str) -> str:
    """The managed challenge page for a request to `target` (path and query; full URL `url`) on `zone`."""
    sep = "&" if "?" in target else "?"
    tk, ftk, rtk = (_token(ray, kind) for kind in ("tk", "f", "rt"))
    url_b64 = base64.b64encode(url.encode()).decode()
    opt = (
        f"cvId: '3',cZone: {_js(zone)},cType: 'managed',cRay: '{ray}',cH: '{_token(ray, 'h')[:43]}',"
        f"cUPMDTk: {_js(f'{target}{sep}__cf_chl_tk={tk}')},cFPWv: 'g',cITimeS: '1700000000',"
        f"cTTimeMs: '1000',cMTimeMs: '390000',cTplC: 0,cTplV: 5,cTplB: 'cf',"
        f"fa: {_js(f'{target}{sep}__cf_chl_f_tk={ftk}')},md: '{_token(ray, 'md')}',"
        f"cRq: {{ru: '{url_b64}',ra: 'bW96aWxsYS81LjA=',rm: 'R0VU',cT: Math.floor(Date.now() / 1000)}}"
    )
    script = (
        "(function(){window._cf_chl_opt={" + opt + "};var cpo = document.createElement('script');"
        f"cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}';"
        "window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;"
        "window._cf_chl_opt.cOgUQuery = location.search === '' && location.href.slice(0, location.href.length - "
        "window._cf_chl_opt.cOgUHash.length).indexOf('?') !== -1 ? '?' : location.search;"
        "if (window.history && window.history.replaceState) {var ogU = location.pathname + "
        "window._cf_chl_opt.cOgUQuery + window._cf_chl_opt.cOgUHash;history.replaceState(null, null, "
        f"{_js(f'{target}{sep}__cf_chl_rt_tk={rtk}')} + window._cf_chl_opt.cOgUHash);"
        "cpo.onload = function() {history.replaceState(null, null, ogU);}}"
        "document.getElementsByTagName('head')[0].appendChild(cpo);}());"
    )
    return (
        '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
        '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
        '<meta http-equiv="X-UA-Compatible" content="IE=Edge">'
        '<meta name="robots" content="noindex,nofollow">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{_STYLE}</style>"
        '<meta http-equiv="refresh" content="390"></head>'
        '<body class="no-js"><div class="main-wrapper" role="main"><div class="main-content">'
        f'<h1 class="zone-name-title h1">{zone}</h1>'
        '<h2 id="challenge-running" class="h2">Verifying you are human. This may take a few seconds.</h2>'
        '<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue'
        "</span></div></noscript>"
        f'<div id="cf-chl-widget-{ray[:5]}" class="cf-chl-widget" style="display:none">'
        f'<input type="hidden" name="cf-turnstile-response" id="cf-chl-widget-{ray[:5]}_response"></div>'
        f'<div id="challenge-body-text" class="core-msg spacer">{zone} needs to review the security of your '
        "connection before proceeding.</div></div></div>"
        f"<script>{script}</script>"
        '<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">'
        f'<div class="ray-id">Ray ID: <code>{ray}</code></div></div><div class="text-center" id="footer-text">'
        'Performance &amp; security by <a rel="noopener noreferrer" '
        'href="https://www.cloudflare.com?utm_source=challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a>'
        "</div></div></div></body></html>"
    )


def challenge_page(zone: str, base_url: str, target: str, status: int) -> Page:
    """A challenge response for one request: the page, its status and Cloudflare's headers, a fresh Ray ID."""
    ray = ray_id()
    body = challenge_html(zone, base_url + target, target, ray).encode("utf-8")
    headers = (*CHALLENGE_HEADERS, ("cf-ray", f"{ray}-{COLO}"))
    return Page(body, CHALLENGE_HTML, datetime.now(UTC), status=status, headers=headers)
