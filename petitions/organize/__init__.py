"""Pages for organizers, under /organize: log in, write campaigns, moderate and export signers.

Every page but logging in needs an organizer. A petition or coalition the organizer is not a
member of answers 404, exactly like one that does not exist; a member whose role does not allow
an action gets 403. The roles' rights are decided in one place, models/organizer.py (GRANTS).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db, login
from ..links import absolute_url
from ..models import Coalition, Membership, Permission, Petition

bp = Blueprint("organize", __name__, url_prefix="/organize")

# The only pages a visitor who is not logged in may see.
OPEN_ENDPOINTS = frozenset({"organize.login", "organize.welcome"})


@bp.before_request
def require_organizer():
    if request.endpoint not in OPEN_ENDPOINTS and not current_user.is_authenticated:
        return login.unauthorized()
    # The language switcher of a page re-shown after a POST goes to the same page's GET.
    if request.method == "POST" and request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        g.switch_target = (request.endpoint, dict(request.view_args or {}))
    return None


@login.unauthorized_handler
def unauthorized():
    flash(_("Please log in to see that page."))
    target = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("organize.login") + "?" + urlencode({"next": target.rstrip("?")}))


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only, never another site."""
    default = url_for("organize.dashboard")
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


def membership_in(coalition_id: int, permission: Permission) -> Membership:
    """The organizer's membership of the coalition: 404 if none, 403 if the role does not allow it."""
    membership = current_user.membership(coalition_id)
    if membership is None:
        abort(404)
    if not membership.may(permission):
        abort(403)
    g.membership = membership
    return membership


def coalition_for(slug: str, permission: Permission) -> Coalition:
    coalition = db.first_or_404(db.select(Coalition).where(Coalition.slug == slug))
    membership_in(coalition.id, permission)
    return coalition


def petition_for(slug: str, permission: Permission) -> Petition:
    petition = db.first_or_404(db.select(Petition).where(Petition.slug == slug))
    membership_in(petition.coalition_id, permission)
    return petition


def may(permission: str) -> bool:
    """Template helper: whether the organizer's role on this page allows an action."""
    membership = g.get("membership")
    return membership is not None and membership.may(Permission(permission))


@bp.context_processor
def organizer_helpers():
    return {"may": may, "Permission": Permission, "absolute_url": absolute_url}


# The views register themselves on the blueprint.
from . import accounts, campaigns, cities, mail, signatures, trust  # noqa: E402

__all__ = ["accounts", "bp", "campaigns", "cities", "mail", "signatures", "trust"]
