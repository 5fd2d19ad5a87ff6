"""The object store: a local folder and a real S3-compatible server (moto) pass the same tests."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from migdigest.config import StoreSettings
from migdigest.objectstore import LocalStore, ObjectStore, S3Store, StoreError, StoreKeyMissing, open_store
from tests.s3 import MotoServer


@pytest.fixture
def store(object_store: ObjectStore) -> ObjectStore:
    """A local folder store, then an S3 store (conftest's object_store)."""
    return object_store


def test_bytes_and_files_round_trip(store: ObjectStore, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 5000  # > 1 MiB: more than one chunk
    src = tmp_path / "src.bin"
    src.write_bytes(payload)
    store.put_file("runs/mpi/r1/pages.warc.gz", src)
    store.put_bytes("runs/mpi/r1/run.json", b'{"source": "mpi"}')
    assert store.get_bytes("runs/mpi/r1/pages.warc.gz") == payload
    dest = store.get_file("runs/mpi/r1/run.json", tmp_path / "down" / "deep" / "run.json")
    assert dest.read_bytes() == b'{"source": "mpi"}'
    assert [p.name for p in dest.parent.iterdir()] == ["run.json"]  # no temporary file left behind
    assert store.exists("runs/mpi/r1/run.json")
    assert not store.exists("runs/mpi/r1/other.json")


def test_put_replaces(store: ObjectStore) -> None:
    store.put_bytes("a/b", b"one")
    store.put_bytes("a/b", b"two")
    assert store.get_bytes("a/b") == b"two"
    assert store.keys("a/") == ["a/b"]


def test_keys_are_sorted_full_keys_under_a_prefix(store: ObjectStore) -> None:
    for key in ["runs/mpi/r2/b", "runs/mpi/r1/a", "runs/mpi/r1/c", "runs/mpig/r1/x", "snapshots/latest.json"]:
        store.put_bytes(key, key.encode())
    assert store.keys("runs/mpi/") == ["runs/mpi/r1/a", "runs/mpi/r1/c", "runs/mpi/r2/b"]
    assert store.keys("runs/mpi") == ["runs/mpi/r1/a", "runs/mpi/r1/c", "runs/mpi/r2/b", "runs/mpig/r1/x"]
    assert store.keys("") == sorted(
        ["runs/mpi/r2/b", "runs/mpi/r1/a", "runs/mpi/r1/c", "runs/mpig/r1/x", "snapshots/latest.json"]
    )
    assert store.keys("nothing/") == []


def test_keys_after_a_point(store: ObjectStore) -> None:
    for key in ["finished/20261201T000000Z-aa/mpi", "finished/20261202T000000Z-bb/odi", "finished/20261203T0000Z-c/x"]:
        store.put_bytes(key, b"")
    assert store.keys("finished/", start_after="finished/20261202") == [
        "finished/20261202T000000Z-bb/odi",
        "finished/20261203T0000Z-c/x",
    ]
    assert store.keys("finished/", start_after="finished/20261202T000000Z-bb/odi") == ["finished/20261203T0000Z-c/x"]
    assert store.keys("finished/", start_after="zzz") == []
    assert len(store.keys("finished/", start_after="")) == 3


def test_delete(store: ObjectStore) -> None:
    store.put_bytes("snapshots/x.db", b"x")
    store.delete("snapshots/x.db")
    store.delete("snapshots/x.db")  # deleting what is not there is no error
    assert not store.exists("snapshots/x.db")
    assert store.keys("snapshots/") == []


def test_missing_key_is_a_clear_error(store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(StoreKeyMissing, match=r"no object 'runs/none/run.json'") as info:
        store.get_bytes("runs/none/run.json")
    assert info.value.key == "runs/none/run.json"
    with pytest.raises(StoreKeyMissing):
        store.get_file("runs/none/run.json", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".partial-*"))  # the download's temporary file is gone too


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../up", "a/../b", "a//b", "a/./b", "a\\b", "a/.partial-x"])
def test_bad_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError, match="bad store key"):
        store.put_bytes(key, b"x")
    with pytest.raises(ValueError, match="bad store key"):
        store.get_bytes(key)


def test_half_written_local_file_is_never_listed_or_read(tmp_path: Path) -> None:
    """A writer killed mid-put leaves only a temporary name: readers see the old object or none."""
    store = LocalStore(tmp_path)
    store.put_bytes("runs/a/run.json", b"old")
    (tmp_path / "runs" / "a" / ".partial-abc123").write_bytes(b"half")
    assert store.keys("runs/") == ["runs/a/run.json"]
    assert store.get_bytes("runs/a/run.json") == b"old"


def test_local_readers_never_see_a_partial_object(tmp_path: Path) -> None:
    """Readers racing a writer that keeps replacing one key read whole versions only."""
    store = LocalStore(tmp_path)
    versions = [bytes([n]) * 300_000 for n in range(20)]
    store.put_bytes("k", versions[0])
    done = threading.Event()

    def write() -> None:
        for data in versions[1:]:
            store.put_bytes("k", data)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    reads = 0
    while not done.is_set() or reads == 0:
        assert store.get_bytes("k") in versions
        reads += 1
    writer.join()
    assert store.get_bytes("k") == versions[-1]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://", "name the bucket"),
        ("s3:///prefix", "name the bucket"),
        ("ftp://host/folder", "use s3://bucket/prefix"),
        ("file://remote-host/folder", "absolute"),
        ("s3://bucket/p?x=1", "no query"),
    ],
)
def test_bad_store_url_is_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        open_store(url)
    with pytest.raises(ValueError, match=message):
        StoreSettings(url=url)


def test_store_url_naming_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        open_store(str(tmp_path / "f"))


def test_open_store_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto_server: MotoServer
) -> None:
    monkeypatch.setenv("MIGDIGEST_STORE_URL", str(tmp_path / "from-env"))
    local = open_store()
    assert isinstance(local, LocalStore)
    assert local.url == (tmp_path / "from-env").as_uri()
    url = moto_server.store_url("p")
    monkeypatch.setenv("MIGDIGEST_STORE_URL", url)
    monkeypatch.setenv("MIGDIGEST_STORE_ENDPOINT_URL", moto_server.endpoint_url)
    # The environment wins over the configuration, so one config serves machines with different stores.
    remote = StoreSettings(url=(tmp_path / "cfg").as_uri()).open()
    assert isinstance(remote, S3Store)
    remote.put_bytes("x", b"1")
    assert remote.url == url + "/"
    assert remote.keys("") == ["x"]


def test_prefixes_keep_stores_apart(moto_server: MotoServer) -> None:
    bucket = moto_server.new_bucket()
    one = open_store(f"s3://{bucket}/one", endpoint_url=moto_server.endpoint_url)
    two = open_store(f"s3://{bucket}/two", endpoint_url=moto_server.endpoint_url)
    one.put_bytes("k", b"1")
    assert two.keys("") == []
    assert not two.exists("k")
    assert one.keys("") == ["k"]


def test_missing_bucket_is_a_clear_error(moto_server: MotoServer) -> None:
    store = open_store("s3://no-such-bucket-here/p", endpoint_url=moto_server.endpoint_url)
    with pytest.raises(StoreError, match=r"no bucket 'no-such-bucket-here'.*create it first"):
        store.put_bytes("k", b"x")


def test_store_that_is_down_is_a_clear_error(moto_server: MotoServer) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = open_store("s3://bucket/p", endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(StoreError, match=rf"cannot reach the store at http://127.0.0.1:{port}"):
        store.put_bytes("k", b"x")
    with pytest.raises(StoreError, match="cannot reach the store"):
        store.keys("")
