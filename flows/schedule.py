"""The nightly crawl and the weekly roundups as cron-scheduled Prefect deployments, served from one machine.

Cron schedules only run against a real Prefect server (`prefect server start`), never the ephemeral one that
Prefect starts on its own: the command checks PREFECT_API_URL and the server's health before serving, and says
how to start one. Prefect is imported only when needed (it takes seconds), so `migdigest --help` stays fast.
`migdigest schedule` (cli/schedule.py) is the command.
See docs/schedules.md, and prefect.yaml for the work-pool variant with several workers.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from migdigest.paths import DEFAULT_DB, DEFAULT_OUT_DIR, REPO_ROOT

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

NIGHTLY_CRON = "0 2 * * *"  # every day at 02:00
WEEKLY_CRON = "0 7 * * 1"  # Mondays at 07:00, after the Sunday night crawl has closed the week
NIGHTLY_ENTRYPOINT = f"{REPO_ROOT / 'flows' / 'weekly.py'}:scheduled_nightly"
WEEKLY_ENTRYPOINT = f"{REPO_ROOT / 'flows' / 'weekly.py'}:weekly_roundup"
# With alerts: the same nightly (hooks included), then each team's alert (flows/alerts.py).
NIGHTLY_ALERTS_ENTRYPOINT = f"{REPO_ROOT / 'flows' / 'alerts.py'}:nightly_with_alerts"
START_SERVER_HELP = (
    "Cron schedules need a real Prefect server (the ephemeral one Prefect starts by itself never runs them).\n"
    "In another terminal:\n"
    "    PREFECT_SERVER_ANALYTICS_ENABLED=false .venv/bin/prefect server start --host 127.0.0.1 --port 4200\n"
    "then here:\n"
    "    export PREFECT_API_URL=http://127.0.0.1:4200/api\n"
    "    .venv/bin/migdigest schedule\n"
    "(docs/schedules.md explains more, including several workers with prefect.yaml.)"
)


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment, else from the active Prefect profile, else None."""
    url = os.environ.get("PREFECT_API_URL", "").strip()
    if url:
        return url
    from prefect.settings import get_current_settings  # only on this path: importing Prefect is slow

    profile_url = get_current_settings().api.url
    return str(profile_url) if profile_url else None


def server_problem(api_url: str, timeout: float = 5.0) -> str | None:
    """Why the Prefect API at `api_url` cannot be used (None when its /health answers true)."""
    health = api_url.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(health, timeout=timeout) as response:
            if json.loads(response.read() or b"null") is True:
                return None
            return f"{health} answered, but not as a Prefect server"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"no Prefect server answers at {api_url} ({reason})"


def build_deployments(
    db_path: Path = DEFAULT_DB,
    out_dir: Path = DEFAULT_OUT_DIR,
    config_dir: Path | None = None,
    timezone: str = "UTC",
    nightly_cron: str = NIGHTLY_CRON,
    weekly_cron: str = WEEKLY_CRON,
    send: bool = True,
    alerts: bool = False,
) -> list[RunnerDeployment]:
    """The two scheduled deployments `serve_schedules` runs: nightly (all sources; `alerts`: then the teams'
    alerts) and the weekly roundups."""
    from prefect.deployments.runner import RunnerDeployment
    from prefect.schedules import Cron

    common = {"db_path": str(db_path), "config_dir": str(config_dir) if config_dir else None}
    nightly_alerts = {"out_dir": str(out_dir), "send": send} if alerts else {}
    return [
        # From entrypoints rather than nightly.to_deployment(): a run loads its flow from the entrypoint, and
        # nightly's must be the variant with the summary hooks. Absolute paths: serve from any folder.
        RunnerDeployment.from_entrypoint(
            NIGHTLY_ALERTS_ENTRYPOINT if alerts else NIGHTLY_ENTRYPOINT,
            name="nightly",
            schedules=[Cron(nightly_cron, timezone=timezone)],
            parameters={**common, **nightly_alerts},
            description="Crawl, extract and store every configured source.",
            tags=["migdigest", "nightly"],
        ),
        RunnerDeployment.from_entrypoint(
            WEEKLY_ENTRYPOINT,
            name="weekly-roundup",
            schedules=[Cron(weekly_cron, timezone=timezone)],
            parameters={**common, "out_dir": str(out_dir), "send": send},
            description="Archive and email every team's roundup of the week that just ended.",
            tags=["migdigest", "weekly"],
        ),
    ]


def serve_schedules(
    db_path: Path = DEFAULT_DB,
    out_dir: Path = DEFAULT_OUT_DIR,
    config_dir: Path | None = None,
    timezone: str = "UTC",
    nightly_cron: str = NIGHTLY_CRON,
    weekly_cron: str = WEEKLY_CRON,
    send: bool = True,
    alerts: bool = False,
) -> None:
    """Register both deployments with the Prefect server and run their flow runs here until interrupted."""
    from prefect import serve

    deployments = build_deployments(db_path, out_dir, config_dir, timezone, nightly_cron, weekly_cron, send, alerts)
    # One run at a time: the nightly crawl and a roundup never compete for the two cores or the digest.
    serve(*deployments, limit=1)
