"""What organizers did with signers' data: exports and moderation, kept for the coalition's owners."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .organizer import Organizer
from .petition import Petition
from .signature import BigId, SignatureState
from .types import UTCDateTime, enum_column, utcnow


class ExportKind(StrEnum):
    SIGNATURES = "signatures"  # signatures.csv: every column, emails included
    DELIVERY = "delivery"  # the printable delivery page: names, cities, dates
    DELIVERY_CSV = "delivery_csv"  # the same as CSV


class Export(db.Model):
    """One export of a petition's signers: who, when, which filter, how many rows."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    # NULL when run from the command line, or once the organizer's account is gone (``by`` stays).
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    by: Mapped[str] = mapped_column(String(320))  # the organizer's email, or "command line"
    kind: Mapped[ExportKind] = mapped_column(enum_column(ExportKind))
    filters: Mapped[str] = mapped_column(String(1000), default="")  # as a query string (filters.py)
    # NULL while the export streams; set once the last row is written, or when it is cut short.
    rows: Mapped[int | None] = mapped_column(Integer)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    petition: Mapped[Petition] = relationship()
    organizer: Mapped[Organizer | None] = relationship()

    __table_args__ = (Index("ix_exports_petition_id_started_at", "petition_id", "started_at"),)


class ModerationAction(db.Model):
    """Signatures moved to another state by an organizer, with the reason given."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizers.id", ondelete="SET NULL"))
    by: Mapped[str] = mapped_column(String(320))
    state: Mapped[SignatureState] = mapped_column(enum_column(SignatureState))  # the state they were moved to
    reason: Mapped[str] = mapped_column(String(200), default="")
    # One signature, or a filtered set (``filters``) of ``count`` signatures.
    signature_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("signatures.id", ondelete="SET NULL"))
    filters: Mapped[str] = mapped_column(String(1000), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
