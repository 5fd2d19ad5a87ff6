"""Alerts between roundups: the night a new publication matches a team's watched saved search or topic, one message.

A team watches some of its own saved searches and topics (`alerts:` in teams.yaml). After a nightly run, each such
team gets at most one message naming every new publication that matches one of them, with the roundup's "why";
publications already sent to the team (the digest's `alerts_sent`) are never sent again, and a team already
alerted since the night began gets nothing more until the next night. New means first stored within
`settings.alert_days` days, and not in a source's first batch (its back catalogue). Messages are archived as
`<out_dir>/alerts/<team>/<stamp>.{html,md,txt}` whether sent or not; only a sent one is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from migdigest.teams import Team, Teams, TeamSettings
from outputs import roundup as rd
from outputs.mail import SendResult, SmtpSettings, compose, send_message
from storage import Digest

ALERTS_DIR = "alerts"


@dataclass(slots=True, kw_only=True)
class Alert(rd.Mailing):
    """One team's alert of one night, ready to render."""

    kind: ClassVar[str] = "alert"
    document_ids: list[int] = field(default_factory=list)  # every publication it covers, folded copies included

    @property
    def kicker(self) -> str:
        """The line above the team's name."""
        return f"Alert · {self.day}"

    @property
    def day(self) -> str:
        """`6 December 2026`."""
        return f"{self.generated.day} {self.generated:%B %Y}"

    @property
    def dates(self) -> str:
        """What the mail covers."""
        return f"New in the digest, {self.day}"

    @property
    def watched(self) -> list[str]:
        """The watched interests these items matched, strongest first: `Search: pushbacks`, `Topic: ...`."""
        labels = [reason.label for item in self.items for reason in item.reasons if is_watched(self.team, reason)]
        return list(dict.fromkeys(labels))

    @property
    def title(self) -> str:
        """`Protection team: new publications`."""
        return f"{self.team.display_name}: new publication{'s' if len(self.items) != 1 else ''}"

    @property
    def subject(self) -> str:
        """`Protection team alert: 2 new publications (Search: pushbacks, Topic: Border policy)`."""
        n = len(self.items)
        return f"{self.team.display_name} alert: {n} new publication{'s' if n != 1 else ''} ({', '.join(self.watched)})"

    @property
    def stamp(self) -> str:
        """The archive's file stem: the time it was made, UTC."""
        return self.generated.strftime("%Y-%m-%dT%H%M%SZ")


def is_watched(team: Team, reason: rd.Reason) -> bool:
    """True when the team asked for alerts on this interest."""
    if reason.kind == "search":
        return reason.name in team.alerts.searches
    if reason.kind == "topic":
        return reason.name.casefold() in {t.casefold() for t in team.alerts.topics}
    return False


def build_alert(db: Digest, team: Team, settings: TeamSettings, *, now: datetime) -> Alert | None:
    """The team's alert: new publications matching a watched interest and never sent to it; None when none."""
    if not team.wants_alerts:
        return None
    since = (now - timedelta(days=settings.alert_days)).astimezone(UTC).isoformat(timespec="seconds")
    docs = db.new_documents(since)
    titles = db.source_titles()
    reasons = rd.match_reasons(db, team, docs, titles)
    chosen = [{**d, "reasons": reasons[d["id"]]} for d in docs if any(is_watched(team, r) for r in reasons[d["id"]])]
    done = db.alerted_ids(team.name, (d["id"] for d in chosen))
    chosen = [d for d in chosen if d["id"] not in done]
    if not chosen:
        return None
    items, folded = rd.make_items(db, chosen, settings, titles)
    return Alert(
        team=team,
        generated=now.astimezone(UTC).replace(microsecond=0),
        sections=rd.group(items),
        settings=settings,
        copies_folded=folded,
        document_ids=[d["id"] for d in chosen],
    )


@dataclass(slots=True)
class AlertOutcome:
    """What became of one team's alert tonight."""

    team: str
    items: int = 0
    watched: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    send: SendResult | None = None
    note: str = ""  # why nothing was sent, when nothing was

    @property
    def sent(self) -> bool:
        """True when the message went out."""
        return self.send is not None and self.send.sent


def archive_alert(alert: Alert, out_dir: Path) -> tuple[rd.Rendered, dict[str, str]]:
    """Render the alert and write its three files under `<out_dir>/alerts/<team>/`."""
    rendered = rd.render(alert)
    folder = Path(out_dir) / ALERTS_DIR / alert.team.name
    files = {}
    for fmt in rd.FORMATS:
        path = folder / f"{alert.stamp}.{fmt}"
        rd.write_atomic(path, rendered.get(fmt))
        files[fmt] = str(path)
    return rendered, files


def run_alerts(
    db: Digest,
    teams: Teams,
    chosen: list[Team],
    out_dir: Path,
    *,
    smtp: SmtpSettings | None,
    now: datetime | None = None,
    night_started: str | None = None,
    **send_options: Any,
) -> list[AlertOutcome]:
    """Build, archive and (with `smtp`) send each chosen team's alert; sent publications are recorded.

    `night_started` (ISO time; default: the newest crawl run's start) bounds "one message a night": a team
    already alerted since then waits for the next night. `send_options` go to send_message (attempts, backoff).
    """
    now = now or rd.clock()
    night_started = night_started or db.last_night_started()
    outcomes = []
    for team in chosen:
        outcome = AlertOutcome(team=team.name)
        outcomes.append(outcome)
        if not team.wants_alerts:
            outcome.note = "no alerts in teams.yaml"
            continue
        last = db.last_alert(team.name)
        if smtp is not None and night_started and last and last >= night_started:
            outcome.note = f"already alerted tonight (at {last}): the rest waits for the next night"
            continue
        alert = build_alert(db, team, teams.settings, now=now)
        if alert is None:
            outcome.note = "nothing new on its watched searches and topics"
            continue
        rendered, outcome.files = archive_alert(alert, out_dir)
        outcome.items, outcome.watched = len(alert.items), alert.watched
        if smtp is None:
            outcome.note = "archived only (not sent)"
            continue
        if not team.recipients:
            outcome.note = "no recipients in teams.yaml: archived only"
            continue
        tag = f"alert.{team.name}.{alert.stamp}"
        msg = compose(alert, rendered, smtp.sender, team.recipients, tag)
        msg["X-Migdigest-Alert"] = f"{team.name} {alert.stamp}"
        outcome.send = send_message(msg, smtp, team=team.name, **send_options)
        if outcome.sent:
            why = {item.id: item.why for item in alert.items}
            sent_at = now.astimezone(UTC).isoformat(timespec="seconds")
            db.record_alerts(team.name, [(i, why.get(i, "")) for i in alert.document_ids], sent_at, msg["Message-ID"])
    return outcomes


__all__ = ["Alert", "AlertOutcome", "archive_alert", "build_alert", "is_watched", "run_alerts"]
