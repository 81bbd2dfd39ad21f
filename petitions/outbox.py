"""The outbox: mail is queued in the transaction that decides to send it, and sent afterwards.

So no email is lost while the mail server is down, and none goes out for a transaction that
rolled back. ``flask --app wsgi send-mail`` sends what is due, over SMTP, or to standard output
when MAIL_SERVER is not set (a laptop: there the app also sends right after each request that
queued something, so that `make run` shows the confirmation link at once).

How one message is never sent twice by two senders: a sender takes due messages with one
UPDATE that re-checks "queued and due" on every row and moves ``next_attempt_at`` forward by a
lease, and commits before sending. A second sender's UPDATE waits for the first one's row locks
(PostgreSQL; SKIP LOCKED lets it take other rows instead) or for the single writer (SQLite),
then finds the rows no longer due. A sender that dies mid-send leaves the lease to run out, and
the message is tried again: at least once, never twice by two live senders.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask, current_app, g
from sqlalchemy import Select, insert, literal, select, text, update
from sqlalchemy.orm import selectinload

from . import emails
from .extensions import db
from .models import MailKind, MailStatus, OutboxMessage, Petition, Signature
from .models.outbox import DUE
from .models.types import utcnow

LEASE = timedelta(minutes=5)  # far longer than one batch takes to send
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=2)
BATCH = 50
SMTP_TIMEOUT = 30


def queue(kind: MailKind, signature_id: int, payload: dict | None = None) -> None:
    """Queue one email to a signer, in the caller's transaction."""
    db.session.execute(insert(OutboxMessage).values(_row(kind, signature_id, payload or {})))
    g.mail_queued = True


def queue_many(kind: MailKind, recipients: Select, payload: dict) -> int:
    """Queue one email to each signature id that ``recipients`` selects, in one INSERT ... SELECT."""
    values = _row(kind, None, payload)
    del values["signature_id"]
    columns = OutboxMessage.__table__.c
    rows = recipients.add_columns(*(literal(value, columns[name].type).label(name) for name, value in values.items()))
    # SQLAlchemy only keeps an INSERT's row count when asked to.
    statement = insert(OutboxMessage).from_select(["signature_id", *values], rows)
    queued = db.session.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    g.mail_queued = True
    return queued


def _row(kind: MailKind, signature_id: int | None, payload: dict) -> dict:
    now = utcnow()
    return {
        "kind": kind,
        "signature_id": signature_id,
        "payload": payload,
        "status": MailStatus.QUEUED,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "last_error": "",
    }


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after each failed attempt, never more than two hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


# --- Mail that failed for good ----------------------------------------------------------------

FAILED_SHOWN = 200


def failed_messages(coalition_id: int, *, limit: int = FAILED_SHOWN) -> list[OutboxMessage]:
    """The coalition's messages that failed for good, newest first, with their signature and petition."""
    return list(
        db.session.execute(
            select(OutboxMessage)
            .join(Signature, Signature.id == OutboxMessage.signature_id)
            .join(Petition, Petition.id == Signature.petition_id)
            .where(Petition.coalition_id == coalition_id, OutboxMessage.status == MailStatus.FAILED)
            .options(selectinload(OutboxMessage.signature).selectinload(Signature.petition))
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        ).scalars()
    )


def retry(message_id: int) -> bool:
    """Put a message that failed for good back in the queue, due now, with all its attempts again.

    Returns False if it had not failed (sent, cancelled, or already queued again). The caller commits.
    """
    now = utcnow()
    requeued = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MailStatus.FAILED)
        .values(status=MailStatus.QUEUED, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if requeued:
        g.mail_queued = True
    return requeued == 1


# --- Sending ---------------------------------------------------------------------------------


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.retrying or self.failed or self.cancelled)

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, will retry {self.retrying}, gave up on {self.failed}, no longer needed {self.cancelled}"
        )


class Console:
    """Writes each email's text to standard output instead of sending it: for a laptop."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send_message(self, message: EmailMessage) -> None:
        body = message.get_body(("plain",))
        rule = "-" * 72
        sys.stdout.write(
            f"\n{rule}\nTo: {message['To']}\nSubject: {message['Subject']}\n\n{body.get_content().strip()}\n{rule}\n"
        )
        sys.stdout.flush()


def open_transport(app: Flask):
    """An SMTP connection to MAIL_SERVER (STARTTLS and login as configured), or the Console."""
    config = app.config
    if not config["MAIL_SERVER"]:
        return Console()
    connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT)
    try:
        if config["MAIL_USE_TLS"]:
            connection.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except BaseException:
        connection.close()
        raise
    return connection


def claim(now: datetime, batch: int = BATCH) -> list[int]:
    """Take up to ``batch`` due messages for this sender and commit; return their ids."""
    due = (OutboxMessage.next_attempt_at <= now, text(DUE))
    # FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite has no row locks and leaves it out).
    waiting = (
        select(OutboxMessage.id)
        .where(*due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    ids = (
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(waiting.scalar_subquery()), *due)
            .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    return sorted(ids)


def send_due(*, now: datetime | None = None, batch: int = BATCH) -> Report:
    """One pass: send every message that is due, in batches, and record how each went."""
    report = Report()
    while ids := claim(now or utcnow(), batch):
        deliver(ids, report)
        if len(ids) < batch:
            break
    return report


def deliver(ids: Sequence[int], report: Report) -> None:
    messages = (
        db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .options(selectinload(OutboxMessage.signature).selectinload(Signature.petition))
            .order_by(OutboxMessage.id)
        )
        .scalars()
        .all()
    )
    try:
        transport = open_transport(current_app)
    except (OSError, smtplib.SMTPException) as error:
        # The server is down or refuses us: every message waits for its next attempt.
        for message in messages:
            _failed_attempt(message, error, report)
        db.session.commit()
        return
    with transport:
        for message in messages:
            _send_one(transport, message, report)
            # One commit per message: a crash later in the batch never resends this one.
            db.session.commit()


def _send_one(transport, message: OutboxMessage, report: Report) -> None:
    try:
        email = emails.render(message)
    except Exception as error:
        current_app.logger.exception("rendering mail %s failed", message.id)
        _failed_attempt(message, error, report)
        return
    if email is None:
        message.status = MailStatus.CANCELLED
        report.cancelled += 1
        return
    try:
        transport.send_message(email)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPNotSupportedError) as error:
        _failed_attempt(message, error, report, permanent=_refused_for_good(error))
    except (OSError, smtplib.SMTPException) as error:
        _failed_attempt(message, error, report)
    else:
        message.status = MailStatus.SENT
        message.sent_at = utcnow()
        message.last_error = ""
        report.sent += 1


def _refused_for_good(error: smtplib.SMTPException) -> bool:
    """A 5xx answer about this message (unknown mailbox, rejected content) will not change on retry,
    nor will a server's lack of SMTPUTF8 for an address that needs it."""
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return getattr(error, "smtp_code", 0) >= 500


def _failed_attempt(message: OutboxMessage, error: BaseException, report: Report, *, permanent: bool = False) -> None:
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if permanent or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        message.status = MailStatus.FAILED
        report.failed += 1
    else:
        message.next_attempt_at = utcnow() + retry_delay(message.attempts)
        report.retrying += 1


def send_queued_to_console(response):
    """after_request without MAIL_SERVER: show the mail this request queued, as a mail server would."""
    if g.pop("mail_queued", False):
        try:
            # Whatever the view left uncommitted would be thrown away at teardown: never send it.
            db.session.rollback()
            send_due()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("writing queued mail to the console failed")
    return response
