"""Where runs and snapshots travel between machines: a local folder (the default) or an S3-compatible bucket.

A store is addressed by a URL: `file:///abs/path` (or a plain path) or `s3://bucket/prefix`. Keys are
`/`-separated relative paths (`runs/mpi/20261206T212200Z-1a2b3c4d/pages.jsonl`). A write is atomic as readers
see it: the local store writes a temporary name in the same folder and renames it, and an S3 PUT is atomic.
S3 credentials come only from the environment (boto3's chain: AWS_ACCESS_KEY_ID, AWS_PROFILE, ...), never
from configuration; `endpoint_url` points at another S3-compatible server (MinIO, moto, Ceph).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from migdigest.paths import DATA_DIR

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ENV_URL = "MIGDIGEST_STORE_URL"
ENV_ENDPOINT_URL = "MIGDIGEST_STORE_ENDPOINT_URL"
DEFAULT_STORE_DIR = DATA_DIR / "store"
# A half-written local file carries this prefix until it is renamed into place; keys() never lists it.
_PARTIAL = ".partial-"
_CHUNK = 1 << 20


class StoreError(Exception):
    """The store cannot be used: a bad URL, an unreachable server, a missing bucket, no credentials."""


class StoreKeyMissing(StoreError):
    """A key the store does not hold."""

    def __init__(self, store_url: str, key: str) -> None:
        super().__init__(f"{store_url}: no object {key!r}")
        self.store_url = store_url
        self.key = key


class ObjectStore(Protocol):
    """Flat keys to bytes, with atomic writes and sorted listings."""

    url: str

    def put_file(self, key: str, path: Path) -> None:
        """Store a file's bytes under `key` (replacing what was there)."""

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing what was there)."""

    def get_file(self, key: str, dest: Path) -> Path:
        """Write the object to `dest` (atomically: a reader never sees half of it); StoreKeyMissing if none."""

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; StoreKeyMissing if none."""

    def keys(self, prefix: str, *, start_after: str = "") -> list[str]:
        """Every key that starts with `prefix` (and sorts after `start_after`, when given), sorted."""

    def exists(self, key: str) -> bool:
        """Whether `key` holds an object."""

    def delete(self, key: str) -> None:
        """Remove the object under `key` (nothing when there is none)."""


def check_key(key: str) -> str:
    """`key` when it is a safe relative key, else a ValueError that says why."""
    if not key or key.startswith("/") or "\\" in key or "\0" in key:
        raise ValueError(f"bad store key {key!r}: use a relative path with '/' separators, such as runs/mpi/run.json")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"bad store key {key!r}: no empty, '.' or '..' parts")
    if parts[-1].startswith(_PARTIAL):
        raise ValueError(f"bad store key {key!r}: names starting with {_PARTIAL!r} are the store's temporary files")
    return key


def _check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key, or a key followed by '/'."""
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix


# -- local folder --------------------------------------------------------------------------------------------
class LocalStore:
    """A folder on this machine; keys are paths under it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.url = self.root.as_uri()

    def __repr__(self) -> str:
        return f"LocalStore({self.url})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put_file(self, key: str, path: Path) -> None:
        """Copy a file under `key`."""
        with _atomic_local(self._path(key)) as out, path.open("rb") as src:
            shutil.copyfileobj(src, out, _CHUNK)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write `data` under `key`."""
        with _atomic_local(self._path(key)) as out:
            out.write(data)

    def get_file(self, key: str, dest: Path) -> Path:
        """Copy the object to `dest`."""
        source = self._path(key)
        try:
            src = source.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StoreKeyMissing(self.url, key) from None
        with src, _atomic_local(dest) as out:
            shutil.copyfileobj(src, out, _CHUNK)
        return dest

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes."""
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StoreKeyMissing(self.url, key) from None

    def keys(self, prefix: str, *, start_after: str = "") -> list[str]:
        """Keys under `prefix` (after `start_after`), sorted."""
        _check_prefix(prefix)
        # Walk only the deepest folder the prefix names, not the whole store.
        folder = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not folder.is_dir():
            return []
        found = []
        for dirpath, _dirs, files in os.walk(folder):
            rel = Path(dirpath).relative_to(self.root).as_posix()
            for name in files:
                if name.startswith(_PARTIAL):
                    continue
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix) and key > start_after:
                    found.append(key)
        return sorted(found)

    def exists(self, key: str) -> bool:
        """Whether the key's file exists."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the key's file."""
        with suppress(FileNotFoundError):
            self._path(key).unlink()


@contextmanager
def _atomic_local(dest: Path) -> Iterator[IO[bytes]]:
    """Write `dest` through a temporary file beside it, so a reader never sees half a download."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=dest.parent, prefix=_PARTIAL, delete=False)  # noqa: SIM115
    try:
        with handle:
            yield handle
        os.replace(handle.name, dest)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise


# -- S3 ------------------------------------------------------------------------------------------------------
class S3Store:
    """A bucket (and a key prefix in it) on S3 or an S3-compatible server."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.url = f"s3://{bucket}/{self.prefix}"
        session = boto3.session.Session()
        # Few retries, short connect timeout: a store that is down is reported in seconds, not minutes.
        config = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"})
        self.client = cast(
            "S3Client",
            session.client(
                "s3", endpoint_url=endpoint_url, region_name=session.region_name or "us-east-1", config=config
            ),
        )

    def __repr__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3Store({self.url}{where})"

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        """boto3's exceptions as StoreError / StoreKeyMissing, each with what to check."""
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

        where = self.endpoint_url or "AWS S3 (no endpoint_url set)"
        try:
            yield
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if key is not None and code in ("NoSuchKey", "404", "NotFound"):
                raise StoreKeyMissing(self.url, key) from None
            if code == "NoSuchBucket":
                raise StoreError(f"{self.url}: no bucket {self.bucket!r} at {where}; create it first") from None
            raise StoreError(f"{self.url}: {where} refused the request ({code or exc})") from None
        except EndpointConnectionError:
            raise StoreError(
                f"{self.url}: cannot reach the store at {where}; is the server up, and is "
                f"{ENV_ENDPOINT_URL} (or the store's endpoint_url) right?"
            ) from None
        except NoCredentialsError:
            raise StoreError(
                f"{self.url}: no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
            ) from None
        except BotoCoreError as exc:
            raise StoreError(f"{self.url}: {exc}") from None

    def put_file(self, key: str, path: Path) -> None:
        """Upload a file under `key`."""
        full = self._key(key)
        with self._errors():
            self.client.upload_file(str(path), self.bucket, full)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Upload `data` under `key`."""
        full = self._key(key)
        with self._errors():
            self.client.put_object(Bucket=self.bucket, Key=full, Body=data)

    def _body(self, key: str) -> Any:
        full = self._key(key)
        with self._errors(key):
            return self.client.get_object(Bucket=self.bucket, Key=full)["Body"]

    def get_file(self, key: str, dest: Path) -> Path:
        """Download the object to `dest`."""
        body = self._body(key)
        with self._errors(key), body, _atomic_local(dest) as out:
            for chunk in body.iter_chunks(_CHUNK):
                out.write(chunk)
        return dest

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes."""
        body = self._body(key)
        with self._errors(key), body:
            return cast(bytes, body.read())

    def keys(self, prefix: str, *, start_after: str = "") -> list[str]:
        """Keys under `prefix` (after `start_after`: S3 skips the rest itself), sorted as the local store sorts."""
        full = self.prefix + _check_prefix(prefix)
        found: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors():
            if start_after:
                pages = paginator.paginate(Bucket=self.bucket, Prefix=full, StartAfter=self.prefix + start_after)
            else:
                pages = paginator.paginate(Bucket=self.bucket, Prefix=full)
            for page in pages:
                found += [item["Key"][len(self.prefix) :] for item in page.get("Contents", [])]
        return sorted(found)

    def exists(self, key: str) -> bool:
        """Whether `key` holds an object (a HEAD request)."""
        try:
            with self._errors(key):
                self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except StoreKeyMissing:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove the object (S3 answers alike whether it existed or not)."""
        full = self._key(key)
        with self._errors():
            self.client.delete_object(Bucket=self.bucket, Key=full)


# -- opening by URL ------------------------------------------------------------------------------------------
def check_store_url(url: str) -> str:
    """`url` when it names a store this module can open, else a ValueError with the forms it accepts."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"bad store URL {url!r}: name the bucket, as in s3://my-bucket/migdigest")
        if parts.query or parts.fragment:
            raise ValueError(f"bad store URL {url!r}: no query or fragment; write s3://bucket/prefix")
        return url
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError(f"bad store URL {url!r}: a folder URL is absolute, as in file:///srv/migdigest/store")
        return url
    if parts.scheme == "" and url:
        return url  # a plain path to a folder
    raise ValueError(f"bad store URL {url!r}: use s3://bucket/prefix, file:///absolute/folder or a folder path")


def open_store(url: str | None = None, *, endpoint_url: str | None = None) -> ObjectStore:
    """The store at `url` (else $MIGDIGEST_STORE_URL, else data/store); S3's endpoint from the argument or env."""
    url = url or os.environ.get(ENV_URL) or str(DEFAULT_STORE_DIR)
    try:
        check_store_url(url)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    parts = urlsplit(url)
    if parts.scheme == "s3":
        return S3Store(parts.netloc, parts.path, endpoint_url=endpoint_url or os.environ.get(ENV_ENDPOINT_URL))
    folder = Path(unquote(parts.path)) if parts.scheme == "file" else Path(url)
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"bad store URL {url!r}: {folder} is a file, not a folder")
    return LocalStore(folder)


__all__ = [
    "DEFAULT_STORE_DIR",
    "ENV_ENDPOINT_URL",
    "ENV_URL",
    "LocalStore",
    "ObjectStore",
    "S3Store",
    "StoreError",
    "StoreKeyMissing",
    "check_key",
    "check_store_url",
    "open_store",
]
