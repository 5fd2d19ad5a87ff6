"""Flow runs on Prefect's temporary server (`migdigest run`) send no heartbeats; with a configured API, unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import json
import flows
from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.settings import get_current_settings
from flows.server import temporary_server

@task
def heartbeat() -> int | None:
    return get_current_settings().flows.heartbeat_frequency

@flow(name="probe")
def probe() -> int | None:
    return heartbeat()

if __name__ == "__main__":
    before = get_current_settings().flows.heartbeat_frequency
    with temporary_server():
        state = probe(return_state=True)
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(state.state_details.flow_run_id)
            recorded = run.state_type.value if run.state_type else None
    print(json.dumps([before, state.result(), get_current_settings().flows.heartbeat_frequency, recorded]))
"""


@pytest.mark.slow
def test_a_run_on_the_temporary_server_has_no_heartbeat_and_is_recorded(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(_PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300, check=False,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    before, inside, after, recorded = json.loads(done.stdout.strip().splitlines()[-1])
    assert (before, inside, after) == (180, None, 180)  # Prefect's default outside the block
    assert recorded == "COMPLETED"


def test_a_configured_api_keeps_prefects_heartbeats(prefect_harness: None) -> None:
    from prefect.settings import get_current_settings

    from flows import server

    before = get_current_settings().flows.heartbeat_frequency
    with server.temporary_server():
        assert server._server is None  # the harness's API is used: no server of our own
        assert get_current_settings().flows.heartbeat_frequency == before
    assert before is not None
