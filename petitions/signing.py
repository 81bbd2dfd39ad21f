"""A signature's life: signing, confirming, withdrawing. Plain functions of models and data, no request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app
from sqlalchemy import delete, func, insert, select, text, update

from . import cities, notifications, tallies, tokens
from .extensions import db
from .models import Endorsement, Petition, Signature, SignatureState
from .models.signature import BOT_TRAP, PENDING
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


def confirming_by_email() -> bool:
    return current_app.config["SIGNATURE_CONFIRMATION"] == "email"


def sign(
    petition: Petition, data: SignatureData, *, ip_hash: str = "", bot_trap: str = "", now: datetime | None = None
) -> int | None:
    """Store a signature and commit; return its id, or None if this address has signed already.

    ``ip_hash`` is the keyed hash of the client's address (addresses.ip_hash); ``bot_trap`` says why
    a bot trap caught the attempt ("" for a person). Whatever happens the caller answers alike,
    so nobody learns whether an address has signed or a trap was sprung:

    * caught by a trap: stored struck out with the reason, never counted, no email;
    * over the hourly cap of its address: stored as suspicious until an organizer releases it;
    * with SIGNATURE_CONFIRMATION=email: pending, and a confirmation email is queued;
    * otherwise confirmed, counted at once.

    A second signature with the same address, in any letter case, stores nothing; where email is
    configured its owner gets an email instead (the confirmation again, while still pending).
    """
    if not petition.accepts_signatures:
        raise PetitionClosed(petition.slug)
    now = now or utcnow()
    state, reason = _first_state(petition.id, ip_hash, bot_trap, now)
    # Without email confirmation a held signature needs only an organizer's release to count.
    confirmed = state is not SignatureState.STRUCK and not confirming_by_email()
    how = {"now": now, "state": state, "struck_reason": reason, "ip_hash": ip_hash, "confirmed": confirmed}
    signature_id = store(petition, data, **how)
    email_key = Signature.email_key_for(data.email)
    if signature_id is None and not bot_trap and _clear_bot_attempt(petition.id, email_key):
        # A bot trap had caught this address first: the person's own signature takes its place.
        signature_id = store(petition, data, **how)
    if signature_id is None:
        db.session.rollback()
        if not bot_trap and (confirming_by_email() or current_app.config["MAIL_SERVER"]):
            _answer_second_signature(petition.id, email_key)
        return None
    if confirming_by_email() and state is not SignatureState.STRUCK:
        notifications.ask_to_confirm(signature_id, new=True)
    db.session.commit()
    fold_now_and_then(petition.id, signature_id)
    return signature_id


def store(
    petition: Petition,
    data: SignatureData,
    *,
    now: datetime | None = None,
    signed_at: datetime | None = None,
    state: SignatureState = SignatureState.CONFIRMED,
    struck_reason: str = "",
    ip_hash: str = "",
    confirmed: bool = True,
) -> int | None:
    """Insert a signature (confirmed, unless told otherwise) and its endorsements in the caller's
    transaction, without committing.

    Returns its id, or None (and stores nothing but perhaps a new city) if the address has signed.
    """
    now = now or utcnow()
    values = {
        "petition_id": petition.id,
        "name": data.name,
        "email": data.email,
        "email_key": Signature.email_key_for(data.email),
        "city_as_typed": data.city,
        "city_id": cities.resolve(data.city, data.region, data.country, coalition_id=petition.coalition_id),
        "region": data.region,
        "postal_code": data.postal_code,
        "country": data.country,
        "comment": data.comment,
        "public_name": data.public_name,
        "updates_opt_in": data.updates_opt_in,
        "locale": data.locale,
        "source": data.source,
        "ip_hash": ip_hash,
        "state": state,
        "struck_reason": struck_reason,
        "counted": False,
        "signed_at": signed_at or now,
        "confirmed_at": now if confirmed else None,
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


def _first_state(petition_id: int, ip_hash: str, bot_trap: str, now: datetime) -> tuple[SignatureState, str]:
    if bot_trap:
        return SignatureState.STRUCK, BOT_TRAP + bot_trap
    cap = current_app.config["SIGNATURE_IP_CAP_PER_HOUR"]
    if cap and ip_hash and signatures_from(petition_id, ip_hash, since=now - timedelta(hours=1), up_to=cap) >= cap:
        return SignatureState.SUSPICIOUS, ""
    return (SignatureState.PENDING if confirming_by_email() else SignatureState.CONFIRMED), ""


def signatures_from(petition_id: int, ip_hash: str, *, since: datetime, up_to: int | None = None) -> int:
    """Signatures of a petition from one address since a moment, counted up to ``up_to`` at most.

    A range of one index, no scan; and bounded, so that during a flood from one address each new
    signature still reads no more than ``up_to`` index entries. Two signers from one address at
    the same instant may both pass a cap by one: the cap is a brake on floods, not a tally.
    """
    rows = (
        select(Signature.signed_at)  # in the index: nothing else is read
        .where(Signature.petition_id == petition_id, Signature.ip_hash == ip_hash, Signature.signed_at >= since)
        .limit(up_to)
        .subquery()
    )
    return db.session.execute(select(func.count()).select_from(rows)).scalar_one()


def _clear_bot_attempt(petition_id: int, email_key: str) -> bool:
    # Trapped attempts are never confirmed, so never counted: deleting one changes no tally.
    return bool(
        db.session.execute(
            delete(Signature).where(
                Signature.petition_id == petition_id,
                Signature.email_key == email_key,
                Signature.state == SignatureState.STRUCK,
                Signature.struck_reason.startswith(BOT_TRAP),
            )
        ).rowcount
    )


def _answer_second_signature(petition_id: int, email_key: str) -> None:
    signature = db.session.execute(
        select(Signature).where(Signature.petition_id == petition_id, Signature.email_key == email_key)
    ).scalar_one_or_none()
    if signature is not None and notifications.answer_second_signature(signature):
        db.session.commit()


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


def state_on_release(confirmed_at: datetime | None) -> SignatureState:
    """Where a held or struck-out signature goes when an organizer lets it count again.

    Counted at once if its address was confirmed (``confirmed_at``), or needs no confirming;
    otherwise it waits for its owner's confirmation like any new signature: an organizer vouches
    for a signature, not for an address nobody has confirmed.
    """
    if confirmed_at is not None or not confirming_by_email():
        return SignatureState.CONFIRMED
    return SignatureState.PENDING


def release(petition_id: int, signature_ids: Sequence[int]) -> int:
    """Let held or struck-out signatures count again, each as state_on_release() says; keep every
    tally exact. Those left pending get the confirmation email again. The caller commits.
    """
    tallies.lock(petition_id)
    rows = db.session.execute(
        select(Signature.id, Signature.confirmed_at).where(
            Signature.petition_id == petition_id,
            Signature.id.in_(list(signature_ids)),
            Signature.state.in_([SignatureState.SUSPICIOUS, SignatureState.STRUCK]),
        )
    ).all()
    counting = [id_ for id_, confirmed_at in rows if state_on_release(confirmed_at) is SignatureState.CONFIRMED]
    waiting = [id_ for id_, confirmed_at in rows if state_on_release(confirmed_at) is SignatureState.PENDING]
    released = change_state(petition_id, counting, SignatureState.CONFIRMED) if counting else 0
    released += change_state(petition_id, waiting, SignatureState.PENDING) if waiting else 0
    for signature_id in waiting:
        notifications.ask_to_confirm(signature_id)
    return released


# --- Confirming ------------------------------------------------------------------------------


class Confirmation(StrEnum):
    CONFIRMED = "confirmed"  # counted from now on
    ALREADY_CONFIRMED = "already_confirmed"  # a second click, or a mail scanner's first
    HELD = "held"  # address confirmed; the signature waits for an organizer (over the address cap)
    GONE = "gone"  # withdrawn, removed, struck out, or never ours


def signer(petition: Petition, token: str, purpose: str, *, max_age: int | None = None) -> Signature | None:
    """The signature of ``petition`` a link names, or None. Raises tokens.ExpiredLink / BadLink."""
    signature_id, print_ = tokens.read_signature_token(token, purpose, max_age=max_age)
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.petition_id != petition.id or not tokens.matches(signature, print_):
        return None
    return signature


def confirm(signature: Signature | None, *, now: datetime | None = None) -> Confirmation:
    """Confirm a pending signature exactly once, however many times (and however simultaneously) its link is opened.

    Commits. The signature then counts: readers add it at once, a later fold stores it.
    """
    if signature is None:
        return Confirmation.GONE
    now = now or utcnow()
    # One conditional UPDATE: of two clicks at the same instant, exactly one moves the row.
    confirmed = db.session.execute(
        update(Signature)
        .where(Signature.id == signature.id, text(PENDING))
        .values(state=SignatureState.CONFIRMED, confirmed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not confirmed:
        # Held back by the address cap: remember that the address is real, for when it is released.
        db.session.execute(
            update(Signature)
            .where(Signature.id == signature.id, Signature.state == SignatureState.SUSPICIOUS)
            .values(confirmed_at=func.coalesce(Signature.confirmed_at, now))
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    if confirmed:
        fold_now_and_then(signature.petition_id, signature.id)
        return Confirmation.CONFIRMED
    state = db.session.execute(select(Signature.state).where(Signature.id == signature.id)).scalar()
    return {
        SignatureState.CONFIRMED: Confirmation.ALREADY_CONFIRMED,
        SignatureState.SUSPICIOUS: Confirmation.HELD,
    }.get(state, Confirmation.GONE)


# --- Leaving ---------------------------------------------------------------------------------


def remove(petition_id: int, signature_ids: Sequence[int]) -> int:
    """Delete signatures with everything personal about them (a withdrawal, or a request to organizers).

    Every tally stays exact: each signature leaves the stored tallies, under the tally lock, in
    the caller's transaction, before its row goes; its endorsements and its mail go with it.
    The caller commits. Returns how many were removed.
    """
    ids = list(signature_ids)
    change_state(petition_id, ids, SignatureState.STRUCK, reason="removed")
    removed = 0
    for start in range(0, len(ids), tallies.CHUNK):
        removed += db.session.execute(
            delete(Signature)
            .where(Signature.petition_id == petition_id, Signature.id.in_(ids[start : start + tallies.CHUNK]))
            .execution_options(synchronize_session=False)
        ).rowcount
    return removed


def remove_stale_pending(older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete signatures still unconfirmed after ``older_than``; the caller commits.

    Pending signatures were never counted, so no tally changes. A confirmation racing with this
    either confirms first (and the row no longer matches) or finds the row gone.
    """
    cutoff = (now or utcnow()) - older_than
    stale = delete(Signature).where(text(PENDING), Signature.signed_at < cutoff)
    return db.session.execute(stale.execution_options(synchronize_session=False)).rowcount
