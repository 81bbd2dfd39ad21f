from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .city import City
from .petition import Petition
from .types import UTCDateTime, enum_column, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")


class SignatureState(StrEnum):
    PENDING = "pending"  # waiting for its email to be confirmed
    CONFIRMED = "confirmed"  # counted
    SUSPICIOUS = "suspicious"  # held back until an organizer releases it
    STRUCK = "struck"  # struck out by an organizer or a bot trap, with a reason


# The signatures that count but are not yet in the stored tallies. Written as literal SQL so
# that SQLite's planner can match queries against the partial index below (it ignores
# partial indexes when the state arrives as a bound parameter).
UNCOUNTED = "signatures.state = 'confirmed' AND NOT signatures.counted"
CONFIRMED = "signatures.state = 'confirmed'"
SOURCE_MAX_LENGTH = 100
PENDING = "signatures.state = 'pending'"
PUBLIC = "signatures.state = 'confirmed' AND signatures.public_name"
# Why a bot trap struck a signature out starts with this, so a person's later attempt can replace it.
BOT_TRAP = "bot trap: "


class Signature(db.Model):
    """One person's support for one petition."""

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))  # as normalized by email-validator
    email_key: Mapped[str] = mapped_column(String(320))  # see email_key_for(): the duplicate rule
    city_as_typed: Mapped[str] = mapped_column(String(200))
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"))
    region: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2))
    comment: Mapped[str] = mapped_column(Text, default="")
    public_name: Mapped[bool] = mapped_column(Boolean, default=False)
    updates_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    # Where the signer came from: the ``source`` parameter of the petition's URL (sources.py).
    source: Mapped[str] = mapped_column(String(SOURCE_MAX_LENGTH), default="", server_default="")
    # A keyed hash of the address it came from (addresses.ip_hash()): never the address itself.
    ip_hash: Mapped[str] = mapped_column(String(32), default="")
    state: Mapped[SignatureState] = mapped_column(enum_column(SignatureState), default=SignatureState.CONFIRMED)
    struck_reason: Mapped[str] = mapped_column(String(200), default="")
    # True once this confirmed signature has been added to the stored tallies (tallies.py).
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    city: Mapped[City] = relationship()
    petition: Mapped[Petition] = relationship()
    endorsements: Mapped[list[Endorsement]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        # The last word on duplicates: one signature per address per petition.
        UniqueConstraint("petition_id", "email_key"),
        Index("ix_signatures_petition_id_city_id", "petition_id", "city_id"),
        Index("ix_signatures_petition_id_signed_at", "petition_id", "signed_at"),
        # A petition's signatures in the order they came: exports stream them without a sort.
        Index("ix_signatures_petition_id_id", "petition_id", "id"),
        # The latest signers who chose to be shown, however many recent ones did not.
        Index(
            "ix_signatures_public",
            "petition_id",
            "signed_at",
            "id",
            sqlite_where=text(PUBLIC),
            postgresql_where=text(PUBLIC),
        ),
        # Signatures per source (sources.py) are counted from this index.
        Index(
            "ix_signatures_confirmed_source",
            "petition_id",
            "source",
            sqlite_where=text(CONFIRMED),
            postgresql_where=text(CONFIRMED),
        ),
        # The few confirmed signatures not folded into the tallies yet (tallies.py). Its columns are
        # those of ix_signatures_petition_id_id and it is made after it (see the migration), so that
        # SQLite's planner never takes that one to find them; test_tallies and test_api check the plans.
        Index(
            "ix_signatures_uncounted",
            "petition_id",
            "id",
            sqlite_where=text(UNCOUNTED),
            postgresql_where=text(UNCOUNTED),
        ),
        # Signatures per address per hour are counted through this, never by scanning a petition.
        Index("ix_signatures_petition_id_ip_hash_signed_at", "petition_id", "ip_hash", "signed_at"),
        # Unconfirmed signatures, for removing the stale ones.
        Index("ix_signatures_pending", "signed_at", sqlite_where=text(PENDING), postgresql_where=text(PENDING)),
    )

    @staticmethod
    def email_key_for(email: str) -> str:
        """The form of an address that decides duplicates: letter case never makes a new signer."""
        return email.lower()

    @property
    def first_name(self) -> str:
        """What public pages may show of the name, when the signer allowed it."""
        return self.name.split(maxsplit=1)[0] if self.name.strip() else ""

    def __repr__(self) -> str:
        return f"<Signature {self.id} {self.state}>"


class Endorsement(db.Model):
    """A demand that a signature supports."""

    __tablename__ = "endorsements"

    signature_id: Mapped[int] = mapped_column(BigId, ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), primary_key=True, index=True)
