"""Runs travel through the object store: files, the extraction result and the finished marker (issue 21)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import MISSING, fields
from pathlib import Path

import pytest

from extract.result_io import ResultFormatError, dump_result, load_result
from extract.stage import ExtractResult, extract_run
from extract.taxonomy import load_taxonomy
from migdigest.config import load_config
from migdigest.models import Publication
from migdigest.objectstore import ObjectStore, StoreKeyMissing
from migdigest.taxonomy import taxonomy_path
from spiders.items import RawPage, Seen
from spiders.rundir import RunInfo, RunWriter, read_body, read_pages, read_run_info, read_seen, write_run_info
from spiders.runstore import (
    EXTRACTED,
    FINISHED,
    RunRef,
    fetch_extracted,
    fetch_run,
    finish_run,
    finished_runs,
    indexed_runs,
    new_run_key,
    publish_extracted,
    publish_run,
    read_finished,
    run_key_started,
)

MPI = "https://www.migrationpolicy.org"
BODY = " ".join(f"Paragraph {i} on asylum procedures, labour migration and return policy." for i in range(20))


def article(title: str) -> bytes:
    paragraphs = "".join(f"<p>{BODY} ({i})</p>" for i in range(4))
    return (
        f'<html lang="en"><head><title>{title}</title><meta property="og:type" content="article"></head>'
        f"<body><main><article><h1>{title}</h1>{paragraphs}</article></main></body></html>"
    ).encode()


def make_run(run_dir: Path, n: int = 3, started: float = 1_796_000_000.0) -> Path:
    """A run directory as a crawl writes it: run.json, a WARC of `n` articles, a seen page and a gone one."""
    write_run_info(run_dir, RunInfo(source="mpi", started=started))
    writer = RunWriter(run_dir, "mpi")
    writer.open()
    for i in range(n):
        html = article(f"Report {i}: migration «ünïcode» — test")
        writer.write(RawPage(url=f"{MPI}/research/report-{i}", status=200,
                             headers={"Content-Type": "text/html; charset=utf-8"}, body=html))  # fmt: skip
    writer.write(Seen(url=f"{MPI}/research/old", state="unchanged"))
    writer.write(Seen(url=f"{MPI}/research/removed", state="gone", status=410))
    writer.close()
    (run_dir / "crawl.log").write_text("crawl stderr\n", encoding="utf-8")
    return run_dir


def full_result() -> ExtractResult:
    """An extraction result with every field set to something other than its default."""
    pub = Publication(
        source="mpi", url=f"{MPI}/r?a=1", canonical_url=f"{MPI}/r", title="Tïtle “quoted”\nline", body="B\u2028ody\t",
        authors=["A. One", "B. Two"], published="2026-12-01", modified="2026-12-02", summary="S", language="en",
        doc_type="report", pdf_url=f"{MPI}/r.pdf", pdf_text="pdf text", pdf_pages=12, pdf_status="pending",
        pdf_error="timeout", topics=["asylum"], regions=["Europe"], word_count=42, content_hash="abc",
        fetched_at="2026-12-06T21:00:00+00:00", fetch_state={"etag": '"x"'}, moved_from=f"{MPI}/old", notes=["scan"],
        dedupe_print=bytes(range(256)) + b"\x00\xff\n",
    )  # fmt: skip
    result = ExtractResult(
        publications=[pub, Publication(source="mpi", url=f"{MPI}/2", canonical_url=f"{MPI}/2", title="", body="")],
        skipped=Counter({"not_html": 2, "page_type_listing": 1}),
        errors=Counter({"extraction_failed": 1}),
        unchanged=[f"{MPI}/u"],
        gone=[f"{MPI}/g"],
        failures=[{"url": f"{MPI}/f", "kind": "http_500", "status": 500, "nested": {"x": [1, None]}}],
        source="mpi",
        unchanged_urls=[f"{MPI}/u?x"],
        gone_urls=[f"{MPI}/g?x"],
        pdfs_gone=[f"{MPI}/gone.pdf"],
        skips=[(f"{MPI}/s", "not_html"), (f"{MPI}/gone.pdf", "pdf_gone")],
    )
    for f in [*fields(ExtractResult), *fields(Publication)]:
        owner = result if f in fields(ExtractResult) else pub
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        # A new field must travel too: this fails until the sample (and result_io) carry it.
        assert getattr(owner, f.name) != default, f"set {f.name} in full_result() and check result_io carries it"
    return result


# -- the extraction result as bytes ---------------------------------------------------------------------------
def test_result_round_trips_exactly() -> None:
    result = full_result()
    data = dump_result(result)
    back = load_result(data)
    assert back == result
    assert isinstance(back.skipped, Counter)
    assert isinstance(back.skips[0], tuple)
    assert dump_result(back) == data  # and the bytes are the same each time


def test_empty_result_round_trips() -> None:
    assert load_result(dump_result(ExtractResult())) == ExtractResult()


def test_a_real_runs_result_round_trips(tmp_path: Path) -> None:
    result = extract_run(
        make_run(tmp_path / "run"), load_config().source("mpi"), taxonomy=load_taxonomy(taxonomy_path(None))
    )
    assert len(result.publications) == 3
    assert result.unchanged
    assert result.gone
    assert load_result(dump_result(result)) == result


def test_bad_result_bytes_are_refused_clearly() -> None:
    data = dump_result(full_result())
    with pytest.raises(ResultFormatError, match="not a gzip'd extraction result"):
        load_result(b"plain text")
    with pytest.raises(ResultFormatError, match="not a gzip'd extraction result"):
        load_result(data[: len(data) // 2])  # an upload cut short
    text = gzip.decompress(data).decode()
    with pytest.raises(ResultFormatError, match="header counts 2 publications, the file has 1"):
        load_result(gzip.compress("\n".join(text.split("\n")[:2]).encode() + b"\n"))
    header = json.loads(text.split("\n")[0])
    with pytest.raises(ResultFormatError, match="format 99; this migdigest reads 1"):
        load_result(gzip.compress(json.dumps({**header, "format": 99}).encode() + b"\n"))
    line = json.dumps({"source": "mpi", "url": "u", "canonical_url": "u", "title": "", "body": "", "new": 1})
    with pytest.raises(ResultFormatError, match="does not fit this migdigest"):
        load_result(gzip.compress(json.dumps({**header, "publications": 1}).encode() + b"\n" + line.encode() + b"\n"))


# -- run keys -------------------------------------------------------------------------------------------------
def test_run_keys_sort_by_start_time_and_never_collide() -> None:
    keys = [new_run_key(1_796_000_000.0 + offset) for offset in (0, 1, 59, 3600, 86400 * 40)]
    assert sorted(keys) == keys
    same_second = {new_run_key(1_796_000_000.0) for _ in range(50)}
    assert len(same_second) == 50
    started = run_key_started(keys[0])
    assert started is not None
    assert started.timestamp() == 1_796_000_000.0
    assert run_key_started("not-a-key") is None


@pytest.mark.parametrize(
    ("source", "run_key"), [("mpi/x", "k"), ("..", "k"), ("mpi", ""), ("mpi", "a/../b"), ("", "k")]
)
def test_bad_names_are_refused(source: str, run_key: str) -> None:
    with pytest.raises(ValueError, match=r"bad (source|run key)"):
        RunRef(source, run_key)


# -- runs in the store ----------------------------------------------------------------------------------------
def test_publish_then_fetch_gives_the_same_run(object_store: ObjectStore, tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "worker" / "mpi" / "run1")
    key = new_run_key(1_796_000_000.0)
    keys = publish_run(object_store, run_dir, "mpi", key)
    assert keys == sorted(f"runs/mpi/{key}/{p.name}" for p in run_dir.iterdir())
    fetched = fetch_run(object_store, "mpi", key, tmp_path / "writer" / key)
    assert sorted(p.name for p in fetched.iterdir()) == sorted(p.name for p in run_dir.iterdir())
    for path in run_dir.iterdir():
        assert (fetched / path.name).read_bytes() == path.read_bytes()
    # The run directory's own reader reads the copy as it read the original.
    assert read_run_info(fetched) == read_run_info(run_dir)
    assert read_seen(fetched) == read_seen(run_dir)
    pages = read_pages(fetched)
    assert [read_body(fetched, p) for p in pages] == [read_body(run_dir, p) for p in read_pages(run_dir)]


def test_a_run_is_finished_only_by_its_marker(object_store: ObjectStore, tmp_path: Path) -> None:
    run_dir = make_run(tmp_path / "run")
    first, second = new_run_key(1_796_000_000.0), new_run_key(1_796_000_100.0)
    publish_run(object_store, run_dir, "mpi", second)
    publish_extracted(object_store, "mpi", second, b"x")
    assert finished_runs(object_store) == []  # every file and the result are there, but no marker yet
    # A second source's earlier run, half uploaded (a worker killed mid-upload): never finished.
    publish_run(object_store, run_dir, "ecre", first)
    finish_run(object_store, "mpi", second, {"status": "ok", "new": 3})
    assert finished_runs(object_store) == [RunRef("mpi", second)]
    publish_extracted(object_store, "ecre", first, b"y")
    finish_run(object_store, "ecre", first, {"status": "ok"})
    # In start order across sources, whatever order they finished in.
    assert finished_runs(object_store) == [RunRef("ecre", first), RunRef("mpi", second)]
    assert finished_runs(object_store, "mpi") == [RunRef("mpi", second)]
    marker = read_finished(object_store, RunRef("mpi", second))
    assert marker["stats"] == {"status": "ok", "new": 3}
    assert marker["extracted"] is True
    assert fetch_extracted(object_store, RunRef("ecre", first)) == b"y"
    # The index the writer lists from a point on: every run that began to finish, whether it did or not.
    assert indexed_runs(object_store) == [RunRef("ecre", first), RunRef("mpi", second)]
    assert indexed_runs(object_store, since=first[:16]) == [RunRef("ecre", first), RunRef("mpi", second)]
    assert indexed_runs(object_store, since=second) == [RunRef("mpi", second)]  # from that run on
    assert indexed_runs(object_store, since="99991231T000000Z") == []
    # Neither the marker nor the result lands in a fetched run directory, and publishing skips them.
    fetched = fetch_run(object_store, "mpi", second, tmp_path / "copy")
    assert not (fetched / FINISHED).exists()
    assert not (fetched / EXTRACTED).exists()


def test_fetching_a_run_the_store_does_not_hold_is_a_clear_error(object_store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(StoreKeyMissing, match="no object 'runs/mpi/20261206T000000Z-00000000/'"):
        fetch_run(object_store, "mpi", "20261206T000000Z-00000000", tmp_path / "x")
    with pytest.raises(StoreKeyMissing):
        fetch_extracted(object_store, RunRef("mpi", "20261206T000000Z-00000000"))
    with pytest.raises(FileNotFoundError, match="no such run directory"):
        publish_run(object_store, tmp_path / "missing", "mpi", "k")
