"""`migdigest add-source`: a site never configured (the Meridian mirror) probed, proposed, dry-run, written, crawled."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from extract.stage import extract_run
from extract.taxonomy import load_taxonomy
from migdigest.config import load_config
from mirrors import SITES
from mirrors.meridian.content import load
from mirrors.server import MirrorServer
from spiders.crawl import run_crawl
from spiders.probe import Fetched, feed_links, group_shapes, read_listing, shape_of
from storage import Digest

REPO = Path(__file__).resolve().parents[1]
REAL = "https://www.meridianmigration.org"
# Pages of the publications' URL shape that are listings: they must be found, judged, and never stored.
TYPE_LISTINGS = ["/research/reports/", "/research/policy-briefs/", "/research/working-papers/"]


def migdigest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.app", *args], capture_output=True, text=True, cwd=REPO, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def squashed(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def meridian() -> Iterator[str]:
    with MirrorServer("meridian") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def added(meridian: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The command run once with --yes against the mirror, into an empty config folder."""
    config_dir = tmp_path_factory.mktemp("config")
    # Enough responses for the whole site (PDFs count too), so the dry run meets every type listing.
    out = migdigest("add-source", f"{REAL}/", "--name", "meridian", "--base-url", meridian, "--yes",
                    "--max-pages", "80", "--config-dir", str(config_dir))  # fmt: skip
    return config_dir, out


def test_the_mirror_is_configured_by_no_source() -> None:
    assert "meridian" in SITES
    assert all(s.mirror != "meridian" and "meridian" not in s.base_url for s in load_config().sources.values())


@pytest.mark.slow  # crawls the site
def test_add_source_finds_every_channel_and_proposes_the_publication_shapes(
    added: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, out = added
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    lines = {
        line.split()[0] + " " + line.split()[1]: line.split() for line in text.splitlines() if len(line.split()) > 2
    }
    assert f"sitemaps named: {REAL}/sitemap.xml" in text
    assert "disallowed: /search/, /admin/" in text
    assert lines["sitemap (index)"][-1] == "3"
    assert f"{REAL}/sitemaps/research.xml.gz" in text
    assert "sitemap (urlset, gz)" in text
    assert lines["feed (rss,"][-2:] == [f"{REAL}/feed.xml", "10"]
    assert "feed (rss, link)" in text  # announced by the pages' <link rel="alternate">
    research = [p for p in SITES["meridian"].publications() if p.path.startswith("/research/")]
    assert lines["listing (3"][-2:] == [f"{REAL}/research/", str(len(research))]
    # The URL shapes: include? shape sitemap feed listing examples...
    assert lines["yes /research/*/"][2:5] == ["18", "7", "15"]  # 15 publications and 3 type listings in sitemaps
    pubs = SITES["meridian"].publications()
    on_home = [p for p in pubs[: load().data["settings"]["per_page"]] if p.path.startswith("/commentary/")]
    assert on_home  # the home page's teasers count as links too
    assert lines["yes /commentary/*/"][2:5] == ["7", "3", str(len(on_home))]
    assert " ".join(lines["yes /commentary/*/"][5:8]) == "linked by feed"
    for shape in ("/people/*/", "/topics/*/", "/*/", "/"):
        assert lines[f"no {shape}"][0] == "no"
    # The dry run: publications stored, the type listings of the same shape judged listings and not stored.
    assert lines["publication yes"][2] == str(len(SITES["meridian"].publications()))
    index = lines["index no"]
    assert index[2:4] == ["3", "listing"]
    assert sorted(index[4:]) == sorted(TYPE_LISTINGS)
    assert "wrote " in text


@pytest.mark.slow  # crawls the site
def test_the_written_file_loads_with_comments_and_the_proposals(
    added: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    config_dir, _ = added
    path = config_dir / "sources.d" / "meridian.yaml"
    text = path.read_text()
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 15  # every key explained
    source = load_config(config_dir).source("meridian")
    assert source.base_url == REAL
    assert source.title == "Meridian Centre for Migration Research"
    assert source.discovery.sitemaps == ["/sitemap.xml"]
    assert source.discovery.feeds == ["/feed.xml"]
    (listing,) = source.discovery.listings
    assert (listing.url, listing.next) == ("/research/", 'a[rel~="next"]')
    assert listing.link == "h3.card__title a"
    assert source.include == ["^/research/[^/]+/$", "^/commentary/[^/]+/$"]
    assert source.type_labels == {"report": "report", "policy brief": "policy brief", "working paper": "working paper"}
    out = migdigest("sources", "--config-dir", str(config_dir))
    assert out.returncode == 0, out.stderr
    assert "meridian" in out.stdout


@pytest.mark.slow  # crawls the site
def test_a_crawl_with_the_written_file_stores_the_publications_and_not_the_listings(
    added: tuple[Path, subprocess.CompletedProcess[str]], meridian: str, tmp_path: Path
) -> None:
    config_dir, _ = added
    source = load_config(config_dir).source("meridian")
    outcome = run_crawl(source, tmp_path / "run", base_url=meridian)
    assert outcome.ok, outcome.stderr_tail
    result = extract_run(tmp_path / "run", source, taxonomy=load_taxonomy())
    with Digest(tmp_path / "digest.db") as db:
        db.upsert_source(source.name, source.title, source.base_url)
        db.store(result.publications, seen_at="2026-12-06T00:00:00+00:00")
        stored = {urlsplit(d["url"]).path: d for d in db.documents("meridian")}
    truth = {p.path: p for p in SITES["meridian"].publications()}
    assert set(stored) == set(truth)
    assert not set(stored) & set(TYPE_LISTINGS)
    assert result.skipped["page_type_listing"] == len(TYPE_LISTINGS)
    for path, pub in truth.items():
        assert stored[path]["title"] == pub.title


@pytest.mark.slow  # crawls the site
def test_dry_run_writes_nothing(meridian: str, tmp_path: Path) -> None:
    out = migdigest("add-source", f"{REAL}/research/", "--base-url", meridian, "--dry-run", "--max-pages", "8",
                    "--config-dir", str(tmp_path))  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"would write {tmp_path / 'sources.d' / 'meridianmigration.yaml'}" in squashed(out.stdout)
    assert "include:" in out.stdout
    assert not (tmp_path / "sources.d").exists()


@pytest.mark.slow  # crawls the site
def test_without_yes_and_without_a_terminal_nothing_is_written(meridian: str, tmp_path: Path) -> None:
    out = migdigest("add-source", f"{REAL}/", "--base-url", meridian, "--max-pages", "6", "--config-dir", str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "not written: run again with --yes" in squashed(out.stdout)
    assert not (tmp_path / "sources.d").exists()


def test_a_name_clash_is_refused_before_probing(tmp_path: Path) -> None:
    (tmp_path / "sources.d").mkdir()
    existing = (
        "sources:\n  meridian:\n    title: M\n    base_url: https://m.example.org\n    discovery: {feeds: [/f]}\n"
    )
    (tmp_path / "sources.d" / "other.yaml").write_text(existing)
    before = (tmp_path / "sources.d" / "other.yaml").read_text()
    # The site is not even reachable: the clash is found first.
    out = migdigest("add-source", f"{REAL}/", "--name", "meridian", "--base-url", "http://127.0.0.1:9", "--yes",
                    "--config-dir", str(tmp_path))  # fmt: skip
    assert out.returncode == 2
    assert "a source named 'meridian' already exists" in squashed(out.stderr)
    assert "--name" in out.stderr
    assert (tmp_path / "sources.d" / "other.yaml").read_text() == before
    assert sorted(p.name for p in (tmp_path / "sources.d").iterdir()) == ["other.yaml"]


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "sources.d").mkdir()
    (tmp_path / "sources.d" / "meridian.yaml").write_text("# mine\n")
    out = migdigest("add-source", f"{REAL}/", "--name", "meridian", "--yes", "--config-dir", str(tmp_path))
    assert out.returncode == 2
    assert "already exists" in out.stderr
    assert (tmp_path / "sources.d" / "meridian.yaml").read_text() == "# mine\n"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_site_is_a_clear_error(tmp_path: Path) -> None:
    out = migdigest("add-source", f"{REAL}/", "--base-url", f"http://127.0.0.1:{_closed_port()}", "--yes",
                    "--config-dir", str(tmp_path))  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"cannot reach {REAL}" in squashed(out.stderr)
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "sources.d").exists()


class _Bare(BaseHTTPRequestHandler):
    """A site with one page, no robots.txt, sitemap, feed or listing."""

    def do_GET(self) -> None:
        host = self.headers.get("Host", "")
        if host.startswith("bare."):  # the site lives at www.: the bare host redirects there
            self.send_response(301)
            self.send_header("Location", f"https://www.{host}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        found = self.path == "/"
        body = b"<html><head><title>Bare</title></head><body><h1>Hello</h1><p>Nothing here.</p></body></html>"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def bare_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bare)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_site_with_nothing_to_discover_says_what_to_do(bare_site: str, tmp_path: Path) -> None:
    out = migdigest("add-source", "https://bare.example.org/", "--base-url", bare_site, "--yes",
                    "--config-dir", str(tmp_path))  # fmt: skip
    assert out.returncode == 2, out.stdout + out.stderr
    err = squashed(out.stderr)
    # Redirected to its www. host, the probe looked there (the override sends both hosts to the copy).
    assert "found no sitemap, feed or listing on https://www.bare.example.org" in err
    assert "Run again with the URL of the page that lists the publications" in err
    assert "docs/sources.md" in err
    assert not (tmp_path / "sources.d").exists()


# -- the parts, on markup nobody here wrote -------------------------------------------------------------

DRUPAL_VIEW = """<html><body><header><nav><ul><li><a href="/about">About us</a></li><li><a href="/research">Research</a>
</li><li><a href="/news">News</a></li><li><a href="/contact">Contact</a></li></ul></nav></header>
<main><div class="view-content">
{rows}
</div><nav class="pager"><ul><li class="pager__item"><a href="?page=0">1</a></li><li class="pager__item">
<a href="?page=1">2</a></li><li class="pager__item pager__item--next"><a href="?page=1" title="Go to next page">
Next ›</a></li></ul></nav></main><footer><ul><li><a href="/privacy">Privacy policy</a></li>
<li><a href="/terms">Terms of use</a></li><li><a href="/jobs">Jobs</a></li></ul></footer></body></html>"""
ROW = """<div class="views-row"><article class="node node--teaser"><div class="field--label">Policy Brief</div>
<h2 class="node__title"><a href="/research/{slug}">A title about {slug} and its policy</a></h2>
<div class="field--date">March 2024</div><p>Summary of {slug} in a few words.</p></article></div>"""


def test_read_listing_on_a_drupal_view() -> None:
    slugs = ["alpha-one", "beta-two", "gamma-three", "delta-four"]
    html = DRUPAL_VIEW.format(rows="\n".join(ROW.format(slug=s) for s in slugs))
    guess = read_listing(html, "https://think.example.org/research")
    assert guess is not None
    assert guess.item == "div.views-row"
    assert guess.link == "h2.node__title a"
    assert guess.type_label == "div.field--label"  # the class that says so, not the CMS's generic ones
    assert guess.next == "li.pager__item.pager__item--next a"
    assert guess.links == [f"https://think.example.org/research/{s}" for s in slugs]


def test_read_listing_on_bare_markup_anchors_on_a_named_ancestor() -> None:
    teasers = "".join(f'<li><h2><a href="/{y}/05/post-number-{y}">Post number {y} has a title</a></h2><p>Text.</p></li>'
                      for y in range(2019, 2024))  # fmt: skip
    menu = '<ul><li><a href="/x">Some other link here</a></li></ul>'
    html = (f'<html><body>{menu}<div id="main"><ul>{teasers}</ul><a href="/page/2/">Older posts</a></div>{menu}'
            "</body></html>")  # fmt: skip
    guess = read_listing(html, "https://blog.example.org/")
    assert guess is not None
    assert guess.item == "#main ul > li"
    assert guess.link == "h2 a"
    assert guess.links == [f"https://blog.example.org/{y}/05/post-number-{y}" for y in range(2019, 2024)]
    assert guess.next is None  # "Older posts" with no rel, class or nav to select it by


def test_feeds_announced_by_a_page_but_not_its_comments_feed() -> None:
    head = (
        '<link rel="alternate" type="application/rss+xml" title="Think &raquo; Feed" href="/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Think &raquo; Comments Feed" href="/comments/feed/">'
        '<link rel="alternate" type="application/atom+xml" title="Commentary" href="https://think.example.org/c.atom">'
        '<link rel="stylesheet" href="/s.css">'
    )
    found = feed_links(f"<html><head>{head}</head><body></body></html>", "https://think.example.org/research/")
    assert found == ["https://think.example.org/feed/", "https://think.example.org/c.atom"]


def test_a_response_is_read_in_its_charset() -> None:
    page = Fetched("https://x.example.org/", 200, "text/html; charset=ISO-8859-1", "Économie".encode("latin-1"))
    assert page.text() == "Économie"
    assert Fetched("https://x.example.org/", 200, "text/html; charset=nonsense", b"ok").text() == "ok"


def test_menus_and_footers_are_not_listings() -> None:
    html = DRUPAL_VIEW.format(rows="<p>No results.</p>")
    assert read_listing(html, "https://think.example.org/research") is None


def test_url_shapes() -> None:
    assert shape_of("/research/some-report/") == ("^/research/[^/]+/$", "/research/*/")
    assert shape_of("/2024/05/a-post") == (r"^/\d+/[^/]+/[^/]+$", "/N/*/*")
    assert shape_of("/a-post-at-the-root/") == ("^/[^/]+/$", "/*/")
    assert shape_of("/en/publications/a-paper/") == ("^/en/publications/[^/]+/$", "/en/publications/*/")
    assert shape_of("/fr/un-article/") == ("^/fr/[^/]+/$", "/fr/*/")
    shapes = group_shapes(
        {"sitemap": {f"{REAL}/research/r{i}/" for i in range(5)} | {f"{REAL}/people/p{i}/" for i in range(5)},
         "feed": {f"{REAL}/research/r1/"}, "listing": set()},
        REAL,
    )  # fmt: skip
    assert [(s.label, s.proposed, s.total) for s in shapes] == [("/research/*/", True, 5), ("/people/*/", False, 5)]
    # Only in sitemaps, but five titles for slugs: publications; names and topics are not.
    titled = {f"{REAL}/news/a-title-in-words-{i}" for i in range(5)} | {f"{REAL}/topics/climate-{i}" for i in range(6)}
    shapes = group_shapes({"sitemap": titled, "feed": set(), "listing": set()}, REAL)
    assert [(s.label, s.proposed, s.reason) for s in shapes] == [
        ("/news/*", True, "5 titled slugs"),
        ("/topics/*", False, "not in feeds or listings"),
    ]


def _on_a_terminal(args: list[str], answer: bytes) -> tuple[int, str]:
    """Run the command with a pseudo-terminal for stdin and stdout (as a person would), typing `answer`."""
    import os
    import pty
    import select

    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "160"}
    proc = subprocess.Popen([sys.executable, "-m", "cli.app", *args], stdin=child, stdout=child, stderr=child,
                            cwd=REPO, env=env)  # fmt: skip
    os.close(child)
    out, typed = b"", False
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 120)
            if not ready:
                break
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if not typed and b"write " in out and out.rstrip().endswith(b"]:"):
                os.write(main, answer)
                typed = True
    finally:
        os.close(main)
        code = proc.wait(timeout=60)
    return code, re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.decode("utf-8", "replace"))  # colours and cursor moves


@pytest.mark.slow  # crawls the site
@pytest.mark.parametrize(("answer", "written"), [(b"n\n", False), (b"y\n", True)])
def test_on_a_terminal_it_writes_only_after_confirmation(
    meridian: str, tmp_path: Path, answer: bytes, written: bool
) -> None:
    code, out = _on_a_terminal(["add-source", f"{REAL}/research/", "--name", "meridian", "--base-url", meridian,
                                "--max-pages", "8", "--config-dir", str(tmp_path)], answer)  # fmt: skip
    assert code == 0, out
    assert "┃ include?" in out  # Rich tables on a terminal
    target = tmp_path / "sources.d" / "meridian.yaml"
    assert target.exists() == written
    if written:
        assert load_config(tmp_path).source("meridian").include == ["^/research/[^/]+/$", "^/commentary/[^/]+/$"]
    else:
        assert "not written" in out
