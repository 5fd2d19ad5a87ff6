"""Golden files: a saved page in, the expected JSON out. Shared by the golden test and the page saver."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from extract.page import extract_page
from migdigest.config import load_config

FIXTURES = Path(__file__).parent / "fixtures"
FIELDS = ("title", "authors", "published", "doc_type", "summary", "language", "page_type", "pdf_url")


def sentences(body: str) -> tuple[str, str]:
    """The first and last sentence of a body text."""
    parts = [s.strip() for s in re.split(r"(?<=[.!?…])\s+(?=[\"“‘(A-Z0-9])|\n+", body) if s.strip()]
    return (parts[0], parts[-1]) if parts else ("", "")


def golden_view(html: bytes, url: str, source: str) -> dict[str, Any]:
    """The fields a golden file pins for one page."""
    result = extract_page(html, url, source=load_config().source(source))
    view = {key: getattr(result, key) for key in FIELDS}
    view["first_sentence"], view["last_sentence"] = sentences(result.body)
    return view


def cases() -> list[Path]:
    """Every saved page that has (or should get) an expected JSON file."""
    return sorted(p for p in FIXTURES.glob("*/*.html") if p.with_suffix(".meta.json").exists())


def load_case(page: Path) -> tuple[dict[str, Any], Path]:
    """The page's meta (url, source) and the path of its expected JSON."""
    meta = json.loads(page.with_suffix(".meta.json").read_text(encoding="utf-8"))
    return meta, page.with_suffix(".expected.json")
