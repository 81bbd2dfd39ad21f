"""Mail to signers that failed for good: what, to whom (partly masked), why; and sending it again."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import outbox
from ..extensions import db
from ..models import MailKind, OutboxMessage, Permission, Petition, Signature
from ..privacy import masked_email
from . import bp, coalition_for
from .forms import ActionForm


def kind_labels() -> dict[MailKind, str]:
    return {
        MailKind.CONFIRM: _("Please confirm your signature"),
        MailKind.ALREADY_SIGNED: _("You had already signed"),
        MailKind.DEMAND_UPDATE: _("News about a demand"),
    }


@bp.get("/coalitions/<slug>/mail")
def failed_mail(slug: str):
    coalition = coalition_for(slug, Permission.EDIT)
    return render_template(
        "organize/failed_mail.html",
        coalition=coalition,
        messages=outbox.failed_messages(coalition.id),
        shown=outbox.FAILED_SHOWN,
        kinds=kind_labels(),
        masked=masked_email,
        form=ActionForm(),
    )


@bp.post("/coalitions/<slug>/mail/<int:message_id>/retry")
def retry_mail(slug: str, message_id: int):
    coalition = coalition_for(slug, Permission.EDIT)
    db.first_or_404(
        db.select(OutboxMessage.id)
        .join(Signature, Signature.id == OutboxMessage.signature_id)
        .join(Petition, Petition.id == Signature.petition_id)
        .where(OutboxMessage.id == message_id, Petition.coalition_id == coalition.id)
    )
    requeued = outbox.retry(message_id)
    db.session.commit()
    if requeued:
        flash(_("The email is back in the queue: it is sent again shortly."))
    else:
        flash(_("That email is not waiting for a retry."))
    return redirect(url_for("organize.failed_mail", slug=slug), code=303)
