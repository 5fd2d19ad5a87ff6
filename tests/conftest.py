"""Shared fixtures: a real mirror server, one Prefect test harness per session, golden-file flag."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the xdist_group marks set here
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs Prefect's engine is slow by definition: `pytest -m "not slow"` is the quick loop.

    Then the order for `make test` (`-n 2 --dist loadgroup --no-loadscope-reorder`): tests that share a module's
    fixture (one crawl, one server) go to one worker together; every other test goes to whichever worker is free;
    slow ones are handed out first, so that no long test starts last while the other worker has run out of work.
    """
    for item in items:
        if "prefect_harness" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    groups: dict[pytest.Item, str] = {}
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        definitions = fixtures.name2fixturedefs.values() if fixtures else ()
        if any(d.scope in ("module", "class") for defs in definitions for d in defs):
            groups[item] = item.nodeid.split("::", 1)[0]
            item.add_marker(pytest.mark.xdist_group(groups[item]))
    slow_groups = {groups[i] for i in groups if i.get_closest_marker("slow")}
    sizes = {name: sum(1 for g in groups.values() if g == name) for name in slow_groups}

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item in groups:
            name = groups[item]
            return (1, -sizes[name]) if name in slow_groups else (2, 0)
        return (0, 0) if item.get_closest_marker("slow") else (2, 0)

    items.sort(key=rank)  # stable: within a rank, the order pytest collected


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
