"""Mail waiting to be sent, written in the same transaction as what it is about (outbox.py)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .signature import BigId, Signature
from .types import UTCDateTime, enum_column, utcnow


class MailKind(StrEnum):
    CONFIRM = "confirm"  # please confirm your signature
    ALREADY_SIGNED = "already_signed"  # someone signed again with your address
    DEMAND_UPDATE = "demand_update"  # news about a demand you support


class MailStatus(StrEnum):
    QUEUED = "queued"  # waiting, or between attempts
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts: last_error says why
    CANCELLED = "cancelled"  # no longer wanted when its turn came (confirmed meanwhile, unsubscribed)


DUE = "outbox.status = 'queued'"


class OutboxMessage(db.Model):
    """One email to one signer. Rendered when sent, in the signer's language, from BASE_URL."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[MailKind] = mapped_column(enum_column(MailKind))
    # Removing a signature (withdrawal, purge) removes the mail about it.
    signature_id: Mapped[int] = mapped_column(BigId, ForeignKey("signatures.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a sender may next take it. Taking it moves this forward (a lease), which is what stops
    # two senders from sending one message; a sender that dies lets the lease run out.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")

    signature: Mapped[Signature] = relationship()

    __table_args__ = (Index("ix_outbox_due", "next_attempt_at", sqlite_where=text(DUE), postgresql_where=text(DUE)),)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
