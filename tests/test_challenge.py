"""Bot challenge pages are recognised from their headers or markup, and real pages are not."""

from __future__ import annotations

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
