"""An analyst in a real headless Chromium: search a known phrase, see its snippet, apply a facet, read it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from outputs.datasette import running_datasette
from tests.test_datasette import build_demo_digest, known_report

CHROMIUM = Path("/usr/bin/chromium")
# Headless on a machine without a display or a sandbox, and never calling out to Google's services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_datasette(build_demo_digest(tmp_path_factory.mktemp("browser") / "digest.db")) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`sudo apt-get install chromium`, or `make test`, which"
            " installs it) to run the browser tests",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_search_snippet_facet_and_publication(server: str, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    report = known_report()
    phrase = " ".join(report.body.split("\n")[-1].split()[:6])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)

    # The publications page: search for a phrase from the report's last paragraph.
    page.goto(f"{server}/digest/documents")
    expect(page.locator("h1")).to_contain_text("Publications")
    page.fill("#_search", f'"{phrase}"')
    page.press("#_search", "Enter")
    page.wait_for_url(re.compile(r"_search="))
    result = page.locator("ol.publications li.publication a.title", has_text=report.title)
    expect(result).to_have_count(1)

    # The same search ranked, with the matching passage highlighted.
    page.click("a.ranked-search")
    page.wait_for_url(re.compile(r"/digest/search\?q="))
    row = page.locator("table.rows-and-columns tbody tr").first
    expect(row.locator("td.col-title")).to_have_text(report.title)
    mark = row.locator("td.col-snippet mark").first
    expect(mark).to_be_visible()
    assert mark.inner_text().lower() in phrase.lower()
    page.go_back()

    # A facet: only reports.
    page.click("#facet-doc_type a:text-is('report')")
    page.wait_for_url(re.compile(r"doc_type=report"))
    expect(page.locator("h3").first).to_contain_text("1 row")
    expect(page.locator("#facet-doc_type li").first).to_contain_text("report")

    # The publication itself: readable text, links to the original and its PDF.
    page.click(f"ol.publications a.title:text-is('{report.title}')")
    page.wait_for_url(re.compile(r"/digest/documents/\d+$"))
    expect(page.locator("article.publication h1")).to_have_text(report.title)
    expect(page.locator("a.original")).to_have_attribute("href", report.url)
    expect(page.locator("a.pdf")).to_have_attribute("href", str(report.pdf_url))
    expect(page.locator("article.publication .body p")).to_have_count(len(report.body.split("\n")))
    expect(page.locator("article.publication .body")).to_contain_text(phrase)
    screenshot = tmp_path / "publication.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot}")
    page.close()
