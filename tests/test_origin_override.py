"""A mirror stays in the downloader: a crawl through it leaves only the real site's URLs in the run directory,
and the run directory's reader reads back what its writer wrote, old records included."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from migdigest.config import load_config
from migdigest.paths import CONFIG_DIR
from mirrors.server import MirrorServer
from spiders.crawl import CrawlOutcome, run_crawl
from spiders.items import CrawlFailure, Discovered, RawPage, Seen
from spiders.mirror import OriginOverride, override_settings
from spiders.rundir import (
    DiscoveredRecord,
    FailureRecord,
    FetchedPage,
    RunInfo,
    RunWriter,
    SeenRecord,
    fetch_state,
    read_body,
    read_discovered,
    read_failures,
    read_pages,
    read_run_info,
    read_seen,
    write_run_info,
)

REAL = "https://www.migrationpolicy.org"
MANIFESTS = ("pages.jsonl", "seen.jsonl", "failures.jsonl", "discovered.jsonl")


def _urls(record: dict[str, Any]) -> list[str]:
    """The URLs a manifest line names: its own, a move's, and those in its hints (listing, PDF's page, old URL)."""
    hints = record.get("hints", {})
    return [u for u in (record["url"], record.get("new_url"), *hints.values()) if u and "://" in u]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, CrawlOutcome, dict[str, str], Any]]:
    """One MPI crawl through its mirror with a 500, a 404, a timeout, a permanent redirect and a robots.txt ban."""
    from mirrors import SITES

    config = yaml.safe_load((CONFIG_DIR / "sources.d" / "mpi.yaml").read_text())
    config["sources"]["mpi"]["politeness"] = {"delay": 0, "concurrency": 4, "timeout": 2}
    config_dir = tmp_path_factory.mktemp("override-config")
    (config_dir / "sources.yaml").write_text(yaml.safe_dump(config))
    pubs = [p.path for p in SITES["mpi"].publications() if not p.pdf_path]
    paths = dict(zip(("error", "gone", "slow", "moved", "target", "banned"), pubs, strict=False))
    run_dir = tmp_path_factory.mktemp("override") / "run"
    with MirrorServer("mpi") as server:
        server.faults.add(paths["error"], "status", status=500)
        server.faults.add(paths["gone"], "status", status=404)
        server.faults.add(paths["slow"], "slow", delay=6.0)
        server.faults.add(paths["moved"], "redirect_loop", to=paths["target"], status=301, times=1)
        server.faults.add(paths["banned"], "status", status=500)  # never answered: robots.txt forbids it
        server.faults.add("/robots.txt", "robots_disallow", disallow=[paths["banned"]])
        outcome = run_crawl(load_config(config_dir).source("mpi"), run_dir, base_url=server.base_url)
        assert outcome.ok, outcome.stderr_tail
        yield run_dir, outcome, paths, server


def test_every_url_in_the_run_directory_is_the_real_sites(crawled: Any) -> None:
    run_dir, _, _, server = crawled
    mirror = urlsplit(server.base_url).netloc
    lines = 0
    for name in MANIFESTS:
        text = (run_dir / name).read_text(encoding="utf-8")
        assert mirror not in text, f"{name} names the mirror"
        for line in text.splitlines():
            lines += 1
            for url in _urls(json.loads(line)):
                assert url.startswith(REAL + "/"), (name, url)
    assert lines > 47
    with (run_dir / "pages.warc.gz").open("rb") as handle:
        records = list(ArchiveIterator(handle))
    targets = [r.rec_headers.get_header("WARC-Target-URI") for r in records]
    assert targets, targets
    assert all(t.startswith(REAL + "/") for t in targets), targets
    # The mirror built its pages for the Host the crawl sent: not one body names where it really runs.
    assert mirror.encode() not in gzip.decompress((run_dir / "pages.warc.gz").read_bytes())


def test_failures_and_gone_pages_carry_real_urls(crawled: Any) -> None:
    run_dir, _, paths, _ = crawled
    failures = {f.url: f for f in read_failures(run_dir)}
    assert failures[REAL + paths["error"]].kind == "http_500"
    slow = failures[REAL + paths["slow"]]
    assert slow.kind == "timeout", slow
    assert REAL + paths["slow"] in slow.message, slow
    seen = {s.url: s for s in read_seen(run_dir)}
    assert seen[REAL + paths["gone"]].state == "gone"


def test_robots_txt_of_the_real_host_is_honoured_once(crawled: Any) -> None:
    run_dir, outcome, paths, server = crawled
    failures = {f.url: f.kind for f in read_failures(run_dir)}
    assert failures[REAL + paths["banned"]] == "robots_disallowed"
    assert server.faults.hits(paths["banned"]) == 0
    assert outcome.stats["robotstxt/request_count"] == 1


def test_a_permanent_redirect_is_followed_on_the_real_site(crawled: Any) -> None:
    run_dir, _, paths, _ = crawled
    records = [json.loads(line) for line in (run_dir / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    moved = [(r["hints"]["moved_from"], r["url"]) for r in records if "moved_from" in r["hints"]]
    # The fault is a pair: whichever of the two paths is asked for first answers 301 with the other.
    pair = (REAL + paths["moved"], REAL + paths["target"])
    assert moved in ([pair], [pair[::-1]]), moved


def test_the_fetch_state_is_written_at_crawl_time(crawled: Any) -> None:
    run_dir, _, _, _ = crawled
    records = [json.loads(line) for line in (run_dir / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records
    assert all(r["fetch_state"].get("etag") and r["fetch_state"].get("last_modified") for r in records)
    html = [r for r in records if "pdf_of" not in r["hints"]]
    assert any("lastmod" in r["fetch_state"] or "listing_date" in r["fetch_state"] for r in html)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (REAL + "/research/x?page=2", ("http://127.0.0.1:8000/research/x?page=2", "www.migrationpolicy.org", "https")),
        ("https://migrationpolicy.org/news/y", ("http://127.0.0.1:8000/news/y", "migrationpolicy.org", "https")),
        ("http://www.migrationpolicy.org", ("http://127.0.0.1:8000/", "www.migrationpolicy.org", "http")),
        ("https://www.migrationpolicy.org.evil.example/x", None),
        ("https://example.org/research/x", None),
    ],
)
def test_only_the_real_sites_urls_go_to_the_origin(url: str, expected: tuple[str, str, str] | None) -> None:
    assert OriginOverride(REAL, "http://127.0.0.1:8000/").target(url) == expected


def test_no_override_leaves_scrapys_downloader_alone() -> None:
    assert override_settings(REAL, None) == {}
    assert override_settings(REAL, REAL + "/") == {}
    assert override_settings(REAL, "http://127.0.0.1:8000")["MIGDIGEST_ORIGIN_OVERRIDE"] == {
        REAL: "http://127.0.0.1:8000"
    }


# -- the run directory's writer and reader ------------------------------------------------------------------


def test_the_reader_reads_what_the_writer_wrote(tmp_path: Path) -> None:
    headers = {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024"}
    page = RawPage(REAL + "/research/a", 200, headers, b"<html>a</html>", {"lastmod": "2024-01-01"})
    writer = RunWriter(tmp_path, "mpi")
    writer.open()
    writer.write(Discovered(REAL + "/research/a", {"listing_date": "January 2024", "lastmod": "2023-12-31"}))
    writer.write(page)
    writer.write(Seen(REAL + "/news/b", "gone", status=404))
    writer.write(CrawlFailure(REAL + "/news/c", "http_500", "500 Internal Server Error", 500))
    # Discovery may name a page again after it was archived (the sitemap and a listing race): its sign counts too.
    writer.write(Discovered(REAL + "/research/a", {"feed_date": "Mon, 01 Jan 2024 09:00:00 +0000"}))
    writer.close()
    write_run_info(tmp_path, RunInfo(source="mpi", started=1700000000.0))

    (got,) = read_pages(tmp_path)
    assert (got.url, got.status, got.source, got.headers) == (page.url, 200, "mpi", headers)
    assert got.content_type == headers["Content-Type"]
    assert read_body(tmp_path, got) == page.body
    assert got.hints == {"listing_date": "January 2024", "lastmod": "2024-01-01",
                         "feed_date": "Mon, 01 Jan 2024 09:00:00 +0000"}  # fmt: skip
    assert got.fetch_state == {"etag": '"v1"', "last_modified": "Mon, 01 Jan 2024", **got.hints}
    (seen,) = read_seen(tmp_path)
    assert seen == SeenRecord(at=seen.at, url=REAL + "/news/b", state="gone", status=404)
    (failure,) = read_failures(tmp_path)
    assert failure == FailureRecord("mpi", failure.at, REAL + "/news/c", "http_500", "500 Internal Server Error", 500)
    assert read_discovered(tmp_path)[0] == DiscoveredRecord(
        REAL + "/research/a", {"listing_date": "January 2024", "lastmod": "2023-12-31"}
    )
    assert read_run_info(tmp_path) == RunInfo("mpi", 1700000000.0)


def test_an_old_run_directory_still_reads(tmp_path: Path) -> None:
    writer = RunWriter(tmp_path, "mpi")
    writer.open()
    writer.write(RawPage(REAL + "/research/a", 200, {"ETag": '"v1"'}, b"<html>a</html>"))
    writer.close()
    (written,) = read_pages(tmp_path)
    # A page line from before the fetch state was written, and the run.json of a crawl through a mirror.
    old = {"source": "mpi", "url": REAL + "/research/old", "status": 200, "fetched_at": "2026-01-01T00:00:00+00:00",
           "body_path": "pages.warc.gz", "offset": written.offset, "content_type": "text/html",
           "headers": {"etag": '"old"', "Last-Modified": "Sun, 31 Dec 2023"},
           "hints": {"listing_date": "Dec 2023"}}  # fmt: skip
    with (tmp_path / "pages.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(old) + "\n")
    with (tmp_path / "discovered.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"url": REAL + "/research/old", "hints": {"lastmod": "2023-12-30"}}) + "\n")
    (tmp_path / "run.json").write_text(json.dumps({"source": "mpi", "base_url": "http://127.0.0.1:5", "started": 5.0}))

    pages = {p.url: p for p in read_pages(tmp_path)}
    assert pages[REAL + "/research/old"].fetch_state == {
        "etag": '"old"',
        "last_modified": "Sun, 31 Dec 2023",
        "listing_date": "Dec 2023",
        "lastmod": "2023-12-30",
    }
    assert isinstance(pages[REAL + "/research/old"], FetchedPage)
    assert read_run_info(tmp_path) == RunInfo("mpi", 5.0)


def test_the_fetch_state_keeps_validators_and_change_signs_only() -> None:
    state = fetch_state({"etag": '"x"', "Content-Type": "text/html"}, {"lastmod": "2024", "type_label": "Report"})
    assert state == {"etag": '"x"', "lastmod": "2024"}


def test_every_variant_of_the_real_host_is_routed_to_the_origin_with_its_scheme() -> None:
    from spiders.mirror import _routes

    routes = _routes(OriginOverride(REAL, "http://127.0.0.1:8000/"))
    assert {(key, route.host, route.port, route.tls, route.forwarded_proto) for key, route in routes.items()} == {
        ((b"https", b"www.migrationpolicy.org", 443), "127.0.0.1", 8000, False, b"https"),
        ((b"http", b"www.migrationpolicy.org", 80), "127.0.0.1", 8000, False, b"http"),
        ((b"https", b"migrationpolicy.org", 443), "127.0.0.1", 8000, False, b"https"),
        ((b"http", b"migrationpolicy.org", 80), "127.0.0.1", 8000, False, b"http"),
    }
    tls = _routes(OriginOverride("http://think.example.net:8080", "https://staging.example.net"))
    assert {(k, r.host, r.port, r.tls) for k, r in tls.items()} == {
        ((b"http", b"think.example.net", 8080), "staging.example.net", 443, True),
        ((b"https", b"think.example.net", 8080), "staging.example.net", 443, True),
    }


@pytest.mark.parametrize("origin", ["http://127.0.0.1:8000/mirror/", "ftp://127.0.0.1/", "http:///x"])
def test_an_origin_the_downloader_cannot_map_is_refused_before_the_crawl(origin: str) -> None:
    # Requests are mapped by connection: the path a request asks for is the real site's, so an origin below a path
    # cannot be served that way, and is refused with a clear message instead of crawling the wrong pages.
    with pytest.raises(ValueError, match=r"an origin is http\(s\)://host"):
        override_settings(REAL, origin)


def test_no_tls_settings_are_made_for_connections_that_go_to_the_origin() -> None:
    from twisted.internet._sslverify import ClientTLSOptions
    from twisted.web.client import BrowserLikePolicyForHTTPS

    from spiders.mirror import _RoutedTLS

    policy = _RoutedTLS(BrowserLikePolicyForHTTPS(), {(b"www.migrationpolicy.org", 443)})  # type: ignore[no-untyped-call]
    # The real site's https connections are opened to the (plain http) origin: their TLS settings are never used.
    assert not isinstance(policy.creatorForNetloc(b"www.migrationpolicy.org", 443), ClientTLSOptions)
    assert not isinstance(policy.creatorForNetloc(b"WWW.migrationpolicy.org", 443), ClientTLSOptions)
    # Any other host (another site the crawl follows) gets real ones.
    assert isinstance(policy.creatorForNetloc(b"example.org", 443), ClientTLSOptions)
    assert isinstance(policy.creatorForNetloc(b"www.migrationpolicy.org", 8443), ClientTLSOptions)
