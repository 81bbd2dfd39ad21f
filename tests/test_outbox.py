"""The outbox: no email lost while the mail server is away, none sent twice, failures on record."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from petitions import outbox
from petitions.extensions import db
from petitions.models import MailStatus, OutboxMessage, Signature
from petitions.models.types import utcnow
from tests.conftest import environment
from tests.mailserver import smtp_server, text_part
from tests.servers import ROOT, free_port


@pytest.fixture
def smtp_port() -> int:
    """A loopback port where the tests decide whether an SMTP server listens."""
    return free_port()


@pytest.fixture
def settings(smtp_port):
    return {
        "SIGNATURE_CONFIRMATION": "email",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_USE_TLS": "false",
        "MAIL_MAX_ATTEMPTS": "4",
    }


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_mail_waits_out_a_server_that_refuses_connections(runner, make_petition, sign, smtp_port):
    petition = make_petition()
    sign(petition, "patient@example.org")

    refused = runner.invoke(args=["send-mail", "--once"])

    assert refused.exit_code == 0, refused.output
    assert "will retry 1" in refused.output
    [message] = messages()
    assert message.status == MailStatus.QUEUED
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at - utcnow() > timedelta(seconds=50)
    # Not due yet: a second pass leaves it alone.
    assert "sent 0, will retry 0" in runner.invoke(args=["send-mail", "--once"]).output
    assert messages()[0].attempts == 1

    with smtp_server(smtp_port) as mailbox:
        report = outbox.send_due(now=utcnow() + timedelta(minutes=2))

    assert report.sent == 1
    [email] = mailbox.messages
    assert "/confirm/" in text_part(email)
    [message] = messages()
    assert (message.status, message.attempts, message.last_error) == (MailStatus.SENT, 2, "")
    assert message.sent_at is not None


def test_retries_back_off_and_give_up_on_record(app, make_petition, sign):
    petition = make_petition()
    sign(petition, "unlucky@example.org")
    now = utcnow()
    waits = []

    for _ in range(4):
        report = outbox.send_due(now=now)
        message = messages()[0]
        waits.append(round((message.next_attempt_at - utcnow()).total_seconds() / 60))
        now = message.next_attempt_at + timedelta(seconds=1)

    assert report.failed == 1
    assert waits[:3] == [1, 2, 4]  # minutes: each wait doubles
    assert [outbox.retry_delay(n) for n in (1, 2, 3, 10)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(hours=2),
    ]
    message = messages()[0]
    assert message.status == MailStatus.FAILED
    assert message.attempts == 4
    assert "ConnectionRefusedError" in message.last_error
    assert outbox.send_due(now=now + timedelta(days=1)).retrying == 0


def test_a_mailbox_refused_for_good_is_not_tried_again(app, make_petition, sign, smtp_port):
    petition = make_petition()
    sign(petition, "nobody@example.org")
    sign(petition, "somebody@example.org")

    with smtp_server(smtp_port) as mailbox:
        mailbox.refuse["nobody@example.org"] = "550 5.1.1 No such mailbox"
        report = outbox.send_due()

    assert (report.sent, report.failed) == (1, 1)
    assert [email["To"] for email in mailbox.messages] == ["Supporter 2 <somebody@example.org>"]
    failed, sent = messages()
    assert (failed.status, failed.attempts) == (MailStatus.FAILED, 1)
    assert "550" in failed.last_error
    assert sent.status == MailStatus.SENT


def test_two_senders_at_once_send_each_message_once(app, make_petition, sign, smtp_port):
    petition = make_petition()
    signers = 30
    for n in range(signers):
        sign(petition, f"signer{n}@example.org")
    reports = []

    def sender() -> None:
        with app.app_context():
            start.wait()
            reports.append(outbox.send_due(batch=4))
            db.session.remove()

    with smtp_server(smtp_port) as mailbox:
        start = threading.Barrier(2)
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    recipients = [envelope.rcpt_tos[0] for envelope in mailbox.envelopes]
    assert sorted(recipients) == sorted(f"signer{n}@example.org" for n in range(signers))
    assert sum(report.sent for report in reports) == signers
    assert all(message.status == MailStatus.SENT and message.attempts == 1 for message in messages())


def test_a_sender_that_died_mid_send_lets_another_take_over(app, make_petition, sign, smtp_port):
    petition = make_petition()
    sign(petition, "ana@example.org")
    taken = outbox.claim(utcnow())  # ... and the sender dies before sending
    assert len(taken) == 1

    with smtp_server(smtp_port) as mailbox:
        assert outbox.send_due().sent == 0  # its lease still runs
        assert outbox.send_due(now=utcnow() + outbox.LEASE + timedelta(seconds=1)).sent == 1

    assert len(mailbox.messages) == 1


def test_send_mail_runs_on_until_stopped(app, database_url, make_petition, sign, smtp_port, settings, tmp_path):
    petition = make_petition()
    sign(petition, "first@example.org")

    with smtp_server(smtp_port) as mailbox:
        env = {"PATH": "/usr/bin:/bin", **environment(database_url, **settings)}
        log = (tmp_path / "send-mail.log").open("wb")
        sender = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "send-mail", "--interval", "0.2"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            mailbox.wait_for(1)
            sign(petition, "second@example.org")  # queued while the sender runs
            mailbox.wait_for(2)
        finally:
            sender.terminate()
            sender.wait(timeout=10)
            log.close()

    assert sorted(envelope.rcpt_tos[0] for envelope in mailbox.envelopes) == [
        "first@example.org",
        "second@example.org",
    ]
    assert "Traceback" not in (tmp_path / "send-mail.log").read_text()


@pytest.mark.parametrize("settings", [{"SIGNATURE_CONFIRMATION": "email"}])
def test_without_a_mail_server_mail_is_shown_on_the_console(client, make_petition, post_signature, capsys):
    """`make run`: no MAIL_SERVER, so the link a new user needs appears in the terminal."""
    petition = make_petition(title="Keep the buses running")

    post_signature(petition, email="ana@example.org")

    printed = capsys.readouterr().out
    assert "To: Ana Lucía Pérez <ana@example.org>" in printed
    assert "Subject: Please confirm your signature: Keep the buses running" in printed
    path = re.search(r"http://127\.0\.0\.1:5000(/petitions/\S+/confirm/\S+)", printed).group(1)
    assert client.get(path).status_code == 200
    assert db.session.execute(db.select(Signature.state)).scalar_one() == "confirmed"
    assert [message.status for message in messages()] == [MailStatus.SENT]


def test_international_addresses_travel_as_smtputf8(app, make_petition, sign, smtp_port):
    petition = make_petition()
    sign(petition, "josé@exämple.org", name="José Núñez")
    sign(petition, "ana@exämple.org", name="Ana")

    with smtp_server(smtp_port, enable_SMTPUTF8=True) as mailbox:
        assert outbox.send_due().sent == 2

    assert sorted(envelope.rcpt_tos[0] for envelope in mailbox.envelopes) == [
        "ana@xn--exmple-cua.org",  # an ASCII mailbox at an international domain needs no SMTPUTF8
        "josé@exämple.org",
    ]
    assert mailbox.to("josé@exämple.org")[0]["To"] == "José Núñez <josé@exämple.org>"


def test_a_server_without_smtputf8_is_a_final_answer_for_such_an_address(app, make_petition, sign, smtp_port):
    petition = make_petition()
    sign(petition, "josé@exämple.org")

    with smtp_server(smtp_port, enable_SMTPUTF8=False) as mailbox:
        report = outbox.send_due()

    assert report.failed == 1
    assert mailbox.messages == []
    [message] = messages()
    assert message.status == MailStatus.FAILED
    assert "SMTPUTF8" in message.last_error


def test_the_sender_logs_in_with_mail_username_and_password(app, make_petition, sign, smtp_port):
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(
            success=(auth_data.login, auth_data.password) == (b"groundswell", b"s3cret p4ss"), handled=False
        )

    petition = make_petition()
    sign(petition, "ana@example.org")
    app.config.update(MAIL_USERNAME="groundswell", MAIL_PASSWORD="wrong")

    with smtp_server(smtp_port, authenticator=authenticator, auth_require_tls=False) as mailbox:
        refused = outbox.send_due()
        assert "SMTPAuthenticationError" in messages()[0].last_error
        app.config["MAIL_PASSWORD"] = "s3cret p4ss"
        accepted = outbox.send_due(now=utcnow() + timedelta(minutes=2))

    assert (refused.retrying, accepted.sent) == (1, 1)
    assert len(mailbox.messages) == 1
    assert messages()[0].status == MailStatus.SENT
