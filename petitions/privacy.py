"""Signers' privacy: what the public may see, and how long personal data stays.

Addresses are only ever stored hashed: see addresses.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, delete, literal, select, text, update

from .extensions import db
from .models import City, OutboxMessage, Petition, PetitionState, Signature
from .models.signature import PUBLIC
from .models.types import utcnow

PURGED = "purged:"  # email_key of an anonymised signature: never an address, still unique


# --- What the public sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicSigner:
    first_name: str
    city: str
    signed_at: datetime


def public_signers(petition_id: int, *, limit: int = 10) -> list[PublicSigner]:
    """The latest confirmed signers who chose to be shown: first name and city, nothing else."""
    rows = db.session.execute(
        select(Signature, City.name)
        .join(City, City.id == Signature.city_id)
        # As literal SQL, so that SQLite sees the predicate of the partial index it reads.
        .where(Signature.petition_id == petition_id, text(PUBLIC), Signature.name != "")
        .order_by(Signature.signed_at.desc(), Signature.id.desc())
        .limit(limit)
    )
    return [PublicSigner(signature.first_name, city, signature.signed_at) for signature, city in rows]


def masked_email(email: str) -> str:
    """Enough of an address to tell which signer it is, not enough to write to: a…@example.org."""
    local, at, domain = email.rpartition("@")
    if not at:
        return "…" if email else ""
    return f"{local[:1]}…@{domain}"


# --- How long personal data stays --------------------------------------------------------------


@dataclass(frozen=True)
class Purge:
    petitions: list[str]  # slugs
    signatures: int


def purge_personal_data(closed_before: datetime, *, now: datetime | None = None) -> Purge:
    """Anonymise the signers of every petition closed before ``closed_before``. The caller commits.

    Names, emails, postal codes, comments and address hashes go; the city, the demands endorsed,
    the dates and the state stay, so every tally is unchanged. Mail not yet sent to them is dropped.
    """
    now = now or utcnow()
    petitions = (
        db.session.execute(
            select(Petition)
            .where(
                Petition.state.in_([PetitionState.CLOSED, PetitionState.ARCHIVED]),
                Petition.closed_at < closed_before,
            )
            .order_by(Petition.id)
        )
        .scalars()
        .all()
    )
    purged = 0
    for petition in petitions:
        of_petition = select(Signature.id).where(Signature.petition_id == petition.id)
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.signature_id.in_(of_petition)))
        purged += db.session.execute(
            update(Signature)
            .where(Signature.petition_id == petition.id, Signature.email_key.not_like(f"{PURGED}%"))
            .values(
                name="",
                email="",
                email_key=literal(PURGED) + cast(Signature.id, String),
                postal_code="",
                comment="",
                ip_hash="",
                public_name=False,
                updates_opt_in=False,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        petition.personal_data_purged_at = now
    return Purge([petition.slug for petition in petitions], purged)


@dataclass(frozen=True)
class RetentionNotice:
    petition: Petition
    purge_due: datetime  # when the retention period ends (may have passed)


def retention_ending(*, coalition_id: int | None = None, now: datetime | None = None) -> list[RetentionNotice]:
    """Closed petitions whose signers' data is due for purging within RETENTION_WARNING_DAYS, or overdue."""
    now = now or utcnow()
    retention = timedelta(days=current_app.config["RETENTION_DAYS"])
    warning = timedelta(days=current_app.config["RETENTION_WARNING_DAYS"])
    query = select(Petition).where(
        Petition.state.in_([PetitionState.CLOSED, PetitionState.ARCHIVED]),
        Petition.personal_data_purged_at.is_(None),
        Petition.closed_at <= now + warning - retention,
    )
    if coalition_id is not None:
        query = query.where(Petition.coalition_id == coalition_id)
    petitions = db.session.execute(query.order_by(Petition.closed_at, Petition.id)).scalars()
    return [RetentionNotice(petition, petition.closed_at + retention) for petition in petitions]


def retention_notice(petition: Petition, *, now: datetime | None = None) -> RetentionNotice | None:
    """The notice of retention_ending() for one petition, or None when it is not due."""
    notices = retention_ending(coalition_id=petition.coalition_id, now=now)
    return next((notice for notice in notices if notice.petition.id == petition.id), None)
