"""Emailing roundups to a real SMTP server on loopback: both parts, headers, login, retries, failures reported."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from typer.testing import CliRunner

from migdigest.teams import load_teams
from outputs import mail
from outputs import roundup as rd
from storage import Digest
from tests.test_roundup import FROZEN, TEAMS_YAML, WEEK, XSS_TITLE, _cli, build_digest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps what it receives, refusing the first `refuse` deliveries with `answer`."""

    def __init__(self, refuse: int = 0, answer: str = "451 4.3.0 Try again later") -> None:
        self.refuse = refuse
        self.answer = answer
        self.tries = 0
        self.received: list[tuple[Envelope, bool | None]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.tries += 1
        if self.tries <= self.refuse:
            return self.answer
        self.received.append((envelope, session.authenticated))
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        """The received messages, parsed."""
        parsed = []
        for envelope, _ in self.received:
            msg = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
            assert isinstance(msg, EmailMessage)  # what the default policy builds
            parsed.append(msg)
        return parsed


def _server(inbox: Inbox, **smtp: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), **smtp)
    controller.start()
    return controller


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    controller = _server(box)
    try:
        yield box, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> rd.Archived:
    folder = tmp_path_factory.mktemp("mail")
    (folder / "teams.yaml").write_text(TEAMS_YAML, encoding="utf-8")
    teams = load_teams(folder)
    with Digest(build_digest(folder / "digest.db")) as db:
        return rd.produce(db, teams.team("protection"), WEEK, folder / "out", teams.settings, now=FROZEN)


class Sleeps(list[float]):
    """Records the backoff waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_roundup_email_has_text_and_html_parts(inbox: tuple[Inbox, int], archived: rd.Archived) -> None:
    box, port = inbox
    settings = mail.SmtpSettings(host="127.0.0.1", port=port, sender="digest@example.org")
    result = mail.send_roundup(archived, settings)
    assert (result.sent, result.attempts, result.error, result.refused) == (True, 1, "", {})
    [(envelope, logged_in)] = box.received
    assert envelope.mail_from == "digest@example.org"
    assert envelope.rcpt_tos == ["protection@example.org", "lead@example.org"]
    assert not logged_in  # no user, no login
    [msg] = box.messages()
    assert msg["Subject"] == "Protection team: weekly roundup, 16–22 November 2026 (2026-W47): 3 publications"
    assert msg["To"] == "protection@example.org, lead@example.org"
    assert msg["From"] == "digest@example.org"
    # (strip: a header longer than a line is folded before its value; unfolding leaves the space)
    assert msg["List-Unsubscribe"].strip() == "<mailto:digest-admin@example.org?subject=Unsubscribe%20protection>"
    assert msg["List-Unsubscribe-Post"] is None  # a mailto: cannot take a one-click POST
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    for item in archived.roundup.items:
        assert item.title in text.get_content()
        assert item.title.replace("'", "&#39;") in html.get_content()
    assert text.get_content().replace("\r\n", "\n") == archived.rendered.txt  # SMTP lines end in CRLF
    assert html.get_content().replace("\r\n", "\n") == archived.rendered.html


def test_login_when_a_user_is_set(archived: rd.Archived) -> None:
    seen: list[tuple[str, Any]] = []

    def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        seen.append((mechanism, data))
        # handled=False: aiosmtpd then answers 535 itself (handled=True would leave the client waiting)
        return AuthResult(success=data.login == b"digest" and data.password == b"s3cret", handled=False)

    box = Inbox()
    controller = _server(box, authenticator=authenticator, auth_require_tls=False)
    try:
        env = {
            "MIGDIGEST_SMTP_HOST": "127.0.0.1",
            "MIGDIGEST_SMTP_PORT": str(controller.port),
            "MIGDIGEST_SMTP_USER": "digest",
            "MIGDIGEST_SMTP_PASSWORD": "s3cret",
        }
        result = mail.send_roundup(archived, mail.SmtpSettings.from_env(env))
        assert result.sent
        assert box.received[0][1] is True
        assert seen
        env["MIGDIGEST_SMTP_PASSWORD"] = "wrong"
        sleeps = Sleeps()
        settings = dataclasses.replace(mail.SmtpSettings.from_env(env), timeout=10)
        refused = mail.send_roundup(archived, settings, sleep=sleeps)
        assert not refused.sent
        assert refused.attempts == 1
        assert sleeps == []
        assert "SMTPAuthenticationError: 535" in refused.error
    finally:
        controller.stop()


def test_a_temporary_refusal_is_retried_with_backoff(archived: rd.Archived) -> None:
    box = Inbox(refuse=2)
    controller = _server(box)
    try:
        sleeps = Sleeps()
        settings = mail.SmtpSettings(host="127.0.0.1", port=controller.port)
        result = mail.send_roundup(archived, settings, attempts=3, backoff=0.5, sleep=sleeps)
    finally:
        controller.stop()
    assert (result.sent, result.attempts, sleeps) == (True, 3, [0.5, 1.0])
    assert len(box.received) == 1


def test_a_permanent_refusal_is_reported_at_once(archived: rd.Archived) -> None:
    box = Inbox(refuse=99, answer="550 5.7.1 Message rejected as spam")
    controller = _server(box)
    try:
        sleeps = Sleeps()
        result = mail.send_roundup(archived, mail.SmtpSettings(host="127.0.0.1", port=controller.port), sleep=sleeps)
    finally:
        controller.stop()
    assert (result.sent, result.attempts, sleeps) == (False, 1, [])
    assert result.error == "SMTPDataError: 550 5.7.1 Message rejected as spam"


def test_no_server_is_retried_then_reported(archived: rd.Archived) -> None:
    sleeps = Sleeps()
    result = mail.send_roundup(archived, mail.SmtpSettings(host="127.0.0.1", port=_free_port()), sleep=sleeps)
    assert (result.sent, result.attempts, sleeps) == (False, 3, [2.0, 4.0])
    assert result.error.startswith("ConnectionRefusedError")


def test_starttls_on_a_server_without_it_is_a_clear_permanent_error(
    inbox: tuple[Inbox, int], archived: rd.Archived
) -> None:
    _, port = inbox
    settings = mail.SmtpSettings(host="127.0.0.1", port=port, starttls=True)
    result = mail.send_roundup(archived, settings, sleep=Sleeps())
    assert (result.sent, result.attempts) == (False, 1)
    assert "STARTTLS extension not supported" in result.error


def test_cli_send_failure_keeps_the_archive(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, archived: rd.Archived
) -> None:
    from migdigest.paths import REPO_ROOT

    config = tmp_path / "config"
    config.mkdir()
    (config / "sources.yaml").write_text((REPO_ROOT / "config" / "sources.yaml").read_text())
    (config / "sources.d").symlink_to(REPO_ROOT / "config" / "sources.d")
    (config / "teams.yaml").write_text(TEAMS_YAML, encoding="utf-8")
    db = build_digest(tmp_path / "digest.db")
    monkeypatch.setattr(mail, "DEFAULT_BACKOFF_S", 0.01)
    monkeypatch.setenv("MIGDIGEST_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MIGDIGEST_SMTP_PORT", str(_free_port()))
    args = ["roundup", "--week", "2026-W47", "--team", "labour", "--send", "--db", str(db),
            "--out-dir", str(tmp_path / "out"), "--config-dir", str(config)]  # fmt: skip
    result = CliRunner().invoke(_cli(), args)
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert "not sent labour after 3 attempt(s): ConnectionRefusedError" in output
    assert "the roundup is archived" in output
    for fmt in ("html", "md", "txt", "atom"):
        name = "feed.atom" if fmt == "atom" else f"2026-W47.{fmt}"
        assert (tmp_path / "out" / "roundups" / "labour" / name).stat().st_size > 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MIGDIGEST_SMTP_HOST": "mx"}, mail.SmtpSettings(host="mx")),
        (
            {"MIGDIGEST_SMTP_HOST": "mx", "MIGDIGEST_SMTP_STARTTLS": "yes", "MIGDIGEST_MAIL_FROM": "d@example.org"},
            mail.SmtpSettings(host="mx", port=587, starttls=True, sender="d@example.org"),
        ),
        ({"MIGDIGEST_SMTP_HOST": "mx", "MIGDIGEST_SMTP_PORT": "2525"}, mail.SmtpSettings(host="mx", port=2525)),
    ],
)
def test_smtp_settings_from_the_environment(env: dict[str, str], expected: mail.SmtpSettings) -> None:
    assert mail.SmtpSettings.from_env(env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "MIGDIGEST_SMTP_HOST is not set"),
        ({"MIGDIGEST_SMTP_HOST": "mx", "MIGDIGEST_SMTP_PORT": "smtp"}, "MIGDIGEST_SMTP_PORT='smtp': use a port"),
        ({"MIGDIGEST_SMTP_HOST": "mx", "MIGDIGEST_SMTP_STARTTLS": "maybe"}, "use true or false"),
        ({"MIGDIGEST_SMTP_HOST": "mx", "MIGDIGEST_SMTP_PASSWORD": "x"}, "set the user too"),
        ({"MIGDIGEST_SMTP_HOST": "mx", "MIGDIGEST_MAIL_FROM": "digest"}, "use an address"),
    ],
)
def test_smtp_settings_errors_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(mail.MailConfigError, match=message):
        mail.SmtpSettings.from_env(env)


def test_the_password_is_never_shown() -> None:
    settings = mail.SmtpSettings(host="mx", user="u", password="s3cret")
    assert "s3cret" not in repr(settings)


def test_message_headers(archived: rd.Archived) -> None:
    msg = mail.build_message(archived, "digest@example.org", ["a@example.org"])
    assert msg["Date"] == "Mon, 23 Nov 2026 07:00:00 +0000"
    assert msg["Message-ID"].endswith("@example.org>")
    assert "roundup.protection.2026-W47" in msg["Message-ID"]
    assert XSS_TITLE not in msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert isinstance(FROZEN, datetime)


def test_a_one_click_unsubscribe_page_goes_first_in_the_headers(
    inbox: tuple[Inbox, int], archived: rd.Archived
) -> None:
    box, port = inbox
    settings = archived.roundup.settings.model_copy(
        update={"unsubscribe_url": "https://digest.example.org/unsubscribe?team={team}", "manage_address": ""}
    )
    roundup = dataclasses.replace(archived.roundup, settings=settings)
    again = dataclasses.replace(archived, roundup=roundup, rendered=rd.render(roundup))
    result = mail.send_roundup(again, mail.SmtpSettings(host="127.0.0.1", port=port, sender="digest@example.org"))
    assert result.sent
    [msg] = box.messages()
    assert msg["List-Unsubscribe"].strip() == (
        "<https://digest.example.org/unsubscribe?team=protection>,"
        " <mailto:digest@example.org?subject=Unsubscribe%20protection>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",))
    assert text is not None
    assert "\nUnsubscribe:\nhttps://digest.example.org/unsubscribe?team=protection\n" in text.get_content().replace(
        "\r\n", "\n"
    )
