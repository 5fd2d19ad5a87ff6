"""The scaled MPI mirror (mirrors/scaled) at N=300: deterministic, complete, HTTP-correct, crawlable unchanged."""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

import mirrors.scaled as scaled
from migdigest.config import load_config
from mirrors import SITES, PublicationTruth
from mirrors.mpi.content import FILES
from mirrors.scaled.content import scaled_content
from mirrors.scaled.site import FEED_ITEMS
from mirrors.server import MirrorServer

REPO = Path(__file__).resolve().parents[1]
N = 300
PROGRAM = "/programs/international-program"
SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
PAGE_TYPES = ("/", PROGRAM, f"{PROGRAM}?page=7", "/topics/remittances?page=2", "/sitemap.xml", "/rss/taxonomy-term/10")


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers and body of one GET."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def text(url: str) -> str:
    status, _, body = fetch(url)
    assert status == 200, url
    return body.decode("utf-8")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    name = scaled.register(N)
    try:
        with MirrorServer(name) as server:
            yield server.base_url
    finally:
        SITES.pop(name, None)


@pytest.fixture(scope="module")
def truth() -> list[PublicationTruth]:
    return scaled.site(N).publications()


def test_register_names_the_site_for_the_server() -> None:
    name = scaled.register(N, seed=3)
    try:
        assert name == "mpi-x300-s3"
        assert SITES[name].name == name
        assert scaled.register(N, seed=3) == name
        assert SITES[name] is SITES[scaled.register(N, seed=3)]
    finally:
        SITES.pop(name, None)
    assert scaled.site_name(2000) == "mpi-x2000"
    assert scaled.site_name(2000, edition=2) == "mpi-x2000-night2"
    for bad in (0, -5, scaled.MAX_N + 1):
        with pytest.raises(ValueError, match="publications, not"):
            scaled.site(bad)
    with pytest.raises(ValueError, match="unknown scaled edition"):
        scaled.site(N, edition=3)


def test_same_n_and_seed_give_the_same_bytes(truth: list[PublicationTruth]) -> None:
    """Two sites built separately (and edition 2) render identical pages; another seed does not."""
    pdf = next(p.pdf_path for p in reversed(truth) if p.pdf_path)
    pages = [truth[0].path, truth[-1].path, pdf, *PAGE_TYPES]
    one, two, night2 = scaled.site(N), scaled.site(N), scaled.site(N, edition=2)
    for path in pages:
        body = one.get("http://h", path).body
        assert body == two.get("http://h", path).body == night2.get("http://h", path).body, path
        assert one.get("http://h", path).body == body, f"{path}: a second render differs"
    assert scaled.site(N, seed=1).publications() != truth


def test_pages_are_the_same_in_another_process() -> None:
    """No hash randomisation or other per-process state: a fresh interpreter renders the same bytes."""
    code = (
        f"import hashlib, mirrors.scaled as s; site = s.site({N})\n"
        f"for p in {PAGE_TYPES!r}: print(hashlib.sha256(site.get('http://h', p).body).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    site = scaled.site(N)
    assert out.stdout.split() == [hashlib.sha256(site.get("http://h", p).body).hexdigest() for p in PAGE_TYPES]


def test_publications_are_derived_and_varied(truth: list[PublicationTruth]) -> None:
    paths = [str(p.path) for p in truth]
    assert len(truth) == N
    assert len(set(paths)) == N
    assert all(re.fullmatch(r"/(research|news|article)/[a-z0-9-]+-\d+", p) for p in paths)
    assert len({p.title for p in truth}) == N, "titles are unique"
    assert len({p.first_sentence for p in truth}) > N // 4, "bodies are recombined, not copied"
    assert Counter(p.doc_type for p in truth).keys() == {"report", "policy brief", "commentary", "article"}
    assert [p.published for p in truth] == sorted((p.published for p in truth), reverse=True)
    assert all(p.pdf_path for p in truth if p.doc_type == "report")
    pdfs = [p.pdf_path for p in truth if p.pdf_path]
    assert len(pdfs) == len(set(pdfs)), "each publication has a PDF URL of its own"
    # Publication k never depends on N: a smaller site holds the same records, as a subset.
    small = {str(p.path): p for p in scaled.site(50).publications()}
    assert all(small[path] == p for p in truth if (path := str(p.path)) in small)
    assert len(small) == 50
    assert set(small) <= set(paths)


def test_listing_paginates_every_publication_once(base: str, truth: list[PublicationTruth]) -> None:
    rows: list[str] = []
    pages = 0
    url: str | None = base + PROGRAM
    while url:
        page = text(url)
        pages += 1
        view = page[page.index("view-display-id-page_1") :]
        rows += re.findall(r'<a href="([^"]+)" rel="bookmark">', view[: view.find('<nav class="pager"')])
        nxt = re.search(r'<li class="pager__item pager__item--next"><a href="([^"]+)"[^>]*rel="next"', page)
        url = urljoin(url, nxt.group(1)) if nxt else None
    assert pages == N // 10
    assert rows == [p.path for p in truth], "every publication once, newest first"
    # Drupal's pager: a page past the end shows the last page.
    assert text(f"{base}{PROGRAM}?page=999") == text(f"{base}{PROGRAM}?page={N // 10 - 1}")


def test_sitemap_lists_every_publication_with_lastmod(base: str, truth: list[PublicationTruth]) -> None:
    root = ET.fromstring(fetch(base + "/sitemap.xml")[2])
    entries = {
        (u.findtext("sm:loc", namespaces=SM) or "").removeprefix(base): u.findtext("sm:lastmod", namespaces=SM) or ""
        for u in root.findall("sm:url", SM)
    }
    modified = scaled.site(N).modified_dates()
    pubs = {path: lastmod for path, lastmod in entries.items() if path in modified}
    assert len(pubs) == N
    assert all(lastmod.startswith(modified[path]) for path, lastmod in pubs.items())
    assert PROGRAM in entries
    assert "/about" in entries


def test_feeds_list_the_latest_of_each_type(base: str, truth: list[PublicationTruth]) -> None:
    for feed_id, doc_type in ((10, "report"), (11, "policy brief"), (12, "commentary"), (13, "article")):
        feed = text(f"{base}/rss/taxonomy-term/{feed_id}")
        links = [link.removeprefix(base) for link in re.findall(r"<item>\s*<title>[^<]*</title>\s*<link>([^<]+)", feed)]
        assert links == [p.path for p in truth if p.doc_type == doc_type][:FEED_ITEMS]


def test_truth_matches_the_served_pages(base: str, truth: list[PublicationTruth]) -> None:
    for record in truth:
        page = html_lib.unescape(text(base + record.path))
        assert f'<span class="field field--name-title field--type-string field--label-hidden">{record.title}<' in page
        assert f"<title>{record.title} | migrationpolicy.org</title>" in page
        for name in record.authors:
            assert f">{name}</a>" in page
        assert str(record.type_label) in page
        assert str(record.summary) in page
        if record.pdf_path:
            assert f'<a href="{record.pdf_path}" type="application/pdf"' in page


def test_pdfs_reuse_the_real_files(base: str, truth: list[PublicationTruth]) -> None:
    for record in [p for p in truth if p.pdf_path][:20]:
        assert record.pdf_path is not None
        status, headers, body = fetch(base + record.pdf_path)
        assert status == 200
        assert headers["content-type"] == "application/pdf"
        # /sites/default/files/publications/<real stem>-<k>-final.pdf serves <real stem>-final.pdf
        real = re.sub(r"-\d+-final\.pdf$", "-final.pdf", record.pdf_path.rsplit("/", 1)[1])
        assert body == (FILES / "publications" / real).read_bytes()


def test_validators_are_stable_and_conditional_requests_work(base: str, truth: list[PublicationTruth]) -> None:
    pdf = next(p.pdf_path for p in truth if p.pdf_path)
    for path in (truth[5].path, f"{PROGRAM}?page=3", pdf):
        status, first, body = fetch(base + path)
        assert status == 200
        assert first["etag"]
        assert first["last-modified"]
        # Evict every cached page: rendering again must give the same bytes and validators.
        builder = SITES[scaled.site_name(N)]._builders[base]  # type: ignore[attr-defined]
        builder._cache.clear()
        _, again, body2 = fetch(base + path)
        assert (again["etag"], again["last-modified"], body2) == (first["etag"], first["last-modified"], body)
        assert fetch(base + path, {"If-None-Match": first["etag"]})[0] == 304
        assert fetch(base + path, {"If-Modified-Since": first["last-modified"]})[0] == 304
        assert fetch(base + path, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(base + "/research/no-such-publication-1")[0] == 404


def test_node_alias_serves_the_publication(base: str) -> None:
    newest = scaled_content(N).content.publications[0]
    record = scaled.site(N).publications()[0]
    assert record.path == newest.path
    page = text(f"{base}/node/{newest.nid}")
    assert f'<link rel="canonical" href="{base}{record.path}" />' in page


def test_real_crawler_fetches_exactly_the_publications(
    base: str, truth: list[PublicationTruth], tmp_path: Path
) -> None:
    from spiders.crawl import run_crawl

    outcome = run_crawl(load_config().source("mpi"), tmp_path / "run", base_url=base)
    assert outcome.ok, outcome.stderr_tail
    records = [json.loads(line) for line in (tmp_path / "run" / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    fetched = [urlsplit(r["url"]).path for r in records if "pdf_of" not in r["hints"]]
    assert len(fetched) == len(set(fetched)) == N
    assert set(fetched) == {p.path for p in truth}
    pdfs = {urlsplit(r["hints"]["pdf_of"]).path: urlsplit(r["url"]).path for r in records if "pdf_of" in r["hints"]}
    assert pdfs == {p.path: p.pdf_path for p in truth if p.pdf_path}


def test_command_line_serves_the_site() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "mirrors.scaled", "--n", "60", "--port", "0", "--quiet"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), url
            assert 'href="?page=5"' in text(url + PROGRAM)
            assert 'href="?page=6"' not in text(url + PROGRAM)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
