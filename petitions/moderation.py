"""Looking through a petition's signatures and striking out the bad ones.

Every change of state goes through signing.change_state(), which keeps each tally exact, and is
written to the moderation log with its reason. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from . import abuse, signing
from .extensions import db
from .filters import SignatureFilter
from .models import City, Endorsement, ModerationAction, Organizer, Petition, Signature, SignatureState

PER_PAGE = 50

# Restoring makes a signature count again; a pending one waits for its owner's confirmation instead.
RESTORABLE = frozenset({SignatureState.STRUCK, SignatureState.SUSPICIOUS})
STRIKABLE = frozenset({SignatureState.PENDING, SignatureState.CONFIRMED, SignatureState.SUSPICIOUS})


@dataclass(frozen=True)
class SignatureRow:
    signature: Signature
    city: City
    demand_ids: frozenset[int]


@dataclass(frozen=True)
class Page:
    rows: list[SignatureRow]
    total: int  # signatures passing the filter
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def count(petition: Petition, signature_filter: SignatureFilter) -> int:
    return db.session.execute(
        select(func.count()).select_from(Signature).where(*signature_filter.conditions(petition.id))
    ).scalar_one()


def signature_page(
    petition: Petition, signature_filter: SignatureFilter, number: int = 1, per_page: int = PER_PAGE
) -> Page:
    """One page of the signatures passing the filter, newest first, with their cities and demands."""
    total = count(petition, signature_filter)
    number = max(1, min(number, max(1, -(-total // per_page))))
    found = db.session.execute(
        select(Signature, City)
        .join(City, City.id == Signature.city_id)
        .where(*signature_filter.conditions(petition.id))
        .order_by(Signature.signed_at.desc(), Signature.id.desc())
        .offset((number - 1) * per_page)
        .limit(per_page)
    ).all()
    endorsed: dict[int, set[int]] = {signature.id: set() for signature, _ in found}
    if endorsed:
        for signature_id, demand_id in db.session.execute(
            select(Endorsement.signature_id, Endorsement.demand_id).where(Endorsement.signature_id.in_(endorsed))
        ):
            endorsed[signature_id].add(demand_id)
    rows = [SignatureRow(signature, city, frozenset(endorsed[signature.id])) for signature, city in found]
    return Page(rows, total, number, per_page)


def newest_id(petition: Petition) -> int:
    """The highest signature id of the petition now: bulk strike-out goes no further than this."""
    return db.session.execute(select(func.max(Signature.id)).where(Signature.petition_id == petition.id)).scalar() or 0


def _record(
    petition: Petition, organizer: Organizer | None, state: SignatureState, reason: str, moved: int, **what
) -> ModerationAction:
    action = ModerationAction(
        petition_id=petition.id,
        organizer_id=organizer.id if organizer else None,
        by=organizer.email if organizer else "command line",
        state=state,
        reason=reason,
        count=moved,
        **what,
    )
    db.session.add(action)
    return action


def strike(petition: Petition, signature: Signature, reason: str, organizer: Organizer | None) -> int:
    """Strike out one signature with a reason; returns 1 if it moved, 0 if it could not (already struck)."""
    if signature.state not in STRIKABLE:
        return 0
    moved = signing.change_state(petition.id, [signature.id], SignatureState.STRUCK, reason)
    _record(petition, organizer, SignatureState.STRUCK, reason, moved, signature_id=signature.id)
    return moved


def restore(petition: Petition, signature: Signature, reason: str, organizer: Organizer | None) -> int:
    """Count a struck-out or held-back signature again, saying why; returns how many moved (0 or 1).

    One whose address was never confirmed waits for its owner's confirmation (signing.release()).
    """
    if signature.state not in RESTORABLE:
        return 0
    state = signing.state_on_release(signature.confirmed_at)
    moved = signing.release(petition.id, [signature.id])
    _record(petition, organizer, state, reason, moved, signature_id=signature.id)
    return moved


def _strikable(petition: Petition, signature_filter: SignatureFilter, up_to_id: int) -> list:
    return [*signature_filter.conditions(petition.id), Signature.id <= up_to_id, Signature.state.in_(STRIKABLE)]


def strikable_count(petition: Petition, signature_filter: SignatureFilter, up_to_id: int) -> int:
    """How many signatures bulk_strike() would strike out now."""
    return db.session.execute(
        select(func.count()).select_from(Signature).where(*_strikable(petition, signature_filter, up_to_id))
    ).scalar_one()


def bulk_strike(
    petition: Petition, signature_filter: SignatureFilter, up_to_id: int, reason: str, organizer: Organizer | None
) -> int:
    """Strike out every signature passing the filter, as far as the organizer saw them (``up_to_id``).

    Signatures that arrive between the confirmation page and the click are left alone: the
    organizer agreed to strike the set they were shown, not whatever matches later.
    """
    ids = (
        db.session.execute(select(Signature.id).where(*_strikable(petition, signature_filter, up_to_id)))
        .scalars()
        .all()
    )
    moved = signing.change_state(petition.id, ids, SignatureState.STRUCK, reason) if ids else 0
    _record(petition, organizer, SignatureState.STRUCK, reason, moved, filters=signature_filter.query_string())
    return moved


def strike_source(
    petition: Petition, reason: str, organizer: Organizer | None, *, ip_hash: str = "", email_domain: str = ""
) -> int:
    """Strike out every signature from one address hash or one email domain (abuse.strike_group()), on record."""
    moved = abuse.strike_group(petition.id, reason, ip_hash=ip_hash or None, email_domain=email_domain or None)
    source = SignatureFilter(ip_hash=ip_hash, email_domain=email_domain)
    _record(petition, organizer, SignatureState.STRUCK, reason, moved, filters=source.query_string())
    return moved


def release_held(petition: Petition, up_to_id: int, organizer: Organizer | None) -> int:
    """Let every held signature the organizer was shown count (abuse.release()), on record."""
    moved = abuse.release(petition.id, up_to_id=up_to_id)
    held = SignatureFilter(state=SignatureState.SUSPICIOUS).query_string()
    _record(petition, organizer, SignatureState.CONFIRMED, "", moved, filters=held)
    return moved


REMOVED_ON_REQUEST = "removed on the signer's request"


def remove_on_request(petition: Petition, signature: Signature, organizer: Organizer | None) -> bool:
    """Delete a signature with its personal data, as its signer asked (abuse.remove_on_request()).

    The log keeps that one signature went, and who removed it, but nothing about the signer.
    """
    removed = abuse.remove_on_request(petition.id, signature.id)
    if removed:
        _record(petition, organizer, SignatureState.STRUCK, REMOVED_ON_REQUEST, 1)
    return removed


def recent_actions(petition: Petition, limit: int = 20) -> list[ModerationAction]:
    return (
        db.session.execute(
            select(ModerationAction)
            .where(ModerationAction.petition_id == petition.id)
            .order_by(ModerationAction.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
