"""Recognise a bot challenge (Cloudflare and similar) so it is reported as 'blocked', never stored as content."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Markers of interstitial challenge pages; any one in the first bytes of a 403/429/503 (or a tiny 200) is enough.
# Looked for in the lowercased bytes: literals with `in` (a memchr-driven search), the title words only after a
# "<title>". One case-insensitive regex over the 20 KB cost ~200 us a response, paid on every small response (each
# report's PDF): as much as the crawl's gzip of the page (bench/README.md, issue 20).
_LITERALS = (
    b"challenge-platform", b"cf-chl-", b"cf_chl_", b"__cf_chl", b"enable javascript and cookies to continue",
    b"_incapsula_resource", b"px-captcha", b"captcha-delivery.com",
)  # fmt: skip
_TITLE = b"<title>"
_TITLE_WORDS = re.compile(rb"\s*(?:just a moment|attention required|access denied|verifying you are human|ddos-guard)")
_HEAD = 20_000  # bytes of a body looked at


def _has_marker(body: bytes) -> bool:
    """Whether the start of `body` holds a challenge marker, in any letter case (ASCII, as the markers are)."""
    head = body[:_HEAD].lower()
    if any(marker in head for marker in _LITERALS):
        return True
    at = head.find(_TITLE)
    while at >= 0:
        if _TITLE_WORDS.match(head, at + len(_TITLE)):
            return True
        at = head.find(_TITLE, at + 1)
    return False


def is_challenge(status: int, headers: dict[str, str], body: bytes) -> bool:
    """True when a response is a bot challenge page rather than the page asked for."""
    lowered = {k.lower(): v.lower() for k, v in headers.items()}
    if lowered.get("cf-mitigated") == "challenge":
        return True
    if status in (403, 429, 503) or len(body) < _HEAD:
        return _has_marker(body)
    return False


# When challenges dominate a source's responses it is blocked (README, "Bot challenges"): half or more
# of its responses once at least WINDOW came back (the crawl stops there), or of all of them at the end of a
# shorter crawl. Below that, a challenged page is one failed URL: recorded, never stored, and the crawl goes on.
WINDOW = 20
SHARE = 0.5
RESPONSES_STAT = "migdigest/responses"  # responses that reached the spider (robots.txt excluded)
CHALLENGES_STAT = "migdigest/challenges"


def dominated(challenges: int, responses: int, *, finished: bool = False) -> bool:
    """Whether `challenges` of `responses` make the source blocked (`finished`: the crawl is over)."""
    if responses <= 0 or (responses < WINDOW and not finished):
        return False
    return challenges >= SHARE * responses


def source_blocked(stats: Mapping[str, Any], failures: Mapping[str, int]) -> bool:
    """A crawl's verdict from its Scrapy stats and failure counts by kind: stopped as blocked, or dominated."""
    if failures.get("blocked"):
        return True
    challenges = int(stats.get(CHALLENGES_STAT, 0)) or failures.get("challenge", 0)
    responses = int(stats.get(RESPONSES_STAT, 0)) or challenges  # a killed crawl leaves no stats: judge failures
    return dominated(challenges, responses, finished=True)
