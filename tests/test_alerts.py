"""Alerts after the nightly run, through Prefect's engine on the MPI mirror, to a real SMTP server (aiosmtpd).

Night 1 stores the site's back catalogue (no alert: it is not news), night 2 (the `mpi-night2` edition: two new
publications, one edited, one moved) sends each team whose watched search or topic got a new publication one
message that says why, night 3 (nothing new) sends nothing.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from migdigest.paths import REPO_ROOT
from migdigest.teams import load_teams
from migdigest.yamlconf import ConfigError
from outputs import alerts as al
from outputs import roundup as rd
from outputs.datasette import free_port
from outputs.mail import SmtpSettings
from storage import Digest
from tests.test_mail import Inbox
from tests.test_roundup import FROZEN, TEAMS_YAML, build_digest

REAL = "https://www.migrationpolicy.org"
# The roundup tests' teams, the protection team also asking for alerts on its saved search.
WATCHING_PUSHBACKS = TEAMS_YAML.replace(
    "      - {name: pushbacks, query: pushback*}\n",
    "      - {name: pushbacks, query: pushback*}\n    alerts: {searches: [pushbacks]}\n",
)
ALERT_TEAMS = """
settings:
  digest_url: https://digest.example.org
  manage_address: digest-admin@example.org
teams:
  horn:
    title: Horn of Africa desk
    recipients: [horn@example.org]
    searches: [{name: sudan, query: Sudan}]
    alerts: {searches: [sudan]}
  eu:
    title: EU policy team
    recipients: [eu@example.org, eu-lead@example.org]
    topics: [Asylum and protection]
    regions: [Europe]
    alerts: {topics: [Asylum and protection]}
  gulf:
    recipients: [gulf@example.org]
    searches: [{name: kafala, query: kafala}]
    alerts: {searches: [kafala]}
  weekly:
    recipients: [weekly@example.org]
    topics: [Asylum and protection]
"""


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("alerts-config")
    shutil.copy(REPO_ROOT / "config" / "sources.yaml", folder / "sources.yaml")
    shutil.copytree(REPO_ROOT / "config" / "sources.d", folder / "sources.d")
    (folder / "teams.yaml").write_text(ALERT_TEAMS, encoding="utf-8")
    return folder


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port, and what it receives."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


def _night(site: str, db_path: Path, out_dir: Path, config_dir: Path) -> dict[str, list[dict[str, Any]]]:
    from flows.alerts import nightly_with_alerts
    from mirrors.server import MirrorServer

    with MirrorServer(site) as mirror:
        state = nightly_with_alerts(
            sources=["mpi"], db_path=db_path, base_urls={"mpi": mirror.base_url}, config_dir=config_dir,
            out_dir=out_dir, return_state=True,
        )  # fmt: skip
    assert state.is_completed(), state.message
    result: dict[str, list[dict[str, Any]]] = state.result()
    return result


@pytest.fixture(scope="module")
def three_nights(
    prefect_harness: None,
    smtp: tuple[Inbox, int],
    config_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[dict[str, list[dict[str, Any]]]], list[list[EmailMessage]]]:
    """Night 1 on the MPI mirror, nights 2 and 3 on its next edition; the mail received after each night."""
    inbox, port = smtp
    folder = tmp_path_factory.mktemp("alerts")
    db_path, out_dir = folder / "digest.db", folder / "out"
    mp = pytest.MonkeyPatch()
    mp.setenv("MIGDIGEST_SMTP_HOST", "127.0.0.1")
    mp.setenv("MIGDIGEST_SMTP_PORT", str(port))
    mp.setenv("MIGDIGEST_MAIL_FROM", "alerts@example.org")
    nights, mail = [], []
    try:
        for site in ("mpi", "mpi-night2", "mpi-night2"):
            before = len(inbox.received)
            nights.append(_night(site, db_path, out_dir, config_dir))
            mail.append(inbox.messages()[before:])
            if len(nights) == 1:  # the digest after night 1, for the command line's own night 2
                with sqlite3.connect(db_path) as live, sqlite3.connect(folder / "night1.db") as copy:
                    live.backup(copy)
    finally:
        mp.undo()
    return db_path, nights, mail


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def test_the_back_catalogue_is_not_news(three_nights: tuple[Path, list[Any], list[list[EmailMessage]]]) -> None:
    _db_path, nights, mail = three_nights
    assert nights[0]["nightly"][0]["new"] > 40  # the whole site
    assert mail[0] == []
    assert {row["team"]: row["note"] for row in nights[0]["alerts"]} == {
        "horn": "nothing new on its watched searches and topics",
        "eu": "nothing new on its watched searches and topics",
        "gulf": "nothing new on its watched searches and topics",
        "weekly": "no alerts in teams.yaml",
    }


def test_new_matching_publications_send_each_team_one_alert_that_says_why(
    three_nights: tuple[Path, list[Any], list[list[EmailMessage]]],
) -> None:
    from mirrors import SITES

    db_path, nights, mail = three_nights
    changes = SITES["mpi-night2"].edition_changes()
    truth = {REAL + p.path: p for p in SITES["mpi-night2"].publications()}
    new = {REAL + path: truth[REAL + path].title for path in changes.new}
    assert nights[1]["nightly"][0]["new"] == len(new) == 2
    sudan = next(url for url, title in new.items() if "Sudan" in title)
    by_team: dict[str, list[EmailMessage]] = {}
    for msg in mail[1]:
        team = msg["X-Migdigest-Alert"].split()[0]
        by_team.setdefault(team, []).append(msg)
    assert sorted(by_team) == ["eu", "horn"]  # gulf's search matched only old publications; weekly has no alerts
    assert all(len(messages) == 1 for messages in by_team.values())  # one message per team
    [horn] = by_team["horn"]
    assert horn["To"] == "horn@example.org"
    assert horn["Subject"].strip() == "Horn of Africa desk alert: 1 new publication (Search: sudan)"
    assert horn["List-Unsubscribe"].strip() == "<mailto:digest-admin@example.org?subject=Unsubscribe%20horn>"
    text = _text(horn)
    assert new[sudan] in " ".join(text.split())
    assert "Why: Search: sudan" in text
    assert f"\n  {sudan}\n" in text  # the link to the original, whole
    with Digest(db_path) as db:
        doc = db.document(sudan.replace("://www.", "://"))
        assert doc is not None
        assert f"https://digest.example.org/digest/documents/{doc['id']}" in text
    for line in text.splitlines():
        assert len(line) <= 76 or len(line.split()) == 1
    [eu] = by_team["eu"]
    assert sorted(a.strip() for a in eu["To"].split(",")) == ["eu-lead@example.org", "eu@example.org"]
    eu_text = " ".join(_text(eu).split())
    alerted = [title for title in new.values() if title in eu_text]
    assert alerted  # the new publications on asylum, and nothing else
    assert eu["Subject"].strip() == (  # (a header a little too long is folded before its value)
        f"EU policy team alert: {len(alerted)} new publication{'s' if len(alerted) != 1 else ''}"
        " (Topic: Asylum and protection)"
    )
    assert eu_text.count("Why: Topic: Asylum and protection") == len(alerted)
    html = eu.get_body(("html",))
    assert html is not None
    assert "Why: <strong>Topic: Asylum and protection</strong>" in html.get_content()
    # The edited and the moved publication are not new: never in an alert.
    edited = truth[REAL + changes.changed].title
    moved = truth[REAL + changes.moved_to].title
    assert edited not in eu_text
    assert moved not in eu_text
    with Digest(db_path) as db:
        assert db.alerted_ids("horn", [db.document(sudan.replace("://www.", "://"))["id"]])  # type: ignore[index]


def test_a_night_with_nothing_new_sends_nothing(three_nights: tuple[Path, list[Any], list[list[EmailMessage]]]) -> None:
    _, nights, mail = three_nights
    assert nights[2]["nightly"][0]["new"] == 0
    assert mail[2] == []
    assert {row["team"] for row in nights[2]["alerts"] if row["sent"]} == set()


def test_migdigest_run_alerts_sends_after_the_night(
    three_nights: tuple[Path, list[Any], list[list[EmailMessage]]],
    config_dir: Path,
    mailbox: tuple[Inbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cli.app import app
    from mirrors.server import MirrorServer

    inbox, port = mailbox
    db_path = tmp_path / "digest.db"
    shutil.copy(three_nights[0].parent / "night1.db", db_path)
    monkeypatch.setenv("MIGDIGEST_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MIGDIGEST_SMTP_PORT", str(port))
    monkeypatch.setenv("MIGDIGEST_OUT", str(tmp_path / "out"))
    with MirrorServer("mpi-night2") as mirror:
        args = ["run", "--source", "mpi", "--base-url", f"mpi={mirror.base_url}", "--db", str(db_path),
                "--config-dir", str(config_dir), "--alerts"]  # fmt: skip
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "horn: 1 new publication (Search: sudan), sent to horn@example.org" in output
    assert "weekly: no alerts in teams.yaml" in output
    assert sorted(m["X-Migdigest-Alert"].split()[0] for m in inbox.messages()) == ["eu", "horn"]


def test_run_alerts_without_smtp_stops_before_crawling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.app import app

    monkeypatch.delenv("MIGDIGEST_SMTP_HOST", raising=False)
    result = CliRunner().invoke(app, ["run", "--source", "mpi", "--db", str(tmp_path / "d.db"), "--alerts"])
    assert result.exit_code == 2
    assert "--alerts: MIGDIGEST_SMTP_HOST is not set" in " ".join(result.output.split())
    assert not (tmp_path / "d.db").exists()


# --- without Prefect: once a night, never twice, the CLI -------------------------------------------------------


def _store_new(db_path: Path, slug: str, title: str, seen: str, **fields: Any) -> None:
    from migdigest.models import Publication

    url = f"https://mpi.example.org/{slug}"
    with Digest(db_path) as db:
        pub = Publication(source="mpi", url=url, canonical_url=url, title=title, **fields)
        db.store([pub], seen)


def test_one_message_a_night_and_never_the_same_item_twice(mailbox: tuple[Inbox, int], tmp_path: Path) -> None:
    (tmp_path / "teams.yaml").write_text(WATCHING_PUSHBACKS, encoding="utf-8")
    teams = load_teams(tmp_path)
    db_path = build_digest(tmp_path / "digest.db")
    inbox, port = mailbox
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="alerts@example.org")
    night = datetime(2026, 11, 24, 2, tzinfo=UTC)
    _store_new(db_path, "evros", "Pushbacks on the Evros", night.isoformat(), body="More pushbacks reported.")
    team = [teams.team("protection")]
    with Digest(db_path) as db:
        now = night + timedelta(hours=1)
        first = al.run_alerts(db, teams, team, tmp_path, smtp=smtp, now=now, night_started=night.isoformat())
        # The Greek border commentary (stored five days earlier, within alert_days) and tonight's report.
        assert [o.items for o in first] == [2]
        assert first[0].sent
        assert first[0].watched == ["Search: pushbacks"]
        # Later the same night something new comes in: it waits for the next night.
        _store_new(db_path, "evros-2", "Pushbacks again", (night + timedelta(hours=2)).isoformat(), body="Pushback.")
        later = now + timedelta(hours=2)
        again = al.run_alerts(db, teams, team, tmp_path, smtp=smtp, now=later, night_started=night.isoformat())
        assert again[0].note.startswith("already alerted tonight")
        next_night = night + timedelta(days=1)
        third = al.run_alerts(
            db, teams, team, tmp_path, smtp=smtp, now=next_night, night_started=next_night.isoformat()
        )
        assert third[0].items == 1  # only the one not sent yet
        fourth = al.run_alerts(
            db, teams, team, tmp_path, smtp=smtp, now=next_night + timedelta(days=1),
            night_started=(next_night + timedelta(days=1)).isoformat(),
        )  # fmt: skip
        assert fourth[0].note == "nothing new on its watched searches and topics"
    subjects = [m["Subject"].strip() for m in inbox.messages()]
    assert subjects == [
        "Protection team alert: 2 new publications (Search: pushbacks)",
        "Protection team alert: 1 new publication (Search: pushbacks)",
    ]
    texts = [_text(m) for m in inbox.messages()]
    assert "Pushbacks on the Evros" in texts[0]
    assert "Pushbacks again" not in texts[0]
    assert "What Happens at the Greek Land Border" in texts[0]
    assert "Pushbacks again" in texts[1]
    assert "Pushbacks on the Evros" not in texts[1]
    # Archived, whether sent or not.
    assert len(list((tmp_path / "alerts" / "protection").glob("*.html"))) == 2


def test_a_failed_send_is_not_recorded_and_goes_again(tmp_path: Path) -> None:
    (tmp_path / "teams.yaml").write_text(TEAMS_YAML.replace("regions: [Europe]",
        "regions: [Europe]\n    alerts: {topics: [asylum and protection]}"), encoding="utf-8")  # fmt: skip
    teams = load_teams(tmp_path)
    db_path = build_digest(tmp_path / "digest.db")
    night = datetime(2026, 11, 24, 2, tzinfo=UTC)
    _store_new(db_path, "asylum-2", "Asylum in 2027", night.isoformat(), body="Text.", topics=["Asylum and protection"])
    nobody = SmtpSettings(host="127.0.0.1", port=free_port())
    with Digest(db_path) as db:
        team = [teams.team("protection")]
        [failed] = al.run_alerts(db, teams, team, tmp_path, smtp=nobody, now=night, attempts=1)
        assert (failed.items, failed.sent) == (2, False)  # with the report on asylum stored five days before
        assert failed.send is not None
        assert failed.send.error.startswith("ConnectionRefusedError")
        [again] = al.run_alerts(db, teams, team, tmp_path, smtp=None, now=night)
        assert (again.items, again.note) == (2, "archived only (not sent)")
        assert db.last_alert("protection") is None


def test_cli_previews_and_sends(mailbox: tuple[Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    from cli.alerts import alerts as alerts_command

    app = typer.Typer()
    app.command()(alerts_command)

    @app.callback()
    def main() -> None:
        """Keep `alerts` a subcommand."""

    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(REPO_ROOT / "config" / "sources.yaml", config / "sources.yaml")
    shutil.copytree(REPO_ROOT / "config" / "sources.d", config / "sources.d")
    (config / "teams.yaml").write_text(WATCHING_PUSHBACKS, encoding="utf-8")
    db_path = build_digest(tmp_path / "digest.db")
    monkeypatch.setattr(rd, "clock", lambda: FROZEN)
    _store_new(db_path, "evros", "Pushbacks on the Evros", FROZEN.isoformat(), body="Pushbacks.")
    args = ["alerts", "--db", str(db_path), "--out-dir", str(tmp_path / "out"), "--config-dir", str(config)]
    preview = CliRunner().invoke(app, args)
    assert preview.exit_code == 0, preview.output
    out = " ".join(preview.output.split())
    assert "protection: 2 new publications (Search: pushbacks), archived only (not sent)" in out
    assert "labour: no alerts in teams.yaml" in out
    inbox, port = mailbox
    monkeypatch.setenv("MIGDIGEST_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MIGDIGEST_SMTP_PORT", str(port))
    sent = CliRunner().invoke(app, [*args, "--send"])
    assert sent.exit_code == 0, sent.output
    assert "sent to protection@example.org, lead@example.org" in " ".join(sent.output.split())
    again = CliRunner().invoke(app, [*args, "--send"])
    assert again.exit_code == 0, again.output
    assert len(inbox.received) == 1


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ("{searches: [pushback]}", "key 'alerts': searches.0: 'pushback' is not one of the team's saved searches"
         " (did you mean 'pushbacks'?)"),
        ("{topics: [Remittances]}", "key 'alerts': topics.0: 'Remittances' is not one of the team's topics"),
        ("{search: [pushbacks]}", "key 'alerts.search': remove it or check its spelling"),
    ],
)  # fmt: skip
def test_alerts_must_watch_the_teams_own_interests(tmp_path: Path, alerts: str, message: str) -> None:
    text = TEAMS_YAML.replace("regions: [Europe]", f"regions: [Europe]\n    alerts: {alerts}")
    (tmp_path / "teams.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_teams(tmp_path)
    assert message in str(info.value)
    assert re.search(r"teams\.yaml: team 'protection'", str(info.value))


def test_the_scheduled_nightly_can_send_the_alerts(tmp_path: Path) -> None:
    from flows.schedule import build_deployments

    plain, _ = build_deployments(db_path=tmp_path / "d.db", out_dir=tmp_path)
    nightly, weekly = build_deployments(db_path=tmp_path / "d.db", out_dir=tmp_path, alerts=True)
    assert str(plain.entrypoint).endswith("flows/weekly.py:scheduled_nightly")
    assert str(nightly.entrypoint).endswith("flows/alerts.py:nightly_with_alerts")
    assert (nightly.name, nightly.flow_name) == ("nightly", "nightly-alerts")
    assert nightly.parameters == {"db_path": str(tmp_path / "d.db"), "config_dir": None, "out_dir": str(tmp_path),
                                  "send": True}  # fmt: skip
    assert [getattr(s.schedule, "cron", None) for s in nightly.schedules or []] == ["0 2 * * *"]
    assert weekly.name == "weekly-roundup"
