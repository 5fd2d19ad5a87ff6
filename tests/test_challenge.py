"""Bot challenge pages are recognised from their headers or markup, and real pages are not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spiders.challenge import is_challenge

CF_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<noscript>Enable JavaScript and cookies to continue</noscript>"
    b"<script src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1'></script></body></html>"
)


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (403, {"cf-mitigated": "challenge"}, b""),
        (403, {"Server": "cloudflare"}, CF_PAGE),
        (503, {}, CF_PAGE),
        (200, {}, CF_PAGE),
        (429, {}, b"<html><title>Attention Required! | Cloudflare</title></html>"),
    ],
)
def test_challenges_are_recognised(status: int, headers: dict[str, str], body: bytes) -> None:
    assert is_challenge(status, headers, body)


def test_real_pages_are_not_challenges() -> None:
    for page in sorted(Path(__file__).parent.glob("fixtures/*/*.html")):
        assert not is_challenge(200, {"Content-Type": "text/html"}, page.read_bytes()), page
    assert not is_challenge(404, {}, b"<html><title>Page not found</title></html>")


# The markers as one case-insensitive regex, as the check was written before it looked for literals (issue 20):
# the faster check must agree with it on every body.
_OLD_MARKERS = re.compile(
    rb"<title>\s*(just a moment|attention required|access denied|verifying you are human|ddos-guard)"
    rb"|challenge-platform|cf-chl-|cf_chl_|__cf_chl|enable javascript and cookies to continue"
    rb"|_incapsula_resource|px-captcha|captcha-delivery\.com",
    re.IGNORECASE,
)
_SNIPPETS = [
    b"<TITLE>  Just A Moment...</TITLE>", b"<title>\n\tATTENTION REQUIRED | x</title>", b"<title>Access denied</title>",
    b"<title>Verifying you are human</title>", b"<title>DDoS-Guard</title>", b"/cdn-cgi/Challenge-Platform/x",
    b"?__CF_CHL_tk=1", b"cf-chl-widget", b"window._cf_chl_opt", b"Enable JavaScript and Cookies to continue",
    b"_Incapsula_Resource", b"PX-CAPTCHA", b"geo.Captcha-Delivery.com", b"<title>Moment</title>",
    b"<title>a page</title><title>just a moment</title>", b"<title>just a", b"captcha-deliveryXcom", b"cf-chl",
]  # fmt: skip


@pytest.mark.parametrize("snippet", _SNIPPETS)
@pytest.mark.parametrize("padding", [0, 19_990, 25_000])
def test_markers_are_found_in_any_case_and_only_in_the_first_20_kb(snippet: bytes, padding: int) -> None:
    body = b"<html>" + b" " * padding + snippet + b"</html>"
    expected = _OLD_MARKERS.search(body[:20_000]) is not None
    assert is_challenge(503, {}, body) is expected
    assert is_challenge(200, {}, body) is (expected and len(body) < 20_000)
