"""Which petitions the public sees: every one but drafts, and the open ones, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, select
from werkzeug.exceptions import NotFound

from .extensions import db
from .models import Petition, PetitionState

# Drafts are the organizers' own: every public page and API answers 404 for them.
IS_PUBLIC = Petition.state != PetitionState.DRAFT
IS_OPEN = Petition.state == PetitionState.OPEN


def public_petition(slug: str) -> Petition:
    """The petition with this slug, unless it is a draft: 404 either way."""
    return db.one_or_404(select(Petition).where(Petition.slug == slug, IS_PUBLIC))


def public_petition_columns(slug: str, *columns: Any) -> Row:
    """A few columns of a public petition, without loading the rest of it: 404 if there is none."""
    row = db.session.execute(select(*columns).where(Petition.slug == slug, IS_PUBLIC)).one_or_none()
    if row is None:
        raise NotFound()
    return row


def open_petitions(*, limit: int | None = None, offset: int = 0) -> list[Petition]:
    """Open petitions, the most recently opened first."""
    query = select(Petition).where(IS_OPEN).order_by(Petition.opened_at.desc(), Petition.id.desc())
    return list(db.session.execute(query.limit(limit).offset(offset)).scalars())


def count_open() -> int:
    return db.session.execute(select(func.count()).select_from(Petition).where(IS_OPEN)).scalar_one()
