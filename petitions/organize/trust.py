"""Where a petition's signatures come from, to spot a flood: strike out a whole source, release the held."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import abuse, moderation, tallies
from ..extensions import db
from ..filters import FilterError, SignatureFilter
from ..models import Permission
from ..models.types import utcnow
from . import bp, petition_for
from .forms import GroupStrikeForm, ReleaseForm

WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7), "all": None}


def window_labels() -> dict[str, str]:
    return {"hour": _("Last hour"), "day": _("Last 24 hours"), "week": _("Last 7 days"), "all": _("All time")}


@bp.get("/petitions/<slug>/trust")
def trust(slug: str):
    """The busiest address hashes and email domains, with what is held back."""
    petition = petition_for(slug, Permission.VIEW)
    window = request.args.get("since") or "all"
    if window not in WINDOWS:
        abort(400, description=_("Choose a period from the list."))
    since = utcnow() - WINDOWS[window] if WINDOWS[window] else None
    return render_template(
        "organize/trust.html",
        petition=petition,
        window=window,
        windows=window_labels(),
        addresses=abuse.busiest_ip_hashes(petition.id, since=since),
        domains=abuse.busiest_email_domains(petition.id, since=since),
        held=abuse.held_count(petition.id),
        count=tallies.signature_count(petition.id),
        release_form=ReleaseForm(formdata=None, up_to=moderation.newest_id(petition)),
    )


def source_or_400(args) -> SignatureFilter:
    """One address hash or one email domain, from the URL (``ip=`` or ``domain=``), and nothing else."""
    try:
        source = SignatureFilter.from_query(args)
    except FilterError as error:
        abort(400, description=next(iter(error.errors.values())))
    if set(source.to_query()) not in ({"ip"}, {"domain"}):
        abort(400, description=_("Choose one address or one email domain from the list of sources."))
    return source


@bp.route("/petitions/<slug>/trust/strike", methods=["GET", "POST"])
def strike_source(slug: str):
    """Strike out every signature from one source, after a page that says how many and asks why."""
    petition = petition_for(slug, Permission.MODERATE)
    source = source_or_400(request.args)
    form = GroupStrikeForm()
    if form.validate_on_submit():
        moved = moderation.strike_source(
            petition,
            form.reason.data,
            current_user._get_current_object(),
            ip_hash=source.ip_hash,
            email_domain=source.email_domain,
        )
        db.session.commit()
        flash(ngettext("%(num)s signature is struck out.", "%(num)s signatures are struck out.", moved))
        return redirect(url_for("organize.trust", slug=slug), code=303)
    count = abuse.strikable_in_group(
        petition.id, ip_hash=source.ip_hash or None, email_domain=source.email_domain or None
    )
    return (
        render_template(
            "organize/trust_strike.html",
            petition=petition,
            form=form,
            source=source,
            query=source.to_query(),
            count=count,
        ),
        422 if form.errors else 200,
    )


@bp.post("/petitions/<slug>/trust/release")
def release_held(slug: str):
    """Let the held signatures the organizer was shown count (or wait for their signer's confirmation)."""
    petition = petition_for(slug, Permission.MODERATE)
    form = ReleaseForm()
    if not form.validate_on_submit():
        abort(400)
    released = moderation.release_held(petition, form.up_to.data, current_user._get_current_object())
    db.session.commit()
    if released:
        flash(
            ngettext(
                "%(num)s held signature is released. If its signer confirmed their email address, it counts now; "
                "otherwise it counts once they do.",
                "%(num)s held signatures are released. Those whose signers confirmed their email address count now; "
                "the others count once their signers do.",
                released,
            )
        )
    else:
        flash(_("No held signature was left to release."))
    return redirect(url_for("organize.trust", slug=slug), code=303)
