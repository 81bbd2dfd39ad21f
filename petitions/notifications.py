"""Which signers hear from us, and when: every email is queued through the outbox."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from . import outbox
from .extensions import db
from .models import Demand, DemandUpdate, MailKind, MailStatus, OutboxMessage, Petition, Signature, SignatureState
from .models.types import utcnow

# However often an address is typed into the sign form, its owner gets at most this many emails
# about one signature a day: the form must not become a way to flood someone's inbox.
MAILS_PER_SIGNATURE_PER_DAY = 5


def _may_mail(signature_id: int, kind: MailKind) -> bool:
    recent = db.session.execute(
        select(func.count(), func.count().filter(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.kind == kind))
        .select_from(OutboxMessage)
        .where(OutboxMessage.signature_id == signature_id, OutboxMessage.created_at > utcnow() - timedelta(days=1))
    ).one()
    sent_today, same_kind_waiting = recent
    return not same_kind_waiting and sent_today < MAILS_PER_SIGNATURE_PER_DAY


def ask_to_confirm(signature_id: int, *, new: bool = False) -> bool:
    """Queue the confirmation email (again, for a signer who signs again while pending).

    A signature stored in this very transaction (``new``) has had no mail yet: no need to look.
    """
    if not new and not _may_mail(signature_id, MailKind.CONFIRM):
        return False
    outbox.queue(MailKind.CONFIRM, signature_id)
    return True


def answer_second_signature(signature: Signature) -> bool:
    """Someone signed again with an address that has a signature: tell its owner, not the stranger.

    A signer still waiting to confirm gets the confirmation email again; one already counted (or
    waiting for an organizer) hears that nothing changed; a struck-out signature gets nothing.
    """
    if signature.state is SignatureState.STRUCK:
        return False
    if signature.confirmed_at is None:
        return ask_to_confirm(signature.id)
    if not _may_mail(signature.id, MailKind.ALREADY_SIGNED):
        return False
    outbox.queue(MailKind.ALREADY_SIGNED, signature.id)
    return True


def notify_demand_update(petition: Petition, demand: Demand, text: str, link: str | None = None) -> int:
    """Queue an update on ``demand`` to every confirmed signer who opted in; return how many.

    Runs in the caller's transaction (the one that stores the update), in one INSERT ... SELECT,
    so that a coalition with a hundred thousand subscribers is notified in one statement.
    """
    if demand.petition_id != petition.id:
        raise ValueError(f"demand {demand.id} is not a demand of petition {petition.slug}")
    recipients = select(Signature.id).where(
        Signature.petition_id == petition.id,
        Signature.state == SignatureState.CONFIRMED,
        Signature.updates_opt_in,
    )
    return outbox.queue_many(MailKind.DEMAND_UPDATE, recipients, {"demand_id": demand.id, "text": text, "link": link})


def notify_update(update: DemandUpdate) -> int:
    """Queue a demand update an organizer chose to send to the signers who asked for news."""
    demand = update.demand
    return notify_demand_update(demand.petition, demand, update.text, update.link or None)


def unsubscribe(signature: Signature) -> None:
    """No more news for this signer; news already queued for them is dropped. The caller commits."""
    signature.updates_opt_in = False
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.signature_id == signature.id,
            OutboxMessage.kind == MailKind.DEMAND_UPDATE,
            OutboxMessage.status == MailStatus.QUEUED,
        )
        .values(status=MailStatus.CANCELLED)
    )
