"""The extract stage on worker processes gives exactly what one process gives, workers forked from a warm server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest

import mirrors.scaled as scaled
from extract.stage import POOL_MIN_PAGES, extract_run, start_workers
from extract.taxonomy import load_taxonomy
from migdigest.config import load_config
from migdigest.paths import REPO_ROOT
from mirrors import SITES
from mirrors.server import MirrorServer
from spiders.crawl import run_crawl

FIXTURES = Path(__file__).parent / "fixtures" / "mpi"
N = POOL_MIN_PAGES + 8  # just over the size where extract_run turns to a pool


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    name = scaled.register(N, seed=11)
    run_dir = tmp_path_factory.mktemp("pool") / "run"
    try:
        with MirrorServer(name) as server:
            start_workers()  # as the nightly flow does, while the crawl runs
            outcome = run_crawl(load_config().source("mpi"), run_dir, base_url=server.base_url)
            assert outcome.ok, outcome.stderr_tail
            yield run_dir, server.base_url
    finally:
        SITES.pop(name, None)


def test_pool_gives_what_one_process_gives(crawled: tuple[Path, str]) -> None:
    run_dir, _ = crawled
    source = load_config().source("mpi")
    alone = extract_run(run_dir, source, taxonomy=load_taxonomy(), workers=1)
    pooled = extract_run(run_dir, source, taxonomy=load_taxonomy(), workers=2)
    assert len(alone.publications) == N
    # Same publications in the same order, every field (tags and PDF text are computed in the workers too).
    assert [asdict(p) for p in pooled.publications] == [asdict(p) for p in alone.publications]
    assert (pooled.errors, pooled.skipped) == (alone.errors, alone.skipped)
    assert sum(bool(p.pdf_text) for p in pooled.publications) > 0
    assert sum(bool(p.topics) for p in pooled.publications) > N / 2


def test_workers_tag_with_the_taxonomy_they_are_given(crawled: tuple[Path, str], tmp_path: Path) -> None:
    from tests.test_config_dir import TAXONOMY

    run_dir, _ = crawled
    (tmp_path / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    taxonomy = load_taxonomy(tmp_path / "taxonomy.yaml")
    pooled = extract_run(run_dir, load_config().source("mpi"), taxonomy=taxonomy, workers=2)
    assert len(pooled.publications) == N
    # Workers get the taxonomy as its path (not the bundled one the server warmed) and compile it themselves.
    assert {t for p in pooled.publications for t in p.topics} == {"Config folder topic"}
    assert all(p.regions == [] for p in pooled.publications)


def test_workers_start_with_the_extractor_and_taxonomy_loaded() -> None:
    from concurrent.futures import ProcessPoolExecutor

    from extract import stage as publications

    start_workers()
    with ProcessPoolExecutor(max_workers=1, mp_context=publications._POOL_CONTEXT) as pool:
        # eval is a builtin, so the probe itself imports nothing: what it sees was loaded before the worker forked.
        loaded = pool.submit(eval, "'extract.pool_preload' in __import__('sys').modules").result()
        compiled = pool.submit(eval, "len(__import__('sys').modules['extract.taxonomy']._CACHE)").result()
    assert loaded
    assert compiled == 1


def _children(pid: int) -> list[int]:
    """Live child processes of `pid`, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_no_page(crawled: tuple[Path, str]) -> None:
    import multiprocessing.forkserver as forkserver

    run_dir, _ = crawled
    source = load_config().source("mpi")
    alone = extract_run(run_dir, source, taxonomy=load_taxonomy(), workers=1)
    start_workers()
    server = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    killed: list[int] = []

    def kill_the_first_worker() -> None:  # as the kernel's OOM killer would
        deadline = time.monotonic() + 30
        while not killed and time.monotonic() < deadline:
            for child in _children(server):
                os.kill(child, signal.SIGKILL)
                killed.append(child)
                return
            time.sleep(0.002)

    killer = threading.Thread(target=kill_the_first_worker)
    killer.start()
    pooled = extract_run(run_dir, source, taxonomy=load_taxonomy(), workers=2)
    killer.join()
    assert killed, "no worker was seen to kill"
    assert [asdict(p) for p in pooled.publications] == [asdict(p) for p in alone.publications]
    assert (pooled.errors, pooled.skipped) == (alone.errors, alone.skipped)


@pytest.mark.slow
def test_a_worker_dying_while_the_next_one_starts_loses_no_page(
    crawled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ProcessPoolExecutor

    run_dir, _ = crawled
    source = load_config().source("mpi")
    alone = extract_run(run_dir, source, taxonomy=load_taxonomy(), workers=1)
    spawn = ProcessPoolExecutor._spawn_process  # type: ignore[attr-defined]
    killed: list[int] = []

    def spawn_once_the_first_worker_is_dead(pool: ProcessPoolExecutor) -> None:
        # CPython 3.11 starts workers inside submit(): the first is killed (as the OOM killer would) and the pool's
        # own thread has handled its death, closing the call queue, before the second starts.
        pids = [worker.pid for worker in pool._processes.values() if worker.pid is not None]
        if pids and not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])
            deadline = time.monotonic() + 30
            while not pool._call_queue._reader.closed and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.001)
        spawn(pool)

    monkeypatch.setattr(ProcessPoolExecutor, "_spawn_process", spawn_once_the_first_worker_is_dead)
    pooled = extract_run(run_dir, source, taxonomy=load_taxonomy(), workers=2)
    assert killed, "no worker was killed"
    assert [asdict(p) for p in pooled.publications] == [asdict(p) for p in alone.publications]
    assert (pooled.errors, pooled.skipped) == (alone.errors, alone.skipped)


def _run_with_pdfs(run_dir: Path, pdfs: dict[str, bytes]) -> dict[str, str]:
    """A run directory written by the crawl's own writer: a fixture article per PDF, each linking its PDF."""
    from spiders.items import RawPage
    from spiders.rundir import RunWriter

    writer = RunWriter(run_dir, "mpi")
    writer.open()
    urls = {}
    for (name, data), fixture in zip(pdfs.items(), ("article", "commentary", "report"), strict=True):
        url = json.loads((FIXTURES / f"{fixture}.meta.json").read_text())["url"]
        html = (FIXTURES / f"{fixture}.html").read_bytes()
        writer.write(RawPage(url=url, status=200, headers={"Content-Type": "text/html"}, body=html))
        pdf_headers = {"Content-Type": "application/pdf"}
        writer.write(RawPage(url=f"{url}.pdf", status=200, headers=pdf_headers, body=data, hints={"pdf_of": url}))
        urls[url] = name
    writer.close()
    return urls


def test_a_hostile_pdf_costs_its_own_text_only(tmp_path: Path) -> None:
    from tests import hostile_pdfs
    from tests.test_pdftext import SENTENCES, text_pdf

    pdfs = {
        "good": text_pdf(SENTENCES),
        "bomb": hostile_pdfs.decompression_bomb(),
        "loops": hostile_pdfs.reference_loops(),
    }
    names = _run_with_pdfs(tmp_path / "run", pdfs)
    # One process from a threaded caller (this test's) and two: the readers are children of the workers.
    for workers in (1, 2):
        result = extract_run(tmp_path / "run", load_config().source("mpi"), taxonomy=load_taxonomy(), workers=workers)
        by_name = {names[p.url]: p for p in result.publications}
        assert sorted(by_name) == ["bomb", "good", "loops"]
        assert all(p.title and p.body for p in by_name.values())  # the page is stored whatever its PDF did
        assert SENTENCES[0] in by_name["good"].pdf_text
        assert by_name["good"].notes == []
        assert (by_name["bomb"].pdf_text, by_name["bomb"].notes) == ("", ["pdf_memory"])
        assert by_name["loops"].notes == ["pdf_partial"]
        assert result.errors == {"pdf_memory": 1, "pdf_partial": 1}


def test_a_temporary_folder_too_deep_for_the_workers_socket_is_named_with_the_remedy(tmp_path: Path) -> None:
    # The forkserver's Unix socket goes in a new folder under TMPDIR; past ~107 bytes Python says only
    # "AF_UNIX path too long". A fresh process, so this test's own forkserver (if any) is not the one asked.
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    env = {**os.environ, "TMPDIR": str(deep), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", "from extract.stage import start_workers; start_workers()"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "WorkersCannotStart" in done.stderr
    assert f"temporary folder {str(deep)!r}" in done.stderr
    assert "set TMPDIR to a shorter folder" in done.stderr


class _Stopped(Exception):
    """Stands for Prefect's time limit, which arrives as a signal wherever the task happens to be."""


def test_a_stop_landing_while_the_pool_starts_is_the_error_reported(
    crawled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The exact place CI once caught it: the limit's signal inside submit(), while the manager thread starts.
    # Leaving the pool then joined a half-started thread, and "cannot join thread before it is started"
    # replaced the reason the source failed.
    import concurrent.futures.process as cf_process

    def stopped(self: threading.Thread) -> None:
        raise _Stopped("past its time limit")

    monkeypatch.setattr(cf_process._ExecutorManagerThread, "start", stopped)
    run_dir, _ = crawled
    with pytest.raises(_Stopped, match="past its time limit"):
        extract_run(run_dir, load_config().source("mpi"), taxonomy=load_taxonomy(), workers=2)


def test_workers_make_each_publications_dedupe_fingerprint(crawled: tuple[Path, str]) -> None:
    from extract.dedupe import fingerprint, pack_print, unpack_print

    run_dir, _ = crawled
    pooled = extract_run(run_dir, load_config().source("mpi"), taxonomy=load_taxonomy(), workers=2)
    assert len(pooled.publications) == N
    # Made beside the crawl, so the night's dedupe need not: the same bytes the dedupe would make from the text.
    assert all(p.dedupe_print == pack_print(fingerprint(p.title, p.body)) for p in pooled.publications)
    assert all(unpack_print(p.dedupe_print) is not None for p in pooled.publications)
