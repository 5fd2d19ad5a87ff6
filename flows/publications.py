"""From saved pages to normalised publications: the extract stage of a run, without Prefect or SQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.extract import Extracted, ExtractionError, extract_page
from flows.normalise import canonical_url, word_count
from flows.pdftext import read_pdf
from flows.runfiles import read_body, read_pages, read_seen
from migdigest.config import Source
from migdigest.models import FetchedPage, Publication
from spiders.incremental import CHANGE_SIGNS


@dataclass
class ExtractResult:
    """Publications of one run, and what was skipped or failed on the way."""

    publications: list[Publication] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    unchanged: list[str] = field(default_factory=list)  # canonical URLs confirmed without a download
    gone: list[str] = field(default_factory=list)  # canonical URLs that answered 404 or 410
    failures: list[dict[str, Any]] = field(default_factory=list)  # the crawl's failed URLs, as recorded


def rebase(url: str, crawl_base: str, real_base: str) -> str:
    """The real site's URL for a page fetched from a mirror."""
    if crawl_base != real_base and url.startswith(crawl_base):
        return real_base + url[len(crawl_base) :]
    return url


def to_publication(page: FetchedPage, ex: Extracted, source: Source, crawl_base: str) -> Publication:
    """Combine a fetched page and its extraction into the record the digest stores."""
    real = source.base_url
    # rel=canonical is trusted only on the page's own site: a foreign canonical is usually a syndication.
    crawl_host = crawl_base.split("://", 1)[-1]
    use_canonical = ex.canonical and crawl_host in ex.canonical
    key = canonical_url(ex.canonical if use_canonical and ex.canonical else page.url,
                        real_base=real, crawl_base=crawl_base)  # fmt: skip
    pdf_url = rebase(ex.pdf_url, crawl_base, real) if ex.pdf_url else None
    return Publication(
        source=source.name,
        url=rebase(page.url, crawl_base, real),
        canonical_url=key,
        title=ex.title,
        body=ex.body,
        authors=ex.authors,
        published=ex.published,
        modified=ex.modified,
        summary=ex.summary,
        language=ex.language,
        doc_type=ex.doc_type,
        pdf_url=pdf_url,
        word_count=word_count(ex.body),
        fetched_at=page.fetched_at,
        fetch_state=fetch_state(page),
        moved_from=(
            canonical_url(page.hints["moved_from"], real_base=real, crawl_base=crawl_base)
            if page.hints.get("moved_from")
            else None
        ),
    )


def fetch_state(page: FetchedPage) -> dict[str, str]:
    """What the next crawl needs to skip or revalidate this page: HTTP validators and discovery hints."""
    headers = {k.lower(): v for k, v in page.headers.items()}
    state = {"etag": headers.get("etag", ""), "last_modified": headers.get("last-modified", "")}
    state.update({k: v for k, v in page.hints.items() if k in CHANGE_SIGNS})
    return {k: v for k, v in state.items() if v}


def extract_run(run_dir: Path, source: Source, crawl_base: str) -> ExtractResult:
    """Extract every page a run fetched; pages that are not publications are counted, not stored."""
    result = ExtractResult()
    seen: set[str] = set()
    pages = read_pages(run_dir)
    pdfs = {page.hints["pdf_of"]: page for page in pages if page.hints.get("pdf_of")}
    for page in pages:
        if page.hints.get("pdf_of"):
            continue  # read below, with the publication that links it
        if not 200 <= page.status < 300:
            result.skipped[f"http_{page.status}"] += 1
            continue
        if "html" not in page.content_type.lower() and page.content_type:
            result.skipped["not_html"] += 1
            continue
        try:
            ex = extract_page(read_body(run_dir, page), page.url, source=source, hints=page.hints)
        except (ExtractionError, ValueError) as exc:
            result.errors["extraction_failed"] += 1
            result.skipped[type(exc).__name__] += 1
            continue
        if ex.page_type != "article":
            result.skipped[f"page_type_{ex.page_type}"] += 1
            continue
        if not ex.title or not ex.body:
            result.errors["empty_extraction"] += 1
            continue
        pub = to_publication(page, ex, source, crawl_base)
        if pdf := pdfs.get(page.url):
            text = read_pdf(read_body(run_dir, pdf))
            pub.pdf_text, pub.pdf_pages = text.text, text.pages or None
            if text.status != "ok":
                result.errors[f"pdf_{text.status}"] += 1
        if pub.canonical_url in seen:
            result.skipped["duplicate_url"] += 1
            continue
        seen.add(pub.canonical_url)
        result.publications.append(pub)
    confirmed: set[str] = set()
    for rec in read_seen(run_dir):
        key = canonical_url(rec["url"], real_base=source.base_url, crawl_base=crawl_base)
        if rec["state"] == "gone":
            result.gone.append(key)
        elif key not in seen and key not in confirmed:
            confirmed.add(key)
            result.unchanged.append(key)
    return result
