"""Recognise a bot challenge (Cloudflare and similar) so it is reported as 'blocked', never stored as content."""

from __future__ import annotations

import re

# Markers of interstitial challenge pages; any one in the first bytes of a 403/429/503 (or a tiny 200) is enough.
_BODY_MARKERS = re.compile(
    rb"<title>\s*(just a moment|attention required|access denied|verifying you are human|ddos-guard)"
    rb"|challenge-platform|cf-chl-|cf_chl_|__cf_chl|enable javascript and cookies to continue"
    rb"|_incapsula_resource|px-captcha|captcha-delivery\.com",
    re.IGNORECASE,
)


def is_challenge(status: int, headers: dict[str, str], body: bytes) -> bool:
    """True when a response is a bot challenge page rather than the page asked for."""
    lowered = {k.lower(): v.lower() for k, v in headers.items()}
    if lowered.get("cf-mitigated") == "challenge":
        return True
    if status in (403, 429, 503) or len(body) < 20_000:
        return bool(_BODY_MARKERS.search(body[:20_000]))
    return False
