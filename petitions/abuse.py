"""What organizers do about abuse: see where signatures come from, strike out a flood, release the held.

Plain functions for the organizer pages. Every change of state goes through
signing.change_state(), so every tally stays exact; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from . import signing, sql, tallies
from .extensions import db
from .models import Signature, SignatureState


@dataclass(frozen=True)
class Source:
    """Where a group of a petition's signatures came from: one address hash, or one email domain."""

    key: str
    signatures: int
    confirmed: int
    suspicious: int
    struck: int


def _sources(petition_id: int, key, *, since: datetime | None, limit: int) -> list[Source]:
    def count_of(state: SignatureState):
        return func.sum(case((Signature.state == state, 1), else_=0))

    query = (
        select(
            key.label("key"),
            func.count(),
            count_of(SignatureState.CONFIRMED),
            count_of(SignatureState.SUSPICIOUS),
            count_of(SignatureState.STRUCK),
        )
        .where(Signature.petition_id == petition_id, key != "")
        .group_by(key)
        .order_by(func.count().desc(), key)
        .limit(limit)
    )
    if since is not None:
        query = query.where(Signature.signed_at >= since)
    return [Source(*row) for row in db.session.execute(query)]


def busiest_ip_hashes(petition_id: int, *, since: datetime | None = None, limit: int = 20) -> list[Source]:
    """The address hashes with the most signatures on a petition (since a moment, if given)."""
    return _sources(petition_id, Signature.ip_hash, since=since, limit=limit)


def busiest_email_domains(petition_id: int, *, since: datetime | None = None, limit: int = 20) -> list[Source]:
    """The email domains with the most signatures on a petition: a sudden burst from one is telling."""
    return _sources(petition_id, sql.email_domain(Signature.email_key), since=since, limit=limit)


def _group(petition_id: int, *, ip_hash: str | None, domain: str | None, states) -> list[int]:
    if (ip_hash is None) == (domain is None):
        raise ValueError("give exactly one of ip_hash and email_domain")
    where = [Signature.petition_id == petition_id, Signature.state.in_(states)]
    if ip_hash is not None:
        where.append(Signature.ip_hash == ip_hash)
    else:
        where.append(sql.email_domain(Signature.email_key) == domain.strip().lower())
    return list(db.session.execute(select(Signature.id).where(*where).order_by(Signature.id)).scalars())


def strikable_in_group(petition_id: int, *, ip_hash: str | None = None, email_domain: str | None = None) -> int:
    """How many signatures strike_group() would strike out now: the group's, all time, not yet struck."""
    states = [state for state in SignatureState if state is not SignatureState.STRUCK]
    return len(_group(petition_id, ip_hash=ip_hash, domain=email_domain, states=states))


def strike_group(petition_id: int, reason: str, *, ip_hash: str | None = None, email_domain: str | None = None) -> int:
    """Strike out every signature from one address hash or one email domain; return how many."""
    tallies.lock(petition_id)
    states = [state for state in SignatureState if state is not SignatureState.STRUCK]
    ids = _group(petition_id, ip_hash=ip_hash, domain=email_domain, states=states)
    return signing.change_state(petition_id, ids, SignatureState.STRUCK, reason=reason)


def held_count(petition_id: int) -> int:
    """How many of a petition's signatures are held back (suspicious), waiting for an organizer."""
    return db.session.execute(
        select(func.count()).where(Signature.petition_id == petition_id, Signature.state == SignatureState.SUSPICIOUS)
    ).scalar_one()


def release(petition_id: int, signature_ids: list[int] | None = None, *, up_to_id: int | None = None) -> int:
    """Let held (suspicious) signatures count: all of a petition's, or the ones given. Returns how many.

    With ``up_to_id``, none newer than that id: an organizer releases the held signatures they
    were shown, never those of a flood that arrived after. signing.release() decides where each
    goes: counted at once, or pending its owner's confirmation.
    """
    tallies.lock(petition_id)
    query = select(Signature.id).where(
        Signature.petition_id == petition_id, Signature.state == SignatureState.SUSPICIOUS
    )
    if signature_ids is not None:
        query = query.where(Signature.id.in_(signature_ids))
    if up_to_id is not None:
        query = query.where(Signature.id <= up_to_id)
    return signing.release(petition_id, list(db.session.execute(query.order_by(Signature.id)).scalars()))


def remove_on_request(petition_id: int, signature_id: int) -> bool:
    """A signer asked the organizers to remove their signature: it goes with all their data."""
    return signing.remove(petition_id, [signature_id]) == 1
