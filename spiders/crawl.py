"""Run one source's crawl in its own process (Scrapy's reactor cannot restart) and report what it did."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migdigest.config import Settings, Source
from spiders.rundir import CRAWL_LOG, CRAWL_SPEC, KNOWN, PAGES, STATS, RunInfo, write_run_info

# Crawl processes this process started and has not seen end, so a stopping flow can stop them first.
_live: set[subprocess.Popen[bytes]] = set()
# Crawl processes started ahead (prestart_crawls), importing Scrapy or waiting for the arguments of one crawl.
_spares: list[subprocess.Popen[bytes]] = []
AWAIT_ARGS = "--await-args"  # the command line of a crawl started ahead: its real arguments come on stdin
_live_guard = threading.Lock()
_stopping = threading.Event()  # set by stop_crawls(): a flow being stopped starts no new crawl
# A directory: the crawl process runs under cProfile and leaves its stats there (benches only).
PROFILE_ENV = "MIGDIGEST_CRAWL_PROFILE"
PEAK_RSS_STAT = "migdigest/peak_rss_kb"  # in stats.json: the crawl process's own peak memory (see _peak_rss_kb)
_POLL_S = 0.5  # how often a waiting flow looks at the crawl: its time limit, its progress
# Scrapy extensions a crawl never uses (remote control, telnet, feed export, memory debugger): not even imported.
_UNUSED_EXTENSIONS = frozenset(
    f"scrapy.extensions.{name}"
    for name in ("remote_control.RemoteControl", "telnet.TelnetConsole", "feedexport.FeedExporter",
                 "memdebug.MemoryDebugger")
)  # fmt: skip


@dataclass(frozen=True)
class CrawlOutcome:
    """Where a finished crawl left its files and what Scrapy counted."""

    source: str
    run_dir: Path
    returncode: int
    seconds: float
    stats: dict[str, Any]
    stderr_tail: str
    time_limit: float | None = None  # set when the crawl was stopped for running past it

    @property
    def ok(self) -> bool:
        """True when the crawl process ended normally."""
        return self.returncode == 0 and self.time_limit is None

    def describe(self) -> str:
        """Why a crawl that is not ok ended: time limit, signal or exit code, then the tail of its stderr."""
        if self.time_limit is not None:
            how = f"stopped at its time limit of {self.time_limit:g} s ({_exit(self.returncode)})"
        else:
            how = f"crawl process {_exit(self.returncode)}"
        tail = self.last_words()
        return f"{how}; stderr: {tail}" if tail else f"{how}; no output on stderr"

    def last_words(self, lines: int = 5) -> str:
        """The last lines the crawl process wrote to stderr, on one line."""
        kept = [line.strip() for line in self.stderr_tail.splitlines() if line.strip()][-lines:]
        return " | ".join(kept)[-600:]


def _exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


def is_local(base_url: str | None) -> bool:
    """A mirror on this machine: no politeness delay is owed to it."""
    return base_url is not None and base_url.startswith(("http://127.", "http://localhost"))


def crawl_settings(
    settings: Settings, source: Source, out_dir: Path, local: bool, origin: str | None = None
) -> dict[str, Any]:
    """Scrapy settings for one source: robots, politeness from config, retries, limits, our pipeline.

    `origin` serves the source in place of its base URL (a mirror); the downloader maps it (spiders/mirror.py).
    """
    from scrapy.settings.default_settings import EXTENSIONS_BASE  # Scrapy: only the crawl process needs it

    from spiders.mirror import override_settings

    polite = source.politeness
    # A loopback mirror has no one to be polite to; the real site gets the configured delay.
    delay = 0.0 if local else polite.delay
    concurrency = 8 if local else polite.concurrency
    return {
        "BOT_NAME": "migdigest",
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "spiders.robots.SharedRobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "spiders.retry.PoliteRetryMiddleware": 550,
        },
        # Loopback mirrors answer at once; real sites get real pauses between attempts.
        "MIGDIGEST_BACKOFF_BASE": 0.05 if local else 2.0,
        "MIGDIGEST_RETRY_AFTER_MAX": 120.0,
        "DOWNLOAD_DELAY": delay,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        # A loopback mirror answers as fast as the machine lets it: AutoThrottle would read a loaded machine's
        # latency as a struggling server and space requests out (2-3x bare Scrapy's time at load 10; issue 20).
        "AUTOTHROTTLE_ENABLED": not local,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
        "DOWNLOAD_TIMEOUT": polite.timeout,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "DOWNLOAD_MAXSIZE": 16 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 4 * 1024 * 1024,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19 starts a remote-control web server in every crawl by default (aiohttp: ~20% of the crawl
        # process's imports). Off, and extensions never used not even imported: a quiet night's crawl is mostly
        # its start-up (bench/README.md, issue 20). Left out of EXTENSIONS_BASE rather than set to None in
        # EXTENSIONS: Scrapy imports every class a components setting names, even to disable it, so the None
        # entries still imported aiohttp.
        "REMOTE_CONTROL_ENABLED": False,
        "EXTENSIONS_BASE": {k: v for k, v in EXTENSIONS_BASE.items() if k not in _UNUSED_EXTENSIONS},
        "LOG_LEVEL": "WARNING",
        "ITEM_PIPELINES": {"spiders.rundir.RunDirectoryPipeline": 100},
        # Scrapy starts this many asyncio tasks for every response's output (100 by default) so that items could
        # wait on an asynchronous pipeline; ours writes synchronously, so a few are as fast, for less work.
        "CONCURRENT_ITEMS": 4,
        # Scrapy checks every callback call for a generator returning a value: inspect.getsource and ast.parse of
        # the callback, ~0.5-1 ms per response, as its cache is keyed weakly by the bound method, made afresh for
        # each call (so it never hits). mypy and the tests check our callbacks; bare Scrapy's non-generator
        # callbacks skip the check (bench/README.md, issue 20).
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Before HttpErrorMiddleware (50): a challenge answered with 403 or 503 is judged as one.
        "SPIDER_MIDDLEWARES": {"spiders.challenge_middleware.ChallengeMiddleware": 40},
        # Pending requests wait on disk, not in memory: a 10,000-URL sitemap must not grow the crawl's peak.
        "JOBDIR": str(out_dir / "job"),
        "SCHEDULER_DISK_QUEUE": "spiders.queues.SpiderLifoDiskQueue",  # Scrapy's, without a costly search per request
        "MIGDIGEST_OUT_DIR": str(out_dir),
        "MIGDIGEST_SOURCE": source.name,
        **override_settings(source.base_url, origin),
    }


def write_spec(out_dir: Path, source: Source, settings: Settings) -> Path:
    """Hand the crawl process the objects the flow loaded, so it does not read the configuration again."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CRAWL_SPEC
    spec = {"source": source.model_dump(mode="json"), "settings": settings.model_dump(mode="json")}
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def _crawl_here(
    spec_path: Path, out_dir: Path, base_url: str | None, known_path: Path | None, max_pages: int | None = None
) -> None:
    """Run the crawl in this process; only ever called in a fresh subprocess."""
    from scrapy.crawler import CrawlerProcess

    from spiders.incremental import KnownPages
    from spiders.site_spider import SiteSpider

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    source, settings = Source.model_validate(spec["source"]), Settings.model_validate(spec["settings"])
    scrapy_settings = crawl_settings(settings, source, out_dir, is_local(base_url), base_url)
    if max_pages:
        scrapy_settings["CLOSESPIDER_PAGECOUNT"] = max_pages
    process = CrawlerProcess(settings=scrapy_settings)
    # Scrapy leaves its loggers at DEBUG and filters at the root handler, so each response's "Crawled" and each
    # item's "Scraped from" line became a log record to be dropped there; at the handler's level on Scrapy's own
    # loggers, none is made (bench/README.md, issue 20). The root keeps NOTSET: other loggers are as before.
    logging.getLogger("scrapy").setLevel(scrapy_settings["LOG_LEVEL"])
    crawler = process.create_crawler(SiteSpider)
    process.crawl(crawler, source=source, known=KnownPages.load(known_path))
    process.start()
    stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
    stats[PEAK_RSS_STAT] = _peak_rss_kb()
    (out_dir / STATS).write_text(json.dumps(stats, indent=1, default=str), encoding="utf-8")


def _peak_rss_kb() -> int | None:
    """This process's own peak resident memory in KiB (the kernel's VmHWM), or None where /proc has none.

    Not getrusage: its maximum also counts the parent's memory that fork copied before exec, so a crawl started
    from a large process (a flow, a bench serving a mirror) would report its parent's size (bench/README.md).
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _count_lines(path: Path, state: list[int]) -> int:
    """Lines in a file that grows, reading only what was added since the last call (state: offset, count)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(state[0])
            added = handle.read()
    except FileNotFoundError:
        return state[1]
    # Only whole lines count; a half-written last line is read again next time.
    whole = added.rfind(b"\n") + 1
    state[0] += whole
    state[1] += added.count(b"\n", 0, whole)
    return state[1]


def stop_process(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to the crawl's process group, SIGKILL to it `grace` seconds later if it still runs."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(proc.pid, sig)  # the crawl leads its own group (process_group=0)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def stop_crawls(grace: float = 5.0) -> int:
    """Stop every crawl process this process started that still runs (a flow being stopped); how many."""
    _stopping.set()
    with _live_guard:
        procs = [p for p in _live if p.poll() is None]
    threads = [threading.Thread(target=stop_process, args=(p, grace)) for p in procs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(procs)


def prestart_crawls(count: int) -> list[subprocess.Popen[bytes]]:
    """Start crawl processes ahead so that `count` wait, each to run one crawl; the ones started now.

    Each imports Scrapy and the spider (~0.4 s) and waits for its arguments, which run_crawl hands to it, so a
    night's crawls need not wait for their imports after the night knows what to crawl (bench/README.md, issue
    20). A crawl started ahead is the crawl's own process as much as one started by run_crawl: its own process
    group, dying with this process (EOF on its stdin), one crawl and then it ends. Unused, release_spares ends it.
    """
    started: list[subprocess.Popen[bytes]] = []
    with _live_guard:
        if _stopping.is_set():
            return started
        waiting = sum(proc.poll() is None for proc in _spares)
        for _ in range(count - waiting):
            # Its stderr is a file until it gets its run directory: what it writes meanwhile goes to its log then.
            with tempfile.TemporaryFile() as early:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "spiders.crawl", AWAIT_ARGS],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=early, process_group=0,
                )  # fmt: skip
            _spares.append(proc)
            _live.add(proc)
            started.append(proc)
    return started


def release_spares(procs: list[subprocess.Popen[bytes]]) -> None:
    """End those of these crawl processes started ahead that no crawl took (their stdin closed, they exit)."""
    with _live_guard:
        unused = [proc for proc in procs if proc in _spares]
        for proc in unused:
            _spares.remove(proc)
    for proc in unused:
        _close_stdin(proc)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # still importing past its grace: its group is ended
            stop_process(proc, 0)
        with _live_guard:
            _live.discard(proc)


def _close_stdin(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        with contextlib.suppress(OSError):  # it had ended: the pipe was broken
            proc.stdin.close()


def _hand_over(argv: list[str]) -> subprocess.Popen[bytes] | None:
    """A crawl process started ahead, now running the crawl of these arguments; None when none is waiting.

    Called with _live_guard held.
    """
    while _spares:
        proc = _spares.pop(0)
        if proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.write(json.dumps(argv).encode() + b"\n")
                proc.stdin.flush()
                return proc
            except OSError:  # it ended meanwhile (its pipe is broken): the next one, or a new process
                pass
        _close_stdin(proc)
        _live.discard(proc)
    return None


def allow_crawls() -> None:
    """Let crawls start again after stop_crawls() (a new night in the same process)."""
    _stopping.clear()


def run_crawl(
    source: Source,
    out_dir: Path,
    *,
    settings: Settings | None = None,
    base_url: str | None = None,
    known: dict[str, dict[str, str]] | None = None,
    max_pages: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> CrawlOutcome:
    """Crawl `source` into `out_dir` in a subprocess; `known` pages are fetched again only if changed.

    The crawl runs in a process group of its own and dies with this process (it watches its stdin); past
    `settings.crawl_time_limit` it gets SIGTERM, then SIGKILL. `on_progress` hears the pages kept so far.
    """
    settings = settings or Settings()
    write_run_info(out_dir, RunInfo(source=source.name, started=time.time()))
    spec = write_spec(out_dir, source, settings)
    argv = ["--spec", str(spec), "--out", str(out_dir), "--watch-stdin"]
    if known:
        known_path = out_dir / KNOWN
        known_path.write_text(json.dumps(known), encoding="utf-8")
        argv += ["--known", str(known_path)]
    if base_url:
        argv += ["--base-url", base_url]
    if max_pages:
        argv += ["--max-pages", str(max_pages)]
    started = time.perf_counter()
    deadline = time.monotonic() + settings.crawl_time_limit
    timed_out = False
    counted = [0, 0]
    # stderr goes to a file in the run directory: kept for the operator, and no pipe to fill up or drain.
    with _live_guard:
        if _stopping.is_set():
            raise RuntimeError(f"not crawling {source.name}: this process is being stopped")
        with open(out_dir / CRAWL_LOG, "wb") as log:
            # A crawl process started ahead (prestart_crawls) if one waits, else a new one.
            proc = _hand_over([*argv, "--stderr", str(out_dir / CRAWL_LOG)]) or subprocess.Popen(
                [sys.executable, "-m", "spiders.crawl", *argv],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log, process_group=0,
            )  # fmt: skip
        _live.add(proc)
    try:
        while True:
            try:
                proc.wait(timeout=max(0.0, min(_POLL_S, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                if on_progress is not None:
                    on_progress(_count_lines(out_dir / PAGES, counted))
                if time.monotonic() >= deadline:
                    timed_out = True
                    stop_process(proc, settings.stop_grace)
                    break
    finally:
        # Also when this wait is interrupted (a task timeout, a stopping flow): no crawl outlives its caller.
        if proc.poll() is None:
            stop_process(proc, settings.stop_grace)
        with _live_guard:
            _live.discard(proc)
        if proc.stdin is not None:
            proc.stdin.close()
    if on_progress is not None:
        on_progress(_count_lines(out_dir / PAGES, counted))
    stats_path = out_dir / STATS
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    return CrawlOutcome(
        source=source.name,
        run_dir=out_dir,
        returncode=proc.returncode,
        seconds=time.perf_counter() - started,
        stats=stats,
        stderr_tail=_tail(out_dir / CRAWL_LOG),
        time_limit=settings.crawl_time_limit if timed_out else None,
    )


def _tail(path: Path, size: int = 4000) -> str:
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode("utf-8", "replace")


def _die_with_parent() -> None:
    """End this crawl (its whole process group) when the flow that started it is gone, however it went."""
    # The flow never writes: EOF comes when its end of the pipe closes, i.e. when it died. The raw fd, not
    # sys.stdin: a daemon thread blocked in a buffered read aborts the interpreter's shutdown.
    while os.read(0, 4096):
        pass
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _warm() -> None:
    """Import what every crawl imports (Scrapy, the spider, the components the settings name), before knowing which."""
    from scrapy.crawler import CrawlerProcess  # noqa: F401
    from scrapy.settings.default_settings import DOWNLOADER_MIDDLEWARES_BASE, EXTENSIONS_BASE, SPIDER_MIDDLEWARES_BASE
    from scrapy.utils.misc import load_object

    import spiders.incremental
    import spiders.mirror
    import spiders.site_spider  # noqa: F401

    # Scrapy imports every class a components setting names when the crawler starts: the same ones, now.
    for path in (*DOWNLOADER_MIDDLEWARES_BASE, *SPIDER_MIDDLEWARES_BASE, *EXTENSIONS_BASE):
        if path not in _UNUSED_EXTENSIONS:
            load_object(path)


def _await_args() -> list[str] | None:
    """The arguments of this process's crawl: one JSON line on stdin (run_crawl); None at EOF (none came)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(0, 65536)
        if not chunk:
            return None
        data += chunk
    return [str(arg) for arg in json.loads(data)]


def _stderr_to(path: Path) -> None:
    """stderr to `path` from now on, with what this process wrote to its first stderr (a file) before."""
    sys.stderr.flush()
    early = b""
    try:
        os.lseek(2, 0, os.SEEK_SET)
        while chunk := os.read(2, 65536):
            early += chunk
    except OSError:  # not a file: nothing kept to copy
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    if early:
        os.write(2, early)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: `python -m spiders.crawl --spec FILE --out DIR [--base-url URL]` (see run_crawl).

    `python -m spiders.crawl --await-args` imports what a crawl needs, then reads these arguments on stdin.
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv == [AWAIT_ARGS]:  # started ahead (prestart_crawls)
        sys.modules.setdefault("fsspec", None)  # type: ignore[arg-type]  # as below, before the imports
        _warm()
        handed = _await_args()
        if handed is None:  # released unused, or the flow is gone
            return
        argv = handed
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", type=Path, required=True, help="JSON of the source and crawler settings")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-url")
    parser.add_argument("--known", type=Path, help="JSON of known pages: path -> validators and hints")
    parser.add_argument("--max-pages", type=int, help="stop after this many responses (a quick check)")
    parser.add_argument("--watch-stdin", action="store_true", help="die when stdin closes (the parent is gone)")
    parser.add_argument("--stderr", type=Path, help="append stderr to this file (a crawl started ahead)")
    args = parser.parse_args(argv)
    if args.stderr:
        _stderr_to(args.stderr)
    if args.watch_stdin:
        threading.Thread(target=_die_with_parent, name="parent-watch", daemon=True).start()
    # warcio imports fsspec when it can, for opening files by URL, which the crawl never does (it hands warcio its
    # own file): fsspec's import reads every installed package's entry points, 0.1-0.4 s of each crawl's start.
    # None in sys.modules makes that optional import fail, as when fsspec is not installed (bench/README.md).
    sys.modules.setdefault("fsspec", None)  # type: ignore[arg-type]
    profile = os.environ.get(PROFILE_ENV)
    if not profile:
        _crawl_here(args.spec, args.out, args.base_url, args.known, args.max_pages)
        return
    import cProfile  # a bench's profile of the crawl process (bench/README.md); one file per run directory

    with cProfile.Profile() as profiler:
        _crawl_here(args.spec, args.out, args.base_url, args.known, args.max_pages)
    profiler.dump_stats(Path(profile) / f"crawl-{args.out.parent.name}-{args.out.name}.prof")


if __name__ == "__main__":
    main()
