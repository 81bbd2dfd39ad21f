"""The dashboard, writing petitions and demands, moving them through their states, demand updates."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import abuse, notifications, organizing, privacy, sources, tallies
from ..extensions import db
from ..i18n import current_locale
from ..models import DemandStatus, DemandUpdate, IllegalTransition, Permission, Petition, PetitionState
from ..models.types import utcnow
from . import bp, coalition_for, membership_in, petition_for
from .forms import STATUS_LABELS, ActionForm, DemandForm, DemandUpdateForm, MoveForm, PetitionForm

STATE_ORDER = {PetitionState.OPEN: 0, PetitionState.DRAFT: 1, PetitionState.CLOSED: 2, PetitionState.ARCHIVED: 3}
DIRECTIONS = {"up": -1, "down": 1}


@bp.get("/")
def dashboard():
    """The coalitions of the organizer, each with its petitions, their counts and today's signatures."""
    memberships = sorted(current_user.memberships, key=lambda m: m.coalition.name.casefold())
    coalition_ids = [m.coalition_id for m in memberships]
    petitions = db.session.execute(db.select(Petition).where(Petition.coalition_id.in_(coalition_ids))).scalars().all()
    petitions = sorted(petitions, key=lambda p: (STATE_ORDER[p.state], -(p.created_at.timestamp())))
    counts = tallies.signature_counts([p.id for p in petitions])
    today = utcnow().date()
    signed_today = {p.id: dict(tallies.daily_counts(p.id)).get(today, 0) for p in petitions}
    retention = {m.coalition_id: privacy.retention_ending(coalition_id=m.coalition_id) for m in memberships}
    return render_template(
        "organize/dashboard.html",
        memberships=memberships,
        petitions=petitions,
        counts=counts,
        signed_today=signed_today,
        retention=retention,
        retention_days=current_app.config["RETENTION_DAYS"],
        now=utcnow(),
    )


@bp.route("/coalitions/<slug>/petitions/new", methods=["GET", "POST"])
def new_petition(slug: str):
    coalition = coalition_for(slug, Permission.EDIT)
    form = PetitionForm()
    if request.method == "GET":
        form.default_locale.data = current_locale()
    if "preview" in request.form or not form.validate_on_submit():
        return render_petition_form(form, coalition=coalition)
    try:
        petition = organizing.create_petition(coalition, form.petition_data())
    except organizing.SlugTaken:
        form.slug.errors.append(_("Another petition uses this web address. Choose another."))
        return render_petition_form(form, coalition=coalition)
    db.session.commit()
    flash(_("The petition is saved as a draft. Add its demands, then open it for signatures."))
    return redirect(url_for("organize.petition", slug=petition.slug), code=303)


@bp.route("/petitions/<slug>/edit", methods=["GET", "POST"])
def edit_petition(slug: str):
    petition = petition_for(slug, Permission.EDIT)
    form = PetitionForm(slug_fixed=organizing.slug_is_fixed(petition))
    if request.method == "GET":
        form.fill_from(petition)
    if "preview" in request.form or not form.validate_on_submit():
        return render_petition_form(form, petition=petition)
    fixed_slug = petition.slug if form.slug_fixed else None
    try:
        organizing.update_petition(petition, form.petition_data(slug=fixed_slug))
    except organizing.SlugTaken:
        form.slug.errors.append(_("Another petition uses this web address. Choose another."))
        return render_petition_form(form, petition=db.session.get(Petition, petition.id))
    db.session.commit()
    flash(_("Your changes are saved."))
    return redirect(url_for("organize.petition", slug=petition.slug), code=303)


def render_petition_form(form: PetitionForm, *, coalition=None, petition=None):
    status = 422 if form.errors else 200
    preview = "preview" in request.form
    locale = form.default_locale.data or "en"
    return (
        render_template(
            "organize/petition_form.html",
            form=form,
            coalition=coalition or petition.coalition,
            petition=petition,
            preview=preview,
            translation_locale=organizing.translation_locale(locale if locale in ("en", "es") else "en"),
        ),
        status,
    )


@bp.get("/petitions/<slug>")
def petition(slug: str):
    petition = petition_for(slug, Permission.VIEW)
    return render_template(
        "organize/petition.html",
        petition=petition,
        count=tallies.signature_count(petition.id),
        support=tallies.demand_support(petition.id),
        sources=sources.signatures_by_source(petition.id),
        held=abuse.held_count(petition.id),
        retention=privacy.retention_notice(petition),
        retention_days=current_app.config["RETENTION_DAYS"],
        now=utcnow(),
        moves=organizing.MOVES[petition.state],
        form=ActionForm(),
        status_labels=STATUS_LABELS,
    )


@bp.post("/petitions/<slug>/state")
def move_petition(slug: str):
    petition = petition_for(slug, Permission.EDIT)
    form = MoveForm(moves=list(organizing.Move))
    if form.validate_on_submit():
        try:
            organizing.move(petition, organizing.Move(form.move.data))
        except IllegalTransition:
            db.session.rollback()
            flash(_("That move is not possible from the petition's current state."))
            return redirect(url_for("organize.petition", slug=slug), code=303)
        db.session.commit()
        flash(STATE_MESSAGES[petition.state]())
    return redirect(url_for("organize.petition", slug=slug), code=303)


STATE_MESSAGES = {
    PetitionState.OPEN: lambda: _("The petition is open: people can sign it now."),
    PetitionState.CLOSED: lambda: _("The petition is closed: it shows its final count and takes no signatures."),
    PetitionState.ARCHIVED: lambda: _("The petition is archived."),
    PetitionState.DRAFT: lambda: _("The petition is a draft."),
}


# --- Demands ----------------------------------------------------------------------------------


def demand_of(petition: Petition, demand_id: int):
    demand = next((d for d in petition.demands if d.id == demand_id), None)
    if demand is None:
        abort(404)
    return demand


@bp.route("/petitions/<slug>/demands/new", methods=["GET", "POST"])
def new_demand(slug: str):
    petition = petition_for(slug, Permission.EDIT)
    form = DemandForm()
    if not form.validate_on_submit():
        return render_demand_form(petition, form)
    organizing.add_demand(petition, form.demand_data())
    db.session.commit()
    flash(_("The demand is added."))
    return redirect(url_for("organize.petition", slug=slug), code=303)


def render_demand_form(petition, form, demand=None):
    return (
        render_template(
            "organize/demand_form.html",
            petition=petition,
            demand=demand,
            form=form,
            translation_locale=organizing.translation_locale(petition.default_locale),
        ),
        422 if form.errors else 200,
    )


@bp.route("/petitions/<slug>/demands/<int:demand_id>", methods=["GET", "POST"])
def demand(slug: str, demand_id: int):
    """Edit a demand; its status and timeline are on the same page."""
    petition = petition_for(slug, Permission.VIEW)
    demand = demand_of(petition, demand_id)
    form = DemandForm()
    if request.method == "GET":
        form.fill_from(demand)
    else:
        membership_in(petition.coalition_id, Permission.EDIT)
    if form.validate_on_submit():
        organizing.update_demand(demand, form.demand_data())
        db.session.commit()
        flash(_("Your changes are saved."))
        return redirect(url_for("organize.demand", slug=slug, demand_id=demand_id), code=303)
    update_form = DemandUpdateForm(formdata=None, status=demand.status.value)
    return render_demand(petition, demand, form, update_form)


def render_demand(petition, demand, form, update_form):
    status = 422 if form.errors or update_form.errors else 200
    return (
        render_template(
            "organize/demand.html",
            petition=petition,
            demand=demand,
            form=form,
            update_form=update_form,
            action=ActionForm(),
            status_labels=STATUS_LABELS,
            translation_locale=organizing.translation_locale(petition.default_locale),
        ),
        status,
    )


@bp.post("/petitions/<slug>/demands/<int:demand_id>/move")
def move_demand(slug: str, demand_id: int):
    petition = petition_for(slug, Permission.EDIT)
    demand = demand_of(petition, demand_id)
    form = MoveForm(moves=list(DIRECTIONS))
    if form.validate_on_submit():
        organizing.move_demand(demand, DIRECTIONS[form.move.data])
        db.session.commit()
    return redirect(url_for("organize.petition", slug=slug, _anchor=f"demand-{demand_id}"), code=303)


@bp.post("/petitions/<slug>/demands/<int:demand_id>/delete")
def delete_demand(slug: str, demand_id: int):
    petition = petition_for(slug, Permission.EDIT)
    demand = demand_of(petition, demand_id)
    try:
        organizing.delete_demand(demand)
    except organizing.DemandInUse:
        db.session.rollback()
        flash(_("People have signed for this demand, so it stays. You can mark it won or lost instead."))
        return redirect(url_for("organize.demand", slug=slug, demand_id=demand_id), code=303)
    db.session.commit()
    flash(_("The demand is deleted."))
    return redirect(url_for("organize.petition", slug=slug), code=303)


@bp.post("/petitions/<slug>/demands/<int:demand_id>/updates")
def post_update(slug: str, demand_id: int):
    petition = petition_for(slug, Permission.EDIT)
    demand = demand_of(petition, demand_id)
    update_form = DemandUpdateForm()
    if not update_form.validate_on_submit():
        form = DemandForm(formdata=None)
        form.fill_from(demand)
        return render_demand(petition, demand, form, update_form)
    update = organizing.post_update(
        demand,
        text=update_form.text.data,
        status=DemandStatus(update_form.status.data),
        happened_on=update_form.happened_on.data,
        link=update_form.link.data or "",
        author=current_user._get_current_object(),
    )
    # Queued in the same transaction as the update: both are stored, or neither.
    emailed = notifications.notify_update(update) if update_form.notify.data else 0
    db.session.commit()
    flash(_("The update is posted."))
    if update_form.notify.data:
        flash(ngettext("It is on its way to %(num)s signer.", "It is on its way to %(num)s signers.", emailed))
    return redirect(url_for("organize.demand", slug=slug, demand_id=demand_id), code=303)


@bp.post("/petitions/<slug>/demands/<int:demand_id>/updates/<int:update_id>/delete")
def delete_update(slug: str, demand_id: int, update_id: int):
    petition = petition_for(slug, Permission.EDIT)
    demand = demand_of(petition, demand_id)
    update = db.session.get(DemandUpdate, update_id)
    if update is None or update.demand_id != demand.id:
        abort(404)
    organizing.delete_update(update)
    db.session.commit()
    flash(_("The update is deleted."))
    return redirect(url_for("organize.demand", slug=slug, demand_id=demand_id), code=303)
