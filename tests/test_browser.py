"""An analyst in a real headless Chromium: search a known phrase, see its snippet, apply a facet, read it."""

from __future__ import annotations

import os
import re
import urllib.parse
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

    # An old bookmark to the publications table opens the search page: search for a phrase from the report's
    # last paragraph.
    page.goto(f"{server}/digest/documents")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("#q")).to_be_focused()
    page.fill("#q", f'"{phrase}"')
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"[?&]q="))
    result = page.locator("ol.hits li.hit", has=page.locator(f"a.title:text-is('{report.title}')"))
    expect(result).to_have_count(1)
    mark = result.locator(".snippet mark").first
    expect(mark).to_be_visible()
    assert mark.inner_text().lower() in phrase.lower()

    # A facet: only reports.
    page.click("#facet-type a:has(.value:text-is('report'))")
    page.wait_for_url(re.compile(r"type=report"))
    expect(page.locator(".summary-line .total")).to_have_text("1 publication")

    # The publication itself: readable text, links to the original and its PDF.
    page.click(f"ol.hits a.title:text-is('{report.title}')")
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


SCREENSHOTS = Path(__file__).resolve().parents[1] / "out" / "browser"


def test_analyst_searches_filters_pages_reads_and_cites(server: str, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.set_default_timeout(15_000)

    # The home page opens on the search box: type a query.
    page.goto(server + "/")
    expect(page.locator("#q")).to_be_focused()
    page.fill("#q", "remittances")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"[?&]q=remittances"))
    first = page.locator("ol.hits li.hit").first
    expect(first.locator("a.title")).to_contain_text("Remittances")
    mark = first.locator(".snippet mark").first
    expect(mark).to_be_visible()
    assert mark.inner_text().lower().startswith("remittance")
    box = page.locator("ol.hits li.hit").nth(2).bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 768
    page.screenshot(path=str(SCREENSHOTS / "search-1366x768.png"))
    expect(page.locator("#facet-publisher h2")).to_have_text("Publisher")

    # A facet value: only reports; then a date range.
    page.click("#facet-type a:has(.value:text-is('report'))")
    page.wait_for_url(re.compile(r"type=report"))
    expect(page.locator("#facet-type li.selected .value")).to_have_text("report")
    expect(page.locator(".active-filters")).to_contain_text("Type: report")
    reports = int(page.locator(".summary-line .total").inner_text().split()[0])
    page.click("details.dates summary")
    page.fill("input[name=since]", "2020-01-01")
    page.fill("input[name=until]", "2026-12-31")
    page.click("button.apply-dates")
    page.wait_for_url(re.compile(r"since=2020-01-01"))
    assert "type=report" in page.url
    dated = [t.get_attribute("datetime") or "" for t in page.locator("ol.hits time").all()]
    assert dated
    assert all("2020-01-01" <= d <= "2026-12-31" for d in dated)
    assert len(dated) <= reports

    # Page forward through a common word, newest first.
    page.goto(server + "/?q=migration&sort=newest")
    total = int(page.locator(".summary-line .total").inner_text().split()[0])
    assert total > 20
    first_page = page.locator("ol.hits a.title").all_inner_texts()
    page.click("nav.pager a.next")
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator("ol.hits")).to_have_attribute("start", "21")
    assert not set(page.locator("ol.hits a.title").all_inner_texts()) & set(first_page)

    # Open a publication and copy its citation.
    report = known_report()
    page.goto(server + "/?" + urllib.parse.urlencode({"q": f'"{report.title}"'}))
    page.click(f"ol.hits a.title:text-is('{report.title}')")
    page.wait_for_url(re.compile(r"/digest/documents/\d+$"))
    expect(page.locator("article.publication h1")).to_have_text(report.title)
    page.click("button.copy[data-target=cite-bibtex]")
    expect(page.locator(".citation-bibtex .copied")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@techreport{")
    assert report.title.split()[0] in copied
    context.close()

    # 400 px wide: results first, nothing wider than the screen.
    narrow = browser.new_page(viewport={"width": 400, "height": 800})
    narrow.goto(server + "/?q=remittances")
    first = narrow.locator("ol.hits li.hit").first
    expect(first.locator(".snippet mark").first).to_be_visible()
    box = first.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 800
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 400
    narrow.screenshot(path=str(SCREENSHOTS / "search-400x800.png"))
    narrow.close()
    for name in ("search-1366x768.png", "search-400x800.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000
        print(f"screenshot: {SCREENSHOTS / name}")
