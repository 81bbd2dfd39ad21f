"""Signing a petition: plain functions of models and data, no request in sight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, insert, select, update

from . import cities, tallies
from .extensions import db
from .models import Endorsement, Petition, Signature, SignatureState
from .models.types import utcnow
from .sql import insert_ignoring_duplicates


class PetitionClosed(Exception):
    """The petition does not take signatures (a draft, or closed)."""


@dataclass(frozen=True)
class SignatureData:
    """What a supporter gives when signing, already validated (forms.SignForm)."""

    name: str
    email: str  # as normalized by email-validator
    city: str
    country: str
    demand_ids: frozenset[int]
    region: str = ""
    postal_code: str = ""
    comment: str = ""
    public_name: bool = False
    updates_opt_in: bool = False
    locale: str = "en"
    source: str = ""  # as cleaned by sources.clean_source()


def sign(petition: Petition, data: SignatureData, *, now: datetime | None = None) -> int | None:
    """Store a signature and commit; return its id, or None if this address has signed already.

    A second signature with the same address, in any letter case, stores nothing. The caller
    answers both the same way, so nobody learns whether an address has signed.
    """
    if not petition.accepts_signatures:
        raise PetitionClosed(petition.slug)
    signature_id = store(petition, data, now=now)
    if signature_id is None:
        db.session.rollback()
        return None
    db.session.commit()
    fold_now_and_then(petition.id, signature_id)
    return signature_id


def store(
    petition: Petition, data: SignatureData, *, now: datetime | None = None, signed_at: datetime | None = None
) -> int | None:
    """Insert a confirmed signature and its endorsements in the caller's transaction, without committing.

    Returns its id, or None (and stores nothing but perhaps a new city) if the address has signed.
    """
    now = now or utcnow()
    city_id = cities.resolve(data.city, data.region, data.country)
    values = {
        "petition_id": petition.id,
        "name": data.name,
        "email": data.email,
        "email_key": Signature.email_key_for(data.email),
        "city_as_typed": data.city,
        "city_id": city_id,
        "region": data.region,
        "postal_code": data.postal_code,
        "country": data.country,
        "comment": data.comment,
        "public_name": data.public_name,
        "updates_opt_in": data.updates_opt_in,
        "locale": data.locale,
        "source": data.source,
        "state": SignatureState.CONFIRMED,
        "counted": False,
        "signed_at": signed_at or now,
        "confirmed_at": now,
    }
    # The unique index on (petition, email_key) decides duplicates, even between simultaneous
    # requests: no SELECT-then-INSERT window.
    signature_id = db.session.execute(
        insert_ignoring_duplicates(Signature, values, ("petition_id", "email_key")).returning(Signature.id)
    ).scalar()
    if signature_id is None:
        return None
    endorsed = sorted(data.demand_ids & {demand.id for demand in petition.demands})
    if endorsed:
        db.session.execute(
            insert(Endorsement), [{"signature_id": signature_id, "demand_id": demand_id} for demand_id in endorsed]
        )
    return signature_id


def fold_now_and_then(petition_id: int, signature_id: int) -> None:
    """Every N-th signature folds the waiting ones into the stored tallies, after its own commit.

    A failed fold loses nothing: the signatures stay uncounted and readers still add them.
    """
    if signature_id % current_app.config["TALLY_FOLD_EVERY"]:
        return
    try:
        tallies.fold(petition_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("folding the tallies of petition %s failed", petition_id)


def change_state(petition_id: int, signature_ids: list[int], state: SignatureState, reason: str = "") -> int:
    """Move signatures of a petition to ``state``; keep every tally exact. Returns how many moved.

    Runs in the caller's transaction: the caller commits.
    """
    tallies.lock(petition_id)
    moved = leaving = 0
    for start in range(0, len(signature_ids), tallies.CHUNK):
        chunk = signature_ids[start : start + tallies.CHUNK]
        moving = (Signature.petition_id == petition_id, Signature.id.in_(chunk), Signature.state != state)
        if state is not SignatureState.CONFIRMED:
            leaving += db.session.execute(
                select(func.count()).where(*moving, Signature.state == SignatureState.CONFIRMED)
            ).scalar_one()
        values = {"state": state, "struck_reason": reason if state is SignatureState.STRUCK else ""}
        if state is SignatureState.CONFIRMED:
            values["confirmed_at"] = func.coalesce(Signature.confirmed_at, utcnow())
        moved += db.session.execute(
            update(Signature).where(*moving).values(**values).execution_options(synchronize_session=False)
        ).rowcount
    tallies.remove_counted(petition_id, signature_ids)
    # Every signature moving into the confirmed state, or out of it, changes the count.
    if moved if state is SignatureState.CONFIRMED else leaving:
        tallies.mark_count_changed(petition_id, utcnow())
    return moved
