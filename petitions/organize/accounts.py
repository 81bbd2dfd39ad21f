"""Logging in and out, invitations, and the coalition's team and export log (owners)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import accounts, exports
from ..extensions import db, limiter
from ..models import Permission, Petition, Role
from . import bp, coalition_for, safe_next
from .forms import ActionForm, LoginForm, MemberForm, PasswordForm, RoleForm

FAILED_LOGIN = 401
EXPORTS_PER_PAGE = 50


def _failed_login(response) -> bool:
    """Only a wrong email or password counts against the login limits."""
    return response.status_code == FAILED_LOGIN


def _account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()[:320]


def _no_account_named() -> bool:
    return not request.form.get("email", "").strip()


def _too_many_failures() -> str:
    return _("Too many failed logins. Please wait a few minutes and try again.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    deduct_when=_failed_login,
    error_message=_too_many_failures,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed_login,
    exempt_when=_no_account_named,
    error_message=_too_many_failures,
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("organize/login.html", form=form), 422 if form.errors else 200
    organizer = accounts.authenticate(form.email.data, form.password.data)
    if organizer is None:
        # One message for an unknown address and a wrong password: nobody learns who has an account.
        message = _("That email address and password do not match an account.")
        return render_template("organize/login.html", form=form, failed=message), FAILED_LOGIN
    db.session.commit()
    login_user(organizer, remember=True)
    return redirect(safe_next(request.args.get("next")), code=303)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You have logged out."))
    return redirect(url_for("organize.login"), code=303)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):
    """An invited organizer chooses a password; the link works once."""
    organizer = accounts.invited_organizer(token)
    if organizer is None or organizer.password_hash is not None:
        return render_template("organize/welcome.html", form=None), 404
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("organize/welcome.html", form=form, organizer=organizer), 422 if form.errors else 200
    accounts.set_password(organizer, form.password.data)
    db.session.commit()
    logout_user()
    login_user(organizer, remember=True)
    flash(_("Welcome! Your password is set."))
    return redirect(url_for("organize.dashboard"), code=303)


# --- The team (owners) ------------------------------------------------------------------------


@bp.route("/coalitions/<slug>/organizers", methods=["GET", "POST"])
def team(slug: str):
    coalition = coalition_for(slug, Permission.MANAGE)
    form = MemberForm()
    invitation = None
    status = 200
    if form.validate_on_submit():
        try:
            organizer, invited = accounts.add_member(coalition, form.email.data, Role(form.role.data))
        except accounts.AlreadyMember:
            db.session.rollback()
            form.email.errors.append(_("This person is in the team already."))
            status = 422
        else:
            invitation = accounts.invitation_token(organizer) if invited else None
            db.session.commit()
            flash(_("%(email)s is in the team now.", email=organizer.email))
            if invitation is None:
                return redirect(url_for("organize.team", slug=slug), code=303)
            form = MemberForm(formdata=None)
    elif form.errors:
        status = 422
    return render_team(coalition, form, invitation=invitation, status=status)


def render_team(coalition, form=None, *, invitation=None, status=200, error=None):
    members = accounts.team(coalition)
    form = form or MemberForm(formdata=None)
    return (
        render_template(
            "organize/team.html",
            coalition=coalition,
            members=members,
            form=form,
            role_forms={m.organizer_id: RoleForm(formdata=None, role=m.role.value) for m in members},
            action=ActionForm(),
            invitation=invitation,
            error=error,
        ),
        status,
    )


@bp.post("/coalitions/<slug>/organizers/<int:organizer_id>/role")
def change_role(slug: str, organizer_id: int):
    coalition = coalition_for(slug, Permission.MANAGE)
    form = RoleForm()
    if not form.validate_on_submit():
        return render_team(coalition, status=422, error=_("Choose a role."))
    try:
        membership = accounts.change_role(coalition, organizer_id, Role(form.role.data))
    except LookupError:
        db.session.rollback()
        return render_team(coalition, status=404, error=_("That person is not in the team."))
    except accounts.LastOwner:
        db.session.rollback()
        return render_team(
            coalition, MemberForm(formdata=None), status=409, error=_("The team needs at least one owner.")
        )
    db.session.commit()
    flash(_("%(email)s's role is changed.", email=membership.organizer.email))
    return redirect(url_for("organize.team", slug=slug), code=303)


@bp.post("/coalitions/<slug>/organizers/<int:organizer_id>/remove")
def remove_member(slug: str, organizer_id: int):
    coalition = coalition_for(slug, Permission.MANAGE)
    ActionForm().validate_on_submit()  # CSRF is checked for every POST (CSRFProtect)
    try:
        organizer = accounts.remove_member(coalition, organizer_id)
    except LookupError:
        db.session.rollback()
        return render_team(coalition, status=404, error=_("That person is not in the team."))
    except accounts.LastOwner:
        db.session.rollback()
        return render_team(
            coalition, MemberForm(formdata=None), status=409, error=_("The team needs at least one owner.")
        )
    email = organizer.email
    db.session.commit()
    flash(_("%(email)s is no longer in the team.", email=email))
    return redirect(url_for("organize.team", slug=slug), code=303)


@bp.post("/coalitions/<slug>/organizers/<int:organizer_id>/invitation")
def renew_invitation(slug: str, organizer_id: int):
    """A new invitation link for someone who has not chosen a password yet (the old link stops working)."""
    coalition = coalition_for(slug, Permission.MANAGE)
    member = next((m for m in accounts.team(coalition) if m.organizer_id == organizer_id), None)
    if member is None or member.organizer.password_hash is not None:
        return render_team(
            coalition, MemberForm(formdata=None), status=404, error=_("There is no invitation to renew.")
        )
    invitation = accounts.renew_invitation(member.organizer)
    db.session.commit()
    return render_team(coalition, invitation=invitation)


# --- The export log (owners) ------------------------------------------------------------------


@bp.get("/coalitions/<slug>/exports")
def export_log(slug: str):
    coalition = coalition_for(slug, Permission.MANAGE)
    page = request.args.get("page", 1, type=int) or 1
    page = max(1, page)
    petitions = db.session.execute(db.select(Petition).where(Petition.coalition_id == coalition.id)).scalars().all()
    entries = exports.export_log(
        [p.id for p in petitions], limit=EXPORTS_PER_PAGE + 1, offset=(page - 1) * EXPORTS_PER_PAGE
    )
    return render_template(
        "organize/exports.html",
        coalition=coalition,
        entries=entries[:EXPORTS_PER_PAGE],
        page=page,
        has_next=len(entries) > EXPORTS_PER_PAGE,
    )
