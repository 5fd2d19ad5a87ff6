"""The publication's own PDF (spiders/pdf_link.py): each rule on a page written for it, then a dead PDF on a mirror."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import html as lxml_html

from spiders.pdf_link import pdf_link

URL = "https://think.example.net/research/a-report"
TEXT = "<p>Migration policy changed in several ways across the region, and this report says how.</p>"


def page(body: str, head: str = "") -> str:
    return (
        f"<html><head><title>A report</title>{head}</head><body>"
        '<header class="site-header"><nav><a href="/files/annual-plan.pdf">Annual plan (PDF)</a></nav></header>'
        f"{body}"
        '<footer><a href="/files/bylaws.pdf">Bylaws</a> <a href="/files/campus-map.pdf">Download the map</a></footer>'
        "</body></html>"
    )


def found(html_text: str, css: str | None = None) -> str | None:
    return pdf_link(lxml_html.fromstring(html_text), URL, css)


def test_furniture_pdfs_are_never_the_publications() -> None:
    aside = '<aside><a href="/files/other-report.pdf">Download our other report</a></aside>'
    related = '<div class="related-posts"><a href="/files/older.pdf">An older paper (PDF)</a></div>'
    assert found(page(f"<main><h1>A report</h1>{TEXT}</main>{aside}{related}")) is None


def test_a_pdf_linked_from_the_main_content_is_taken() -> None:
    body = (
        f'<main><article><h1>A report</h1>{TEXT}<p>Read <a href="/files/a-report.pdf">it here</a>.</p></article></main>'
    )
    assert found(page(body)) == "https://think.example.net/files/a-report.pdf"


def test_a_named_download_beats_a_pdf_cited_in_the_text() -> None:
    cited = '<p>As <a href="/files/older-brief.pdf">our brief</a> showed.</p>'
    button = '<div class="hero"><a class="btn" href="/download/a-report.pdf">Download the full report</a></div>'
    assert found(page(f"{button}<main>{TEXT}{cited}</main>")) == "https://think.example.net/download/a-report.pdf"


def test_a_label_in_aria_or_title_names_the_download() -> None:
    button = '<div class="tools"><a href="/sites/files/2024/a.pdf" aria-label="Download PDF"><svg></svg></a></div>'
    assert found(page(button + TEXT)) == "https://think.example.net/sites/files/2024/a.pdf"


def test_an_unnamed_pdf_outside_the_content_is_not_taken() -> None:
    assert found(page(f'<div class="wrap">{TEXT}<a href="/files/form.pdf">Form</a></div>')) is None


def test_citation_pdf_url_is_the_publications_pdf() -> None:
    head = '<meta name="citation_pdf_url" content="https://think.example.net/papers/wp-12.pdf">'
    assert found(page(f"<main>{TEXT}</main>", head)) == "https://think.example.net/papers/wp-12.pdf"


def test_another_sites_pdf_cited_in_the_text_is_a_reference() -> None:
    cited = '<p>See <a href="https://un.example.org/docs/resolution.pdf">the resolution</a>.</p>'
    assert found(page(f"<article>{TEXT}{cited}</article>")) is None


def test_none_when_there_is_none() -> None:
    assert found(page(f"<main><h1>A report</h1>{TEXT}</main>")) is None


def test_a_configured_selector_wins_even_when_it_matches_nothing() -> None:
    body = f'<main>{TEXT}<a href="/files/a-report.pdf">Download</a><a class="dl" href="/x/b.pdf">b</a></main>'
    assert found(page(body), "a.dl") == "https://think.example.net/x/b.pdf"
    assert found(page(body), "a.nothing-here") is None


def test_a_pdf_that_answers_404_is_recorded_once_and_is_no_error(tmp_path: Path) -> None:
    from extract.stage import Skip, extract_run
    from extract.taxonomy import load_taxonomy
    from migdigest.config import load_config
    from mirrors import SITES
    from mirrors.server import MirrorServer
    from spiders.crawl import run_crawl
    from spiders.rundir import read_failures

    source = load_config().source("mpi")
    with_pdf = [p for p in SITES["mpi"].publications() if p.pdf_path]
    dead, alive = with_pdf[0], with_pdf[1]
    # Only the two reports are crawled: the sitemap lists them, the include pattern keeps nothing else.
    source = source.model_copy(update={"include": [f"^{dead.path}$", f"^{alive.path}$"]})
    with MirrorServer("mpi") as server:
        server.faults.add(str(dead.pdf_path), "status", status=404)
        outcome = run_crawl(source, tmp_path / "run", base_url=server.base_url)
    assert outcome.ok, outcome.stderr_tail
    assert read_failures(tmp_path / "run") == []  # not a crawl error
    result = extract_run(tmp_path / "run", source, taxonomy=load_taxonomy(), workers=1)
    pdfs = {p.url: p.pdf_url for p in result.publications}
    assert pdfs == {
        source.base_url + dead.path: None,
        source.base_url + alive.path: f"{source.base_url}{alive.pdf_path}",
    }
    assert result.pdfs_gone == [source.base_url + str(dead.pdf_path)]
    assert result.skipped[Skip.PDF_GONE] == 1
    assert not result.errors
    # The run's record keeps it, with the reason, apart from the errors.
    from migdigest.models import RunStats
    from storage import Digest

    with Digest(tmp_path / "digest.db") as db:
        db.upsert_source("mpi", source.title, source.base_url, source.homepage)
        run_id = db.start_run("mpi", "2026-01-01T00:00:00+00:00")
        db.record_skips(run_id, "mpi", result.skips)
        db.finish_run(run_id, RunStats("mpi", "2026-01-01T00:00:00+00:00", skipped=dict(result.skipped)))
        assert {"url": f"{source.base_url}{dead.pdf_path}", "reason": "pdf_gone"} in db.skips(run_id)
        run = db.last_runs(1)[0]
        assert json.loads(run["skipped"])["pdf_gone"] == 1
        assert run["errors"] == {}


def test_a_malformed_link_is_passed_over_not_fatal() -> None:
    # urllib raises ValueError on a bracketed host that is no IP address; the page and its real PDF must survive it.
    bad = '<a href="http://[ccpa-preferences]/x.pdf">Download</a><a href="http://[consent]/">Settings</a>'
    body = f'<main>{TEXT}{bad}<a href="/files/a-report.pdf">Download the report</a></main>'
    assert found(page(body)) == "https://think.example.net/files/a-report.pdf"
    head = '<meta name="citation_pdf_url" content="http://[nope]/a.pdf">'
    assert found(page(f"<main>{TEXT}{bad}</main>", head)) is None


def test_only_links_that_may_be_a_pdf_are_candidates_whatever_their_case() -> None:
    upper = f'<main>{TEXT}<a href="/files/A-REPORT.PDF">Read it</a></main>'
    assert found(page(upper)) == "https://think.example.net/files/A-REPORT.PDF"
    typed = f'<main>{TEXT}<a href="/files/a-report" type="Application/PDF">Read it</a></main>'
    assert found(page(typed)) == "https://think.example.net/files/a-report"
    button = f'<main>{TEXT}<a href="/get?id=7" download>Download the full report</a></main>'
    assert found(page(button)) == "https://think.example.net/get?id=7"
    alternate = '<link rel="alternate" type="application/pdf" href="/files/alt">'
    assert found(page(f"<main>{TEXT}</main>", alternate)) == "https://think.example.net/files/alt"


def test_only_a_page_without_pdf_or_download_in_its_bytes_is_left_unparsed() -> None:
    from spiders.pdf_link import may_name_pdf

    assert not may_name_pdf(
        f"<html><body><main>{TEXT}<a href='/a.html'>More</a></main></body></html>".encode(), "utf-8"
    )
    assert may_name_pdf(b"<a href='/x.PDF'>x</a>", "utf-8")
    assert may_name_pdf(b"<a href='/x' DownLoad>x</a>", "cp1252")
    # In UTF-16 "pdf" is not those three bytes: such a page is always parsed.
    assert may_name_pdf("<p>nothing</p>".encode("utf-16"), "utf-16")


def test_a_configured_selector_skips_only_pages_that_lack_what_it_needs() -> None:
    from spiders.pdf_link import may_name_pdf

    css = ".field--name-field-full-report a[type='application/pdf']"
    with_pdf = page(f'<main>{TEXT}<div class="field--name-field-full-report"><a type="application/pdf" href="/r.pdf">'
                    "Full report</a></div></main>")  # fmt: skip
    assert found(with_pdf, css) == "https://think.example.net/r.pdf"
    assert may_name_pdf(with_pdf.encode(), "utf-8", css)
    # Without the container's class no match is possible, whatever else the page links to.
    assert not may_name_pdf(page(f"<main>{TEXT}</main>").encode(), "utf-8", css)
    # One alternative of a group is enough; what a match must NOT have (:not, !=) is never required.
    assert may_name_pdf(b'<a class="dl" href="/x">x</a>', "utf-8", ".nothing a, a.dl")
    assert may_name_pdf(b'<a href="/x">x</a>', "utf-8", "a:not(.nav)")
    assert may_name_pdf(b'<a type="text/plain" href="/x">x</a>', "utf-8", "a[type!='application/pdf']")
    # A value markup may escape (&) is not looked for in the bytes.
    assert may_name_pdf(b'<a title="a&amp;b" href="/x">x</a>', "utf-8", "a[title='a&b']")


def test_a_configured_selectors_literals_are_looked_for_in_any_case() -> None:
    from spiders.pdf_link import may_name_pdf

    css = ".Field--Full-Report a[type='application/pdf']"
    assert may_name_pdf(
        b'<div class="field--full-report"><a type="Application/PDF" href="/r">r</a></div>', "utf-8", css
    )
    assert may_name_pdf(
        b'<div class="FIELD--FULL-REPORT"><a type="application/pdf" href="/r">r</a></div>', "utf-8", css
    )
    assert not may_name_pdf(b'<div class="field--full"><a type="application/pdf" href="/r">r</a></div>', "utf-8", css)
