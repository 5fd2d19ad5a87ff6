"""The single writer's throughput (issue 21): publications stored per second from the object store.

    .venv/bin/python -m bench.writer [--runs 20] [--pubs 500] [--small-runs 100] [--repeat 2]

A night of `--runs` sources, one finished run each of `--pubs` synthetic publications (about 800 words each,
drawn from the MPI mirror's vocabulary, as bench/store.py), is published to two stores: an S3 store on a moto
server (its own process on 127.0.0.1, as a remote store is) and a local folder store. The writer then ingests
every pending run (`flows/storing.py`: list, fetch the result, apply it in one transaction, mark it stored) into
a fresh digest, the two stores alternating side by side; `apply only` stores the same results straight from
memory (what the one-machine nightly flow does), the floor of the cost. `--small-runs` runs of 5 publications
each measure the fixed cost of a run (listing, marker, result, transaction), what a quiet night is made of.
`listing` times one listing of `runs/` holding `--list-keys` keys (pending_runs lists them all on every call).
Wall and CPU seconds of the writer process; the moto server's own CPU is not counted.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from extract.result_io import dump_result
from extract.stage import ExtractResult
from flows.storing import apply_result, ingest_run, pending_runs
from migdigest.models import Publication
from migdigest.objectstore import ObjectStore, open_store
from outputs.datasette import free_port, wait_until_answering
from spiders.runstore import finish_run, new_run_key, publish_extracted
from storage import Digest
from storage.snapshot import publish_snapshot

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def moto_process() -> Iterator[str]:
    """moto's server in a child process on a free loopback port (stopped by its PID); yields its URL."""
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url + "/moto-api/", proc, None, timeout=60)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def results(runs: int, pubs: int, seed: int) -> list[ExtractResult]:
    """One extraction result per source, `pubs` synthetic publications each."""
    from mirrors import SITES

    words = " ".join(f"{p.summary} {p.first_sentence} {p.last_sentence}" for p in SITES["mpi"].publications())
    vocab = words.split()
    rng = random.Random(seed)
    out = []
    for r in range(runs):
        source = f"bench{seed}-{r}"
        batch = []
        for i in range(pubs):
            body = " ".join(rng.choices(vocab, k=800))
            url = f"https://example.org/{source}/{i}"
            batch.append(Publication(
                source=source, url=url, canonical_url=url, title=" ".join(rng.choices(vocab, k=9)), body=body,
                summary=body[:300], authors=[f"Author {i % 500}"], published="2026-12-01",
                topics=["Labour migration"], regions=["Europe"], content_hash=f"{source}-{i}",
            ))  # fmt: skip
        out.append(ExtractResult(publications=batch, source=source))
    return out


def publish(store: ObjectStore, night: list[ExtractResult], started: float) -> None:
    """What the workers leave in the store: each run's result, then its marker."""
    for offset, result in enumerate(night):
        key = new_run_key(started + offset)
        publish_extracted(store, result.source, key, dump_result(result))
        finish_run(store, result.source, key, {"status": "ok", "started": "2026-12-06T21:00:00+00:00"})


def ingest_all(store: ObjectStore, db_path: Path, work: Path) -> tuple[float, float, int]:
    """Ingest every pending run into the digest; (wall s, CPU s, publications)."""
    wall, cpu = time.perf_counter(), time.process_time()
    stored = 0
    with Digest(db_path) as db:
        for ref in pending_runs(db, store):
            stored += ingest_run(db, store, ref, work)["publications"]
    return time.perf_counter() - wall, time.process_time() - cpu, stored


def apply_all(night: list[ExtractResult], db_path: Path) -> tuple[float, float, int]:
    """The same results applied from memory (no store); (wall s, CPU s, publications)."""
    wall, cpu = time.perf_counter(), time.process_time()
    with Digest(db_path) as db:
        for result in night:
            apply_result(db, result, "2026-12-06T21:00:00+00:00")
    return time.perf_counter() - wall, time.process_time() - cpu, sum(len(r.publications) for r in night)


def _fill(store: ObjectStore, total: int) -> None:
    """Pad the store with small objects under runs/ up to `total` keys: the files of past nights' runs."""
    have = len(store.keys("runs/"))
    for i in range(max(0, total - have)):
        store.put_bytes(f"runs/past{i % 500}/20250101T000000Z-{i:08x}/pages.jsonl", b"{}")


def main() -> None:
    """Publish a night to an S3 store and a local one, ingest from each side by side, print the rates."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pubs", type=int, default=500)
    parser.add_argument("--small-runs", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--list-keys", type=int, default=5000, help="keys in the store when listing is timed")
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)

    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rows: dict[str, list[tuple[float, float, int, int]]] = {}
    with moto_process() as endpoint, tempfile.TemporaryDirectory(prefix="migdigest-writer-") as tmp_name:
        tmp = Path(tmp_name)
        import boto3

        client = boto3.client("s3", endpoint_url=endpoint)
        for rep in range(args.repeat):
            for kind, size, pubs in (("big", args.runs, args.pubs), ("small", args.small_runs, 5)):
                night = results(size, pubs, seed=rep * 10 + (kind == "small"))
                bucket = f"bench-{rep}-{kind}"
                client.create_bucket(Bucket=bucket)
                stores: dict[str, tuple[str, ObjectStore]] = {
                    "S3 (moto, loopback)": ("s3", open_store(f"s3://{bucket}/night", endpoint_url=endpoint)),
                    "local folder": ("local", open_store(str(tmp / f"local-{rep}-{kind}"))),
                }
                for _, store in stores.values():
                    publish(store, night, 1_796_000_000.0)
                # Alternate which side goes first, so both see the same load on average.
                order = list(stores.items())[:: 1 if rep % 2 == 0 else -1]
                jobs: list[tuple[str, Callable[[], tuple[float, float, int]]]] = [
                    (name, partial(ingest_all, store, tmp / f"{slug}-{rep}-{kind}.db", tmp / "work"))
                    for name, (slug, store) in order
                ]
                jobs.append(("apply only (no store)", partial(apply_all, night, tmp / f"mem-{rep}-{kind}.db")))
                for name, job in jobs:
                    wall, cpu, stored = job()
                    rows.setdefault(f"{kind}|{name}", []).append((wall, cpu, stored, size))
            for slug, lister in (
                ("S3 (moto, loopback)", open_store(f"s3://bench-{rep}-small/night", endpoint_url=endpoint)),
                ("local folder", open_store(str(tmp / f"local-{rep}-small"))),
            ):
                _fill(lister, args.list_keys)
                started = time.perf_counter()
                listed = len(lister.keys("runs/"))
                rows.setdefault(f"listing|{slug}", []).append((time.perf_counter() - started, 0.0, 0, listed))
            snapshot_store = open_store(f"s3://bench-{rep}-big/night", endpoint_url=endpoint)
            started = time.perf_counter()
            publish_snapshot(snapshot_store, tmp / f"s3-{rep}-big.db")
            rows.setdefault("snapshot|publish to S3", []).append((time.perf_counter() - started, 0.0, 0, 1))
    _report(rows, args)


def _report(rows: dict[str, list[tuple[float, float, int, int]]], args: Any) -> None:
    print(f"\n{args.runs} runs x {args.pubs} publications (a first night), then {args.small_runs} runs x 5 "
          f"(quiet nights); {args.repeat} repeats, best of each")  # fmt: skip
    print(f"{'case':<42}{'wall s':>9}{'CPU s':>9}{'pubs/s':>9}{'pubs/CPU s':>12}{'runs/s':>9}{'ms CPU/run':>12}")
    for key, measured in rows.items():
        kind, name = key.split("|")
        wall, cpu, stored, runs = min(measured)
        pubs = f"{stored / wall:.0f}" if stored else "-"
        pubs_cpu = f"{stored / cpu:.0f}" if stored and cpu else "-"
        per_run = f"{1000 * cpu / runs:.1f}" if cpu else "-"
        if kind == "listing":
            print(f"{kind + ': ' + name:<42}{wall:>9.2f}{'':>9}{'':>9}{'':>12}  {runs / wall:.0f} keys/s ({runs} keys)")
            continue
        print(f"{kind + ': ' + name:<42}{wall:>9.2f}{cpu:>9.2f}{pubs:>9}{pubs_cpu:>12}{runs / wall:>9.1f}{per_run:>12}")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
