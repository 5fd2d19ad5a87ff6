"""Shared fixtures: a real mirror server, one Prefect test harness per session, golden-file flag."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from migdigest.objectstore import ObjectStore
from tests.s3 import MotoServer, running_moto

# Prefect reads its home and settings when first imported: point it at a throwaway folder before anything
# imports it, and let `flows` set its offline defaults (no telemetry, no network).
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="migdigest-prefect-")
import flows  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the expected JSON of golden tests from the current output (review the diff!).",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs Prefect's engine is slow by definition: `pytest -m "not slow"` is the quick loop."""
    for item in items:
        if "prefect_harness" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    # A test that mostly waits (on a server's timer) goes first: under xdist it then waits while the other
    # worker runs the rest of the suite, instead of starting last and holding the whole run up by itself.
    items.sort(key=lambda item: item.get_closest_marker("long_wait") is None)


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def mpi_mirror() -> Iterator[str]:
    from mirrors.server import MirrorServer

    with MirrorServer("mpi") as server:
        yield server.base_url


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's real engine on a throwaway ephemeral server, started once for the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """A real S3-compatible server (moto's server mode) on 127.0.0.1, once per session; see tests/s3.py."""
    with running_moto() as server:
        yield server


@pytest.fixture
def s3_store(moto_server: MotoServer) -> ObjectStore:
    """An empty S3 store: a fresh bucket on the session's moto server, opened by URL and endpoint."""
    from migdigest.objectstore import open_store

    return open_store(moto_server.store_url(), endpoint_url=moto_server.endpoint_url)


@pytest.fixture(params=["local", "s3"])
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """Each test that takes it runs twice: on a local folder store and on an S3 store (moto)."""
    from migdigest.objectstore import open_store

    if request.param == "local":
        return open_store((tmp_path / "store").as_uri())
    s3: ObjectStore = request.getfixturevalue("s3_store")
    return s3
