"""Sending roundups by email: SMTP settings from the environment, a multipart message, retries with backoff.

Settings (secrets only ever from the environment):
- MIGDIGEST_SMTP_HOST (required to send), MIGDIGEST_SMTP_PORT (default 587 with STARTTLS, else 25),
- MIGDIGEST_SMTP_USER and MIGDIGEST_SMTP_PASSWORD (no user: no login),
- MIGDIGEST_SMTP_STARTTLS (true/false, default false), MIGDIGEST_MAIL_FROM (default migdigest@localhost).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from outputs.roundup import Archived, Mailing, Rendered

ENV_PREFIX = "MIGDIGEST_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_S = 2.0  # waits 2 s, then 4 s, ... between attempts
DEFAULT_TIMEOUT_S = 30.0


class MailConfigError(Exception):
    """The SMTP environment is incomplete or wrong; the message names the variable and the fix."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send (the password is never printed)."""

    host: str
    port: int = 25
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    sender: str = "migdigest@localhost"
    timeout: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read the MIGDIGEST_SMTP_* and MIGDIGEST_MAIL_FROM variables."""
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return env.get(ENV_PREFIX + name, "").strip()

        host = get("SMTP_HOST")
        if not host:
            raise MailConfigError(
                "MIGDIGEST_SMTP_HOST is not set: set it to your SMTP server (e.g. smtp.example.org) to send"
                " roundups, or leave out --send to only archive them"
            )
        flag = get("SMTP_STARTTLS").lower()
        if flag not in _TRUE | _FALSE:
            raise MailConfigError(f"MIGDIGEST_SMTP_STARTTLS={flag!r}: use true or false")
        starttls = flag in _TRUE
        raw_port = get("SMTP_PORT") or ("587" if starttls else "25")
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise MailConfigError(f"MIGDIGEST_SMTP_PORT={raw_port!r}: use a port number such as 25 or 587")
        user, password = get("SMTP_USER"), env.get(ENV_PREFIX + "SMTP_PASSWORD", "")
        if password and not user:
            raise MailConfigError("MIGDIGEST_SMTP_PASSWORD is set but MIGDIGEST_SMTP_USER is not: set the user too")
        sender = get("MAIL_FROM") or "migdigest@localhost"
        if "@" not in sender:
            raise MailConfigError(f"MIGDIGEST_MAIL_FROM={sender!r}: use an address such as digest@example.org")
        return cls(host=host, port=int(raw_port), user=user, password=password, starttls=starttls, sender=sender)


@dataclass(slots=True)
class SendResult:
    """What happened to one email: sent or not, after how many attempts, and the last error."""

    team: str
    recipients: list[str]
    sent: bool = False
    attempts: int = 0
    error: str = ""
    refused: dict[str, str] = field(default_factory=dict)  # recipients the server refused while others got it


def compose(mailing: Mailing, rendered: Rendered, sender: str, recipients: Sequence[str], tag: str) -> EmailMessage:
    """A multipart/alternative email (plain text first, HTML second) with List-Unsubscribe headers (RFC 2369/8058).

    `tag` goes into the Message-ID (e.g. `roundup.protection.2026-W47`).
    """
    msg = EmailMessage()
    msg["Subject"] = mailing.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(mailing.generated)
    msg["Message-ID"] = make_msgid(tag, sender.rpartition("@")[2])
    unsubscribe, one_click = mailing.list_unsubscribe(sender)
    msg["List-Unsubscribe"] = unsubscribe
    if one_click:  # only a web page can take the one-click POST; a mailto: cannot
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Id"] = f"{mailing.team.display_name} <{mailing.team.name}.migdigest.{sender.rpartition('@')[2]}>"
    msg.set_content(rendered.txt)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def build_message(archived: Archived, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """A roundup's email: both parts, List-Unsubscribe, and an X-Migdigest-Roundup header naming team and week."""
    roundup = archived.roundup
    msg = compose(roundup, archived.rendered, sender, recipients, f"roundup.{roundup.team.name}.{roundup.week.label}")
    msg["X-Migdigest-Roundup"] = f"{roundup.team.name} {roundup.week.label}"
    return msg


def _permanent(exc: Exception) -> bool:
    """A 5xx answer (or no way to log in or encrypt) will not change on a retry; timeouts and 4xx might."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError)


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{type(exc).__name__}: {exc.smtp_code} {detail}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"all recipients refused: {sorted(exc.recipients)}"
    return f"{type(exc).__name__}: {exc}"


def _deliver(msg: EmailMessage, settings: SmtpSettings) -> dict[str, str]:
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password)
        refused = smtp.send_message(msg)
    return {addr: f"{code} {text.decode(errors='replace')}" for addr, (code, text) in refused.items()}


def send_message(
    msg: EmailMessage,
    settings: SmtpSettings,
    *,
    team: str = "",
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SendResult:
    """Send with up to `attempts` tries (waits double from `backoff`); never raises for SMTP or network errors."""
    backoff = DEFAULT_BACKOFF_S if backoff is None else backoff  # looked up now, so that tests can shorten it
    sleep = time.sleep if sleep is None else sleep
    recipients = [a.strip() for a in str(msg["To"] or "").split(",") if a.strip()]
    result = SendResult(team=team, recipients=recipients)
    for attempt in range(1, max(1, attempts) + 1):
        result.attempts = attempt
        try:
            result.refused = _deliver(msg, settings)
        except (smtplib.SMTPException, OSError) as exc:
            result.error = _describe(exc)
            if _permanent(exc) or attempt >= attempts:
                return result
            sleep(backoff * 2 ** (attempt - 1))
        else:
            result.sent, result.error = True, ""
            return result
    return result


def send_roundup(
    archived: Archived,
    settings: SmtpSettings,
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> SendResult:
    """Email an archived roundup to its team's recipients (a team without recipients is reported, not sent)."""
    team = archived.roundup.team
    if not team.recipients:
        return SendResult(team=team.name, recipients=[], error="the team has no recipients in teams.yaml")
    msg = build_message(archived, settings.sender, team.recipients)
    return send_message(msg, settings, team=team.name, attempts=attempts, backoff=backoff, sleep=sleep)
