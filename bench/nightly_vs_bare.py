"""A full nightly run against bare Scrapy plus bare trafilatura on the same URLs, with the nightly's time per stage.

    .venv/bin/python -m bench.nightly_vs_bare [--n 2000] [--repeat 3]

Serves the scaled MPI mirror of N publications (mirrors/scaled) and starts Prefect's temporary server once before
timing, as `migdigest run` does (`flows.server.temporary_server`: flow runs there send no heartbeats). Each repeat,
side by side:

- the nightly: `flows.nightly.nightly(sources=["mpi"])` into a fresh digest (night 1, from scratch), wall clock,
  split into stages from Prefect's own task-run records of that flow run (each task run's start to end time):
  crawl ("known pages" + "crawl"), extract ("follow crawl", which starts pages on the workers while the crawl
  fetches, + "extract", which finishes once it has ended), store, dedupe + optimize ("dedupe" + "optimize
  search"); "Prefect and other" is the wall time minus the union of those;
- the baseline: bare Scrapy fetching exactly the URLs the nightly got a response for (sitemaps, listing pages,
  publication pages, PDFs, as recorded in its run directory; robots.txt is fetched by Scrapy's own middleware),
  a minimal spider that only writes the HTML publication pages to disk, run in a subprocess like the nightly's
  crawl and timed with the subprocess start; then bare `trafilatura.extract(html, url=url)` over those pages in
  one process. Baseline = bare Scrapy wall + bare extract time.

Bare Scrapy gets the politeness the nightly's crawl gets for this source (`spiders.crawl.crawl_settings`: download
delay, concurrency, robots.txt, user agent) and the same log level; otherwise Scrapy's defaults (no AutoThrottle,
no HTTP cache, requests queued in memory). The nightly's extract stage also reads every report's PDF and tags the
taxonomy, which the baseline does not do. Prints median (min-max) seconds and the ratio to the baseline; the target
(issue 20; DESIGN.md said 1.5x) is nightly <= 0.6x baseline. Where stages overlap, "extract after the crawl" is
what extraction adds once the crawl has ended.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from uuid import UUID

import flows  # noqa: F401  (Prefect offline settings before Prefect is imported)

# Kept light on purpose: the extract stage's spawned workers import this module again as __mp_main__.

STAGES = ("crawl", "extract", "store", "dedupe + optimize")
# Task name (without Prefect's run suffix) -> stage row; an unknown task stops the benchmark, so a new task in the
# flow is never silently counted as "Prefect and other".
TASK_STAGES = {
    "known pages": "crawl",
    "crawl": "crawl",
    "follow crawl": "extract",  # extraction while the crawl fetches (flows.nightly.follow_crawl)
    "extract": "extract",
    "store": "store",
    "dedupe": "dedupe + optimize",
    "optimize search": "dedupe + optimize",
}
TARGET = 0.6  # issue 20 (was 1.5 in DESIGN.md)


@dataclass
class NightlyRun:
    """One timed nightly: wall clock, seconds per stage, and what its crawl left."""

    wall: float
    stages: dict[str, float]
    outside_flow: float  # wall clock outside the flow run's own start-end (creating and finishing the flow run)
    run_dir: Path
    responses: int
    busy: float = 0.0  # the union of the stages' spans (they may overlap)
    extract_tail: float = 0.0  # extraction's end minus the crawl's end: what extraction adds after the crawl
    cpu: float = 0.0  # CPU seconds of this process and every process under it meanwhile (tree_cpu)
    timeline: list[tuple[str, float, float]] = field(default_factory=list)  # task, start, end (s from flow start)


@dataclass
class BareRun:
    """One timed baseline: bare Scrapy (subprocess included) and bare extraction."""

    scrapy: float
    extract: float
    responses: int
    pages: int
    cpu: float = 0.0  # CPU seconds of this process and every process under it meanwhile (tree_cpu)


def tree_cpu() -> float:
    """CPU seconds (user + system) of this process and every process under it, ended ones included.

    From /proc: each live process's own time plus the time of the children it has waited for (cutime, cstime),
    so a crawl subprocess, the extraction workers (reaped by their forkserver) and their PDF readers all count;
    the mirror's own process and Prefect's server too, on both sides. Less disturbed by other jobs than wall time.
    """
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime
    mine = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in mine} - mine
        grew = bool(found)
        mine |= found
    return sum(times[pid] for pid in mine)


@dataclass
class Fetched:
    """What the nightly got a response for, robots.txt aside, in the order the baseline asks for it."""

    urls: list[str]
    publications: list[str]  # HTML publication pages, the ones both sides extract
    pdfs: int
    discovery: int  # sitemaps, feeds, listing pages


def fetched_urls(run_dir: Path, source: Any, base_url: str) -> Fetched:
    """Every URL of a run that got a response: configured sitemaps and feeds, listing pages, pages, PDFs, failures.

    The run directory holds the real site's URLs; they are returned at the mirror `base_url`, where bare Scrapy
    asks for them.
    """
    from spiders.mirror import OriginOverride
    from spiders.rundir import read_discovered, read_failures, read_pages, read_seen

    base = source.base_url.rstrip("/") + "/"
    discovery = [urljoin(base, u) for u in (*source.discovery.sitemaps, *source.discovery.feeds)]
    discovery += [urljoin(base, listing.url) for listing in source.discovery.listings]
    # Listing pages are not archived; every page of a listing that listed something is named in the hints.
    listed = read_discovered(run_dir)
    discovery += [rec.hints["listing_url"] for rec in listed if "listing_url" in rec.hints]
    pages = read_pages(run_dir)
    publications = [p.url for p in pages if not p.hints.get("pdf_of") and "html" in p.content_type.lower()]
    html = set(publications)
    others = [p.url for p in pages if p.url not in html]
    answered = [f.url for f in read_failures(run_dir) if f.status] + [s.url for s in read_seen(run_dir)]
    mirror = OriginOverride(source.base_url, base_url)

    def at_mirror(urls: list[str]) -> list[str]:
        return [found[0] if (found := mirror.target(url)) else url for url in urls]

    urls = at_mirror(list(dict.fromkeys([*discovery, *publications, *others, *answered])))
    return Fetched(urls, at_mirror(publications), len(others), len(dict.fromkeys(discovery)))


def stage_times(
    flow_run_id: UUID, wait: float = 30.0, tasks: frozenset[str] = frozenset({"crawl", "extract", "store", "dedupe"})
) -> tuple[dict[str, float], float, float, float, list[tuple[str, float, float]]]:
    """Seconds per stage from the flow run's task-run records, the flow run's span, the stages' union, the tail.

    The union counts overlapping stages once; the tail is the extract task's end minus the crawl task's end.

    Waits until every one of `tasks` has a record (a quiet night runs no "dedupe").
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while True:  # the records are written from events: wait until every task run has ended
            runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
            flow_run = client.read_flow_run(flow_run_id)
            names = {r.name.rsplit("-", 1)[0] for r in runs}
            ended = all(r.start_time and r.end_time and r.state_type == StateType.COMPLETED for r in runs)
            if ended and tasks <= names and flow_run.end_time:
                break
            if time.monotonic() > deadline:
                states = ", ".join(f"{r.name} {r.state_type}" for r in runs)
                raise SystemExit(f"flow run {flow_run_id}: task runs not all completed after {wait:.0f} s: {states}")
            time.sleep(0.2)
    stages = dict.fromkeys(STAGES, 0.0)
    spans = []
    ends: dict[str, float] = {}
    for run in runs:
        name = run.name.rsplit("-", 1)[0]
        if name not in TASK_STAGES:
            raise SystemExit(f"task {name!r} of the nightly flow has no stage here: add it to TASK_STAGES")
        if run.run_count != 1:
            raise SystemExit(f"task {run.name} ran {run.run_count} times (a retry): not a clean run")
        assert run.start_time
        assert run.end_time
        stages[TASK_STAGES[name]] += (run.end_time - run.start_time).total_seconds()
        spans.append((run.start_time.timestamp(), run.end_time.timestamp()))
        ends[name] = max(ends.get(name, 0.0), run.end_time.timestamp())
    assert flow_run.start_time
    assert flow_run.end_time
    busy, reach = 0.0, 0.0
    for start, end in sorted(spans):
        busy += max(0.0, end - max(start, reach))
        reach = max(reach, end)
    tail = ends.get("extract", 0.0) - ends.get("crawl", 0.0)
    zero = flow_run.start_time.timestamp()
    timeline = sorted(
        (run.name.rsplit("-", 1)[0], run.start_time.timestamp() - zero, run.end_time.timestamp() - zero)
        for run in runs
        if run.start_time and run.end_time
    )
    return stages, (flow_run.end_time - flow_run.start_time).total_seconds(), busy, tail, timeline


def run_nightly(nightly: Callable[..., Any], tmp: Path, base_url: str) -> NightlyRun:
    """Night 1 into a fresh digest under `tmp`, timed, with its stages read back from Prefect."""
    cpu, started = tree_cpu(), time.perf_counter()
    state = nightly(sources=["mpi"], db_path=tmp / "digest.db", base_urls={"mpi": base_url}, return_state=True)
    wall, cpu = time.perf_counter() - started, tree_cpu() - cpu
    if not state.is_completed():
        raise SystemExit(f"the nightly flow ended {state.name}: {state.message}")
    report = state.result()
    if report[0]["status"] != "ok":
        raise SystemExit(f"the nightly's mpi run is {report[0]['status']}: {report[0]['message']}")
    stages, flow_span, busy, tail, timeline = stage_times(state.state_details.flow_run_id)
    (run_dir,) = (tmp / "runs" / "mpi").iterdir()
    stats = json.loads((run_dir / "stats.json").read_text(encoding="utf-8"))
    responses = int(stats.get("downloader/response_count", 0))
    return NightlyRun(wall, stages, wall - flow_span, run_dir, responses, busy, tail, cpu, timeline)


def bare_settings(base_url: str) -> dict[str, Any]:
    """The politeness the nightly's crawl of mpi gets from this base URL, and its log level; nothing else."""
    from migdigest.config import load_config
    from spiders.crawl import crawl_settings, is_local

    config = load_config()
    theirs = crawl_settings(config.settings, config.source("mpi"), Path(tempfile.gettempdir()), is_local(base_url))
    keys = ("USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN")
    return {**{k: theirs[k] for k in keys}, "LOG_LEVEL": theirs["LOG_LEVEL"]}


def run_bare(fetched: Fetched, settings: dict[str, Any], out: Path, extract: bool = True) -> BareRun:
    """Bare Scrapy over the nightly's URLs in a subprocess, then bare trafilatura.extract over the pages it kept."""
    import trafilatura

    out.mkdir(parents=True)
    cpu = tree_cpu()
    keep = {url: f"{i}.html" for i, url in enumerate(fetched.publications)}
    spec = out / "spec.json"
    spec.write_text(json.dumps({"urls": fetched.urls, "keep": keep, "settings": settings, "out": str(out)}))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--bare-crawl", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    scrapy_wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bare Scrapy failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    bodies = [(url, (out / name).read_bytes()) for url, name in keep.items() if (out / name).exists()]
    if not extract:
        return BareRun(scrapy_wall, 0.0, int(stats.get("downloader/response_count", 0)), len(bodies), tree_cpu() - cpu)
    started = time.perf_counter()
    for url, html in bodies:
        trafilatura.extract(html, url=url)
    extract_s = time.perf_counter() - started
    responses = int(stats.get("downloader/response_count", 0))
    return BareRun(scrapy_wall, extract_s, responses, len(bodies), tree_cpu() - cpu)


def bare_crawl(spec_path: Path) -> None:
    """The baseline's Scrapy process: fetch every URL, keep the HTML publication pages on disk, nothing else."""
    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import Response

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    out = Path(spec["out"])
    keep: dict[str, str] = spec["keep"]

    class BareSpider(Spider):
        name = "bare"

        async def start(self) -> AsyncIterator[Request]:
            for url in spec["urls"]:
                yield Request(url, meta={"keep": keep[url]} if url in keep else {})

        def parse(self, response: Response, **kwargs: Any) -> None:
            name = response.meta.get("keep")
            if name and response.status == 200:
                (out / name).write_bytes(response.body)

    process = CrawlerProcess(settings=spec["settings"])
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    profile = os.environ.get("MIGDIGEST_CRAWL_PROFILE")  # spiders.crawl.PROFILE_ENV: the same profile as the crawl's
    if profile:
        import cProfile

        with cProfile.Profile() as profiler:
            process.start()
        profiler.dump_stats(Path(profile) / f"bare-{out.name}.prof")
    else:
        process.start()
    assert crawler.stats is not None
    stats = {k: v for k, v in crawler.stats.get_stats().items() if isinstance(v, int | float)}
    (out / "stats.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")


def crawl_only(n: int, repeat: int, profile: Path | None, code: Path | None = None) -> None:
    """The crawl alone against bare Scrapy on the same URLs, alternating, both timed with their subprocess start.

    Columns: the nightly's crawl process (`spiders.crawl.run_crawl`, a fresh run directory, night 1); bare Scrapy
    asking the mirror's URLs directly (as in the full bench); bare Scrapy asking the real site's URLs through the
    crawl's own download handler (spiders/mirror.py), so that the handler, which only the benches and demos use,
    is measured apart. `--profile DIR` leaves a cProfile of each crawl process in DIR (spiders.crawl.PROFILE_ENV).
    `--code DIR` adds the crawl process run from another checkout's code (e.g. `git archive main`), side by side.
    """
    import os
    import resource

    from migdigest.config import load_config
    from mirrors import SITES
    from mirrors.scaled import register
    from mirrors.server import MirrorServer
    from spiders.crawl import PROFILE_ENV, run_crawl
    from spiders.mirror import override_settings

    source = load_config().source("mpi")
    name = register(n)
    labels = ("crawl", "bare Scrapy", "bare Scrapy, real URLs via the handler")
    other = f"crawl, code of {code.name}" if code else None
    rows: dict[str, list[float]] = {label: [] for label in (*labels, *([other] if other else []))}
    cpu: dict[str, list[float]] = {label: [] for label in rows}  # the crawl process's own CPU seconds
    loads: list[float] = []

    def timed(label: str, run: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = run(*args, **kwargs)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[label].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        rows[label].append(float(done.seconds if label in ("crawl", other) else done.scrapy))
        return done

    with MirrorServer(name) as server, tempfile.TemporaryDirectory(prefix="migdigest-bench-") as tmp:
        SITES[name].rendering(server.base_url)
        settings = bare_settings(server.base_url)
        handler = {**settings, **override_settings(source.base_url, server.base_url)}
        for r in range(repeat):
            loads.append(os.getloadavg()[0])
            if profile:
                os.environ[PROFILE_ENV] = str(profile)
            run_dir = Path(tmp) / f"crawl{r}" / "run"
            outcome = timed("crawl", run_crawl, source, run_dir, base_url=server.base_url)
            os.environ.pop(PROFILE_ENV, None)
            if not outcome.ok:
                raise SystemExit(f"the crawl failed: {outcome.describe()}")
            if code and other:
                here = Path.cwd()
                os.chdir(code)  # `python -m spiders.crawl` finds the package in its working directory first
                try:
                    theirs = timed(other, run_crawl, source, Path(tmp) / f"code{r}" / "run", base_url=server.base_url)
                finally:
                    os.chdir(here)
                if not theirs.ok:
                    raise SystemExit(f"the crawl of {code} failed: {theirs.describe()}")
            fetched = fetched_urls(run_dir, source, server.base_url)
            real = Fetched(
                [*_real(fetched.urls, source.base_url, server.base_url)],
                [*_real(fetched.publications, source.base_url, server.base_url)],
                fetched.pdfs,
                fetched.discovery,
            )
            if profile:
                os.environ[PROFILE_ENV] = str(profile)  # bare Scrapy's process profiled too, to compare
            timed("bare Scrapy", run_bare, fetched, settings, Path(tmp) / f"bare{r}", extract=False)
            timed(labels[2], run_bare, real, handler, Path(tmp) / f"handler{r}", extract=False)
            os.environ.pop(PROFILE_ENV, None)
            done = ", ".join(f"{k} {v[-1]:.2f} s ({cpu[k][-1]:.2f} s CPU)" for k, v in rows.items())
            print(f"round {r + 1}: {done}", flush=True)
    base = statistics.median(rows["bare Scrapy"])
    print(f"crawl only, scaled MPI mirror of {n} publications; {repeat} rounds alternating; load average at the "
          f"start of each round: {', '.join(f'{x:.1f}' for x in loads)}")  # fmt: skip
    base_cpu = statistics.median(cpu["bare Scrapy"])
    print(f"{'':42}{'wall s, median (min-max)':>26}{'x bare':>8}{'CPU s, median (min-max)':>26}{'x bare':>8}")
    for label, values in rows.items():
        cell = f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
        cpu_cell = f"{statistics.median(cpu[label]):.2f} ({min(cpu[label]):.2f}-{max(cpu[label]):.2f})"
        print(f"{label:42}{cell:>26}{statistics.median(values) / base:>7.2f}x"
              f"{cpu_cell:>26}{statistics.median(cpu[label]) / base_cpu:>7.2f}x")  # fmt: skip
    if other:
        mine = [c / o for c, o in zip(cpu["crawl"], cpu[other], strict=True)]
        print(f"crawl / {other} per round, CPU: {', '.join(f'{x:.2f}x' for x in mine)}")
    pairs = [c / b for c, b in zip(rows["crawl"], rows["bare Scrapy"], strict=True)]
    cpu_pairs = [c / b for c, b in zip(cpu["crawl"], cpu["bare Scrapy"], strict=True)]
    print(f"crawl / bare Scrapy per round: wall {', '.join(f'{x:.2f}x' for x in pairs)}; CPU "
          f"{', '.join(f'{x:.2f}x' for x in cpu_pairs)} (target <= 1.05x)")  # fmt: skip
    print("CPU: user + system seconds of the crawl's process (getrusage of the waited-for child), less sensitive to "
          "the other jobs on the machine than wall time")  # fmt: skip


def _real(urls: list[str], real: str, mirror: str) -> list[str]:
    """The mirror's URLs as the real site's, for a crawl that maps them back in its download handler."""
    return [real.rstrip("/") + u[len(mirror.rstrip("/")) :] if u.startswith(mirror) else u for u in urls]


@contextmanager
def served(n: int, own_process: bool) -> Iterator[str]:
    """The scaled MPI mirror of `n` publications, indexed, in this process (a thread) or a process of its own."""
    from mirrors import SITES
    from mirrors.scaled import register
    from mirrors.server import MirrorServer

    if not own_process:
        name = register(n)
        with MirrorServer(name) as server:
            SITES[name].rendering(server.base_url)  # index the scaled site now, not during the first crawl
            yield server.base_url
        return
    # Its own process: the mirror's threads then share no interpreter lock with the flow (Prefect, the extraction
    # pool's bookkeeping), as a real site would not.
    cmd = [sys.executable, "-m", "mirrors.scaled", "--n", str(n), "--port", "0", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()  # printed once the site is indexed
        if not url.startswith("http://"):
            raise SystemExit(f"the mirror process did not start: {url!r}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _warm_up() -> None:
    """A flow that does nothing, run once so Prefect's server is up before the clock starts."""


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="publications of the scaled MPI mirror")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bare-crawl", type=Path, help=argparse.SUPPRESS)  # the baseline's Scrapy subprocess
    parser.add_argument("--crawl-only", action="store_true", help="the crawl against bare Scrapy, no Prefect")
    parser.add_argument("--profile", type=Path, help="with --crawl-only: cProfile each crawl process into DIR")
    parser.add_argument("--mirror-process", action="store_true", help="serve the mirror from a process of its own")
    parser.add_argument("--code", type=Path, help="with --crawl-only: also the crawl from this checkout's code")
    args = parser.parse_args()
    if args.bare_crawl:
        bare_crawl(args.bare_crawl)
        return
    if args.crawl_only:
        crawl_only(args.n, args.repeat, args.profile, args.code)
        return

    from prefect import flow

    from flows.nightly import nightly
    from flows.server import temporary_server
    from migdigest.config import load_config
    from mirrors.scaled import site_name

    source = load_config().source("mpi")
    name = site_name(args.n, 0, 1)
    nights: list[NightlyRun] = []
    bares: list[BareRun] = []
    fetched: list[Fetched] = []
    loads = [os.getloadavg()[0]]
    # Prefect's temporary server as `migdigest run` starts it (cli/nightly.py), up before the clock starts.
    with temporary_server(), served(args.n, args.mirror_process) as base_url:
        flow(name="warm-up")(_warm_up)()
        settings = bare_settings(base_url)
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="migdigest-bench-") as tmp:
                night = run_nightly(nightly, Path(tmp), base_url)
                urls = fetched_urls(night.run_dir, source, base_url)
                bare = run_bare(urls, settings, Path(tmp) / "bare")
            nights.append(night)
            bares.append(bare)
            fetched.append(urls)

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):8.2f} ({min(values):.2f}-{max(values):.2f})"

    baseline = [b.scrapy + b.extract for b in bares]
    base = statistics.median(baseline)
    rows: list[tuple[str, list[float]]] = [
        ("nightly wall", [n.wall for n in nights]),
        *((f"  {stage}", [n.stages[stage] for n in nights]) for stage in STAGES),
        ("  extract after the crawl", [n.extract_tail for n in nights]),
        ("  Prefect and other", [n.wall - n.busy for n in nights]),
        ("bare Scrapy", [b.scrapy for b in bares]),
        ("bare trafilatura.extract", [b.extract for b in bares]),
        ("baseline total", baseline),
    ]
    last, f = nights[-1], fetched[-1]
    robots = int(bool(settings["ROBOTSTXT_OBEY"]))
    repeats = f"{args.repeat} repeat{'s' if args.repeat != 1 else ''}"
    loads.append(os.getloadavg()[0])
    where = "a process of its own" if args.mirror_process else "a thread of this process"
    print(f"scaled MPI mirror of {args.n} publications ({name}, served from {where}); {repeats}, a fresh digest "
          f"each (night 1); load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end")  # fmt: skip
    print(
        f"pages fetched: nightly {last.responses} responses, bare Scrapy {bares[-1].responses} "
        f"({len(f.publications)} publication pages, {f.pdfs} PDFs, {f.discovery} sitemap and listing pages"
        f"{', robots.txt' if robots else ''}); extracted: {len(f.publications)} pages by each"
    )
    if len(f.urls) + robots != last.responses or bares[-1].pages != len(f.publications):
        print(f"WARNING: {len(f.urls)} URLs read back from the run directory (+{robots} robots.txt) against "
              f"{last.responses} responses of the nightly; {bares[-1].pages} pages kept by bare Scrapy")  # fmt: skip
    print(
        f"politeness of both crawls: download delay {settings['DOWNLOAD_DELAY']} s, "
        f"{settings['CONCURRENT_REQUESTS_PER_DOMAIN']} requests per domain at once, robots.txt "
        f"{'obeyed' if robots else 'ignored'} (spiders.crawl.crawl_settings for this base URL; config for the real "
        f"site: delay {source.politeness.delay} s, concurrency {source.politeness.concurrency})"
    )
    print(f"{'':28}{'seconds, median (min-max)':>28}{'x baseline':>12}")
    for label, values in rows:
        print(f"{label:28}{cell(values):>28}{statistics.median(values) / base:>11.2f}x")
    crawl = statistics.median([n.stages["crawl"] for n in nights]) / statistics.median([b.scrapy for b in bares])
    extract = statistics.median([n.stages["extract"] for n in nights]) / statistics.median([b.extract for b in bares])
    outside = statistics.median([n.outside_flow for n in nights])
    print(f"crawl / bare Scrapy = {crawl:.2f}x; extract / bare trafilatura.extract = {extract:.2f}x")
    print(
        "stages: each task run's start-end in Prefect's records of the flow run; crawl = 'known pages' + 'crawl' "
        "(Scrapy subprocess included); extract runs while the crawl fetches, so the stages overlap: 'extract after "
        "the crawl' is the extract task's end minus the crawl's; Prefect and other = wall - the union of the stages "
        f"({outside:.2f} s of it outside the flow run's start-end)"
    )
    print(
        "the extract stage also reads each report's PDF (PDFium, in a reader child per worker) and tags the "
        "taxonomy, on every core; the baseline extracts the HTML only, in one process"
    )
    print(f"per repeat: {', '.join(f'{n.wall / b:.2f}x' for n, b in zip(nights, baseline, strict=True))}")
    cpu_night, cpu_base = statistics.median([n.cpu for n in nights]), statistics.median([b.cpu for b in bares])
    print(
        f"CPU seconds (this process and all under it: crawl, workers, PDF readers, mirror, Prefect's server): "
        f"nightly {cell([n.cpu for n in nights]).strip()}, baseline {cell([b.cpu for b in bares]).strip()}, "
        f"nightly / baseline = {cpu_night / cpu_base:.2f}x"
    )
    for i, night in enumerate(nights):
        spans = ", ".join(f"{name} {start:.1f}-{end:.1f}" for name, start, end in night.timeline)
        span = night.wall - night.outside_flow
        print(f"timeline of night {i + 1} (s from the flow run's start; flow run {span:.1f} s): {spans}")
    ratio = statistics.median([n.wall for n in nights]) / base
    print(f"nightly / baseline = {ratio:.2f}x (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
