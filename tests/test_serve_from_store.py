"""`migdigest serve --from-store`: a Datasette on another machine serves the newest snapshot (issue 21)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from cli.app import app
from migdigest.objectstore import open_store
from outputs.datasette import DATABASE_NAME, datasette_args, free_port, wait_until_answering
from storage.snapshot import publish_snapshot
from tests.s3 import MotoServer
from tests.test_datasette import build_demo_digest, get_json, known_report

REPO = Path(__file__).resolve().parents[1]


def test_a_second_datasette_serves_the_snapshot_from_the_store(moto_server: MotoServer, tmp_path: Path) -> None:
    digest = build_demo_digest(tmp_path / "writer" / "digest.db")
    url = moto_server.store_url()
    publish_snapshot(open_store(url, endpoint_url=moto_server.endpoint_url), digest)
    port = free_port()
    cache = tmp_path / "reader-cache"  # the reader's machine: no path to the writer's digest
    env = {**os.environ, **moto_server.env, "MIGDIGEST_STORE_URL": url}
    command = [sys.executable, "-m", "cli.app", "serve", "--from-store", "--port", str(port), "--cache-dir", str(cache)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_answering(base + "/-/versions.json", proc, log, timeout=90)
            report = known_report()
            phrase = " ".join(report.body.split("\n")[-1].split()[:6])
            found = get_json(f"{base}/{DATABASE_NAME}/search.json?" + urllib.parse.urlencode({"q": f'"{phrase}"'}))
            assert report.url in [row["url"] for row in found["rows"]]
            # Read-only: the snapshot is served immutable, and nothing beside it appears (no -wal, no -shm).
            databases = get_json(f"{base}/-/databases.json")
            assert [(d["name"], d["is_mutable"]) for d in databases if d["name"] == DATABASE_NAME] == [
                (DATABASE_NAME, False)
            ]
            assert sorted(p.name for p in cache.iterdir()) == ["digest.db", "digest.json"]
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def test_serving_from_a_store_without_a_snapshot_says_so(moto_server: MotoServer, tmp_path: Path) -> None:
    url = moto_server.store_url()
    args = ["serve", "--from-store", "--store", url, "--cache-dir", str(tmp_path / "c")]
    result = CliRunner().invoke(app, [*args, "--endpoint-url", moto_server.endpoint_url])
    assert result.exit_code == 1
    assert "no digest snapshot yet" in " ".join(result.stderr.split())


def test_serving_from_a_store_that_is_down_says_so(tmp_path: Path) -> None:
    port = free_port()
    env = {"MIGDIGEST_STORE_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x"}  # fmt: skip
    args = ["serve", "--from-store", "--store", "s3://b/p", "--cache-dir", str(tmp_path / "c")]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1
    assert "cannot reach the store" in " ".join(result.stderr.split())


def test_immutable_args_serve_the_file_read_only(tmp_path: Path) -> None:
    args = datasette_args(tmp_path / "digest.db", "127.0.0.1", 8001, immutable=True)
    assert args[4:6] == ["-i", str(tmp_path / "digest.db")]
