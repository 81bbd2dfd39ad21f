"""Organizer accounts: passwords, logging in, invitations and the coalition's team.

Plain functions of models and data; the caller commits.
"""

from __future__ import annotations

import hmac
import re
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .models import Coalition, Membership, Organizer, Role
from .models.organizer import new_login_token
from .models.types import utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200  # hashing a megabyte of "password" is a denial of service
INVITATION_SALT = "organizer-invitation"
INVITATION_MAX_AGE = 7 * 24 * 3600
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class AccountError(ValueError):
    """A request about accounts that cannot be met; the message is for the person asking."""


class LastOwner(AccountError):
    """The change would leave the coalition without an owner."""


class AlreadyMember(AccountError):
    """The organizer belongs to the coalition already."""


def normalize_email(email: str) -> str:
    """The address as email-validator normalizes it; ValueError if it is not an address."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def find_organizer(email: str) -> Organizer | None:
    key = Organizer.email_key_for(email.strip())
    return db.session.execute(select(Organizer).where(Organizer.email_key == key)).scalar_one_or_none()


def set_password(organizer: Organizer, password: str) -> None:
    """Hash and store a new password; every session and invitation link of the account ends."""
    check_password_rules(password)
    organizer.password_hash = generate_password_hash(password)
    organizer.login_token = new_login_token()


@cache
def _stand_in_hash() -> str:
    """A hash to check wrong addresses against, so that they take as long as wrong passwords."""
    return generate_password_hash(new_login_token())


def authenticate(email: str, password: str) -> Organizer | None:
    """The active organizer with this address and password, else None.

    An unknown address, a pending invitation and a wrong password all cost one password check
    and give the same None: neither the answer nor its timing tells whether an account exists.
    """
    organizer = find_organizer(email) if len(email) <= 320 else None
    password = password[:MAX_PASSWORD_LENGTH]
    if organizer is None or organizer.password_hash is None:
        check_password_hash(_stand_in_hash(), password)
        return None
    if not check_password_hash(organizer.password_hash, password):
        return None
    organizer.last_login_at = utcnow()
    return organizer


def session_organizer(user_id: str) -> Organizer | None:
    """Flask-Login's user loader: the id is "<organizer id>:<login token>" (Organizer.get_id)."""
    organizer_id, _, token = user_id.partition(":")
    if not organizer_id.isdigit() or not token:
        return None
    organizer = db.session.get(Organizer, int(organizer_id))
    if organizer is None or not organizer.is_active or not hmac.compare_digest(organizer.login_token, token):
        return None
    return organizer


# --- Accounts from the command line -----------------------------------------------------------


def coalition_named(slug: str, name: str | None = None) -> tuple[Coalition, bool]:
    """The coalition with this slug, created (under ``name``) if it does not exist yet."""
    if not SLUG.match(slug) or len(slug) > 80:
        raise AccountError("a coalition's slug is lowercase letters, digits and single hyphens")
    coalition = db.session.execute(select(Coalition).where(Coalition.slug == slug)).scalar_one_or_none()
    if coalition is not None:
        return coalition, False
    coalition = Coalition(slug=slug, name=name or slug.replace("-", " ").title())
    db.session.add(coalition)
    db.session.flush()
    return coalition, True


def create_organizer(
    email: str, coalition: Coalition, role: Role, password: str | None, name: str = ""
) -> tuple[Organizer, bool]:
    """An account with this address, member of ``coalition`` with ``role``; True if the account is new.

    An existing account keeps its password unless one is given, and gets the role in the coalition.
    """
    email = normalize_email(email)
    organizer = find_organizer(email)
    created = organizer is None
    if created:
        if password is None:
            raise AccountError("a new account needs a password")
        organizer = Organizer(email=email, email_key=Organizer.email_key_for(email), name=name)
        db.session.add(organizer)
    elif name:
        organizer.name = name
    if password is not None:
        set_password(organizer, password)
    db.session.flush()
    membership = organizer.membership(coalition.id)
    if membership is None:
        organizer.memberships.append(Membership(coalition=coalition, role=role))
    elif membership.role is not role:
        change_role(coalition, organizer.id, role)
    db.session.flush()
    return organizer, created


# --- The coalition's team ---------------------------------------------------------------------


def team(coalition: Coalition) -> list[Membership]:
    """The coalition's members: owners first, then by address."""
    order = {Role.OWNER: 0, Role.ORGANIZER: 1, Role.VIEWER: 2}
    members = db.session.execute(select(Membership).where(Membership.coalition_id == coalition.id)).scalars().all()
    return sorted(members, key=lambda m: (order[m.role], m.organizer.email_key))


def lock_team(coalition_id: int) -> None:
    """Serialize changes to a coalition's team for the rest of the transaction.

    Two owners removing each other at the same moment must not leave the coalition with none:
    a write to the coalition's row makes the second wait for the first (a row lock on PostgreSQL,
    the single writer on SQLite) and then count the owners again.
    """
    db.session.execute(
        update(Coalition)
        .where(Coalition.id == coalition_id)
        .values(name=Coalition.name)
        .execution_options(synchronize_session=False)
    )


def add_member(coalition: Coalition, email: str, role: Role) -> tuple[Organizer, bool]:
    """Add an organizer to the team; True if the account is new and waits for its invitation.

    A new account has no password: the person chooses one through the invitation link.
    """
    email = normalize_email(email)
    lock_team(coalition.id)
    organizer = find_organizer(email)
    invited = organizer is None
    if invited:
        organizer = Organizer(email=email, email_key=Organizer.email_key_for(email), password_hash=None)
        db.session.add(organizer)
    elif organizer.membership(coalition.id) is not None:
        raise AlreadyMember(email)
    organizer.memberships.append(Membership(coalition=coalition, role=role))
    db.session.flush()
    return organizer, invited


def _member(coalition: Coalition, organizer_id: int) -> Membership:
    membership = db.session.get(Membership, (organizer_id, coalition.id))
    if membership is None:
        raise LookupError(organizer_id)
    return membership


def _owners(coalition_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.coalition_id == coalition_id, Membership.role == Role.OWNER)
    ).scalar_one()


def change_role(coalition: Coalition, organizer_id: int, role: Role) -> Membership:
    lock_team(coalition.id)
    membership = _member(coalition, organizer_id)
    if membership.role is Role.OWNER and role is not Role.OWNER and _owners(coalition.id) <= 1:
        raise LastOwner(organizer_id)
    membership.role = role
    return membership


def remove_member(coalition: Coalition, organizer_id: int) -> Organizer:
    """Take an organizer off the team; an invited account that belongs nowhere else goes too."""
    lock_team(coalition.id)
    membership = _member(coalition, organizer_id)
    if membership.role is Role.OWNER and _owners(coalition.id) <= 1:
        raise LastOwner(organizer_id)
    organizer = membership.organizer
    organizer.memberships.remove(membership)
    db.session.flush()
    if organizer.password_hash is None and not organizer.memberships:
        db.session.delete(organizer)
    return organizer


# --- Invitations ------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invitation_token(organizer: Organizer) -> str:
    """A link token that lets the invited person choose a password, once, for seven days."""
    return _serializer().dumps({"id": organizer.id, "token": organizer.login_token})


def invited_organizer(token: str) -> Organizer | None:
    """The account a still-valid invitation token is for, else None.

    Choosing a password changes the login token, so a link works only until it is used.
    """
    try:
        data = _serializer().loads(token, max_age=INVITATION_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    organizer = db.session.get(Organizer, data["id"])
    if organizer is None or not hmac.compare_digest(organizer.login_token, str(data.get("token"))):
        return None
    return organizer


def renew_invitation(organizer: Organizer) -> str:
    """A fresh invitation link; earlier links stop working."""
    organizer.login_token = new_login_token()
    return invitation_token(organizer)
