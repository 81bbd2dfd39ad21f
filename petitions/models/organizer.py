"""Organizers, their memberships of coalitions, and what each role may do."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .coalition import Coalition
from .types import UTCDateTime, enum_column, utcnow


class Role(StrEnum):
    OWNER = "owner"
    ORGANIZER = "organizer"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW = "view"  # the coalition's petitions, signatures and tallies
    EXPORT = "export"  # signatures as CSV, the delivery document
    EDIT = "edit"  # petitions, demands, their states and updates
    MODERATE = "moderate"  # strike out and restore signatures
    IMPORT = "import"  # paper signatures
    MANAGE = "manage"  # the coalition's organizers, the export log


# The one place that says what each role may do.
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW, Permission.EXPORT}),
    Role.ORGANIZER: frozenset(
        {Permission.VIEW, Permission.EXPORT, Permission.EDIT, Permission.MODERATE, Permission.IMPORT}
    ),
    Role.OWNER: frozenset(Permission),
}


def new_login_token() -> str:
    return secrets.token_urlsafe(16)


class Organizer(UserMixin, db.Model):
    """A person who runs campaigns for one or more coalitions."""

    __tablename__ = "organizers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # as normalized by email-validator
    email_key: Mapped[str] = mapped_column(String(320), unique=True)  # lowercased: one account per address
    name: Mapped[str] = mapped_column(String(200), default="")
    # None until an invited organizer chooses a password: such an account cannot log in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Part of the session's user id: a new password ends every session and invitation link.
    login_token: Mapped[str] = mapped_column(String(40), default=new_login_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organizer", cascade="all, delete-orphan", passive_deletes=True
    )

    @staticmethod
    def email_key_for(email: str) -> str:
        return email.lower()

    def get_id(self) -> str:
        return f"{self.id}:{self.login_token}"

    @property
    def is_active(self) -> bool:
        return self.password_hash is not None

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def membership(self, coalition_id: int) -> Membership | None:
        return next((m for m in self.memberships if m.coalition_id == coalition_id), None)

    def __repr__(self) -> str:
        return f"<Organizer {self.email}>"


class Membership(db.Model):
    """An organizer's place in a coalition, with a role."""

    __tablename__ = "memberships"

    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), primary_key=True)
    coalition_id: Mapped[int] = mapped_column(
        ForeignKey("coalitions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organizer: Mapped[Organizer] = relationship(back_populates="memberships")
    coalition: Mapped[Coalition] = relationship()

    def may(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def __repr__(self) -> str:
        return f"<Membership {self.organizer_id} in {self.coalition_id} as {self.role}>"
